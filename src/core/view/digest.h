// npskit core: the digest, a few lines a team reads in Slack or email once a day or a week.
// One period (a day or an ISO week in a UTC offset) against the previous one of the same
// length, computed by build_report (report.h): the same NPS, interval, comparison, response
// rate and distinctive themes as the dashboard and `npskit score` / `npskit themes`, so its
// figures are the CLI's. The CLI (`npskit digest`), the collector (GET /v1/digest, the
// scheduled delivery) and the dashboard's "Copy digest" button all print this one text.
//
// [SECTION] Periods
// [SECTION] The digest
// [SECTION] Text and JSON
#pragma once
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "report.h"
#include "score.h"
#include "store.h"

namespace npskit {

//-----------------------------------------------------------------------------
// [SECTION] Periods
//-----------------------------------------------------------------------------
enum class digest_period : uint8_t { day, week };
const char* digest_period_name(digest_period p);                          // "day" | "week"
const char* digest_event_name(digest_period p);                           // "digest.daily" | "digest.weekly"
std::optional<digest_period> parse_digest_period(std::string_view text);  // day|daily|week|weekly

int64_t digest_period_ms(digest_period p);
// Periods start at local midnight (weeks on Monday) in the UTC offset. The latest period
// boundary at or before `t_ms` (a complete period ends there), and the first one after it
// (the end of the period that holds `t_ms`).
int64_t digest_boundary_at_or_before(digest_period p, int64_t t_ms, int utc_offset_minutes);
int64_t digest_boundary_after(digest_period p, int64_t t_ms, int utc_offset_minutes);
// A period's end as the CLI and the HTTP API take it: an RFC 3339 timestamp is itself; a bare
// date (2026-11-29) is the end of that local day (the next midnight in the offset), as
// `until` includes that day. nullopt when it is neither.
std::optional<int64_t> parse_digest_end(std::string_view text, int utc_offset_minutes);

//-----------------------------------------------------------------------------
// [SECTION] The digest
//-----------------------------------------------------------------------------
struct digest_desc {
    digest_period period = digest_period::week;
    int64_t end_ms = 0;  // exclusive: the period is [end − length, end)
    int utc_offset_minutes = 0;
    double confidence = 0.95;
    size_t top_themes = 3;  // per segment
    // The follow-up list's open items (the caller's: the collector's storage, the dashboard's
    // panel); nullopt when unknown, and then the text says nothing about it.
    std::optional<uint64_t> open_follow_ups;
};

struct digest {
    digest_period period = digest_period::week;
    int utc_offset_minutes = 0;
    int64_t since_ms = 0, until_ms = 0, previous_since_ms = 0;
    nps_result score;       // this period
    nps_result previous;    // the period before (has_score false: nothing to compare)
    nps_comparison change;  // score − previous; valid only when both have a score
    // change.significant (p < 1 − confidence, compare_nps): "likely real", else "within noise".
    response_rate_view rate;                         // answered / shown in the period
    std::array<std::vector<std::string>, 3> themes;  // by segment: the most distinctive, top_themes at most
    std::optional<uint64_t> open_follow_ups;
};

digest build_digest(const response_store& store, const digest_desc& desc);

//-----------------------------------------------------------------------------
// [SECTION] Text and JSON
//-----------------------------------------------------------------------------
// "up 6 points, likely real (p = 0.01)", "down 2 points, within noise (p = 0.41)",
// "unchanged, within noise (p = 0.93)"; "" when the comparison is not valid.
std::string digest_change_words(const nps_comparison& c);
// "p = 0.01", "p = 0.004", "p < 0.001".
std::string format_p_value(double p);
// A few lines, Markdown-light (*bold* reads in Slack and as plain text in email).
std::string digest_text(const digest& d);
// The same figures: period, since, until, tz, the score (put_nps_figures), previous, change
// (difference, ci, p_value, significant, words), rate, themes by segment, open_follow_ups
// (null when unknown) and the text.
std::string digest_to_json(const digest& d, int indent = -1);

}  // namespace npskit
