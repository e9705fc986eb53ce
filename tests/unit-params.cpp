// Tests for src/core/params: the parameter grammar shared by the CLI, the HTTP API and the
// dashboard's URL hash.
#include <doctest/doctest.h>

#include <cstring>

#include "calendar.h"
#include "params.h"

using namespace npskit;

TEST_CASE("params: error list") {
    CHECK(std::strcmp(param_error_name(param_error::bad_offset), "bad_offset") == 0);
    CHECK(std::strstr(param_error_text(param_error::bad_offset), "+0100") != nullptr);
#define NPSKIT_X(name, text) CHECK(std::strlen(param_error_text(param_error::name)) > 10);
    NPSKIT_PARAM_ERRORS(NPSKIT_X)
#undef NPSKIT_X
    param_problem p;
    CHECK(p.ok());
    CHECK(p.message().empty());
    query_params q;
    p = apply_param(q, "until", "yesterday");
    CHECK(p.code == param_error::bad_time);
    CHECK(p.field == "until");
    CHECK(p.message() == std::string("until ") + param_error_text(param_error::bad_time) + " (got 'yesterday')");
}

TEST_CASE("params: time range") {
    const int64_t jan31 = *parse_timestamp("2026-01-31T00:00:00Z");
    SUBCASE("since is inclusive: a date is its first instant") {
        CHECK(parse_since("2026-01-31") == jan31);
        CHECK(parse_since("2026-01-31T12:00:00Z") == jan31 + 12 * 3'600'000LL);
    }
    SUBCASE("until: a bare date includes its whole day, a timestamp is exclusive") {
        CHECK(parse_until("2026-01-31") == jan31 + ms_per_day);
        CHECK(parse_until("2026-01-31T00:00:00Z") == jan31);
        CHECK(parse_until("2026-01-31T12:00:00+01:00") == jan31 + 11 * 3'600'000LL);
        CHECK(is_bare_date("2026-01-31"));
        CHECK_FALSE(is_bare_date("2026-01-31T00:00:00Z"));
        CHECK_FALSE(is_bare_date("2026-02-30"));
    }
    SUBCASE("an unencoded '+' that arrived as a space") { CHECK(parse_until("2026-01-31T12:00:00 01:00") == jan31 + 11 * 3'600'000LL); }
    SUBCASE("rejects what is not a date") {
        CHECK_FALSE(parse_since("yesterday"));
        CHECK_FALSE(parse_until("2026-13-01"));
        CHECK_FALSE(parse_until("31/01/2026"));
    }
    SUBCASE("pairs: empty means not given, later replaces earlier") {
        query_params q;
        CHECK(parse_params({{"since", ""}, {"until", "2026-01-30"}, {"until", "2026-01-31"}}, q).ok());
        CHECK(q.filter.since_ms == response_filter{}.since_ms);
        CHECK(q.filter.until_ms == jan31 + ms_per_day);
    }
}

TEST_CASE("params: UTC offsets") {
    int m = 99;
    for (const char* utc : {"Z", "z", "UTC", "+00:00", "-00:00", "+0000", "+00"}) {
        m = 99;
        CHECK_MESSAGE(parse_utc_offset(utc, m), utc);
        CHECK(m == 0);
    }
    for (const char* one : {"+01:00", "+0100", "+01", " 01:00", " 0100"}) {
        m = 0;
        CHECK_MESSAGE(parse_utc_offset(one, m), one);
        CHECK(m == 60);
    }
    CHECK(parse_utc_offset("-05:30", m));
    CHECK(m == -330);
    CHECK(parse_utc_offset("+14:00", m));
    CHECK(m == 840);
    CHECK(parse_utc_offset("-1400", m));
    CHECK(m == -840);
    for (const char* bad : {"", "noon", "+1", "+14:01", "+15", "+05:60", "05:30", "+05-30", "+05:3", "+0530:", "utc", "+1:00"})
        CHECK_FALSE_MESSAGE(parse_utc_offset(bad, m), bad);
    query_params q;
    CHECK(apply_param(q, "tz", "+0530").ok());
    CHECK(q.utc_offset_minutes == 330);
    CHECK(apply_param(q, "tz", "noon").code == param_error::bad_offset);
    CHECK(apply_param(q, "tz", "").ok());
    CHECK(q.utc_offset_minutes == 0);
}

TEST_CASE("params: buckets and by") {
    for (time_bucket b : {time_bucket::day, time_bucket::week, time_bucket::month}) CHECK(parse_time_bucket(time_bucket_name(b)) == b);
    CHECK_FALSE(parse_time_bucket("year"));
    CHECK_FALSE(parse_time_bucket("Week"));
    query_params q;
    CHECK(apply_param(q, "by", "month").ok());
    CHECK(q.by_time);
    CHECK(q.bucket == time_bucket::month);
    CHECK(apply_param(q, "by", "plan").ok());
    CHECK_FALSE(q.by_time);
    CHECK(q.by == "plan");
    CHECK(apply_param(q, "by", "no spaces").code == param_error::bad_by);
    CHECK(apply_param(q, "by", "").code == param_error::bad_by);
}

TEST_CASE("params: segments") {
    CHECK(parse_segment_names("detractor,passive") == uint8_t{0b011});
    CHECK(parse_segment_names("promoter") == uint8_t{0b100});
    CHECK(parse_segment_names("none") == uint8_t{0});
    CHECK_FALSE(parse_segment_names("promoters"));
    CHECK_FALSE(parse_segment_names(""));
    CHECK_FALSE(parse_segment_names("passive,"));
    CHECK(parse_segment_letters("dP") == 0b101);
    CHECK(format_segment_letters(0b101) == "dP");
    CHECK(format_segment_letters(0) == "none");
    query_params q;
    CHECK(apply_param(q, "segment", "promoter,detractor").ok());
    CHECK(q.filter.segments == 0b101);
    CHECK(apply_param(q, "seg", "p").ok());  // the dashboard's letters
    CHECK(q.filter.segments == 0b010);
    CHECK(apply_param(q, "segment", "all").code == param_error::bad_segment);
}

TEST_CASE("params: attribute conditions") {
    SUBCASE("KEY=VALUE, KEY!=VALUE, several values") {
        auto f = parse_condition("plan=pro|team plan");
        REQUIRE(f);
        CHECK(f->key == "plan");
        CHECK_FALSE(f->exclude);
        CHECK(f->values == std::vector<std::string>{"pro", "team plan"});
        f = parse_condition("email!=qa@x.com");
        REQUIRE(f);
        CHECK(f->exclude);
        CHECK(f->values == std::vector<std::string>{"qa@x.com"});
        CHECK(format_condition(*f) == "email!=qa@x.com");
        CHECK(format_condition(*parse_condition("plan=pro|team")) == "plan=pro|team");
    }
    SUBCASE("values may hold = and :, the key may not") {
        auto f = parse_condition("note=a=b:c");
        REQUIRE(f);
        CHECK(f->values == std::vector<std::string>{"a=b:c"});
    }
    SUBCASE("empty value: rows without the attribute") {
        auto f = parse_condition("plan=");
        REQUIRE(f);
        CHECK(f->values == std::vector<std::string>{""});
    }
    SUBCASE("KEY:VALUE is the HTTP API's older include") {
        auto f = parse_condition("plan:enterprise");
        REQUIRE(f);
        CHECK_FALSE(f->exclude);
        CHECK(f->values == std::vector<std::string>{"enterprise"});
    }
    SUBCASE("malformed") {
        for (const char* bad : {"", "plan", "=pro", "!=pro", "my plan=pro", "plan!pro"})
            CHECK_FALSE_MESSAGE(parse_condition(bad).has_value(), bad);
        auto f = parse_condition("plan==pro|x");  // a value may start with '='
        REQUIRE(f);
        CHECK(f->values == std::vector<std::string>{"=pro", "x"});
        query_params q;
        CHECK(apply_param(q, "where", "plan").code == param_error::bad_condition);
    }
    SUBCASE("repeating a key means any of; include and exclude stay apart") {
        query_params q;
        CHECK(parse_params({{"where", "plan=pro"}, {"where", "plan=team"}, {"where", "plan!=free"}, {"where", "country:FR"}}, q).ok());
        REQUIRE(q.filter.attributes.size() == 3);
        CHECK(q.filter.attributes[0].values == std::vector<std::string>{"pro", "team"});
        CHECK(q.filter.attributes[1].exclude);
        CHECK(q.filter.attributes[2].key == "country");
    }
    SUBCASE("the dashboard's older a.KEY / xa.KEY names") {
        query_params q;
        CHECK(parse_params({{"a.plan", "pro|team"}, {"xa.country", "DE"}}, q).ok());
        REQUIRE(q.filter.attributes.size() == 2);
        CHECK(format_condition(q.filter.attributes[0]) == "plan=pro|team");
        CHECK(format_condition(q.filter.attributes[1]) == "country!=DE");
        CHECK(apply_param(q, "a.", "x").code == param_error::bad_condition);
        CHECK(apply_param(q, "a.plan", "").code == param_error::bad_condition);
    }
    SUBCASE("unknown names are the surface's business") {
        query_params q;
        CHECK(parse_params({{"access_token", "k"}, {"limit", "3"}}, q).ok());
        CHECK(q.filter.attributes.empty());
    }
}

TEST_CASE("params: the first problem stops the parse") {
    query_params q;
    param_problem p = parse_params({{"by", "day"}, {"tz", "+25:00"}, {"where", "x"}}, q);
    CHECK(p.code == param_error::bad_offset);
    CHECK(p.field == "tz");
    CHECK(p.value == "+25:00");
}
