// npskit core: the one parameter grammar of `npskit score`, GET /v1/aggregate and the
// dashboard's URL hash (docs/parameters.md). Each surface hands over (name, value) pairs
// (`--until 2026-01-31`, `?until=2026-01-31`, `#until=2026-01-31`) and gets back the same
// response_filter, grouping and UTC offset, or one coded error whose sentence it shows.
//
// [SECTION] Errors
// [SECTION] Values: time range, UTC offset, bucket, segments, conditions
// [SECTION] Pairs: the whole query
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "query.h"

namespace npskit {

//-----------------------------------------------------------------------------
// [SECTION] Errors
//-----------------------------------------------------------------------------
// Sentences follow the parameter's name: "until must be a date (2026-01-31) or ...".
#define NPSKIT_PARAM_ERRORS(X)                                                                 \
    X(bad_time, "must be a date (2026-01-31) or an RFC 3339 timestamp (2026-01-31T12:00:00Z)") \
    X(bad_offset, "must be a UTC offset within -14:00..+14:00: Z, UTC, +01:00, +0100 or +01")  \
    X(bad_by, "must be day, week, month or an attribute name")                                 \
    X(bad_segment, "must be detractor, passive and/or promoter, separated by commas")          \
    X(bad_condition, "must be KEY=VALUE or KEY!=VALUE (several values: KEY=v1|v2; KEY is A-Z a-z 0-9 _ . -)")

enum class param_error : uint8_t {
    none,
#define NPSKIT_X(name, text) name,
    NPSKIT_PARAM_ERRORS(NPSKIT_X)
#undef NPSKIT_X
};
const char* param_error_name(param_error code);  // "bad_time" ("none" for none)
const char* param_error_text(param_error code);  // "must be a date (2026-01-31) or ..."

struct param_problem {
    param_error code = param_error::none;
    std::string field;  // the parameter's name as the grammar spells it: "until", "where", "tz"
    std::string value;  // what was given
    bool ok() const { return code == param_error::none; }
    std::string message() const;  // "until must be a date ... (got 'yesterday')"
};

//-----------------------------------------------------------------------------
// [SECTION] Values
//-----------------------------------------------------------------------------
// A bare date is exactly YYYY-MM-DD: as `until` it includes that whole (UTC) day.
bool is_bare_date(std::string_view text);
// since: inclusive. A date is its first instant (UTC); a timestamp is itself.
std::optional<int64_t> parse_since(std::string_view text);
// until: exclusive instant. A timestamp is itself; a bare date is the next day's 00:00 UTC.
std::optional<int64_t> parse_until(std::string_view text);
// Z, z, UTC, ±HH:MM, ±HHMM, ±HH, at most 14:00 → minutes east of UTC. A leading space reads
// as '+' (an unencoded '+' in a query string arrives as a space).
bool parse_utc_offset(std::string_view text, int& minutes);
std::optional<time_bucket> parse_time_bucket(std::string_view text);  // "day" | "week" | "month"
// "detractor,passive" → bits (1 << segment); "none" → 0. The dashboard's letters ("dpP",
// `seg=`) are read by parse_segment_letters.
std::optional<uint8_t> parse_segment_names(std::string_view text);
uint8_t parse_segment_letters(std::string_view letters);  // d, p, P; other letters ignored
std::string format_segment_letters(uint8_t segments);     // "dp"; "none" when 0
// KEY=v1|v2 (include), KEY!=v1|v2 (exclude); KEY:v1|v2 is the HTTP API's older include.
// An empty value stands for "no such attribute" (plan= keeps rows without a plan).
std::optional<attribute_filter> parse_condition(std::string_view text);
std::string format_condition(const attribute_filter& f);  // "plan=pro|team", "country!=FR"
// Adds f, merging its values into an earlier condition on the same key and sense (repeating
// KEY=... means "any of").
void add_condition(std::vector<attribute_filter>& list, attribute_filter f);

//-----------------------------------------------------------------------------
// [SECTION] Pairs
//-----------------------------------------------------------------------------
struct query_params {
    response_filter filter;
    std::string by;                          // "" = no grouping; day | week | month | an attribute key
    bool by_time = false;                    // by names a time bucket
    time_bucket bucket = time_bucket::week;  // when by_time
    int utc_offset_minutes = 0;              // buckets' day boundaries, minutes east of UTC
};

using param_pair = std::pair<std::string, std::string>;

// One pair into `q`. Names: since, until, tz, by, segment, where, and the aliases a.KEY=v1|v2
// (= where=KEY=v1|v2), xa.KEY=v1|v2 (= where=KEY!=v1|v2), seg=dpP (= segment=...). Unknown
// names are left to the surface (ok, nothing changes). An empty since/until/tz is "not given".
param_problem apply_param(query_params& q, std::string_view name, std::string_view value);
// Every pair in order (a later by/since/until/tz/segment replaces an earlier one; conditions
// add up); stops at the first problem.
param_problem parse_params(const std::vector<param_pair>& pairs, query_params& q);

}  // namespace npskit
