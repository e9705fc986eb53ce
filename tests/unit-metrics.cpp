// The collector's metrics (src/collector/metrics.h): the Prometheus text format render() writes
// (HELP and TYPE before each family, cumulative buckets ending at +Inf, _count equal to the
// +Inf bucket, escaped label values) and the counters behind it. Native only.
#ifdef NPSKIT_HAS_HTTP
#include <doctest/doctest.h>

#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "metrics.h"

using namespace npskit;

namespace {

// Sample lines ("name{labels} value") → value, comments left out.
std::map<std::string, std::string> samples(const std::string& text) {
    std::map<std::string, std::string> out;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
        if (line.empty() || line[0] == '#') continue;
        size_t space = line.rfind(' ');
        out[line.substr(0, space)] = line.substr(space + 1);
    }
    return out;
}

metrics_snapshot snap() { return {.cursor = 42, .version = "1.2.3", .start_time_seconds = 1700000000.5}; }

}  // namespace

TEST_CASE("metrics: routes are a bounded set") {
    CHECK(route_of("/v1/responses") == metric_route::responses);
    CHECK(route_of("/v1/aggregate") == metric_route::aggregate);
    CHECK(route_of("/v1/stream") == metric_route::stream);
    CHECK(route_of("/healthz") == metric_route::healthz);
    CHECK(route_of("/metrics") == metric_route::metrics);
    CHECK(route_of("/v1/nope") == metric_route::other_api);
    CHECK(route_of("/v1/other") == metric_route::other_api);
    CHECK(route_of("/dashboard/app.js") == metric_route::static_files);
    CHECK(route_of("/") == metric_route::static_files);
    CHECK(route_of("/metricsx") == metric_route::static_files);
}

TEST_CASE("metrics: every family has HELP then TYPE, each name once") {
    collector_metrics m;
    m.request("GET", "/healthz", 200, 0.001);
    std::string text = m.render(snap());
    std::istringstream in(text);
    std::string line, last_help;
    std::map<std::string, int> types;
    while (std::getline(in, line)) {
        CHECK(!line.empty());
        if (line.rfind("# HELP ", 0) == 0) {
            last_help = line.substr(7, line.find(' ', 7) - 7);
        } else if (line.rfind("# TYPE ", 0) == 0) {
            std::string name = line.substr(7, line.find(' ', 7) - 7);
            CHECK(name == last_help);
            CHECK(++types[name] == 1);
            std::string type = line.substr(line.rfind(' ') + 1);
            CHECK((type == "counter" || type == "gauge" || type == "histogram"));
            if (type == "counter") CHECK(name.ends_with("_total"));
        } else {
            CAPTURE(line);
            CHECK(line[0] != '#');
            CHECK(line.find(' ') != std::string::npos);
        }
    }
    CHECK(text.back() == '\n');
    for (const char* family :
         {"npskit_http_requests_total", "npskit_http_request_duration_seconds", "npskit_answers_total", "npskit_commit_batch_rows",
          "npskit_commit_duration_seconds", "npskit_rows", "npskit_stream_listeners", "npskit_rate_limited_total",
          "npskit_storage_errors_total", "npskit_build_info", "npskit_write_queue_depth", "npskit_cursor"})
        CHECK(types.count(family) == 1);
}

TEST_CASE("metrics: request counters by route, method and status") {
    collector_metrics m;
    for (int i = 0; i < 5; ++i) m.request("POST", "/v1/responses", 202, 0.002);
    m.request("GET", "/v1/responses", 401, 0.0001);
    m.request("BREW", "/dashboard/", 404, 0.0001);
    auto s = samples(m.render(snap()));
    CHECK(s["npskit_http_requests_total{route=\"/v1/responses\",method=\"POST\",code=\"202\"}"] == "5");
    CHECK(s["npskit_http_requests_total{route=\"/v1/responses\",method=\"GET\",code=\"401\"}"] == "1");
    CHECK(s["npskit_http_requests_total{route=\"static\",method=\"other\",code=\"404\"}"] == "1");
    // Series appear at their first request: no zero line per possible status.
    CHECK(s.count("npskit_http_requests_total{route=\"/v1/responses\",method=\"POST\",code=\"200\"}") == 0);
}

TEST_CASE("metrics: histograms are cumulative, end at +Inf, _count is the +Inf bucket") {
    collector_metrics m;
    m.request("GET", "/healthz", 200, 0.0004);  // ≤ 0.0005
    m.request("GET", "/healthz", 200, 0.003);   // ≤ 0.005
    m.request("GET", "/healthz", 200, 60);      // beyond the last bound
    m.request("GET", "/v1/stream", 200, 3600);  // a stream: counted, not timed
    m.commit(1, 0.002, true);
    m.commit(700, 0.02, true);
    auto s = samples(m.render(snap()));
    const std::string h = "npskit_http_request_duration_seconds";
    CHECK(s[h + "_bucket{route=\"/healthz\",le=\"0.0005\"}"] == "1");
    CHECK(s[h + "_bucket{route=\"/healthz\",le=\"0.001\"}"] == "1");
    CHECK(s[h + "_bucket{route=\"/healthz\",le=\"0.005\"}"] == "2");
    CHECK(s[h + "_bucket{route=\"/healthz\",le=\"10\"}"] == "2");
    CHECK(s[h + "_bucket{route=\"/healthz\",le=\"+Inf\"}"] == "3");
    CHECK(s[h + "_count{route=\"/healthz\"}"] == "3");
    CHECK(std::stod(s[h + "_sum{route=\"/healthz\"}"]) == doctest::Approx(60.0034));
    CHECK(s.count(h + "_count{route=\"/v1/stream\"}") == 0);
    CHECK(s["npskit_http_requests_total{route=\"/v1/stream\",method=\"GET\",code=\"200\"}"] == "1");
    CHECK(s["npskit_commit_batch_rows_bucket{le=\"1\"}"] == "1");
    CHECK(s["npskit_commit_batch_rows_bucket{le=\"500\"}"] == "1");
    CHECK(s["npskit_commit_batch_rows_bucket{le=\"1000\"}"] == "2");
    CHECK(s["npskit_commit_batch_rows_count"] == "2");
    CHECK(s["npskit_commit_batch_rows_sum"] == "701");
    CHECK(s["npskit_commit_duration_seconds_count"] == "2");
    // Bucket lines of one series never go down.
    uint64_t previous = 0;
    for (const char* le :
         {"0.0005", "0.001", "0.0025", "0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5", "10", "+Inf"}) {
        uint64_t v = std::stoull(s[h + "_bucket{route=\"/healthz\",le=\"" + le + "\"}"]);
        CHECK(v >= previous);
        previous = v;
    }
}

TEST_CASE("metrics: answers, rows, gauges, limits, errors, build info") {
    collector_metrics m;
    m.set_rows(10);
    m.answer(answer_outcome::inserted);
    m.answer(answer_outcome::inserted);
    m.answer(answer_outcome::unchanged);
    m.answer(answer_outcome::conflict);
    m.stream_opened();
    m.stream_opened();
    m.stream_closed();
    m.write_queued();
    m.rate_limited(limit_kind::writes);
    m.rate_limited(limit_kind::read_key_failures);
    m.rate_limited(limit_kind::read_key_failures);
    m.storage_error(storage_op::read);
    m.commit(3, 0.01, false);  // a failed commit is a write error
    auto s = samples(m.render(snap()));
    CHECK(s["npskit_answers_total{outcome=\"inserted\"}"] == "2");
    CHECK(s["npskit_answers_total{outcome=\"updated\"}"] == "0");
    CHECK(s["npskit_answers_total{outcome=\"unchanged\"}"] == "1");
    CHECK(s["npskit_answers_total{outcome=\"conflict\"}"] == "1");
    CHECK(s["npskit_rows"] == "12");
    CHECK(s["npskit_cursor"] == "42");
    CHECK(s["npskit_stream_listeners"] == "1");
    CHECK(s["npskit_write_queue_depth"] == "1");
    CHECK(s["npskit_rate_limited_total{reason=\"writes\"}"] == "1");
    CHECK(s["npskit_rate_limited_total{reason=\"read_key_failures\"}"] == "2");
    CHECK(s["npskit_storage_errors_total{op=\"read\"}"] == "1");
    CHECK(s["npskit_storage_errors_total{op=\"write\"}"] == "1");
    CHECK(s["npskit_build_info{version=\"1.2.3\"}"] == "1");
    CHECK(s["process_start_time_seconds"] == "1700000000.5");
}

TEST_CASE("metrics: label values are escaped") {
    CHECK(prometheus_label_value("plain") == "plain");
    CHECK(prometheus_label_value("a\"b") == "a\\\"b");
    CHECK(prometheus_label_value("a\\b") == "a\\\\b");
    CHECK(prometheus_label_value("a\nb") == "a\\nb");
    collector_metrics m;
    auto s = samples(m.render({.cursor = 0, .version = "1.0\"x", .start_time_seconds = 0}));
    CHECK(s["npskit_build_info{version=\"1.0\\\"x\"}"] == "1");
}
#endif
