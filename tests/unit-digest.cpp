// Tests for src/core/view/digest: periods, the change in words, the figures against score.h.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "calendar.h"
#include "digest.h"

using namespace npskit;

namespace {
response answer(int i, int score, int64_t ts_ms, const char* comment = nullptr) {
    response r;
    r.id = "d-" + std::to_string(i);
    r.survey = "main";
    r.score = score;
    r.ts_ms = ts_ms;
    if (comment) r.comment = comment;
    return r;
}
response shown(int i, int64_t ts_ms) {
    response r;
    r.id = "s-" + std::to_string(i);
    r.type = event_type::shown;
    r.survey = "main";
    r.ts_ms = ts_ms;
    return r;
}
int64_t at(const char* ts) { return *parse_timestamp(ts); }
}  // namespace

TEST_CASE("digest periods") {
    // 2026-11-25 is a Wednesday; its ISO week starts Monday 2026-11-23.
    CHECK(digest_boundary_at_or_before(digest_period::week, at("2026-11-25T12:00:00Z"), 0) == at("2026-11-23T00:00:00Z"));
    CHECK(digest_boundary_after(digest_period::week, at("2026-11-25T12:00:00Z"), 0) == at("2026-11-30T00:00:00Z"));
    CHECK(digest_boundary_at_or_before(digest_period::week, at("2026-11-23T00:00:00Z"), 0) == at("2026-11-23T00:00:00Z"));
    // In +01:00 Monday starts at 23:00 UTC on Sunday.
    CHECK(digest_boundary_at_or_before(digest_period::week, at("2026-11-22T23:30:00Z"), 60) == at("2026-11-22T23:00:00Z"));
    CHECK(digest_boundary_at_or_before(digest_period::day, at("2026-11-25T12:00:00Z"), -300) == at("2026-11-25T05:00:00Z"));
    // A bare date ends with that local day; a timestamp is itself.
    CHECK(*parse_digest_end("2026-11-29", 0) == at("2026-11-30T00:00:00Z"));
    CHECK(*parse_digest_end("2026-11-29", 60) == at("2026-11-29T23:00:00Z"));
    CHECK(*parse_digest_end("2026-11-29T12:00:00Z", 60) == at("2026-11-29T12:00:00Z"));
    CHECK_FALSE(parse_digest_end("last week", 0));
    CHECK(parse_digest_period("weekly") == digest_period::week);
    CHECK(parse_digest_period("day") == digest_period::day);
    CHECK_FALSE(parse_digest_period("month"));
    CHECK(std::string(digest_event_name(digest_period::day)) == "digest.daily");
}

TEST_CASE("digest change in words") {
    nps_comparison up{.valid = true, .difference = 6.2, .ci_low = 1, .ci_high = 11, .p_value = 0.0104, .significant = true};
    CHECK(digest_change_words(up) == "up 6 points, likely real (p = 0.01)");
    nps_comparison down{.valid = true, .difference = -2.4, .ci_low = -8, .ci_high = 3, .p_value = 0.41, .significant = false};
    CHECK(digest_change_words(down) == "down 2 points, within noise (p = 0.41)");
    nps_comparison one{.valid = true, .difference = 0.6, .p_value = 0.93};
    CHECK(digest_change_words(one) == "up 1 point, within noise (p = 0.93)");
    nps_comparison none{.valid = true, .difference = -0.4, .p_value = 0.97};
    CHECK(digest_change_words(none) == "unchanged, within noise (p = 0.97)");
    CHECK(digest_change_words(nps_comparison{}) == "");
    CHECK(format_p_value(0.0042) == "p = 0.004");
    CHECK(format_p_value(0.00001) == "p < 0.001");
    CHECK(format_p_value(0.5) == "p = 0.50");
}

TEST_CASE("digest figures are score.h's over the two periods") {
    response_store store;
    int i = 0;
    const int64_t end = at("2026-11-30T00:00:00Z");
    const int64_t week = 7 * ms_per_day;
    score_histogram current, previous;
    // Previous week: mostly detractors; this week: mostly promoters (a real change).
    for (int k = 0; k < 60; ++k) {
        int s = k % 3 == 0 ? 9 : 3;
        store.add(answer(i++, s, end - 2 * week + k * 3600000, s < 7 ? "too slow to load" : nullptr));
        previous.add(s);
    }
    for (int k = 0; k < 60; ++k) {
        int s = k % 4 == 0 ? 2 : 10;
        store.add(answer(i++, s, end - week + k * 3600000, s < 7 ? "too slow to load" : "great support team"));
        current.add(s);
    }
    for (int k = 0; k < 240; ++k) store.add(shown(k, end - week + k * 60000));
    // Outside both periods: must not count.
    store.add(answer(i++, 0, end + 1000));
    store.add(answer(i++, 0, end - 3 * week));

    digest_desc desc;
    desc.end_ms = end;
    digest d = build_digest(store, desc);
    nps_result want = score_nps(current);
    nps_comparison change = compare_nps(current, previous);
    CHECK(d.since_ms == end - week);
    CHECK(d.until_ms == end);
    CHECK(d.score.n == want.n);
    CHECK(d.score.nps == doctest::Approx(want.nps));
    CHECK(d.score.ci_low == doctest::Approx(want.ci_low));
    CHECK(d.score.ci_high == doctest::Approx(want.ci_high));
    CHECK(d.previous.nps == doctest::Approx(score_nps(previous).nps));
    REQUIRE(d.change.valid);
    CHECK(d.change.p_value == doctest::Approx(change.p_value));
    CHECK(d.change.significant == change.significant);
    CHECK(d.change.significant);
    CHECK(d.rate.shown == 240);
    CHECK(d.rate.answered == 60);
    CHECK(d.rate.answer_rate == doctest::Approx(0.25));

    std::string text = digest_text(d);
    CAPTURE(text);
    CHECK(text.find("*NPS weekly digest*: 2026-11-23 to 2026-11-29 (UTC)") == 0);
    CHECK(text.find("NPS *" + format_rounded(want.nps) + "* (95% CI " + format_rounded(want.ci_low) + " to ") != std::string::npos);
    CHECK(text.find("Change: " + digest_change_words(change)) != std::string::npos);
    CHECK(text.find("likely real") != std::string::npos);
    CHECK(text.find("Response rate: 25% (60 of 240 shown)") != std::string::npos);
    CHECK(text.find("to follow up") == std::string::npos);  // unknown: not said

    SUBCASE("open follow-ups are said when known, 0 included") {
        desc.open_follow_ups = 0;
        CHECK(digest_text(build_digest(store, desc)).find("\n0 to follow up\n") != std::string::npos);
        desc.open_follow_ups = 7;
        CHECK(digest_text(build_digest(store, desc)).find("\n7 to follow up\n") != std::string::npos);
    }
    SUBCASE("JSON carries the same figures and text") {
        desc.open_follow_ups = 3;
        digest d3 = build_digest(store, desc);
        auto j = nlohmann::json::parse(digest_to_json(d3));
        CHECK(j["period"] == "week");
        CHECK(j["since"] == "2026-11-23T00:00:00Z");
        CHECK(j["score"]["n"] == want.n);
        CHECK(j["score"]["nps"].get<double>() == doctest::Approx(want.nps));
        CHECK(j["change"]["p_value"].get<double>() == doctest::Approx(change.p_value));
        CHECK(j["change"]["words"] == digest_change_words(change));
        CHECK(j["rate"]["answer_rate"].get<double>() == doctest::Approx(0.25));
        CHECK(j["open_follow_ups"] == 3);
        CHECK(j["text"] == digest_text(d3));
    }
    SUBCASE("daily: the day before is the baseline") {
        desc.period = digest_period::day;
        digest day = build_digest(store, desc);
        CHECK(day.since_ms == end - ms_per_day);
        CHECK(digest_text(day).find("*NPS daily digest*: 2026-11-29 (UTC)") == 0);
    }
}

TEST_CASE("digest with an empty previous period and no shown events") {
    response_store store;
    const int64_t end = at("2026-11-30T00:00:00Z");
    store.add(answer(1, 10, end - 3600000));
    store.add(answer(2, 3, end - 7200000));
    digest_desc desc;
    desc.end_ms = end;
    digest d = build_digest(store, desc);
    CHECK(d.score.has_score);
    CHECK_FALSE(d.previous.has_score);
    CHECK_FALSE(d.change.valid);
    std::string text = digest_text(d);
    CAPTURE(text);
    CHECK(text.find("Change: no answers the week before to compare with") != std::string::npos);
    CHECK(text.find("Response rate: unknown (no shown events)") != std::string::npos);
    auto j = nlohmann::json::parse(digest_to_json(d));
    CHECK(j["change"].is_null());
    CHECK(j["previous"]["nps"].is_null());
    CHECK(j["rate"]["answer_rate"].is_null());

    SUBCASE("no answer in the period at all") {
        desc.end_ms = end + 30 * ms_per_day;
        digest empty = build_digest(store, desc);
        CHECK_FALSE(empty.score.has_score);
        CHECK(digest_text(empty).find("NPS: no answers this week") != std::string::npos);
        CHECK(nlohmann::json::parse(digest_to_json(empty))["score"]["nps"].is_null());
    }
}

TEST_CASE("digest themes: top 3 per segment, the report's distinctive themes") {
    response_store store;
    const int64_t end = at("2026-11-30T00:00:00Z");
    const char* detractor_comments[] = {"slow export and billing errors",
                                        "billing errors again, slow export",
                                        "slow export",
                                        "billing errors",
                                        "sync broken, slow export",
                                        "sync broken and billing errors",
                                        "sync broken",
                                        "login fails",
                                        "login fails often",
                                        "login fails daily"};
    int i = 0;
    for (int k = 0; k < 3; ++k)
        for (const char* c : detractor_comments) {
            store.add(answer(i, 2, end - 3600000 * (i + 1), c));
            ++i;
        }
    for (int k = 0; k < 20; ++k, ++i) store.add(answer(i, 10, end - 3600000 * (i + 1), "great support team, love it"));
    digest_desc desc;
    desc.end_ms = end;
    digest d = build_digest(store, desc);
    report_desc rd;
    rd.filter.since_ms = end - 7 * ms_per_day;
    rd.filter.until_ms = end;
    report r = build_report(store, rd);
    REQUIRE(r.distinctive_themes[0].size() >= 3);
    REQUIRE(d.themes[0].size() == 3);
    for (size_t k = 0; k < 3; ++k) CHECK(d.themes[0][k] == r.distinctive_themes[0][k].text);
    CHECK(digest_text(d).find("Top themes: detractors: " + d.themes[0][0]) != std::string::npos);
}
