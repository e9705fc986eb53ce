// npskit core: filters and grouping over the store. Every figure the CLI, the collector and
// the dashboard show starts here: one pass over the columns into 13-slot counters
// (11 score bins + shown + dismissed), no allocation per row.
#pragma once
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "score.h"
#include "store.h"

namespace npskit {

struct attribute_filter {
    std::string key;
    std::vector<std::string> values;  // row matches when its value is one of these
    bool exclude = false;             // = false; true: row matches when its value is none of these
};

// Segment, comment and text conditions apply to answered responses only; display events
// (shown, dismissed) are filtered by time and attributes, so response rate stays meaningful.
struct response_filter {
    int64_t since_ms = std::numeric_limits<int64_t>::min();  // inclusive
    int64_t until_ms = std::numeric_limits<int64_t>::max();  // exclusive
    std::vector<attribute_filter> attributes;                // all must match
    uint8_t segments = 0b111;                                // bit (1 << segment): detractor 1, passive 2, promoter 4
    bool with_comment = false;
    std::string text;  // case-insensitive (ASCII) substring of the comment
};

enum class time_bucket : uint8_t { day, week, month };
const char* time_bucket_name(time_bucket b);  // "day" | "week" | "month"

struct group_stats {
    std::string key;       // "2026-01-10", "2026-W02", "2026-01", or the attribute value ("" = none)
    int64_t start_ms = 0;  // time groups: first instant of the bucket (UTC, offset applied)
    score_histogram histogram;
    uint64_t shown = 0, dismissed = 0;
};

group_stats aggregate(const response_store& store, const response_filter& filter);
// Every bucket from the first to the last non-empty one (gaps stay, with n = 0).
std::vector<group_stats> group_by_time(const response_store& store, const response_filter& filter, time_bucket bucket,
                                       int utc_offset_minutes = 0);
// One group per attribute value present in the filtered rows, in dictionary order; rows
// without the attribute form the group with key "".
std::vector<group_stats> group_by_attribute(const response_store& store, const response_filter& filter, std::string_view key);
// Rows that pass the filter (responses only), newest first, at most `limit`.
std::vector<uint32_t> matching_responses(const response_store& store, const response_filter& filter,
                                         size_t limit = std::numeric_limits<size_t>::max());
bool row_matches(const response_store& store, const response_filter& filter, size_t row);

// Same rows and order as matching_responses(store, filter, limit), without visiting or sorting
// every match when the store is time-sorted (walks back from the newest row) or a text search
// has narrowed the rows.
std::vector<uint32_t> newest_responses(const response_store& store, const response_filter& filter, size_t limit,
                                       const std::vector<uint32_t>* text_rows = nullptr);
// The one ASCII lower-casing of the core (text search, header names, themes' tokens).
constexpr char ascii_lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }
// Rows whose comment contains `text` (ASCII case-insensitive), ascending; answered or not.
// The two functions above take it precomputed (`text_rows`, for filter.text) to share one scan.
std::vector<uint32_t> rows_with_text(const response_store& store, std::string_view text);

// Bucket arithmetic, exposed for tests and for the dashboard's axis labels.
int64_t bucket_start_day(int64_t day, time_bucket bucket);
std::string bucket_label(int64_t start_day, time_bucket bucket);

}  // namespace npskit
