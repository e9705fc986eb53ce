// npskit collector: its counters for GET /metrics, in the Prometheus text exposition format
// (version 0.0.4). Every update is a relaxed atomic add on a fixed slot: no lock, no map, no
// allocation on the request path; render() reads them for a scrape. docs/deploy.md lists the
// series and a few queries; docs/http-api.md the route.
#pragma once
#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

namespace npskit {

// The route label: a bounded set, so a scanner probing random paths cannot grow the output.
#define NPSKIT_METRIC_ROUTES(X)   \
    X(responses, "/v1/responses") \
    X(aggregate, "/v1/aggregate") \
    X(stream, "/v1/stream")       \
    X(healthz, "/healthz")        \
    X(metrics, "/metrics")        \
    X(other_api, "/v1/other")     \
    X(static_files, "static")

enum class metric_route : uint8_t {
#define NPSKIT_X(name, label) name,
    NPSKIT_METRIC_ROUTES(NPSKIT_X)
#undef NPSKIT_X
};
metric_route route_of(std::string_view path);  // "/v1/responses" → responses, "/app.js" → static_files

enum class answer_outcome : uint8_t { inserted, updated, unchanged, conflict };
enum class limit_kind : uint8_t { writes, read_key_failures };  // which 429
enum class storage_op : uint8_t { write, read };
// How /v1/aggregate answered: from rollups by SQL, from a bounded scan of rows, or refused (422).
enum class aggregate_source : uint8_t { rollups, scan, refused };

// A histogram with fixed upper bounds (le): counts per bucket, the sum of observed values.
class metric_histogram {
public:
    explicit metric_histogram(std::span<const double> bounds);
    void observe(double value);
    // Appends the _bucket (cumulative, +Inf last), _sum and _count lines; labels: "" or `a="b"`.
    void render(std::string& out, std::string_view name, std::string_view labels) const;

private:
    std::span<const double> bounds_;
    std::unique_ptr<std::atomic<uint64_t>[]> counts_;  // bounds_.size() + 1 (the last is +Inf)
    std::atomic<double> sum_{0};
};

// What render() reads from elsewhere at scrape time (cheap values the server already has).
struct metrics_snapshot {
    uint64_t cursor = 0;  // the storage's last cursor
    std::string_view version;
    double start_time_seconds = 0;  // Unix time the process started
};

class collector_metrics {
public:
    collector_metrics();
    // One finished answer (a stream: when it ends). The duration histogram leaves out streams,
    // whose "duration" is how long a listener stayed.
    void request(std::string_view method, std::string_view path, int status, double seconds);
    void answer(answer_outcome outcome);  // a POST acknowledged (or refused with 409)
    void commit(size_t batch_rows, double seconds, bool ok);
    void rate_limited(limit_kind kind);
    void storage_error(storage_op op);
    void stream_opened() { streams_.fetch_add(1, std::memory_order_relaxed); }
    void stream_closed() { streams_.fetch_sub(1, std::memory_order_relaxed); }
    void write_queued() { queued_.fetch_add(1, std::memory_order_relaxed); }
    void write_done() { queued_.fetch_sub(1, std::memory_order_relaxed); }
    void set_rows(uint64_t rows) { rows_.store(rows, std::memory_order_relaxed); }
    void aggregate_answered(aggregate_source s) { aggregates_[static_cast<size_t>(s)].fetch_add(1, std::memory_order_relaxed); }
    // Rows read whole from storage to count them (aggregate scans, digests; not /v1/responses).
    void rows_scanned(uint64_t n) { scanned_.fetch_add(n, std::memory_order_relaxed); }

    std::string render(const metrics_snapshot& snapshot) const;

    static constexpr size_t route_count = 0
#define NPSKIT_X(name, label) +1
        NPSKIT_METRIC_ROUTES(NPSKIT_X)
#undef NPSKIT_X
        ;
    static constexpr size_t method_count = 5;  // GET HEAD POST OPTIONS other
    static constexpr int min_status = 100, max_status = 599;

private:
    static constexpr size_t status_slots = max_status - min_status + 1;
    static constexpr size_t request_slots = route_count * method_count * status_slots;
    std::unique_ptr<std::atomic<uint64_t>[]> requests_;  // [route][method][status - 100]
    std::array<std::unique_ptr<metric_histogram>, route_count> durations_;
    metric_histogram batch_rows_, commit_seconds_;
    std::array<std::atomic<uint64_t>, 4> answers_{};         // by answer_outcome
    std::array<std::atomic<uint64_t>, 2> limited_{};         // by limit_kind
    std::array<std::atomic<uint64_t>, 2> storage_errors_{};  // by storage_op
    std::atomic<int64_t> streams_{0}, queued_{0};
    std::atomic<uint64_t> rows_{0};
    std::array<std::atomic<uint64_t>, 3> aggregates_{};  // by aggregate_source
    std::atomic<uint64_t> scanned_{0};
};

// A label value escaped for the text format (backslash, double quote, newline).
std::string prometheus_label_value(std::string_view value);

}  // namespace npskit
