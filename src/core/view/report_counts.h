// npskit core (view room): the dashboard report's counts in one pass over the rows (or over
// the few rows a text search selects): exactly what group_by_time(filter),
// group_by_attribute(filter, breakdown_key) and aggregate(filter with [previous_since_ms,
// previous_until_ms)) return, computed together. Only the report uses it (report.cpp).
// `text_rows`: the rows a text search (or a theme, themes.h rows_mentioning) selected,
// ascending; only they (and display events) are visited, with no second text check.
#pragma once
#include <cstdint>
#include <string_view>
#include <vector>

#include "query.h"
#include "store.h"

namespace npskit {

struct report_counts {
    std::vector<group_stats> trend;
    std::vector<group_stats> breakdown;  // empty when breakdown_key is ""
    group_stats previous;
};
report_counts count_for_report(const response_store& store, const response_filter& filter, time_bucket bucket, int utc_offset_minutes,
                               std::string_view breakdown_key, int64_t previous_since_ms, int64_t previous_until_ms,
                               const std::vector<uint32_t>* text_rows = nullptr);

}  // namespace npskit
