// npskit core (view room): the dashboard's report from /v1/aggregate histograms instead of rows
// (the histogram path, for collectors too large to send every row; comments: GET /v1/comments).
// Pure: the browser edge (web_source.cpp, source.js) fetches; this builds the queries from the
// view's report_desc and turns the answers into the same `report` build_report makes from rows,
// scored by the same core functions (score_nps, compare_nps): one engine, the same numbers.
//
// [SECTION] Queries
// [SECTION] Report from the answers
#pragma once
#include <string>
#include <vector>

#include "params.h"
#include "report.h"

namespace npskit {

//-----------------------------------------------------------------------------
// [SECTION] Queries
//-----------------------------------------------------------------------------
// The aggregates a report needs: the trend (its buckets sum to the headline, distribution and
// response rate), the breakdown (when a key is selected) and the previous period when the
// filter has both ends. With an open start the previous period lies before all data (empty, as
// build_report finds it); with only an open end its length depends on the newest answer's
// instant, which histograms do not give to the millisecond: no comparison then (absent, never
// approximate).
enum class aggregate_part : uint8_t { trend, breakdown, previous };

// (name, value) pairs of the shared grammar (params.h) for one part; the caller encodes them
// into a query string. Empty when the part is not needed.
std::vector<param_pair> aggregate_params(const report_desc& desc, aggregate_part part);

// What the aggregates cannot answer in this view ("" = nothing): a text search or a selected
// theme needs the comments' words, which the histograms do not hold. The panels show it instead
// of a number that would silently ignore that filter.
std::string aggregate_unanswered(const report_desc& desc);

//-----------------------------------------------------------------------------
// [SECTION] Report from the answers
//-----------------------------------------------------------------------------
struct aggregate_answers {
    std::string trend;  // the JSON bodies of /v1/aggregate for each part ("" = not asked)
    std::string breakdown;
    std::string previous;
};

// Fills `out` (headline, distribution, trend, breakdown, response rate; no comments, no themes)
// as build_report would from the same rows. False with a sentence when a body is not an
// aggregate. `note` gathers the answers' own notes (keys the store left out).
bool report_from_aggregates(const aggregate_answers& answers, const report_desc& desc, report& out, std::string& note, std::string& error);

}  // namespace npskit
