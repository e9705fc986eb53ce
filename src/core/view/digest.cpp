// npskit core: the digest (digest.h).
#include "digest.h"

#include <cmath>
#include <cstdio>

#include <nlohmann/json.hpp>

#include "calendar.h"
#include "params.h"
#include "score_json.h"

namespace npskit {

//-----------------------------------------------------------------------------
// [SECTION] Periods
//-----------------------------------------------------------------------------
const char* digest_period_name(digest_period p) { return p == digest_period::day ? "day" : "week"; }
const char* digest_event_name(digest_period p) { return p == digest_period::day ? "digest.daily" : "digest.weekly"; }

std::optional<digest_period> parse_digest_period(std::string_view text) {
    if (text == "day" || text == "daily") return digest_period::day;
    if (text == "week" || text == "weekly") return digest_period::week;
    return std::nullopt;
}

int64_t digest_period_ms(digest_period p) { return p == digest_period::day ? ms_per_day : 7 * ms_per_day; }

int64_t digest_boundary_at_or_before(digest_period p, int64_t t_ms, int utc_offset_minutes) {
    const int64_t offset_ms = int64_t(utc_offset_minutes) * 60000;
    int64_t day = floor_div(t_ms + offset_ms, ms_per_day);
    if (p == digest_period::week) day = iso_week_start_day(day);
    return day * ms_per_day - offset_ms;
}

int64_t digest_boundary_after(digest_period p, int64_t t_ms, int utc_offset_minutes) {
    return digest_boundary_at_or_before(p, t_ms, utc_offset_minutes) + digest_period_ms(p);
}

std::optional<int64_t> parse_digest_end(std::string_view text, int utc_offset_minutes) {
    if (is_bare_date(text)) {
        std::optional<int64_t> start = parse_since(text);  // that date's 00:00 UTC
        if (!start) return std::nullopt;
        return *start + ms_per_day - int64_t(utc_offset_minutes) * 60000;
    }
    return parse_timestamp(text);
}

//-----------------------------------------------------------------------------
// [SECTION] The digest
//-----------------------------------------------------------------------------
digest build_digest(const response_store& store, const digest_desc& desc) {
    digest d;
    d.period = desc.period;
    d.utc_offset_minutes = desc.utc_offset_minutes;
    d.open_follow_ups = desc.open_follow_ups;
    // The dashboard's own report over the period: its headline holds the previous period of
    // the same length and the comparison, its rate the shown events, its themes the segments'.
    report_desc rd;
    rd.filter.since_ms = desc.end_ms - digest_period_ms(desc.period);
    rd.filter.until_ms = desc.end_ms;
    rd.bucket = time_bucket::day;
    rd.utc_offset_minutes = desc.utc_offset_minutes;
    rd.breakdown_key = "";
    rd.confidence = desc.confidence;
    rd.comment_limit = 0;
    report r = build_report(store, rd);
    const headline_view& h = r.headline;
    d.since_ms = h.since_ms;
    d.until_ms = h.until_ms;
    d.previous_since_ms = h.since_ms - (h.until_ms - h.since_ms);
    d.score = h.score;
    if (h.has_previous) d.previous = h.previous;
    if (h.has_previous && h.score.has_score) d.change = h.change;
    d.rate = r.rate;
    for (size_t s = 0; s < 3; ++s)
        for (const ranked_theme& t : r.distinctive_themes[s]) {
            if (d.themes[s].size() >= desc.top_themes) break;
            d.themes[s].push_back(t.text);
        }
    return d;
}

//-----------------------------------------------------------------------------
// [SECTION] Text and JSON
//-----------------------------------------------------------------------------
std::string format_p_value(double p) {
    char buf[32];
    if (p < 0.001) return "p < 0.001";
    // Two decimals unless that would print 0.00.
    std::snprintf(buf, sizeof buf, p < 0.01 ? "p = %.3f" : "p = %.2f", p);
    return buf;
}

std::string digest_change_words(const nps_comparison& c) {
    if (!c.valid) return "";
    const double points = round_half_away(c.difference);
    std::string words;
    if (points == 0) {
        words = "unchanged";
    } else {
        const long n = std::lround(std::fabs(points));
        words = std::string(points > 0 ? "up " : "down ") + std::to_string(n) + (n == 1 ? " point" : " points");
    }
    words += c.significant ? ", likely real (" : ", within noise (";
    return words + format_p_value(c.p_value) + ")";
}

namespace {

std::string offset_text(int minutes) {
    if (minutes == 0) return "UTC";
    char buf[16];
    int a = minutes < 0 ? -minutes : minutes;
    std::snprintf(buf, sizeof buf, "UTC%c%02d:%02d", minutes < 0 ? '-' : '+', a / 60, a % 60);
    return buf;
}

// The local calendar day of an instant, for the period's dates.
int64_t local_day(int64_t t_ms, int offset_minutes) { return floor_div(t_ms + int64_t(offset_minutes) * 60000, ms_per_day); }

const char* segment_plural(size_t s) { return s == 0 ? "detractors" : s == 1 ? "passives" : "promoters"; }

}  // namespace

std::string digest_text(const digest& d) {
    const bool week = d.period == digest_period::week;
    const char* unit = week ? "week" : "day";
    const int64_t first = local_day(d.since_ms, d.utc_offset_minutes);
    const int64_t last = local_day(d.until_ms - 1, d.utc_offset_minutes);
    std::string t = std::string("*NPS ") + (week ? "weekly" : "daily") + " digest*: " + format_date(first);
    if (last != first) t += " to " + format_date(last);
    t += " (" + offset_text(d.utc_offset_minutes) + ")\n";
    const int pct = static_cast<int>(std::lround(d.score.confidence * 100));
    if (d.score.has_score) {
        t += "NPS *" + format_rounded(d.score.nps) + "* (" + std::to_string(pct) + "% CI " + format_rounded(d.score.ci_low) + " to " +
             format_rounded(d.score.ci_high) + "), " + std::to_string(d.score.n) + (d.score.n == 1 ? " answer\n" : " answers\n");
    } else {
        t += std::string("NPS: no answers this ") + unit + "\n";
    }
    if (d.change.valid)
        t += "Change: " + digest_change_words(d.change) + " vs " + format_rounded(d.previous.nps) + " the " + unit + " before\n";
    else if (d.score.has_score)
        t += std::string("Change: no answers the ") + unit + " before to compare with\n";
    if (d.rate.shown) {
        t += "Response rate: " + format_rounded(d.rate.answer_rate * 100) + "% (" + std::to_string(d.rate.answered) + " of " +
             std::to_string(d.rate.shown) + " shown)\n";
    } else {
        t += "Response rate: unknown (no shown events)\n";
    }
    std::string themes;
    for (size_t s = 0; s < 3; ++s) {
        if (d.themes[s].empty()) continue;
        if (!themes.empty()) themes += "; ";
        themes += std::string(segment_plural(s)) + ": ";
        for (size_t i = 0; i < d.themes[s].size(); ++i) themes += (i ? ", " : "") + d.themes[s][i];
    }
    if (!themes.empty()) t += "Top themes: " + themes + "\n";
    if (d.open_follow_ups) t += std::to_string(*d.open_follow_ups) + " to follow up\n";
    return t;
}

std::string digest_to_json(const digest& d, int indent) {
    using json = nlohmann::ordered_json;
    json j;
    j["period"] = digest_period_name(d.period);
    j["since"] = format_timestamp(d.since_ms);
    j["until"] = format_timestamp(d.until_ms);
    j["utc_offset_minutes"] = d.utc_offset_minutes;
    json score = json::object();
    put_nps_figures(score, d.score);  // the CLI's own figures
    j["score"] = std::move(score);
    json previous = json::object();
    put_nps_figures(previous, d.previous);
    previous["since"] = format_timestamp(d.previous_since_ms);
    previous["until"] = format_timestamp(d.since_ms);
    j["previous"] = std::move(previous);
    if (d.change.valid)
        j["change"] = {{"difference", d.change.difference},   {"ci_low", d.change.ci_low},
                       {"ci_high", d.change.ci_high},         {"p_value", d.change.p_value},
                       {"significant", d.change.significant}, {"words", digest_change_words(d.change)}};
    else
        j["change"] = nullptr;
    j["rate"] = {{"shown", d.rate.shown},
                 {"answered", d.rate.answered},
                 {"dismissed", d.rate.dismissed},
                 {"answer_rate", d.rate.shown ? json(d.rate.answer_rate) : json(nullptr)}};
    json themes = json::object();
    for (size_t s = 0; s < 3; ++s) themes[segment_name(static_cast<segment>(s))] = d.themes[s];
    j["themes"] = std::move(themes);
    j["open_follow_ups"] = d.open_follow_ups ? json(*d.open_follow_ups) : json(nullptr);
    j["text"] = digest_text(d);
    return j.dump(indent, ' ', false, json::error_handler_t::replace);
}

}  // namespace npskit
