// npskit core: the dashboard's view model. Everything a panel shows is computed here, from
// the store through query.h and score.h, so it is unit-tested natively and the panels only
// draw. What the user picked (filters, bucket, theme) and its URL-hash form: view_settings.h.
//
// [SECTION] The report (one per filter change)
// [SECTION] JSON (export, test hook)
#pragma once
#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "query.h"
#include "report_counts.h"
#include "score.h"
#include "store.h"
#include "themes.h"

namespace npskit {

//-----------------------------------------------------------------------------
// [SECTION] The report
//-----------------------------------------------------------------------------
// Reference bands of the headline gauge: < 0, 0–30, 30–50, ≥ 50.
const char* nps_band_name(double nps);  // "needs work" | "good" | "great" | "excellent"
int nps_band(double nps);               // the same bands as 0..3

struct report_desc {
    response_filter filter;
    time_bucket bucket = time_bucket::week;
    int utc_offset_minutes = 0;
    std::string breakdown_key = "survey";  // "" = no breakdown
    double confidence = 0.95;
    size_t comment_limit = 200;  // comments listed
    size_t theme_sample = 2000;  // newest comments whose themes are counted
    theme_desc themes;
    theme_rank_desc ranked_themes;  // the distinctive themes of the same comments
    // A theme's key (ranked_theme::key): every panel keeps only the answers whose comment
    // mentions it (rows_mentioning), except the themes themselves, ranked without it so the
    // selected theme keeps its place and its effect against the other comments.
    std::string theme_key;
    // The theme's rows (rows_mentioning(store, theme_key)) when the caller keeps them between
    // re-scores (theme_row_cache); nullptr: found here.
    const std::vector<uint32_t>* theme_rows = nullptr;
    // A corpus the caller keeps between re-scores (the dashboard): its words' stems and ids are
    // found again instead of computed (theme_corpus::reset_counts); nullptr: a fresh one.
    theme_corpus* corpus = nullptr;
};

// One period of the selected theme's trend: the trend's buckets.
struct theme_share_point {
    std::string key;  // "2026-W02"
    int64_t start_ms = 0;
    uint64_t mentions = 0;  // answers whose comment mentions the theme
    uint64_t comments = 0;  // answers with a comment (the filter without the theme)
    double share = 0;       // mentions / comments (0 when no comment)
};

struct headline_view {
    nps_result score;                    // over the filter
    score_histogram histogram;           // the distribution panel
    int64_t since_ms = 0, until_ms = 0;  // the period (the data's span when unbounded)
    bool has_previous = false;           // the previous period of the same length has answers
    int64_t previous_since_ms = 0;
    nps_result previous;
    nps_comparison change;                    // current − previous
    int band = 0;                             // nps_band(score.nps)
    std::array<double, 3> segment_percent{};  // detractors, passives, promoters: % of score.n
    std::array<double, 11> score_percent{};   // each score's share of score.n, %
};

struct trend_point {
    std::string key;  // "2026-W02"
    int64_t start_ms = 0;
    nps_result score;
    uint64_t shown = 0, dismissed = 0;
    nps_comparison vs_previous;  // against the bucket before (invalid for the first)
    double answer_rate = 0;      // score.n / shown (0 when nothing was shown)
};

struct breakdown_row {
    std::string value;  // "" = rows without the attribute
    nps_result score;
    double difference = 0;   // NPS − overall NPS, points
    nps_comparison vs_rest;  // this group against all other rows (independent samples)
};

enum class breakdown_column : uint8_t { value, n, nps, difference };
void sort_breakdown(std::vector<breakdown_row>& rows, breakdown_column by, bool descending);

struct comment_view {
    uint32_t row = 0;
    int64_t ts_ms = 0;
    int score = 0;
    // Copies (live updates may move the store's pool before the next re-score).
    std::string text{};
    std::string attributes{};  // "plan pro · country FR"
};

struct response_rate_view {
    uint64_t shown = 0, answered = 0, dismissed = 0;
    double answer_rate = 0;   // answered / shown (0 when nothing shown)
    double dismiss_rate = 0;  // dismissed / shown
};

// The thank-you links' click-through by segment (detractor, passive, promoter). A record does
// not say whether its segment had a link (the widget's detractorUrl / passiveUrl / promoterUrl),
// so the rate is clicks / answers of the segment under the filter: a segment without a link
// reads 0 %. A click is an answer with `cta_clicked` (any value), counted by its score.
struct cta_view {
    std::array<uint64_t, 3> answers{}, clicks{};
    std::array<double, 3> click_through{};  // clicks / answers (0 without answers)
};

struct report {
    headline_view headline;
    std::vector<trend_point> trend;
    time_bucket bucket = time_bucket::week;
    std::string breakdown_key;
    std::vector<breakdown_row> breakdown;
    std::vector<comment_view> comments;         // newest first
    std::array<std::vector<theme>, 3> themes;   // by segment: detractor, passive, promoter
    std::array<uint32_t, 3> themed_comments{};  // comments counted per segment
    // By segment: its most distinctive themes against the other segments' comments (same
    // sample), each with its effect on NPS; and all of them by |impact| (the drivers view).
    std::array<std::vector<ranked_theme>, 3> distinctive_themes;
    std::vector<ranked_theme> theme_drivers;
    std::string theme_key;                       // the selected theme's key ("" = none)
    std::string theme_text;                      // its surface form when ranked ("billing"), else the key
    std::vector<theme_share_point> theme_trend;  // the selected theme's share by period
    response_rate_view rate;
    cta_view cta;
    int latest_scored = -1;  // the trend's last bucket with answers (period over period)
};

report build_report(const response_store& store, const report_desc& desc);
// The trend, headline and response rate from the trend's buckets (report_from_aggregates too).
score_histogram score_trend(const std::vector<group_stats>& groups, double confidence, report& r);
// The figures panels show besides the scores (shares, rates, comment text): build_report
// calls it last, so no panel computes a statistic.
void fill_panel_figures(report& r, const response_store& store);

//-----------------------------------------------------------------------------
// [SECTION] JSON
//-----------------------------------------------------------------------------
// Same top-level keys as `npskit score` (n, nps, nps_rounded, ci_low, ci_high, margin,
// groups[]) plus the dashboard's panels. Comments with their text and attributes.
std::string report_to_json(const report& r, const response_store& store, int indent = -1);

}  // namespace npskit
