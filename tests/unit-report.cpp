// Tests for src/core/view/report: the dashboard's report (view settings: unit-view_settings.cpp).
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "calendar.h"
#include "report.h"
#include "report_counts.h"
#include "synthetic.h"
#include "view_settings.h"

using namespace npskit;

namespace {
response answer(int i, int score, const char* ts, const char* plan, const char* comment = nullptr, bool internal = false) {
    response r;
    r.id = "resp-" + std::to_string(10000 + i);
    r.survey = "main";
    r.score = score;
    r.ts_ms = *parse_timestamp(ts);
    if (comment) r.comment = comment;
    r.attributes.push_back({"internal", internal ? "true" : "false"});
    r.attributes.push_back({"plan", plan});
    return r;
}
response display(int i, event_type t, const char* ts) {
    response r;
    r.id = "disp-" + std::to_string(10000 + i);
    r.type = t;
    r.survey = "main";
    r.ts_ms = *parse_timestamp(ts);
    r.attributes.push_back({"internal", "false"});
    r.attributes.push_back({"plan", "pro"});
    return r;
}
}  // namespace

TEST_CASE("build_report") {
    response_store store;
    int i = 0;
    // Week 2026-W02 (Jan 5..11): 3 promoters, 1 passive, 1 detractor (pro/free).
    store.add(answer(i++, 10, "2026-01-05T10:00:00Z", "pro", "Great support team"));
    store.add(answer(i++, 9, "2026-01-06T10:00:00Z", "pro", "great support, fast"));
    store.add(answer(i++, 9, "2026-01-07T10:00:00Z", "free"));
    store.add(answer(i++, 8, "2026-01-08T10:00:00Z", "free", "ok but pricing"));
    store.add(answer(i++, 2, "2026-01-09T10:00:00Z", "free", "=slow sync, too expensive"));
    // Week 2026-W03 (Jan 12..18): 1 promoter, 2 detractors, one internal tester.
    store.add(answer(i++, 10, "2026-01-12T10:00:00Z", "pro"));
    store.add(answer(i++, 0, "2026-01-13T10:00:00Z", "free", "slow sync"));
    store.add(answer(i++, 5, "2026-01-14T10:00:00Z", "free", "too expensive"));
    store.add(answer(i++, 0, "2026-01-15T10:00:00Z", "pro", "test", true));
    for (int k = 0; k < 20; ++k) store.add(display(k, k < 5 ? event_type::dismissed : event_type::shown, "2026-01-10T10:00:00Z"));

    report_desc d;
    d.filter.attributes.push_back(parse_exclude_rule("internal=true"));
    d.breakdown_key = "plan";
    report r = build_report(store, d);

    SUBCASE("headline equals score_nps of the filtered histogram") {
        score_histogram h;
        for (int s : {10, 9, 9, 8, 2, 10, 0, 5}) h.add(s);
        nps_result expect = score_nps(h);
        CHECK(r.headline.score.n == 8);
        CHECK(r.headline.score.nps == doctest::Approx(expect.nps));
        CHECK(r.headline.score.nps == doctest::Approx(12.5));
        CHECK(r.headline.score.ci_low == doctest::Approx(expect.ci_low));
        CHECK(r.headline.histogram == h);
        CHECK(std::string(nps_band_name(r.headline.score.nps)) == "good");
    }
    SUBCASE("trend by ISO week, with period-over-period") {
        REQUIRE(r.trend.size() == 2);
        CHECK(r.trend[0].key == "2026-W02");
        CHECK(r.trend[0].score.n == 5);
        CHECK(r.trend[0].score.nps == doctest::Approx(40));
        CHECK(r.trend[1].key == "2026-W03");
        CHECK(r.trend[1].score.nps == doctest::Approx(-100.0 / 3));
        CHECK_FALSE(r.trend[0].vs_previous.valid);
        CHECK(r.trend[1].vs_previous.valid);
        CHECK(r.trend[1].vs_previous.difference == doctest::Approx(-100.0 / 3 - 40));
    }
    SUBCASE("response rate from display events") {
        CHECK(r.rate.shown == 15);
        CHECK(r.rate.dismissed == 5);
        CHECK(r.rate.answered == 8);
        CHECK(r.rate.answer_rate == doctest::Approx(8.0 / 15));
    }
    SUBCASE("breakdown by plan: n, NPS, difference from overall") {
        REQUIRE(r.breakdown.size() == 2);
        CHECK(r.breakdown[0].value == "free");  // sorted by n, descending
        CHECK(r.breakdown[0].score.n == 5);
        CHECK(r.breakdown[0].score.nps == doctest::Approx(-40));
        CHECK(r.breakdown[0].difference == doctest::Approx(-52.5));
        CHECK(r.breakdown[1].value == "pro");
        CHECK(r.breakdown[1].score.nps == doctest::Approx(100));
        CHECK(r.breakdown[1].vs_rest.valid);
        sort_breakdown(r.breakdown, breakdown_column::nps, true);
        CHECK(r.breakdown[0].value == "pro");
        sort_breakdown(r.breakdown, breakdown_column::value, false);
        CHECK(r.breakdown[0].value == "free");
    }
    SUBCASE("comments newest first and themes per segment") {
        REQUIRE(r.comments.size() == 6);  // the internal "test" comment is excluded
        CHECK(r.comments[0].score == 5);
        CHECK(store.comment(r.comments[0].row) == "too expensive");
        auto& det = r.themes[static_cast<size_t>(segment::detractor)];
        REQUIRE(det.size() >= 2);
        CHECK(det[0].count == 2);
        bool slow_sync = false, too_expensive = false;
        for (auto& t : det) {
            slow_sync |= t.text == "slow sync";
            too_expensive |= t.text == "too expensive";
        }
        CHECK(slow_sync);
        CHECK(too_expensive);
        auto& pro = r.themes[static_cast<size_t>(segment::promoter)];
        REQUIRE(!pro.empty());
        CHECK(pro[0].text == "great support");
    }
    SUBCASE("a theme: every panel keeps the answers whose comment mentions it") {
        report_desc t = d;
        t.theme_key = "slow sync";  // rows 4 (W02, score 2) and 6 (W03, score 0)
        report rt = build_report(store, t);
        CHECK(rt.theme_key == "slow sync");
        CHECK(rt.headline.score.n == 2);
        CHECK(rt.headline.score.nps == doctest::Approx(-100));
        REQUIRE(rt.trend.size() == 2);
        CHECK(rt.trend[0].score.n == 1);
        CHECK(rt.trend[1].score.n == 1);
        REQUIRE(rt.comments.size() == 2);
        CHECK(rt.comments[0].text == "slow sync");
        CHECK(rt.comments[1].text == "=slow sync, too expensive");
        for (const auto& b : rt.breakdown) CHECK(b.score.n == (b.value == "free" ? 2 : 0));
        CHECK(rt.rate.shown == 15);  // display events stay, as with a text search
        // The share by period: W02 has 4 commented answers (the internal one is excluded in W03,
        // which keeps 2), one of each mentions the theme.
        REQUIRE(rt.theme_trend.size() == 2);
        CHECK(rt.theme_trend[0].key == "2026-W02");
        CHECK(rt.theme_trend[0].comments == 4);
        CHECK(rt.theme_trend[0].mentions == 1);
        CHECK(rt.theme_trend[0].share == doctest::Approx(0.25));
        CHECK(rt.theme_trend[1].comments == 2);
        CHECK(rt.theme_trend[1].share == doctest::Approx(0.5));
        // The themes are ranked without the theme, so the selected one keeps its place.
        REQUIRE(rt.distinctive_themes[0].size() == r.distinctive_themes[0].size());
        for (size_t k = 0; k < r.distinctive_themes[0].size(); ++k)
            CHECK(rt.distinctive_themes[0][k].key == r.distinctive_themes[0][k].key);
        CHECK(r.theme_trend.empty());
        // A stem, not a spelling: "expensive" (rows 4 and 7), and with a search, the rows of both.
        t.theme_key = "expens";
        CHECK(build_report(store, t).headline.score.n == 2);
        t.filter.text = "sync";
        report both = build_report(store, t);
        CHECK(both.headline.score.n == 1);
        REQUIRE(both.comments.size() == 1);
        CHECK(both.comments[0].score == 2);
        t.theme_key = "nothing here";
        t.filter.text.clear();
        CHECK(build_report(store, t).headline.score.n == 0);
    }
    SUBCASE("the previous period of the same length") {
        report_desc w3 = d;
        w3.filter.since_ms = *parse_timestamp("2026-01-12T00:00:00Z");
        w3.filter.until_ms = *parse_timestamp("2026-01-19T00:00:00Z");
        report r3 = build_report(store, w3);
        CHECK(r3.headline.score.n == 3);
        REQUIRE(r3.headline.has_previous);
        CHECK(r3.headline.previous.n == 5);
        CHECK(r3.headline.previous_since_ms == *parse_timestamp("2026-01-05T00:00:00Z"));
        CHECK(r3.headline.change.difference == doctest::Approx(-100.0 / 3 - 40));
        CHECK(r.headline.has_previous == false);  // open range: nothing before the data
    }
    SUBCASE("segment and text filters") {
        report_desc p = d;
        p.filter.segments = 1 << static_cast<int>(segment::passive);
        CHECK(build_report(store, p).headline.score.n == 1);
        report_desc t = d;
        t.filter.text = "SLOW";
        CHECK(build_report(store, t).headline.score.n == 2);
    }
    SUBCASE("JSON has the CLI's keys and the panels") {
        auto j = nlohmann::json::parse(report_to_json(r, store), nullptr, false);
        REQUIRE(!j.is_discarded());
        CHECK(j["n"] == 8);
        CHECK(j["nps_rounded"].get<double>() == 13);  // 12.5 rounds away from zero
        CHECK(j["groups"].size() == 2);
        CHECK(j["groups"][1]["key"] == "2026-W03");
        CHECK(j["breakdown"]["by"] == "plan");
        CHECK(j["comments"][0]["attributes"]["plan"] == "free");
        CHECK(j["previous"].is_null());
    }
    SUBCASE("empty store: no score, no crash") {
        response_store empty;
        report e = build_report(empty, d);
        CHECK_FALSE(e.headline.score.has_score);
        CHECK(e.trend.empty());
        auto j = nlohmann::json::parse(report_to_json(e, empty), nullptr, false);
        CHECK(j["nps"].is_null());
    }
    SUBCASE("the figures panels show are in the model (fill_panel_figures)") {
        // Shares of the headline: 3 + 1 promoters, 1 passive, 3 detractors of 8.
        CHECK(r.headline.segment_percent[0] == doctest::Approx(37.5));
        CHECK(r.headline.segment_percent[1] == doctest::Approx(12.5));
        CHECK(r.headline.segment_percent[2] == doctest::Approx(50));
        CHECK(r.headline.band == 1);  // NPS 12.5: "good"
        CHECK(r.headline.score_percent[10] == doctest::Approx(25));
        CHECK(r.headline.score_percent[0] == doctest::Approx(12.5));
        CHECK(r.headline.score_percent[7] == 0);
        double total = 0;
        for (double p : r.headline.score_percent) total += p;
        CHECK(total == doctest::Approx(100));
        // The response rate per period: W02 showed the prompt 15 times and got 5 answers.
        REQUIRE(r.trend.size() == 2);
        CHECK(r.trend[0].answer_rate == doctest::Approx(5.0 / 15));
        CHECK(r.trend[1].shown == 0);
        CHECK(r.trend[1].answer_rate == 0);
        CHECK(r.latest_scored == 1);  // period over period: W03 against W02
        // Comments carry their text and attributes (the panel never reads the store).
        REQUIRE(r.comments.size() == 6);
        CHECK(r.comments[0].text == "too expensive");
        CHECK(r.comments[0].attributes == "survey main · internal false · plan free");
        for (const auto& c : r.comments) CHECK(c.text == store.comment(c.row));

        report_desc p = d;
        p.filter.since_ms = *parse_timestamp("2026-01-12T00:00:00Z");
        p.filter.segments = 1 << static_cast<int>(segment::passive);  // none that week
        report none = build_report(store, p);
        CHECK(none.latest_scored == -1);
        CHECK(none.headline.segment_percent == std::array<double, 3>{});
        CHECK(nps_band(-0.5) == 0);
        CHECK(nps_band(30) == 2);
        CHECK(nps_band(50) == 3);
    }
}

TEST_CASE("count_for_report: answers with a comment on time-sorted rows, as group_by_time counts them") {
    // The theme's share divides by these counts (report.cpp); the sorted-range path must give
    // what the row-by-row filter gives.
    response_store store;
    synthetic_desc desc;
    desc.responses = 4000;
    generate_synthetic(desc, [&](const response& r) { store.add(r); });
    REQUIRE(store.time_sorted);
    // Variant 3: no attribute condition and no breakdown, as the share asks (its own branch-free loop).
    for (int variant = 0; variant < 4; ++variant) {
        response_filter f;
        f.with_comment = true;
        if (variant == 1 || variant == 2) f.attributes.push_back({"plan", {"pro"}, false});
        if (variant == 2) {
            f.segments = 0b101;
            f.since_ms = store.min_time_ms + 40 * ms_per_day;
            f.until_ms = store.max_time_ms - 40 * ms_per_day;
        }
        INFO("variant ", variant);
        response_filter prev = f;
        prev.since_ms = store.min_time_ms;
        prev.until_ms = store.min_time_ms + 60 * ms_per_day;
        const std::string by = variant == 3 ? "" : "plan";
        report_counts c = count_for_report(store, f, time_bucket::week, 0, by, prev.since_ms, prev.until_ms);
        std::vector<group_stats> expected = group_by_time(store, f, time_bucket::week);
        REQUIRE(c.trend.size() == expected.size());
        uint64_t answers = 0;
        for (size_t k = 0; k < expected.size(); ++k) {
            CHECK(c.trend[k].key == expected[k].key);
            CHECK(c.trend[k].histogram == expected[k].histogram);
            CHECK(c.trend[k].shown == expected[k].shown);
            answers += c.trend[k].histogram.n();
        }
        CHECK(answers > 100);
        std::vector<group_stats> by_plan = variant == 3 ? std::vector<group_stats>{} : group_by_attribute(store, f, "plan");
        REQUIRE(c.breakdown.size() == by_plan.size());
        for (size_t k = 0; k < by_plan.size(); ++k) CHECK(c.breakdown[k].histogram == by_plan[k].histogram);
        CHECK(c.previous.histogram == aggregate(store, prev).histogram);
    }
}

TEST_CASE("build_report: the thank-you links' click-through by segment (cta_clicked)") {
    response_store store;
    int i = 0;
    // 4 detractors (1 clicked), 2 passives (2 clicked), 5 promoters (2 clicked, one of them
    // filtered out below as internal), and display events (never counted).
    auto add = [&](int score, bool clicked, bool internal = false) {
        response r = answer(i++, score, "2026-01-05T10:00:00Z", "pro", nullptr, internal);
        if (clicked) r.cta_clicked = segment_name(segment_of(score));
        store.add(r);
    };
    for (int s : {0, 3, 5, 6}) add(s, s == 3);
    add(7, true);
    add(8, true);
    for (int s : {9, 9, 10, 10}) add(s, s == 10 && i % 2 == 0);
    add(10, true, true);
    store.add(display(0, event_type::shown, "2026-01-05T11:00:00Z"));

    SUBCASE("clicks over the segment's answers, under the filter") {
        report_desc d;
        d.filter.attributes.push_back(parse_exclude_rule("internal=true"));
        report r = build_report(store, d);
        CHECK(r.cta.answers == std::array<uint64_t, 3>{4, 2, 4});
        CHECK(r.cta.clicks == std::array<uint64_t, 3>{1, 2, 1});
        CHECK(r.cta.click_through[0] == doctest::Approx(0.25));
        CHECK(r.cta.click_through[1] == doctest::Approx(1.0));
        CHECK(r.cta.click_through[2] == doctest::Approx(0.25));
        nlohmann::json j = nlohmann::json::parse(report_to_json(r, store));
        CHECK(j["cta"]["promoter"]["clicks"] == 1);
        CHECK(j["cta"]["passive"]["answers"] == 2);
        CHECK(j["cta"]["detractor"]["click_through"].get<double>() == doctest::Approx(0.25));
    }
    SUBCASE("the filter's segments and a breakdown do not change the counting") {
        report_desc d;
        d.breakdown_key = "plan";
        d.filter.segments = 1 << static_cast<int>(segment::promoter);
        report r = build_report(store, d);
        CHECK(r.cta.answers == std::array<uint64_t, 3>{0, 0, 5});
        CHECK(r.cta.clicks == std::array<uint64_t, 3>{0, 0, 2});
        CHECK(r.cta.click_through[0] == 0);  // no answer: 0, not a division by zero
        CHECK(r.cta.click_through[2] == doctest::Approx(0.4));
    }
    SUBCASE("no record with cta_clicked: no clicks") {
        response_store plain;
        plain.add(answer(100, 9, "2026-01-05T10:00:00Z", "pro"));
        report r = build_report(plain, report_desc{});
        CHECK(r.cta.answers == std::array<uint64_t, 3>{0, 0, 1});
        CHECK(r.cta.clicks == std::array<uint64_t, 3>{});
    }
}
