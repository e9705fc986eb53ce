// npskit core: civil calendar and timestamp text, UTC with explicit offsets.
// Pure arithmetic (Howard Hinnant's days_from_civil), no time zone database, no locale.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace npskit {

struct civil_date {
    int year;
    int month;
    int day;
};  // month 1..12, day 1..31

int64_t days_from_civil(int year, int month, int day);  // days since 1970-01-01
civil_date civil_from_days(int64_t days);
int64_t floor_div(int64_t a, int64_t b);

constexpr int64_t ms_per_day = 86'400'000;

// ISO 8601 week: Monday-based; the week belongs to the year of its Thursday.
struct iso_week {
    int year;
    int week;
};
int64_t iso_week_start_day(int64_t day);  // the Monday on or before `day`
iso_week iso_week_of_day(int64_t day);

// RFC 3339 / ISO 8601 timestamps → Unix milliseconds.
// Accepts "2026-01-10T12:30:00Z", "…T12:30:00.123+02:00", and (lenient=true, for imports)
// "2026-01-10", "2026-01-10 12:30", "2026-01-10 12:30:00" (UTC when no offset).
std::optional<int64_t> parse_timestamp(std::string_view text, bool lenient = false);
// "2026-01-10T12:30:00.123Z" (milliseconds only when non-zero).
std::string format_timestamp(int64_t unix_ms);
std::string format_date(int64_t day);      // "2026-01-10"
std::string format_month(int64_t day);     // "2026-01"
std::string format_iso_week(int64_t day);  // "2026-W02"

}  // namespace npskit
