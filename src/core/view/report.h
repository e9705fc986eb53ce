// npskit core: the dashboard's view model. Everything a panel shows is computed here, from
// the store through query.h and score.h, so it is unit-tested natively and the panels only
// draw. Also the view settings (filters, bucket, breakdown, theme) and their URL-hash form.
//
// [SECTION] View settings and the URL hash
// [SECTION] The report (one per filter change)
// [SECTION] JSON (export, test hook)
#pragma once
#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "query.h"
#include "score.h"
#include "store.h"
#include "themes.h"

namespace npskit {

//-----------------------------------------------------------------------------
// [SECTION] View settings and the URL hash
//-----------------------------------------------------------------------------
enum class date_preset : uint8_t { all, last_7_days, last_30_days, last_90_days, last_365_days, custom };
const char* date_preset_name(date_preset p);  // "all" | "7d" | "30d" | "90d" | "365d" | "custom"

struct view_settings {
    std::string source;  // data URL ("" = none; the collector when the page is served by it)
    std::string key;     // collector read key
    date_preset range = date_preset::all;
    int64_t custom_since_day = 0, custom_until_day = 0;  // days since 1970-01-01, both inclusive
    uint8_t segments = 0b111;        // bit (1 << segment)
    std::vector<attribute_filter> attributes;  // include filters, one per key
    std::string exclude_rule;        // "internal=true" or "email=test@x.com|qa@x.com"; "" = none
    std::string text;                // comment search
    time_bucket bucket = time_bucket::week;
    std::string breakdown = "survey";  // attribute key of the breakdown table
    bool dark = false;
    bool operator==(const view_settings& o) const;
};

// "range=30d&seg=dp&by=month&bd=plan&a.plan=pro%7Cteam&x=internal%3Dtrue&q=slow&theme=dark"
// Only non-default values are written; `source` and `key` come first as `src=` and `key=`.
std::string encode_view_hash(const view_settings& v);
// Accepts a leading '#'; unknown or malformed parameters are ignored (a shared link from a
// newer version still opens).
view_settings decode_view_hash(std::string_view hash);
std::string percent_encode(std::string_view text);
std::string percent_decode(std::string_view text);
// "internal=true" → {key "internal", values {"true"}, exclude}; empty key when malformed.
attribute_filter parse_exclude_rule(std::string_view rule);
// The filter every panel uses. Presets end at the end of the UTC day of `now_ms`.
response_filter filter_for(const view_settings& v, int64_t now_ms);

//-----------------------------------------------------------------------------
// [SECTION] The report
//-----------------------------------------------------------------------------
// Reference bands of the headline gauge: < 0, 0–30, 30–50, ≥ 50.
const char* nps_band_name(double nps);  // "needs work" | "good" | "great" | "excellent"

struct report_desc {
    response_filter filter;
    time_bucket bucket = time_bucket::week;
    int utc_offset_minutes = 0;
    std::string breakdown_key = "survey";  // "" = no breakdown
    double confidence = 0.95;
    size_t comment_limit = 200;   // comments listed
    size_t theme_sample = 2000;   // newest comments whose themes are counted
    theme_desc themes;
    theme_rank_desc ranked_themes;  // the distinctive themes of the same comments
};

struct headline_view {
    nps_result score;                 // over the filter
    score_histogram histogram;        // the distribution panel
    int64_t since_ms = 0, until_ms = 0;  // the period (the data's span when unbounded)
    bool has_previous = false;        // the previous period of the same length has answers
    int64_t previous_since_ms = 0;
    nps_result previous;
    nps_comparison change;            // current − previous
};

struct trend_point {
    std::string key;                  // "2026-W02"
    int64_t start_ms = 0;
    nps_result score;
    uint64_t shown = 0, dismissed = 0;
    nps_comparison vs_previous;       // against the bucket before (invalid for the first)
};

struct breakdown_row {
    std::string value;                // "" = rows without the attribute
    nps_result score;
    double difference = 0;            // NPS − overall NPS, points
    nps_comparison vs_rest;           // this group against all other rows (independent samples)
};

enum class breakdown_column : uint8_t { value, n, nps, difference };
void sort_breakdown(std::vector<breakdown_row>& rows, breakdown_column by, bool descending);

struct comment_view {
    uint32_t row = 0;
    int64_t ts_ms = 0;
    int score = 0;
};

struct response_rate_view {
    uint64_t shown = 0, answered = 0, dismissed = 0;
    double answer_rate = 0;   // answered / shown (0 when nothing shown)
    double dismiss_rate = 0;  // dismissed / shown
};

struct report {
    headline_view headline;
    std::vector<trend_point> trend;
    time_bucket bucket = time_bucket::week;
    std::string breakdown_key;
    std::vector<breakdown_row> breakdown;
    std::vector<comment_view> comments;          // newest first
    std::array<std::vector<theme>, 3> themes;    // by segment: detractor, passive, promoter
    std::array<uint32_t, 3> themed_comments{};   // comments counted per segment
    // By segment: its most distinctive themes against the other segments' comments (same
    // sample), each with its effect on NPS; and all of them by |impact| (the drivers view).
    std::array<std::vector<ranked_theme>, 3> distinctive_themes;
    std::vector<ranked_theme> theme_drivers;
    response_rate_view rate;
};

report build_report(const response_store& store, const report_desc& desc);

//-----------------------------------------------------------------------------
// [SECTION] JSON
//-----------------------------------------------------------------------------
// Same top-level keys as `npskit score` (n, nps, nps_rounded, ci_low, ci_high, margin,
// groups[]) plus the dashboard's panels. Comments with their text and attributes.
std::string report_to_json(const report& r, const response_store& store, int indent = -1);

}  // namespace npskit
