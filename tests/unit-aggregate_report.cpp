// Tests for src/core/view/aggregate_report: the report from /v1/aggregate answers equals
// build_report on the same rows (the histogram path and the row path show the same numbers).
#include <doctest/doctest.h>

#include <limits>

#include <nlohmann/json.hpp>

#include "aggregate_report.h"
#include "calendar.h"
#include "params.h"
#include "query.h"
#include "synthetic.h"

using namespace npskit;

namespace {
// What GET /v1/aggregate answers for these pairs (server.cpp get_aggregate, same core calls).
std::string collector_answer(const response_store& store, const std::vector<param_pair>& pairs) {
    query_params q;
    REQUIRE(parse_params(pairs, q).ok());
    auto hist = [](const score_histogram& h) { return nlohmann::json(h.bins); };
    group_stats total = aggregate(store, q.filter);
    nlohmann::json out = {{"by", q.by},
                          {"total", {{"histogram", hist(total.histogram)}, {"shown", total.shown}, {"dismissed", total.dismissed}}}};
    std::vector<group_stats> groups =
        q.by_time ? group_by_time(store, q.filter, q.bucket, q.utc_offset_minutes) : group_by_attribute(store, q.filter, q.by);
    nlohmann::json list = nlohmann::json::array();
    for (const group_stats& g : groups) {
        nlohmann::json item = {{"key", g.key}, {"histogram", hist(g.histogram)}, {"shown", g.shown}, {"dismissed", g.dismissed}};
        if (q.by_time) item["start"] = format_timestamp(g.start_ms);
        list.push_back(item);
    }
    out["groups"] = list;
    return out.dump();
}

void same_score(const nps_result& a, const nps_result& b) {
    CHECK(a.n == b.n);
    CHECK(a.has_score == b.has_score);
    CHECK(a.nps == doctest::Approx(b.nps));
    CHECK(a.ci_low == doctest::Approx(b.ci_low));
    CHECK(a.ci_high == doctest::Approx(b.ci_high));
}

void check_same(const response_store& store, const report_desc& desc) {
    report rows = build_report(store, desc);
    aggregate_answers answers;
    answers.trend = collector_answer(store, aggregate_params(desc, aggregate_part::trend));
    if (auto p = aggregate_params(desc, aggregate_part::breakdown); !p.empty()) answers.breakdown = collector_answer(store, p);
    if (auto p = aggregate_params(desc, aggregate_part::previous); !p.empty()) answers.previous = collector_answer(store, p);
    report agg;
    std::string note, error;
    REQUIRE(report_from_aggregates(answers, desc, agg, note, error));
    same_score(agg.headline.score, rows.headline.score);
    CHECK(agg.headline.histogram == rows.headline.histogram);
    for (int k = 0; k < 3; ++k) CHECK(agg.headline.segment_percent[k] == doctest::Approx(rows.headline.segment_percent[k]));
    CHECK(agg.headline.has_previous == rows.headline.has_previous);
    if (rows.headline.has_previous) {
        same_score(agg.headline.previous, rows.headline.previous);
        CHECK(agg.headline.change.difference == doctest::Approx(rows.headline.change.difference));
    }
    REQUIRE(agg.trend.size() == rows.trend.size());
    for (size_t i = 0; i < rows.trend.size(); ++i) {
        CHECK(agg.trend[i].key == rows.trend[i].key);
        CHECK(agg.trend[i].start_ms == rows.trend[i].start_ms);
        same_score(agg.trend[i].score, rows.trend[i].score);
        CHECK(agg.trend[i].vs_previous.valid == rows.trend[i].vs_previous.valid);
        CHECK(agg.trend[i].answer_rate == doctest::Approx(rows.trend[i].answer_rate));
    }
    CHECK(agg.latest_scored == rows.latest_scored);
    REQUIRE(agg.breakdown.size() == rows.breakdown.size());
    for (size_t i = 0; i < rows.breakdown.size(); ++i) {
        CHECK(agg.breakdown[i].value == rows.breakdown[i].value);
        same_score(agg.breakdown[i].score, rows.breakdown[i].score);
        CHECK(agg.breakdown[i].vs_rest.p_value == doctest::Approx(rows.breakdown[i].vs_rest.p_value));
    }
    CHECK(agg.rate.shown == rows.rate.shown);
    CHECK(agg.rate.dismissed == rows.rate.dismissed);
    CHECK(agg.rate.answer_rate == doctest::Approx(rows.rate.answer_rate));
}
}  // namespace

TEST_CASE("aggregate_report: the same figures as build_report on the rows") {
    response_store store;
    synthetic_desc sd;
    sd.responses = 3000;
    sd.seed = 7;
    generate_synthetic(sd, [&](const response& r) { store.add(r); });
    REQUIRE(store.size() > 1000);

    report_desc desc;
    SUBCASE("open period, by week, breakdown by survey") { check_same(store, desc); }
    SUBCASE("a closed period with a previous one, by day, +01:00, breakdown by plan") {
        desc.filter.since_ms = store.min_time_ms + (store.max_time_ms - store.min_time_ms) / 2;
        desc.filter.until_ms = store.max_time_ms - 3 * ms_per_day;
        desc.bucket = time_bucket::day;
        desc.utc_offset_minutes = 60;
        desc.breakdown_key = "plan";
        check_same(store, desc);
    }
    SUBCASE("segments and conditions, by month, no breakdown") {
        desc.filter.segments = 0b101;
        desc.bucket = time_bucket::month;
        desc.breakdown_key = "";
        add_condition(desc.filter.attributes, *parse_condition("plan!=free"));
        check_same(store, desc);
    }
}

TEST_CASE("aggregate_report: queries and what they cannot answer") {
    report_desc desc;
    desc.filter.since_ms = *parse_timestamp("2026-01-01T00:00:00Z");
    desc.filter.until_ms = *parse_timestamp("2026-02-01T00:00:00Z");
    desc.filter.segments = 0b011;
    add_condition(desc.filter.attributes, *parse_condition("plan=pro|team"));
    desc.utc_offset_minutes = -330;
    auto trend = aggregate_params(desc, aggregate_part::trend);
    CHECK(trend == std::vector<param_pair>{{"by", "week"},
                                           {"tz", "-05:30"},
                                           {"since", "2026-01-01T00:00:00Z"},
                                           {"until", "2026-02-01T00:00:00Z"},
                                           {"segment", "detractor,passive"},
                                           {"where", "plan=pro|team"}});
    auto prev = aggregate_params(desc, aggregate_part::previous);
    CHECK(prev[1] == param_pair{"since", "2025-12-01T00:00:00Z"});
    CHECK(prev[2] == param_pair{"until", "2026-01-01T00:00:00Z"});
    desc.breakdown_key = "";
    CHECK(aggregate_params(desc, aggregate_part::breakdown).empty());
    desc.filter.until_ms = std::numeric_limits<int64_t>::max();
    CHECK(aggregate_params(desc, aggregate_part::previous).empty());
    CHECK(aggregate_unanswered(desc).empty());
    desc.filter.text = "billing";
    CHECK(aggregate_unanswered(desc).find("billing") != std::string::npos);

    report out;
    std::string note, error;
    CHECK_FALSE(report_from_aggregates({"{\"by\":\"week\"}", "", ""}, desc, out, note, error));
    CHECK(error.find("trend") != std::string::npos);
    CHECK(report_from_aggregates({R"({"by":"week","total":{"histogram":[1,0,0,0,0,0,0,0,0,0,3],"shown":8,"dismissed":1},)"
                                  R"("groups":[{"key":"2026-W02","start":"2026-01-05T00:00:00Z","histogram":[1,0,0,0,0,0,0,0,0,0,3],)"
                                  R"("shown":8,"dismissed":1}],"note":"2 attribute keys were not indexed."})",
                                  "", ""},
                                 desc, out, note, error));
    CHECK(out.headline.score.n == 4);
    CHECK(out.headline.score.nps == doctest::Approx(50.0));
    CHECK(out.rate.answer_rate == doctest::Approx(0.5));
    CHECK(note == "2 attribute keys were not indexed.");
}
