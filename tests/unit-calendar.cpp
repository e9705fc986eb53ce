// Calendar arithmetic and timestamp text.
#include <doctest/doctest.h>

#include "calendar.h"

using namespace npskit;

TEST_CASE("civil dates round-trip") {
    CHECK(days_from_civil(1970, 1, 1) == 0);
    CHECK(days_from_civil(2000, 3, 1) == 11017);
    for (int64_t d = -1000; d < 30000; d += 37) {
        civil_date c = civil_from_days(d);
        CHECK(days_from_civil(c.year, c.month, c.day) == d);
    }
    civil_date leap = civil_from_days(days_from_civil(2024, 2, 29));
    CHECK(leap.month == 2);
    CHECK(leap.day == 29);
}

TEST_CASE("ISO weeks across year boundaries") {
    // 2026-01-01 is a Thursday: week 1 of 2026 starts Monday 2025-12-29.
    CHECK(format_iso_week(days_from_civil(2025, 12, 29)) == "2026-W01");
    CHECK(format_iso_week(days_from_civil(2026, 1, 4)) == "2026-W01");
    CHECK(format_iso_week(days_from_civil(2026, 1, 5)) == "2026-W02");
    // 2021-01-01 is a Friday: it belongs to 2020-W53.
    CHECK(format_iso_week(days_from_civil(2021, 1, 1)) == "2020-W53");
    CHECK(format_iso_week(days_from_civil(2021, 1, 3)) == "2020-W53");
    CHECK(format_iso_week(days_from_civil(2021, 1, 4)) == "2021-W01");
    CHECK(iso_week_start_day(days_from_civil(2026, 11, 22)) == days_from_civil(2026, 11, 16));
}

TEST_CASE("timestamps: strict RFC 3339 and lenient import forms") {
    CHECK(parse_timestamp("1970-01-01T00:00:00Z") == 0);
    CHECK(parse_timestamp("2026-01-10T12:30:00Z") == days_from_civil(2026, 1, 10) * ms_per_day + 45'000'000);
    CHECK(parse_timestamp("2026-01-10T14:30:00+02:00") == parse_timestamp("2026-01-10T12:30:00Z"));
    CHECK(parse_timestamp("2026-01-10T12:30:00.250Z") == *parse_timestamp("2026-01-10T12:30:00Z") + 250);
    CHECK_FALSE(parse_timestamp("2026-01-10T12:30:00"));  // strict: a zone is required
    CHECK_FALSE(parse_timestamp("2026-01-10"));
    CHECK_FALSE(parse_timestamp("2026-02-30T00:00:00Z"));
    CHECK_FALSE(parse_timestamp("2026-01-10T25:00:00Z"));
    CHECK_FALSE(parse_timestamp("yesterday"));
    CHECK(parse_timestamp("2026-01-10", true) == days_from_civil(2026, 1, 10) * ms_per_day);
    CHECK(parse_timestamp("2026-01-10 12:30", true) == parse_timestamp("2026-01-10T12:30:00Z"));
    CHECK(format_timestamp(*parse_timestamp("2026-01-10T12:30:00.250Z")) == "2026-01-10T12:30:00.250Z");
    CHECK(format_timestamp(-1) == "1969-12-31T23:59:59.999Z");
}
