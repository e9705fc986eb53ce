// npskit collector: the counters behind GET /metrics (metrics.h) and their text format.
#include "metrics.h"

#include <charconv>
#include <cmath>

namespace npskit {

namespace {

// Seconds: from half a millisecond (a rejected request) to 10 s (the request deadline).
constexpr double request_bounds[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
// Rows per group commit: 1 when idle, up to group_committer::max_batch (1000) under load.
constexpr double batch_bounds[] = {1, 2, 5, 10, 20, 50, 100, 200, 500, 1000};
// Seconds per commit: an fsync is 0.1–10 ms on SSDs, far more on a busy disk.
constexpr double commit_bounds[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5};

constexpr std::string_view route_labels[] = {
#define NPSKIT_X(name, label) label,
    NPSKIT_METRIC_ROUTES(NPSKIT_X)
#undef NPSKIT_X
};
constexpr std::string_view method_labels[] = {"GET", "HEAD", "POST", "OPTIONS", "other"};
constexpr std::string_view outcome_labels[] = {"inserted", "updated", "unchanged", "conflict"};
constexpr std::string_view limit_labels[] = {"writes", "read_key_failures"};
constexpr std::string_view storage_labels[] = {"write", "read"};
constexpr std::string_view aggregate_labels[] = {"rollups", "scan", "refused"};

size_t method_index(std::string_view m) {
    for (size_t i = 0; i + 1 < std::size(method_labels); ++i)
        if (m == method_labels[i]) return i;
    return std::size(method_labels) - 1;
}

// Shortest fixed-notation text that reads back as the same double.
void append_number(std::string& out, double v) {
    if (std::isinf(v)) {
        out += v > 0 ? "+Inf" : "-Inf";
        return;
    }
    if (std::isnan(v)) {
        out += "NaN";
        return;
    }
    char buf[400];  // fixed notation: le="0.0005", as people write it in queries
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed);
    out.append(buf, ec == std::errc{} ? end : buf);
}

void head(std::string& out, std::string_view name, std::string_view type, std::string_view help) {
    ((((out += "# HELP ") += name) += ' ') += help) += '\n';
    ((((out += "# TYPE ") += name) += ' ') += type) += '\n';
}

void sample(std::string& out, std::string_view name, std::string_view labels, uint64_t value) {
    out += name;
    if (!labels.empty()) ((out += '{') += labels) += '}';
    ((out += ' ') += std::to_string(value)) += '\n';
}

std::string label(std::string_view name, std::string_view value) {
    return std::string(name) + "=\"" + prometheus_label_value(value) + "\"";
}

}  // namespace

metric_route route_of(std::string_view path) {
    constexpr metric_route routes[] = {
#define NPSKIT_X(name, label) metric_route::name,
        NPSKIT_METRIC_ROUTES(NPSKIT_X)
#undef NPSKIT_X
    };
    for (size_t i = 0; i < std::size(routes); ++i)
        if (route_labels[i].front() == '/' && path == route_labels[i] && routes[i] != metric_route::other_api) return routes[i];
    if (path.starts_with("/v1/")) return metric_route::other_api;
    return metric_route::static_files;
}

std::string prometheus_label_value(std::string_view value) {
    std::string out;
    out.reserve(value.size());
    for (char c : value) {
        if (c == '\\')
            out += "\\\\";
        else if (c == '"')
            out += "\\\"";
        else if (c == '\n')
            out += "\\n";
        else
            out += c;
    }
    return out;
}

metric_histogram::metric_histogram(std::span<const double> bounds)
    : bounds_(bounds), counts_(std::make_unique<std::atomic<uint64_t>[]>(bounds.size() + 1)) {}

void metric_histogram::observe(double value) {
    size_t i = 0;
    while (i < bounds_.size() && value > bounds_[i]) ++i;
    counts_[i].fetch_add(1, std::memory_order_relaxed);
    sum_.fetch_add(value, std::memory_order_relaxed);
}

void metric_histogram::render(std::string& out, std::string_view name, std::string_view labels) const {
    // _count is the +Inf bucket, read once: the two always agree even while requests run.
    std::string prefix(labels);
    if (!prefix.empty()) prefix += ',';
    uint64_t cumulative = 0;
    for (size_t i = 0; i <= bounds_.size(); ++i) {
        cumulative += counts_[i].load(std::memory_order_relaxed);
        ((out += name) += "_bucket{") += prefix;
        out += "le=\"";
        append_number(out, i < bounds_.size() ? bounds_[i] : INFINITY);
        (out += "\"} ") += std::to_string(cumulative);
        out += '\n';
    }
    std::string braces = labels.empty() ? std::string() : "{" + std::string(labels) + "}";
    ((out += name) += "_sum") += braces;
    out += ' ';
    append_number(out, sum_.load(std::memory_order_relaxed));
    out += '\n';
    ((((out += name) += "_count") += braces) += ' ') += std::to_string(cumulative);
    out += '\n';
}

collector_metrics::collector_metrics()
    : requests_(std::make_unique<std::atomic<uint64_t>[]>(request_slots)), batch_rows_(batch_bounds), commit_seconds_(commit_bounds) {
    for (auto& h : durations_) h = std::make_unique<metric_histogram>(request_bounds);
}

void collector_metrics::request(std::string_view method, std::string_view path, int status, double seconds) {
    size_t route = static_cast<size_t>(route_of(path));
    if (status < min_status || status > max_status) status = 500;  // never happens; keeps the index in range
    size_t slot = (route * method_count + method_index(method)) * status_slots + static_cast<size_t>(status - min_status);
    requests_[slot].fetch_add(1, std::memory_order_relaxed);
    if (route != static_cast<size_t>(metric_route::stream)) durations_[route]->observe(seconds);
}

void collector_metrics::answer(answer_outcome outcome) {
    answers_[static_cast<size_t>(outcome)].fetch_add(1, std::memory_order_relaxed);
    if (outcome == answer_outcome::inserted) rows_.fetch_add(1, std::memory_order_relaxed);
}

void collector_metrics::commit(size_t batch_rows, double seconds, bool ok) {
    batch_rows_.observe(static_cast<double>(batch_rows));
    commit_seconds_.observe(seconds);
    if (!ok) storage_error(storage_op::write);
}

void collector_metrics::rate_limited(limit_kind kind) { limited_[static_cast<size_t>(kind)].fetch_add(1, std::memory_order_relaxed); }

void collector_metrics::storage_error(storage_op op) { storage_errors_[static_cast<size_t>(op)].fetch_add(1, std::memory_order_relaxed); }

std::string collector_metrics::render(const metrics_snapshot& s) const {
    std::string out;
    out.reserve(16384);
    constexpr std::string_view requests = "npskit_http_requests_total";
    head(out, requests, "counter", "HTTP answers sent, by route, method and status code (series appear at their first request).");
    for (size_t r = 0; r < route_count; ++r)
        for (size_t m = 0; m < method_count; ++m)
            for (size_t c = 0; c < status_slots; ++c) {
                uint64_t n = requests_[(r * method_count + m) * status_slots + c].load(std::memory_order_relaxed);
                if (n == 0) continue;
                sample(out, requests,
                       label("route", route_labels[r]) + "," + label("method", method_labels[m]) + "," +
                           label("code", std::to_string(min_status + static_cast<int>(c))),
                       n);
            }
    constexpr std::string_view duration = "npskit_http_request_duration_seconds";
    head(out, duration, "histogram", "Time from a request's first byte to its answer written, by route (streams left out).");
    for (size_t r = 0; r < route_count; ++r)
        if (r != static_cast<size_t>(metric_route::stream)) durations_[r]->render(out, duration, label("route", route_labels[r]));

    head(out, "npskit_answers_total", "counter",
         "POST /v1/responses bodies committed, by outcome: inserted, updated, unchanged (each acknowledged with 202), conflict (409).");
    for (size_t i = 0; i < answers_.size(); ++i)
        sample(out, "npskit_answers_total", label("outcome", outcome_labels[i]), answers_[i].load(std::memory_order_relaxed));
    head(out, "npskit_commit_batch_rows", "histogram", "Records per group-commit transaction.");
    batch_rows_.render(out, "npskit_commit_batch_rows", "");
    head(out, "npskit_commit_duration_seconds", "histogram", "Time of one group-commit transaction, fsync included.");
    commit_seconds_.render(out, "npskit_commit_duration_seconds", "");
    head(out, "npskit_write_queue_depth", "gauge", "Writes waiting for their commit.");
    sample(out, "npskit_write_queue_depth", "", static_cast<uint64_t>(std::max<int64_t>(0, queued_.load(std::memory_order_relaxed))));
    head(out, "npskit_rows", "gauge", "Rows in the database (answers and display events).");
    sample(out, "npskit_rows", "", rows_.load(std::memory_order_relaxed));
    head(out, "npskit_cursor", "gauge", "The last committed cursor.");
    sample(out, "npskit_cursor", "", s.cursor);
    head(out, "npskit_stream_listeners", "gauge", "Open /v1/stream connections.");
    sample(out, "npskit_stream_listeners", "", static_cast<uint64_t>(std::max<int64_t>(0, streams_.load(std::memory_order_relaxed))));
    head(out, "npskit_rate_limited_total", "counter",
         "Requests answered 429, by reason: writes over --rate, reads after too many wrong read keys.");
    for (size_t i = 0; i < limited_.size(); ++i)
        sample(out, "npskit_rate_limited_total", label("reason", limit_labels[i]), limited_[i].load(std::memory_order_relaxed));
    head(out, "npskit_storage_errors_total", "counter", "Failed storage transactions (write: the batch was answered 503), by operation.");
    for (size_t i = 0; i < storage_errors_.size(); ++i)
        sample(out, "npskit_storage_errors_total", label("op", storage_labels[i]), storage_errors_[i].load(std::memory_order_relaxed));
    head(out, "npskit_aggregates_total", "counter",
         "GET /v1/aggregate answers by source: rollups (SQL sums), scan (a bounded read of rows), refused (422 scan_too_large).");
    for (size_t i = 0; i < aggregates_.size(); ++i)
        sample(out, "npskit_aggregates_total", label("source", aggregate_labels[i]), aggregates_[i].load(std::memory_order_relaxed));
    head(out, "npskit_rows_scanned_total", "counter", "Rows read whole from storage to count them (aggregate scans, digests).");
    sample(out, "npskit_rows_scanned_total", "", scanned_.load(std::memory_order_relaxed));
    head(out, "npskit_build_info", "gauge", "Always 1; the version is a label.");
    sample(out, "npskit_build_info", label("version", s.version), 1);
    head(out, "process_start_time_seconds", "gauge", "Start time of the process since the Unix epoch in seconds.");
    out += "process_start_time_seconds ";
    append_number(out, s.start_time_seconds);
    out += '\n';
    return out;
}

}  // namespace npskit
