// npskit collector: the HTTP server (see server.h, docs/http-api.md).
//
// [SECTION] Log lines (one JSON object per line on stderr)
// [SECTION] Change feed: who is waiting for new cursors (SSE)
// [SECTION] Group commit: one writer thread, one transaction per batch of waiting requests
// [SECTION] Per-IP token bucket
// [SECTION] Live store: the core's columnar store mirrored from storage, for /v1/aggregate
// [SECTION] Request helpers: errors, CORS, read key, parameters
// [SECTION] Routes
// [SECTION] run_collector: storage, seeding, listening, signals
#include "server.h"

#include <httplib.h>
#include <signal.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <map>
#include <mutex>
#include <random>
#include <thread>
#include <unordered_map>

#include <nlohmann/json.hpp>

#include "calendar.h"
#include "params.h"
#include "schema.h"
#include "sqlite_storage.h"
#include "store.h"
#include "synthetic.h"

namespace npskit {

using json = nlohmann::json;
using steady = std::chrono::steady_clock;

namespace {

int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

//-----------------------------------------------------------------------------
// [SECTION] Log lines
//-----------------------------------------------------------------------------
std::mutex log_mutex;

void log_line(const json& fields) {
    // ts, level, msg first for people; the rest in name order.
    nlohmann::ordered_json line;
    line["ts"] = format_timestamp(now_ms());
    line["level"] = fields.contains("level") ? fields["level"] : json("info");
    if (fields.contains("msg")) line["msg"] = fields["msg"];
    for (auto it = fields.begin(); it != fields.end(); ++it)
        if (it.key() != "level" && it.key() != "msg") line[it.key()] = it.value();
    std::string text = line.dump(-1, ' ', false, json::error_handler_t::replace);
    text += '\n';
    std::lock_guard<std::mutex> lock(log_mutex);
    std::fwrite(text.data(), 1, text.size(), stderr);
    std::fflush(stderr);
}

//-----------------------------------------------------------------------------
// [SECTION] Change feed
//-----------------------------------------------------------------------------
class change_feed {
public:
    void publish(uint64_t cursor) {
        {
            std::lock_guard<std::mutex> lock(mutex_);
            cursor_ = std::max(cursor_, cursor);
        }
        cv_.notify_all();
    }
    void stop() {
        {
            std::lock_guard<std::mutex> lock(mutex_);
            stopping_ = true;
        }
        cv_.notify_all();
    }
    bool stopping() {
        std::lock_guard<std::mutex> lock(mutex_);
        return stopping_;
    }
    // Waits until a cursor beyond `after` is committed, the server stops, or the timeout.
    uint64_t wait(uint64_t after, std::chrono::milliseconds timeout) {
        std::unique_lock<std::mutex> lock(mutex_);
        cv_.wait_for(lock, timeout, [&] { return cursor_ > after || stopping_; });
        return cursor_;
    }

private:
    std::mutex mutex_;
    std::condition_variable cv_;
    uint64_t cursor_ = 0;
    bool stopping_ = false;
};

//-----------------------------------------------------------------------------
// [SECTION] Group commit
//-----------------------------------------------------------------------------
// Each request thread hands its record over and waits; the writer takes everything queued
// so far into one transaction (one fsync for many requests), then wakes them all. A 2xx is
// sent only after the commit returned.
class group_committer {
public:
    group_committer(response_storage& storage, change_feed& feed) : storage_(storage), feed_(feed) {
        thread_ = std::thread([this] { run(); });
    }
    ~group_committer() { stop(); }

    bool submit(const response& r, write_result& result, std::string& error) {
        job j{&r, {}, false, false, {}};
        std::unique_lock<std::mutex> lock(mutex_);
        if (stopping_) {
            error = "the collector is stopping";
            return false;
        }
        if (queue_.size() >= max_queue) {
            error = "too many writes waiting";
            return false;
        }
        queue_.push_back(&j);
        work_cv_.notify_one();
        done_cv_.wait(lock, [&] { return j.done; });
        result = j.result;
        error = j.error;
        return j.ok;
    }

    void stop() {
        {
            std::lock_guard<std::mutex> lock(mutex_);
            if (stopping_ && !thread_.joinable()) return;
            stopping_ = true;
        }
        work_cv_.notify_all();
        if (thread_.joinable()) thread_.join();
    }

    static constexpr size_t max_queue = 20000;
    static constexpr size_t max_batch = 1000;

private:
    struct job {
        const response* r;
        write_result result{};
        bool done = false, ok = false;
        std::string error;
    };

    void run() {
        std::vector<job*> batch;
        std::vector<response> records;
        std::vector<write_result> results;
        for (;;) {
            {
                std::unique_lock<std::mutex> lock(mutex_);
                work_cv_.wait(lock, [&] { return !queue_.empty() || stopping_; });
                if (queue_.empty()) return;  // stopping and drained
                size_t n = std::min(queue_.size(), max_batch);
                batch.assign(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(n));
                queue_.erase(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(n));
            }
            records.clear();
            for (job* j : batch) records.push_back(*j->r);
            std::string error;
            bool ok = storage_.write(records, results, error);
            if (!ok) log_line({{"level", "error"}, {"msg", "write failed"}, {"error", error}, {"rows", batch.size()}});
            {
                std::lock_guard<std::mutex> lock(mutex_);
                for (size_t i = 0; i < batch.size(); ++i) {
                    batch[i]->ok = ok;
                    batch[i]->done = true;
                    if (ok) batch[i]->result = results[i];
                    else batch[i]->error = error;
                }
            }
            done_cv_.notify_all();
            if (ok) feed_.publish(storage_.last_cursor());
        }
    }

    response_storage& storage_;
    change_feed& feed_;
    std::mutex mutex_;
    std::condition_variable work_cv_, done_cv_;
    std::deque<job*> queue_;
    bool stopping_ = false;
    std::thread thread_;
};

//-----------------------------------------------------------------------------
// [SECTION] Per-IP token bucket
//-----------------------------------------------------------------------------
class rate_limiter {
public:
    rate_limiter(double rate, double burst) : rate_(rate), burst_(std::max(1.0, burst)) {}
    // 0: allowed (a token was taken); otherwise whole seconds until one is available.
    int take(const std::string& ip) {
        if (rate_ <= 0) return 0;
        auto now = steady::now();
        std::lock_guard<std::mutex> lock(mutex_);
        if (buckets_.size() > 100000) forget_full(now);
        auto [it, fresh] = buckets_.try_emplace(ip, bucket{burst_, now});
        bucket& b = it->second;
        if (!fresh) {
            double elapsed = std::chrono::duration<double>(now - b.at).count();
            b.tokens = std::min(burst_, b.tokens + elapsed * rate_);
            b.at = now;
        }
        if (b.tokens >= 1) {
            b.tokens -= 1;
            return 0;
        }
        double wait = (1 - b.tokens) / rate_;
        return std::max(1, static_cast<int>(std::ceil(wait)));
    }

private:
    struct bucket {
        double tokens;
        steady::time_point at;
    };
    void forget_full(steady::time_point now) {
        for (auto it = buckets_.begin(); it != buckets_.end();) {
            double elapsed = std::chrono::duration<double>(now - it->second.at).count();
            if (it->second.tokens + elapsed * rate_ >= burst_) it = buckets_.erase(it);
            else ++it;
        }
    }
    double rate_, burst_;
    std::mutex mutex_;
    std::unordered_map<std::string, bucket> buckets_;
};

//-----------------------------------------------------------------------------
// [SECTION] Live store
//-----------------------------------------------------------------------------
// /v1/aggregate scores with the same core code as the CLI and the dashboard: rows are
// mirrored into a response_store (~30 bytes a row) and caught up from storage on demand.
class live_store {
public:
    template <typename F>
    bool with_fresh_store(response_storage& storage, std::string& error, F&& use) {
        std::lock_guard<std::mutex> lock(mutex_);
        std::vector<stored_response> rows;
        for (;;) {
            rows.clear();
            if (!storage.read_since(cursor_, 20000, rows, error)) return false;
            for (const stored_response& row : rows) {
                parse_result p = parse_response(std::string_view(row.json));
                if (p.ok()) store_.add(p.value);
                cursor_ = row.cursor;
            }
            if (rows.size() < 20000) break;
        }
        use(static_cast<const response_store&>(store_));
        return true;
    }

private:
    std::mutex mutex_;
    response_store store_;
    uint64_t cursor_ = 0;
};

//-----------------------------------------------------------------------------
// [SECTION] Request helpers
//-----------------------------------------------------------------------------
void send_error(httplib::Response& res, int status, const char* code, const std::string& field, const std::string& message) {
    json body = {{"errors", json::array({{{"code", code}, {"field", field}, {"message", message}}})}};
    res.status = status;
    res.set_content(body.dump(-1, ' ', false, json::error_handler_t::replace), "application/json");
}

std::string lower(std::string s) {
    for (char& c : s)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return s;
}

std::string media_type(const std::string& content_type) {
    std::string t = lower(content_type.substr(0, content_type.find(';')));
    while (!t.empty() && t.back() == ' ') t.pop_back();
    return t;
}

bool equal_constant_time(const std::string& a, const std::string& b) {
    unsigned char diff = a.size() == b.size() ? 0 : 1;
    for (size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i % (b.empty() ? 1 : b.size())]);
    return diff == 0 && !b.empty();
}

bool parse_cursor(const std::string& text, uint64_t& out) {
    if (text.empty() || text.size() > 19) return false;
    uint64_t v = 0;
    for (char c : text) {
        if (c < '0' || c > '9') return false;
        v = v * 10 + static_cast<uint64_t>(c - '0');
    }
    out = v;
    return true;
}

struct access_policy {
    std::vector<std::string> origins;
    std::string read_key;

    bool origin_allowed(const httplib::Request& req, const std::string& origin) const {
        // Same origin: the Origin's host:port is the Host the request was sent to.
        std::string host = req.get_header_value("Host");
        size_t scheme = origin.find("://");
        if (!host.empty() && scheme != std::string::npos && lower(origin.substr(scheme + 3)) == lower(host)) return true;
        for (const std::string& o : origins)
            if (o == "*" || lower(o) == lower(origin)) return true;
        return false;
    }
    // Writes from a browser on another origin need the allowlist; clients without an Origin
    // header (servers, curl, wrk) are not browsers and pass.
    bool write_allowed(const httplib::Request& req) const {
        std::string origin = req.get_header_value("Origin");
        return origin.empty() || origin_allowed(req, origin);
    }
    bool read_allowed(const httplib::Request& req) const {
        std::string auth = req.get_header_value("Authorization");
        if (auth.size() > 7 && lower(auth.substr(0, 7)) == "bearer ") return equal_constant_time(auth.substr(7), read_key);
        if (req.has_param("access_token")) return equal_constant_time(req.get_param_value("access_token"), read_key);
        return false;
    }
};

thread_local steady::time_point request_started{};

//-----------------------------------------------------------------------------
// [SECTION] Request framing: no ambiguity about where a request ends
//-----------------------------------------------------------------------------
// cpp-httplib 0.11 trusts the first Content-Length, prefers Transfer-Encoding over it, buffers
// chunked bodies without a bound, leaves the body of a GET/OPTIONS (and of any request answered
// before routing) unread, and keeps the connection open after a framing error: the unread bytes
// would then be parsed as the next request (request smuggling behind a proxy that frames
// differently). So request bodies need exactly one plain Content-Length, and after any framing
// error the connection is closed once the answer is written.

bool all_digits(const std::string& s) {
    if (s.empty() || s.size() > 19) return false;
    for (char c : s)
        if (c < '0' || c > '9') return false;
    return true;
}

// Returns the status to refuse the request with (0 = fine).
int framing_problem(const httplib::Request& req, std::string& message) {
    if (req.headers.count("Transfer-Encoding")) {
        message = "send the body with a Content-Length; Transfer-Encoding is not accepted";
        return 411;
    }
    size_t lengths = req.headers.count("Content-Length");
    if (lengths > 1) {
        message = "more than one Content-Length header";
        return 400;
    }
    std::string length = req.get_header_value("Content-Length");
    if (lengths == 1 && !all_digits(length)) {
        message = "Content-Length must be a plain decimal number";
        return 400;
    }
    bool has_body = lengths == 1 && length.find_first_not_of('0') != std::string::npos;
    bool body_method = req.method == "POST" || req.method == "PUT" || req.method == "PATCH";
    if (body_method && lengths == 0) {
        message = "a request body needs a Content-Length";
        return 411;
    }
    if (!body_method && has_body) {
        message = req.method + " requests carry no body here";
        return 400;
    }
    return 0;
}

// Answers with an error and closes the connection after it: the body goes out as one chunk
// and the final chunk, then the provider reports failure, which makes cpp-httplib end the
// connection instead of reading a next request from bytes whose framing is unknown.
void send_error_and_close(const httplib::Request& req, httplib::Response& res, int status, const char* code,
                          const std::string& message) {
    json body = {{"errors", json::array({{{"code", code}, {"field", ""}, {"message", message}}})}};
    auto text = std::make_shared<std::string>(body.dump(-1, ' ', false, json::error_handler_t::replace));
    res.status = status;
    res.body.clear();
    res.set_header("Connection", "close");
    res.set_chunked_content_provider("application/json", [text](size_t, httplib::DataSink& sink) {
        sink.write(text->data(), text->size());
        sink.done();
        return false;
    });
    // A HEAD answer has no body, so its provider would never run (and never close): the
    // request object is the library's own non-const local, answered as a GET.
    if (req.method == "HEAD") const_cast<httplib::Request&>(req).method = "GET";
}

//-----------------------------------------------------------------------------
// [SECTION] Routes
//-----------------------------------------------------------------------------
struct collector_state {
    const collector_desc& desc;
    response_storage& storage;
    change_feed& feed;
    group_committer& committer;
    rate_limiter& limiter;
    live_store& live;
    access_policy access;
    std::atomic<int> streams{0};
    int max_streams = 1;
};

bool require_read_key(const collector_state& st, const httplib::Request& req, httplib::Response& res) {
    if (st.access.read_allowed(req)) return true;
    res.set_header("WWW-Authenticate", "Bearer");
    send_error(res, 401, "unauthorized", "", "reads need the read key: Authorization: Bearer KEY or ?access_token=KEY");
    return false;
}

void post_response(collector_state& st, const httplib::Request& req, httplib::Response& res) {
    if (!st.access.write_allowed(req)) {
        send_error(res, 403, "origin_not_allowed", "Origin", "this origin is not in the collector's --origins list");
        return;
    }
    if (int wait = st.limiter.take(req.remote_addr)) {
        res.set_header("Retry-After", std::to_string(wait));
        send_error(res, 429, "rate_limited", "", "too many writes from this address; retry after " + std::to_string(wait) + " s");
        return;
    }
    std::string type = media_type(req.get_header_value("Content-Type"));
    if (type != "application/json" && type != "text/plain") {
        send_error(res, 415, "unsupported_media_type", "Content-Type", "send application/json or text/plain (sendBeacon)");
        return;
    }
    schema_limits limits;
    if (req.body.size() > limits.max_body_bytes) {
        send_error(res, 413, "too_large", "", "the body is larger than 64 KB");
        return;
    }
    parse_result parsed = parse_response(std::string_view(req.body), limits);
    if (!parsed.ok()) {
        res.status = 400;
        res.set_content(errors_to_json(parsed.errors), "application/json");
        return;
    }
    write_result result;
    std::string error;
    if (!st.committer.submit(parsed.value, result, error)) {
        res.set_header("Retry-After", "1");
        send_error(res, 503, "unavailable", "", error);
        return;
    }
    res.status = 202;
    res.set_content(json{{"id", parsed.value.id}}.dump(), "application/json");
}

void get_responses(collector_state& st, const httplib::Request& req, httplib::Response& res) {
    if (!require_read_key(st, req, res)) return;
    uint64_t since = 0;
    if (req.has_param("since") && !req.get_param_value("since").empty() && !parse_cursor(req.get_param_value("since"), since)) {
        send_error(res, 400, "bad_parameter", "since", "since must be a cursor (a whole number) from a previous answer");
        return;
    }
    uint64_t limit = 1000;
    if (req.has_param("limit") && (!parse_cursor(req.get_param_value("limit"), limit) || limit < 1 || limit > 10000)) {
        send_error(res, 400, "bad_parameter", "limit", "limit must be from 1 to 10000");
        return;
    }
    std::string format = req.get_param_value("format");
    bool ndjson = format == "ndjson" || (format.empty() && req.get_header_value("Accept").find("application/x-ndjson") != std::string::npos);
    if (!format.empty() && format != "ndjson" && format != "json") {
        send_error(res, 400, "bad_parameter", "format", "format must be json or ndjson");
        return;
    }
    std::vector<stored_response> rows;
    std::string error;
    if (!st.storage.read_since(since, static_cast<size_t>(limit), rows, error)) {
        send_error(res, 503, "unavailable", "", error);
        return;
    }
    uint64_t next = rows.empty() ? since : rows.back().cursor;
    std::string body;
    size_t bytes = 32;
    for (const auto& r : rows) bytes += r.json.size() + 1;
    body.reserve(bytes);
    if (ndjson) {
        for (const auto& r : rows) (body += r.json) += '\n';
    } else {
        body += "{\"items\":[";
        for (size_t i = 0; i < rows.size(); ++i) {
            if (i) body += ',';
            body += rows[i].json;
        }
        body += "],\"next\":\"" + std::to_string(next) + "\"}";
    }
    res.set_header("X-Next-Cursor", std::to_string(next));
    res.set_header("Cache-Control", "no-store");
    res.set_content(std::move(body), ndjson ? "application/x-ndjson" : "application/json");
}

void get_stream(collector_state& st, const httplib::Request& req, httplib::Response& res) {
    if (!require_read_key(st, req, res)) return;
    uint64_t since = st.storage.last_cursor();  // default: only what comes next
    std::string from = req.get_header_value("Last-Event-ID");
    const char* field = "Last-Event-ID";
    if (from.empty() && req.has_param("since")) from = req.get_param_value("since"), field = "since";
    if (!from.empty() && !parse_cursor(from, since)) {
        send_error(res, 400, "bad_parameter", field, std::string(field) + " must be a cursor (a whole number)");
        return;
    }
    // A cursor from the future belongs to another (or a reset) database: replay from the start
    // rather than wait forever; clients upsert by id, so replayed rows are harmless.
    if (since > st.storage.last_cursor()) since = 0;
    if (st.streams.fetch_add(1) >= st.max_streams) {
        st.streams.fetch_sub(1);
        res.set_header("Retry-After", "5");
        send_error(res, 503, "too_many_streams", "", "too many open streams; retry later");
        return;
    }
    struct stream_state {
        uint64_t cursor;
        bool started = false;
    };
    auto state = std::make_shared<stream_state>(stream_state{since});
    res.set_header("Cache-Control", "no-store");
    res.set_header("X-Accel-Buffering", "no");
    collector_state* shared = &st;
    res.set_chunked_content_provider(
        "text/event-stream",
        [shared, state](size_t, httplib::DataSink& sink) {
            collector_state& s = *shared;
            if (!state->started) {
                state->started = true;
                std::string hello = "retry: 2000\n: npskit stream from " + std::to_string(state->cursor) + "\n\n";
                return sink.write(hello.data(), hello.size());
            }
            if (s.feed.stopping()) {
                sink.done();
                return true;
            }
            if (s.storage.last_cursor() <= state->cursor) {
                uint64_t now = s.feed.wait(state->cursor, std::chrono::milliseconds(10000));
                if (s.feed.stopping()) {
                    sink.done();
                    return true;
                }
                if (now <= state->cursor) {
                    static const char heartbeat[] = ": keep-alive\n\n";
                    return sink.write(heartbeat, sizeof heartbeat - 1);
                }
            }
            std::vector<stored_response> rows;
            std::string error;
            if (!s.storage.read_since(state->cursor, 500, rows, error)) return false;
            std::string out;
            for (const auto& r : rows) {
                out += "id: " + std::to_string(r.cursor) + "\nevent: response\ndata: ";
                out += r.json;
                out += "\n\n";
                state->cursor = r.cursor;
            }
            return out.empty() || sink.write(out.data(), out.size());
        },
        [shared](bool) { shared->streams.fetch_sub(1); });
}

json histogram_json(const score_histogram& h) {
    json a = json::array();
    for (uint64_t c : h.bins) a.push_back(c);
    return a;
}

void get_aggregate(collector_state& st, const httplib::Request& req, httplib::Response& res) {
    if (!require_read_key(st, req, res)) return;
    // The shared grammar (params.h, docs/parameters.md); by defaults to week here.
    std::vector<param_pair> pairs{{"by", "week"}};
    for (const auto& [name, value] : req.params) pairs.emplace_back(name, value);
    query_params q;
    if (param_problem p = parse_params(pairs, q); !p.ok()) {
        send_error(res, 400, "bad_parameter", p.field, p.message());
        return;
    }
    const response_filter& filter = q.filter;
    const std::string& by = q.by;
    const bool by_time = q.by_time;
    json out = {{"by", by}};
    std::string error;
    bool ok = st.live.with_fresh_store(st.storage, error, [&](const response_store& store) {
        group_stats total = aggregate(store, filter);
        out["total"] = {{"histogram", histogram_json(total.histogram)}, {"shown", total.shown}, {"dismissed", total.dismissed}};
        std::vector<group_stats> groups =
            by_time ? group_by_time(store, filter, q.bucket, q.utc_offset_minutes) : group_by_attribute(store, filter, by);
        json list = json::array();
        for (const group_stats& g : groups) {
            json item = {{"key", g.key}};
            if (by_time) item["start"] = format_timestamp(g.start_ms);
            item["histogram"] = histogram_json(g.histogram);
            item["shown"] = g.shown;
            item["dismissed"] = g.dismissed;
            list.push_back(std::move(item));
        }
        out["groups"] = std::move(list);
    });
    if (!ok) {
        send_error(res, 503, "unavailable", "", error);
        return;
    }
    if (by_time) out["tz"] = q.utc_offset_minutes;
    res.set_header("Cache-Control", "no-store");
    res.set_content(out.dump(-1, ' ', false, json::error_handler_t::replace), "application/json");
}

const char* const index_page = R"html(<!doctype html>
<html lang="en"><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>npskit collector</title>
<style>
body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1.25rem;color:#1d2230;background:#f6f7f9}
h1{font-size:1.5rem;margin:0 0 .25rem}p.lead{margin:0 0 1.5rem;color:#566}
a.card{display:block;padding:1rem 1.25rem;margin:.75rem 0;border-radius:.6rem;background:#fff;border:1px solid #d8dce3;color:inherit;text-decoration:none}
a.card:hover,a.card:focus-visible{border-color:#2f6fdb;outline:2px solid #2f6fdb;outline-offset:1px}
a.card strong{display:block;color:#2357b5;font-size:1.1rem}code{font-size:.9em}footer{margin-top:2rem;font-size:.9rem;color:#566}
@media (prefers-color-scheme:dark){body{color:#e6e8ee;background:#14171d}p.lead,footer{color:#9aa3b2}
a.card{background:#1d2129;border-color:#343a46}a.card strong{color:#8db4ff}}
</style>
<h1>npskit collector</h1>
<p class="lead">Collects NPS answers into SQLite and streams them live.</p>
<a class="card" href="/examples/saas-demo/"><strong>Demo SaaS app</strong>A sample product page whose prompt posts here.</a>
<a class="card" href="/dashboard/"><strong>Dashboard</strong>Add <code>#key=READ_KEY</code> to the address to load this collector&#39;s data.</a>
<a class="card" href="/healthz"><strong>Health</strong><code>/healthz</code></a>
<footer>API: <code>docs/http-api.md</code> in the npskit repository.</footer>
</html>
)html";

constexpr size_t max_header_count = 100;

void install_routes(httplib::Server& server, collector_state& st) {
    server.set_pre_routing_handler([&st](const httplib::Request& req, httplib::Response& res) {
        request_started = steady::now();
        std::string framing;
        if (int status = framing_problem(req, framing)) {
            send_error_and_close(req, res, status, status == 411 ? "length_required" : "bad_framing", framing);
            return httplib::Server::HandlerResponse::Handled;
        }
        // cpp-httplib bounds each header line (8 KB) but not their number.
        if (req.headers.size() > max_header_count) {
            send_error_and_close(req, res, 431, "too_many_headers", "more than 100 header lines");  // body unread
            return httplib::Server::HandlerResponse::Handled;
        }
        std::string origin = req.get_header_value("Origin");
        if (origin.empty() || req.path.rfind("/v1/", 0) != 0) return httplib::Server::HandlerResponse::Unhandled;
        bool allowed = st.access.origin_allowed(req, origin);
        if (allowed) {
            res.set_header("Access-Control-Allow-Origin", origin);
            res.set_header("Access-Control-Expose-Headers", "X-Next-Cursor, Retry-After");
        }
        res.set_header("Vary", "Origin");
        if (req.method != "OPTIONS") return httplib::Server::HandlerResponse::Unhandled;
        if (!allowed) {
            send_error(res, 403, "origin_not_allowed", "Origin", "this origin is not in the collector's --origins list");
        } else {
            res.status = 204;
            res.set_header("Access-Control-Allow-Methods", "GET, POST, OPTIONS");
            res.set_header("Access-Control-Allow-Headers", "Content-Type, Authorization, Last-Event-ID");
            res.set_header("Access-Control-Max-Age", "600");
        }
        return httplib::Server::HandlerResponse::Handled;
    });

    server.Post("/v1/responses", [&st](const httplib::Request& req, httplib::Response& res) { post_response(st, req, res); });
    server.Get("/v1/responses", [&st](const httplib::Request& req, httplib::Response& res) { get_responses(st, req, res); });
    server.Get("/v1/stream", [&st](const httplib::Request& req, httplib::Response& res) { get_stream(st, req, res); });
    server.Get("/v1/aggregate", [&st](const httplib::Request& req, httplib::Response& res) { get_aggregate(st, req, res); });
    server.Get("/healthz", [&st](const httplib::Request&, httplib::Response& res) {
        res.set_header("Cache-Control", "no-store");
        res.set_content(json{{"ok", true}, {"cursor", st.storage.last_cursor()}}.dump(), "application/json");
    });
    for (const char* dir : {"/dashboard", "/examples", "/examples/saas-demo"}) {
        server.Get(dir, [dir](const httplib::Request&, httplib::Response& res) { res.set_redirect(std::string(dir) + "/", 301); });
    }
    server.Get("/", [](const httplib::Request&, httplib::Response& res) { res.set_content(index_page, "text/html; charset=utf-8"); });

    server.set_error_handler([](const httplib::Request& req, httplib::Response& res) {
        if (!res.body.empty() || res.is_chunked_content_provider_) return;
        const char* code = res.status == 404   ? "not_found"
                           : res.status == 413 ? "too_large"
                           : res.status == 405 ? "method_not_allowed"
                                               : "http_error";
        const char* text = res.status == 404   ? "no such path"
                           : res.status == 413 ? "the body is larger than 64 KB"
                           : res.status == 405 ? "method not allowed here"
                                               : "the request could not be handled";
        // An error from the library itself (bad request line or header, body shorter than
        // announced, too large): where a next request would start is unknown.
        if (res.status != 404 && res.status != 405) send_error_and_close(req, res, res.status, code, text);
        else send_error(res, res.status, code, "", text);
    });

    if (!st.desc.log_requests) return;
    server.set_logger([](const httplib::Request& req, const httplib::Response& res) {
        double ms = 0;
        if (request_started != steady::time_point{})
            ms = std::chrono::duration<double, std::milli>(steady::now() - request_started).count();
        request_started = {};
        log_line({{"msg", "request"}, {"method", req.method}, {"path", req.path}, {"status", res.status},
                  {"ms", std::round(ms * 100) / 100}, {"ip", req.remote_addr}, {"in", req.body.size()}, {"out", res.body.size()}});
    });
}

std::string random_key() {
    std::random_device rd;
    static const char alphabet[] = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    std::string key;
    for (int i = 0; i < 32; ++i) key += alphabet[rd() % (sizeof alphabet - 1)];
    return key;
}

bool seed_demo(response_storage& storage, const collector_desc& desc) {
    uint64_t rows = storage.row_count();
    if (rows > 0) {
        log_line({{"msg", "seed skipped: the database is not empty"}, {"rows", rows}});
        return true;
    }
    synthetic_desc sd;
    sd.responses = desc.seed_demo;
    sd.end_ms = desc.seed_end_ms ? desc.seed_end_ms : floor_div(now_ms(), ms_per_day) * ms_per_day;
    std::vector<response> batch;
    std::vector<write_result> results;
    std::string error;
    bool ok = true;
    auto started = steady::now();
    auto flush = [&] {
        if (ok && !batch.empty() && !storage.write(batch, results, error)) ok = false;
        batch.clear();
    };
    synthetic_stats stats = generate_synthetic(sd, [&](const response& r) {
        batch.push_back(r);
        if (batch.size() == 5000) flush();
    });
    flush();
    if (!ok) {
        log_line({{"level", "error"}, {"msg", "seeding failed"}, {"error", error}});
        return false;
    }
    log_line({{"msg", "seeded demo data"}, {"responses", stats.responses}, {"shown", stats.shown},
              {"dismissed", stats.dismissed}, {"from", format_timestamp(stats.first_ms)}, {"to", format_timestamp(stats.last_ms)},
              {"seconds", std::chrono::duration<double>(steady::now() - started).count()}});
    return true;
}

}  // namespace

//-----------------------------------------------------------------------------
// [SECTION] run_collector
//-----------------------------------------------------------------------------
int run_collector(const collector_desc& desc) {
    // Every thread inherits this mask; one thread waits for the stop signals.
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
    signal(SIGPIPE, SIG_IGN);

    sqlite_storage_desc sd;
    sd.path = desc.db_path;
    sd.synchronous_full = desc.synchronous_full;
    std::string error;
    std::unique_ptr<response_storage> storage = open_sqlite_storage(sd, error);
    if (!storage) {
        log_line({{"level", "error"}, {"msg", "cannot open the database"}, {"db", desc.db_path}, {"error", error}});
        return 1;
    }
    if (desc.seed_demo > 0 && !seed_demo(*storage, desc)) return 1;

    change_feed feed;
    feed.publish(storage->last_cursor());
    group_committer committer(*storage, feed);
    rate_limiter limiter(desc.rate, desc.burst);
    live_store live;
    collector_state st{desc, *storage, feed, committer, limiter, live, {desc.origins, desc.read_key}};
    bool generated_key = st.access.read_key.empty();
    if (generated_key) st.access.read_key = random_key();
    int threads = std::max(4, desc.threads);
    st.max_streams = desc.max_streams > 0 ? desc.max_streams : std::max(1, threads - 16);

    httplib::Server server;
    server.new_task_queue = [threads] { return new httplib::ThreadPool(static_cast<size_t>(threads)); };
    server.set_payload_max_length(schema_limits{}.max_body_bytes);
    // Stored text is data: no browser may sniff a JSON answer (or an echoed field name) as HTML.
    server.set_default_headers({{"X-Content-Type-Options", "nosniff"}});
    server.set_read_timeout(desc.timeout_seconds, 0);
    server.set_write_timeout(desc.timeout_seconds, 0);
    server.set_keep_alive_timeout(desc.timeout_seconds);
    server.set_keep_alive_max_count(100000);
    server.set_tcp_nodelay(true);
    server.set_file_extension_and_mimetype_mapping("wasm", "application/wasm");
    server.set_file_extension_and_mimetype_mapping("mjs", "text/javascript");
    server.set_file_extension_and_mimetype_mapping("json", "application/json");
    server.set_file_extension_and_mimetype_mapping("map", "application/json");
    for (const std::string& dir : desc.web_dirs) {
        if (!server.set_mount_point("/", dir)) {
            log_line({{"level", "error"}, {"msg", "--web is not a folder"}, {"web", dir}});
            return 2;
        }
    }
    if (!desc.examples_dir.empty() && !server.set_mount_point("/examples", desc.examples_dir)) {
        log_line({{"level", "error"}, {"msg", "--examples is not a folder"}, {"examples", desc.examples_dir}});
        return 2;
    }
    // cpp-httplib's library build listens with a backlog of 5: a burst of new connections
    // (browsers, wrk) overflows it and waits for TCP retransmits. Keep the listening socket
    // and listen again with a real backlog once bound.
    int listen_fd = -1;
    server.set_socket_options([&listen_fd](socket_t sock) {
        httplib::default_socket_options(sock);
        listen_fd = sock;
    });
    install_routes(server, st);

    int port = desc.port;
    if (port == 0) port = server.bind_to_any_port(desc.bind);
    else if (!server.bind_to_port(desc.bind, port)) port = -1;
    if (port <= 0) {
        log_line({{"level", "error"}, {"msg", "cannot listen (is the port in use, or the address not local?)"},
                  {"bind", desc.bind}, {"port", desc.port}});
        return 1;
    }

    if (listen_fd >= 0) ::listen(listen_fd, 1024);

    std::atomic<bool> listening_done{false};
    std::thread signal_thread([&] {
        int sig = 0;
        sigwait(&stop_signals, &sig);
        log_line({{"msg", "stopping"}, {"signal", sig == SIGINT ? "SIGINT" : "SIGTERM"}});
        feed.stop();
        server.stop();
        // Workers wait out idle keep-alive connections (up to --timeout). Every acknowledged
        // row is committed already, so after a short grace the process may simply end.
        for (int i = 0; i < 100 && !listening_done; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
        if (listening_done) return;
        committer.stop();
        log_line({{"msg", "stopped"}, {"cursor", storage->last_cursor()}, {"idle_connections_dropped", true}});
        std::_Exit(0);
    });

    std::string host = desc.bind == "0.0.0.0" ? "127.0.0.1" : desc.bind;
    json started = {{"msg", "listening"}, {"url", "http://" + host + ":" + std::to_string(port) + "/"},
                    {"bind", desc.bind}, {"port", port}, {"db", storage->describe()}, {"cursor", storage->last_cursor()},
                    {"threads", threads}, {"rate", desc.rate}, {"burst", desc.burst}, {"origins", desc.origins}};
    // A key the operator did not choose must be shown once, or nobody could read.
    started["read_key"] = generated_key ? st.access.read_key : std::string("(from --read-key)");
    log_line(started);

    bool ok = server.listen_after_bind();
    listening_done = true;
    ok = ok || feed.stopping();  // stop() by a signal is a clean end
    if (!feed.stopping()) pthread_kill(signal_thread.native_handle(), SIGTERM);  // wake it to end
    signal_thread.join();
    feed.stop();
    committer.stop();
    log_line({{"msg", "stopped"}, {"cursor", storage->last_cursor()}});
    return ok ? 0 : 1;
}

}  // namespace npskit
