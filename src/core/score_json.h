// npskit core: the NPS figures as JSON, written once for `npskit score` and the dashboard's
// report (and its export). Header-only over any nlohmann::basic_json (ordered or not) so the
// widget, which never includes it, pays nothing.
#pragma once
#include <nlohmann/json.hpp>

#include "score.h"

namespace npskit {

// n, promoters, passives, detractors, nps, nps_rounded (an integer), ci_low, ci_high, margin;
// the last five are null when there is no answer (has_score false), never 0.
template <class Json>
void put_nps_figures(Json& j, const nps_result& r) {
    j["n"] = r.n;
    j["promoters"] = r.promoters;
    j["passives"] = r.passives;
    j["detractors"] = r.detractors;
    auto or_null = [&](double v) { return r.has_score ? Json(v) : Json(nullptr); };
    j["nps"] = or_null(r.nps);
    j["nps_rounded"] = r.has_score ? Json(static_cast<int>(round_half_away(r.nps))) : Json(nullptr);
    j["ci_low"] = or_null(r.ci_low);
    j["ci_high"] = or_null(r.ci_high);
    j["margin"] = or_null(r.margin);
}

}  // namespace npskit
