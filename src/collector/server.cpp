// npskit collector: the routes (see server.h, docs/http-api.md) on the event-driven HTTP layer
// (http_server.h), which enforces the limits before a route sees a request.
//
// [SECTION] Log lines (one JSON object per line on stderr)
// [SECTION] Change feed: the last committed cursor, for the stream fan-out
// [SECTION] Group commit: one writer thread, one transaction per batch of waiting requests
// [SECTION] Per-IP token bucket
// [SECTION] Request helpers: errors, CORS, read key, parameters
// [SECTION] Stream hub: one thread fans each committed row out to every open stream
// [SECTION] Routes
// [SECTION] Static files
// [SECTION] Survey definitions: GET public with ETag, PUT / DELETE admin, versions
// [SECTION] Dispatch: CORS, preflight, routing
// [SECTION] run_collector: storage, seeding, listening, signals
#include "server.h"

#include <signal.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <mutex>
#include <random>
#include <sstream>
#include <thread>
#include <unordered_map>

#include <openssl/sha.h>
#include <nlohmann/json.hpp>

#include "calendar.h"
#include "collector_errors.h"
#include "definition.h"
#include "digest.h"
#include "followup.h"
#include "http_server.h"
#include "metrics.h"
#include "params.h"
#include "pg_storage.h"
#include "query.h"
#include "query_rows.h"
#include "rollups.h"
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
// Requests hand their record over with a callback; the writer takes everything queued so far
// into one transaction (one fsync for many requests), then calls every callback. A 2xx is sent
// only from the callback, after the commit returned.
class group_committer {
public:
    using done_fn = std::function<void(bool ok, const write_result& result, const std::string& error)>;

    group_committer(response_storage& storage, change_feed& feed, collector_metrics& metrics)
        : storage_(storage), feed_(feed), metrics_(metrics) {
        thread_ = std::thread([this] { run(); });
    }
    ~group_committer() { stop(); }

    // false (and error) when it cannot take the record now; otherwise done runs later, once.
    bool submit(response r, done_fn done, std::string& error) {
        std::lock_guard<std::mutex> lock(mutex_);
        if (stopping_) {
            error = "the collector is stopping";
            return false;
        }
        if (queue_.size() >= max_queue) {
            error = "too many writes waiting";
            return false;
        }
        queue_.push_back({std::move(r), std::move(done)});
        work_cv_.notify_one();
        return true;
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
    std::function<void()> after_commit;  // set before the first submit: wakes the webhook sender
    std::function<void()> on_saturated;  // likewise: the last window was saturated (below)

private:
    struct job {
        response r;
        done_fn done;
    };

    void run() {
        std::vector<job> batch;
        std::vector<response> records;
        std::vector<write_result> results;
        for (;;) {
            {
                std::unique_lock<std::mutex> lock(mutex_);
                work_cv_.wait(lock, [&] { return !queue_.empty() || stopping_; });
                if (queue_.empty()) return;  // stopping and drained
                size_t n = std::min(queue_.size(), max_batch);
                batch.clear();
                for (size_t i = 0; i < n; ++i) batch.push_back(std::move(queue_[i]));
                queue_.erase(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(n));
            }
            records.clear();
            for (job& j : batch) records.push_back(std::move(j.r));
            std::string error;
            auto began = steady::now();
            bool ok = storage_.write(records, results, error);
            auto ended = steady::now();
            metrics_.commit(records.size(), std::chrono::duration<double>(ended - began).count(), ok);
            // Saturated: two or more answers a commit on average over a window of at least 100 ms
            // (they queue behind each other) while writing half of it; still saturated while it
            // writes 30 % (deliveries going out take the writer's CPU, a shared machine dips). An
            // idle gap makes the window long and the share small; a trickle of answers committed one
            // by one is not saturation.
            busy_ += ended - began;
            window_commits_ += 1;
            window_rows_ += records.size();
            if (ended - window_start_ >= std::chrono::milliseconds(100)) {
                int share = saturated_ ? 3 : 5;
                saturated_ = busy_ * 10 >= (ended - window_start_) * share && window_rows_ >= 2 * window_commits_;
                window_start_ = ended;
                busy_ = {};
                window_commits_ = window_rows_ = 0;
                if (saturated_ && on_saturated) on_saturated();
            }
            if (!ok) log_line({{"level", "error"}, {"msg", "write failed"}, {"error", error}, {"rows", batch.size()}});
            static const write_result none{};
            for (size_t i = 0; i < batch.size(); ++i) batch[i].done(ok, ok ? results[i] : none, error);
            if (ok) feed_.publish(storage_.last_cursor());
            if (ok && after_commit) after_commit();
        }
    }

    response_storage& storage_;
    change_feed& feed_;
    collector_metrics& metrics_;
    std::mutex mutex_;
    std::condition_variable work_cv_;
    std::deque<job> queue_;
    bool stopping_ = false;
    steady::time_point window_start_ = steady::now();  // the committer thread's only
    steady::duration busy_{};
    size_t window_commits_ = 0, window_rows_ = 0;
    bool saturated_ = false;  // the last window's verdict
    std::thread thread_;
};

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
            if (it->second.tokens + elapsed * rate_ >= burst_)
                it = buckets_.erase(it);
            else
                ++it;
        }
    }
    double rate_, burst_;
    std::mutex mutex_;
    std::unordered_map<std::string, bucket> buckets_;
};

// Reads with a wrong (or no) key, per client: after max_failures in a window every read from
// that client gets 429 until the window ends, whatever key it sends, so guessing the key costs
// a minute per ten tries.
class auth_failures {
public:
    explicit auth_failures(int max_failures) : max_failures_(max_failures) {}
    static constexpr std::chrono::seconds window{60};
    // 0: go on; otherwise whole seconds until reads from `client` are heard again.
    int blocked(const std::string& client) {
        auto now = steady::now();
        std::lock_guard<std::mutex> lock(mutex_);
        auto it = failures_.find(client);
        if (it == failures_.end()) return 0;
        if (now - it->second.since >= window) {
            failures_.erase(it);
            return 0;
        }
        if (max_failures_ <= 0 || it->second.count < max_failures_) return 0;
        auto left = std::chrono::duration_cast<std::chrono::seconds>(window - (now - it->second.since)).count();
        return std::max<int>(1, static_cast<int>(left) + 1);
    }
    void failed(const std::string& client) {
        if (max_failures_ <= 0) return;
        auto now = steady::now();
        std::lock_guard<std::mutex> lock(mutex_);
        if (failures_.size() > 100000) std::erase_if(failures_, [&](const auto& kv) { return now - kv.second.since >= window; });
        auto [it, fresh] = failures_.try_emplace(client, entry{0, now});
        if (!fresh && now - it->second.since >= window) it->second = {0, now};
        ++it->second.count;
    }

private:
    struct entry {
        int count;
        steady::time_point since;
    };
    int max_failures_;
    std::mutex mutex_;
    std::unordered_map<std::string, entry> failures_;
};

//-----------------------------------------------------------------------------
// [SECTION] Request helpers
//-----------------------------------------------------------------------------
// The error body replaces res's body; headers already set (CORS) stay.
void send_error(http_response& res, collector_error code, std::string_view field = {}, std::string_view message = {}) {
    http_response e = error_response(code, field, message);
    res.status = e.status;
    res.body = std::move(e.body);
    res.content_type = std::move(e.content_type);
}

std::string lower(std::string s) {
    for (char& c : s) c = ascii_lower(c);  // query.h: the one ASCII lower-casing
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

    bool origin_allowed(const http_request& req, const std::string& origin) const {
        // Same origin: the Origin's host:port is the Host the request was sent to.
        std::string host = req.header("Host");
        size_t scheme = origin.find("://");
        if (!host.empty() && scheme != std::string::npos && lower(origin.substr(scheme + 3)) == lower(host)) return true;
        for (const std::string& o : origins)
            if (o == "*" || lower(o) == lower(origin)) return true;
        return false;
    }
    // Writes from a browser on another origin need the allowlist; clients without an Origin
    // header (servers, curl, wrk) are not browsers and pass.
    bool write_allowed(const http_request& req) const {
        std::string origin = req.header("Origin");
        return origin.empty() || origin_allowed(req, origin);
    }
    bool read_allowed(const http_request& req) const {
        std::string auth = req.header("Authorization");
        if (auth.size() > 7 && lower(auth.substr(0, 7)) == "bearer ") return equal_constant_time(auth.substr(7), read_key);
        if (req.has_param("access_token")) return equal_constant_time(req.param("access_token"), read_key);
        return false;
    }
    // The admin key only in the header: a query string ends up in proxies' logs.
    std::string admin_key;
    bool admin_allowed(const http_request& req) const {
        std::string auth = req.header("Authorization");
        return auth.size() > 7 && lower(auth.substr(0, 7)) == "bearer " && equal_constant_time(auth.substr(7), admin_key);
    }
};

//-----------------------------------------------------------------------------
// [SECTION] Stream hub
//-----------------------------------------------------------------------------
// One thread waits for commits and reads each new row once; the formatted event text is shared
// by every stream that is caught up. A new (or resuming) stream first replays from its own
// cursor on a worker, under the hub's lock, so it joins without a gap or a repeat.
class stream_hub {
public:
    stream_hub(response_storage& storage, change_feed& feed) : storage_(storage), feed_(feed), cursor_(storage.last_cursor()) {
        thread_ = std::thread([this] { run(); });
    }
    ~stream_hub() { stop(); }
    std::atomic<http_server*> server{nullptr};  // set once listening: fan-outs go to its I/O thread in one hop
    void stop() {
        feed_.stop();
        if (thread_.joinable()) thread_.join();
    }

    // On a worker thread: replays rows after `since`, then the stream gets every new row.
    void join(const std::shared_ptr<http_stream>& s, uint64_t since) {
        std::lock_guard<std::mutex> lock(mutex_);
        std::vector<stored_response> rows;
        std::string error;
        while (since < cursor_ && !s->closed()) {
            rows.clear();
            if (!storage_.read_since(since, 500, rows, error)) {
                s->close();
                return;
            }
            std::string out;
            for (const auto& r : rows) {
                if (r.cursor > cursor_) break;  // the hub sends those
                append_event(out, r);
                since = r.cursor;
            }
            if (!out.empty()) s->send(std::make_shared<const std::string>(std::move(out)));
            if (rows.size() < 500 || (!rows.empty() && rows.back().cursor >= cursor_)) break;
        }
        listeners_.push_back(s);
    }

private:
    static void append_event(std::string& out, const stored_response& r) {
        out += "id: " + std::to_string(r.cursor) + "\nevent: response\ndata: ";
        out += r.json;
        out += "\n\n";
    }

    void run() {
        static const auto heartbeat = std::make_shared<const std::string>(": keep-alive\n\n");
        for (;;) {
            uint64_t committed = feed_.wait(cursor_snapshot(), std::chrono::milliseconds(10000));
            // Fan-outs at most every 50 µs per listener (100 listeners: 5 ms, 2,000 and more: 100 ms):
            // under a stream of writes each carries many rows instead of thousands of socket
            // writes per row, and a few listeners are not made to wait.
            auto interval = std::min(fanout_interval, std::chrono::milliseconds(listener_count() / 20));
            auto since_last = steady::now() - last_fanout_;
            if (committed > cursor_snapshot() && since_last < interval) std::this_thread::sleep_for(interval - since_last);
            std::lock_guard<std::mutex> lock(mutex_);
            std::erase_if(listeners_, [](const std::shared_ptr<http_stream>& s) { return s->closed(); });
            if (feed_.stopping()) {
                for (auto& s : listeners_) s->close();
                listeners_.clear();
                return;
            }
            if (committed <= cursor_) {
                if (http_server* srv = server.load()) srv->send_all(listeners_, heartbeat);
                continue;
            }
            if (listeners_.empty()) {
                // Nobody to send to: no read (a query per commit on PostgreSQL). A stream that
                // joins later replays from storage up to cursor_ in join(), then follows.
                cursor_ = committed;
                continue;
            }
            std::vector<stored_response> rows;
            std::string error;
            for (;;) {
                rows.clear();
                if (!storage_.read_since(cursor_, 500, rows, error)) {
                    log_line({{"level", "error"}, {"msg", "stream read failed"}, {"error", error}});
                    std::this_thread::sleep_for(std::chrono::milliseconds(250));  // the database may be gone: no busy retry
                    break;
                }
                if (rows.empty()) break;
                std::string out;
                for (const auto& r : rows) append_event(out, r);
                cursor_ = rows.back().cursor;
                auto text = std::make_shared<const std::string>(std::move(out));
                if (http_server* srv = server.load())
                    srv->send_all(listeners_, text);
                else
                    for (auto& s : listeners_) s->send(text);
                if (rows.size() < 500) break;
            }
            last_fanout_ = steady::now();
        }
    }
    size_t listener_count() {
        std::lock_guard<std::mutex> lock(mutex_);
        return listeners_.size();
    }
    uint64_t cursor_snapshot() {
        std::lock_guard<std::mutex> lock(mutex_);
        return cursor_;
    }

    response_storage& storage_;
    change_feed& feed_;
    std::mutex mutex_;
    uint64_t cursor_;
    std::vector<std::shared_ptr<http_stream>> listeners_;
    steady::time_point last_fanout_{};
    static constexpr std::chrono::milliseconds fanout_interval{100};
    std::thread thread_;
};

//-----------------------------------------------------------------------------
// [SECTION] Routes
//-----------------------------------------------------------------------------
struct collector_state {
    const collector_desc& desc;
    response_storage& storage;
    change_feed& feed;
    group_committer& committer;
    rate_limiter& limiter;
    stream_hub& hub;
    http_server* server = nullptr;
    access_policy access;
    auth_failures& failures;
    collector_metrics& metrics;
    double started_at = 0;               // Unix seconds, for process_start_time_seconds
    webhook_sender* webhooks = nullptr;  // null: no --webhook
};

// Every X-Forwarded-For line in order, as one list (a proxy may add its own line).
std::string forwarded_for(const http_request& req) {
    std::string all;
    for (const auto& [name, value] : req.headers)
        if (lower(name) == "x-forwarded-for") (all.empty() ? all : all += ", ") += value;
    return all;
}

// Whose request it is, for the rate limit, the 401 slow-down and the log (client_address.h).
std::string client_of(const collector_state& st, const http_request& req) {
    if (st.desc.trusted_proxies.empty()) return req.remote_addr;
    return client_address(req.remote_addr, forwarded_for(req), req.header("Forwarded"), st.desc.trusted_proxies);
}

bool require_read_key(collector_state& st, const http_request& req, http_response& res) {
    std::string client = address_bucket(client_of(st, req));
    if (int wait = st.failures.blocked(client)) {
        st.metrics.rate_limited(limit_kind::read_key_failures);
        res.set_header("Retry-After", std::to_string(wait));
        send_error(res, collector_error::too_many_failures);
        return false;
    }
    if (st.access.read_allowed(req)) return true;
    st.failures.failed(client);
    res.set_header("WWW-Authenticate", "Bearer");
    send_error(res, collector_error::unauthorized);
    return false;
}

// The metrics count write outcomes by casting: the two enums list the same four in order.
static_assert(static_cast<int>(answer_outcome::inserted) == static_cast<int>(write_outcome::inserted) &&
              static_cast<int>(answer_outcome::updated) == static_cast<int>(write_outcome::updated) &&
              static_cast<int>(answer_outcome::unchanged) == static_cast<int>(write_outcome::unchanged) &&
              static_cast<int>(answer_outcome::conflict) == static_cast<int>(write_outcome::conflict));
// Replay and re-enable: the admin key, with the same slow-down for wrong keys as reads.
bool require_admin_key(collector_state& st, const http_request& req, http_response& res) {
    if (st.access.admin_key.empty()) {
        send_error(res, collector_error::admin_disabled);
        return false;
    }
    std::string client = address_bucket(client_of(st, req));
    if (int wait = st.failures.blocked(client)) {
        st.metrics.rate_limited(limit_kind::read_key_failures);  // one slow-down for both keys
        res.set_header("Retry-After", std::to_string(wait));
        send_error(res, collector_error::too_many_failures);
        return false;
    }
    if (st.access.admin_allowed(req)) return true;
    st.failures.failed(client);
    res.set_header("WWW-Authenticate", "Bearer");
    send_error(res, collector_error::admin_unauthorized);
    return false;
}

// Answers through ex: at once when the request is refused, after the commit otherwise.
void post_response(collector_state& st, const std::shared_ptr<http_exchange>& ex, http_response res) {
    const http_request& req = ex->request();
    auto refuse = [&](collector_error code, std::string_view field = {}, std::string_view message = {}) {
        send_error(res, code, field, message);
        ex->respond(std::move(res));
    };
    if (!st.access.write_allowed(req)) return refuse(collector_error::origin_not_allowed, "Origin");
    if (int wait = st.limiter.take(address_bucket(client_of(st, req)))) {
        st.metrics.rate_limited(limit_kind::writes);
        res.set_header("Retry-After", std::to_string(wait));
        return refuse(collector_error::rate_limited, "", "too many writes from this address; retry after " + std::to_string(wait) + " s");
    }
    std::string type = media_type(req.header("Content-Type"));
    if (type != "application/json" && type != "text/plain") return refuse(collector_error::unsupported_media_type, "Content-Type");
    schema_limits limits;
    if (req.body.size() > limits.max_body_bytes) return refuse(collector_error::too_large);
    parse_result parsed = parse_response(std::string_view(req.body), limits);
    if (!parsed.ok()) {
        res.status = 400;
        res.set_content(errors_to_json(parsed.errors), "application/json");
        return ex->respond(std::move(res));
    }
    std::string id = parsed.value.id;
    std::string error;
    auto done = [ex, res, id, &metrics = st.metrics](bool ok, const write_result& result, const std::string& error) mutable {
        metrics.write_done();
        if (ok) metrics.answer(static_cast<answer_outcome>(result.outcome));
        if (ok && result.outcome == write_outcome::conflict) {
            // One entry per refused field; the stored answer is as it was.
            json errors = json::array();
            for (const std::string& f : result.conflicts)
                errors.push_back({{"code", "conflict"},
                                  {"field", f},
                                  {"message", f + " cannot change: " + std::string(info(collector_error::conflict).message)}});
            log_line({{"level", "warn"},
                      {"msg", "write refused: conflict"},
                      {"id", id},
                      {"fields", result.conflicts},
                      {"ip", ex->request().remote_addr}});
            res.status = info(collector_error::conflict).status;
            res.set_content(json{{"errors", errors}}.dump(), "application/json");
        } else if (!ok) {
            res.set_header("Retry-After", "1");
            send_error(res, collector_error::unavailable, "", error);
        } else {
            res.status = 202;
            res.set_content(json{{"id", id}}.dump(), "application/json");
        }
        ex->respond(std::move(res));
    };
    st.metrics.write_queued();
    if (!st.committer.submit(std::move(parsed.value), std::move(done), error)) {
        st.metrics.write_done();
        res.set_header("Retry-After", "1");
        refuse(collector_error::unavailable, "", error);
    }
}

void get_responses(collector_state& st, const http_request& req, http_response& res) {
    if (!require_read_key(st, req, res)) return;
    uint64_t since = 0;
    if (req.has_param("since") && !req.param("since").empty() && !parse_cursor(req.param("since"), since)) {
        send_error(res, collector_error::bad_parameter, "since", "since must be a cursor (a whole number) from a previous answer");
        return;
    }
    uint64_t limit = 1000;
    if (req.has_param("limit") && (!parse_cursor(req.param("limit"), limit) || limit < 1 || limit > 10000)) {
        send_error(res, collector_error::bad_parameter, "limit", "limit must be from 1 to 10000");
        return;
    }
    std::string format = req.param("format");
    bool ndjson = format == "ndjson" || (format.empty() && req.header("Accept").find("application/x-ndjson") != std::string::npos);
    if (!format.empty() && format != "ndjson" && format != "json") {
        send_error(res, collector_error::bad_parameter, "format", "format must be json or ndjson");
        return;
    }
    std::vector<stored_response> rows;
    std::string error;
    if (!st.storage.read_since(since, static_cast<size_t>(limit), rows, error)) {
        st.metrics.storage_error(storage_op::read);
        send_error(res, collector_error::unavailable, "", error);
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

// On the I/O thread: opens the stream (the layer caps them), then the hub replays and follows.
void get_stream(collector_state& st, const std::shared_ptr<http_exchange>& ex, http_response res) {
    const http_request& req = ex->request();
    if (!require_read_key(st, req, res)) return ex->respond(std::move(res));
    uint64_t last = st.storage.last_cursor();
    uint64_t since = last;  // default: only what comes next
    std::string from = req.header("Last-Event-ID");
    const char* field = "Last-Event-ID";
    if (from.empty() && req.has_param("since")) from = req.param("since"), field = "since";
    if (!from.empty() && !parse_cursor(from, since)) {
        send_error(res, collector_error::bad_parameter, field, std::string(field) + " must be a cursor (a whole number)");
        return ex->respond(std::move(res));
    }
    // A cursor from the future belongs to another (or a reset) database: replay from the start
    // rather than wait forever; clients upsert by id, so replayed rows are harmless.
    if (since > last) since = 0;
    res.set_header("Cache-Control", "no-store");
    res.set_header("X-Accel-Buffering", "no");
    std::shared_ptr<http_stream> stream = ex->open_stream(res, [&metrics = st.metrics] { metrics.stream_closed(); });
    if (stream) st.metrics.stream_opened();
    if (!stream) {
        res.set_header("Retry-After", "5");
        send_error(res, collector_error::too_many_streams);
        return ex->respond(std::move(res));
    }
    stream->send(std::make_shared<const std::string>("retry: 2000\n: npskit stream from " + std::to_string(since) + "\n\n"));
    st.server->offload([&st, stream, since] { st.hub.join(stream, since); });
}

json histogram_json(const score_histogram& h) {
    json a = json::array();
    for (uint64_t c : h.bins) a.push_back(c);
    return a;
}

// [SECTION] Aggregates: from rollups by SQL, else a bounded scan of rows
// The sums of one rollup query: the whole UTC days of its range from the daily tables, the half
// hours at its edges from the half-hour ones. A trend in another zone than UTC (local days are not
// UTC days): the daily tables too, each UTC day counted in the local day that holds most of it,
// and where the rest of it falls in another bucket (every day by day; the first day of a week
// or month otherwise) the half hours of that rest are read and moved; past split_days_max such
// days the half hours of the whole range are folded into local days by SQL instead. counts' at:
// the local day for a trend. A query per split day (sent at once: rollup_counts_each) still beats
// the fold for a year by day: it reads the rest's cells only (BENCHMARKS.md).
constexpr size_t split_days_max = 400;

// Rollup counts with signed moves (taken out of one day, put in another) and rows' counts added,
// read back as rollup counts; a sum below zero (a row written between two reads) counts as none.
struct count_sums {
    std::map<std::tuple<std::string, int64_t, uint8_t>, int64_t> n;  // (group, cell or day, slot)
    void add(const std::string& group, int64_t at, uint8_t slot, int64_t v) { n[{group, at, slot}] += v; }
    void add(const std::vector<response_storage::rollup_count>& counts, int sign = 1) {
        for (const auto& k : counts) add(k.group, k.at, k.slot, sign * static_cast<int64_t>(k.n));
    }
    void add(const std::string& group, int64_t at, const group_stats& g, int sign) {
        for (int s = 0; s <= 10; ++s)
            if (uint64_t v = g.histogram.bins[static_cast<size_t>(s)])
                add(group, at, static_cast<uint8_t>(s), sign * static_cast<int64_t>(v));
        if (g.shown) add(group, at, static_cast<uint8_t>(slot_shown), sign * static_cast<int64_t>(g.shown));
        if (g.dismissed) add(group, at, static_cast<uint8_t>(slot_dismissed), sign * static_cast<int64_t>(g.dismissed));
    }
    void emit(std::vector<response_storage::rollup_count>& out) const {
        for (const auto& [key, v] : n)
            if (v > 0) out.push_back({std::get<0>(key), std::get<1>(key), std::get<2>(key), static_cast<uint64_t>(v)});
    }
};

// offset: the zone's offset in whole half hours (the rollups' local days start there).
bool rollup_sums(collector_state& st, response_storage::rollup_query rq, bool by_time, int offset, time_bucket bucket,
                 std::vector<response_storage::rollup_count>& out, bool& complete, std::string& error) {
    constexpr int64_t per_day = rollup_cells_per_day;
    complete = true;
    auto run = [&](const response_storage::rollup_query& q, std::vector<response_storage::rollup_count>& into) {
        bool whole = false;
        std::vector<response_storage::rollup_count> part;  // a backend may clear what it is given
        if (!st.storage.rollup_counts(q, part, whole, error)) return false;
        into.insert(into.end(), std::make_move_iterator(part.begin()), std::make_move_iterator(part.end()));
        complete = complete && whole;
        return true;
    };
    rq.bucket = by_time ? static_cast<int>(per_day) : 0;
    rq.offset = offset;
    const bool shifted = by_time && offset != 0;
    const int64_t since = rq.since, until = rq.until;
    const int64_t first_day = since == INT64_MIN ? INT64_MIN : -floor_div(-since, per_day);  // ceil
    const int64_t end_day = until == INT64_MAX ? INT64_MAX : floor_div(until, per_day);
    if (first_day >= end_day) return run(rq, out);  // less than a whole day: half hours
    response_storage::rollup_query days = rq;
    days.days = true;
    days.since = first_day, days.until = end_day;
    days.bucket = by_time ? 1 : 0, days.offset = 0;
    std::vector<response_storage::rollup_count> day_counts;
    if (!run(days, shifted ? day_counts : out)) return false;
    if (shifted) {
        // UTC day d: offset > 0: its last `offset` half hours are local day d + 1, the rest local
        // day d; offset < 0: its first -offset half hours are local day d - 1, the rest local day d.
        const int64_t rest = offset > 0 ? 1 : -1;
        auto needs_split = [&](int64_t d) { return bucket_start_day(d + rest, bucket) != bucket_start_day(d, bucket); };
        std::vector<int64_t> split;
        for (const auto& k : day_counts)
            if (needs_split(k.at)) split.push_back(k.at);
        std::sort(split.begin(), split.end());
        split.erase(std::unique(split.begin(), split.end()), split.end());
        if (split.size() > split_days_max) {
            response_storage::rollup_query cells = rq;
            cells.since = first_day == INT64_MIN ? INT64_MIN : first_day * per_day;
            cells.until = end_day == INT64_MAX ? INT64_MAX : end_day * per_day;
            if (!run(cells, out)) return false;
        } else {
            count_sums sums;  // by local day
            sums.add(day_counts);
            std::vector<response_storage::rollup_query> parts;  // one query per split day, sent together
            for (int64_t d : split) {
                response_storage::rollup_query& part = parts.emplace_back(rq);
                part.bucket = 0, part.offset = 0;
                part.since = offset > 0 ? (d + 1) * per_day - offset : d * per_day;
                part.until = offset > 0 ? (d + 1) * per_day : d * per_day - offset;
            }
            std::vector<std::vector<response_storage::rollup_count>> moved;
            bool whole = false;
            if (!st.storage.rollup_counts_each(parts, moved, whole, error)) return false;
            complete = complete && whole;
            for (size_t i = 0; i < split.size(); ++i)
                for (const auto& k : moved[i]) {
                    sums.add(k.group, split[i], k.slot, -static_cast<int64_t>(k.n));
                    sums.add(k.group, split[i] + rest, k.slot, static_cast<int64_t>(k.n));
                }
            sums.emit(out);
        }
    }
    if (since != INT64_MIN && since < first_day * per_day) {
        response_storage::rollup_query edge = rq;
        edge.until = first_day * per_day;
        if (!run(edge, out)) return false;
    }
    if (until != INT64_MAX && end_day * per_day < until) {
        response_storage::rollup_query edge = rq;
        edge.since = end_day * per_day;
        if (!run(edge, out)) return false;
    }
    return true;
}

bool scan_into_store(collector_state& st, const query_params& q, size_t limit, int64_t since_ms, int64_t until_ms, bool whole_rows,
                     response_store& store, size_t& rows, std::string& error);

// What half-hour cells cannot hold, read from rows: a since/until inside a half hour (the part
// of it in range), and in a zone whose offset is not whole half hours (+05:45, +12:45) the minutes
// before each local bucket start (the rollups, read in the zone of whole half hours just west,
// put them in the day before). Each window is a bounded scan of at most half an hour of rows,
// counted by the core.
struct row_window {
    int64_t since_ms = 0, until_ms = 0;
    bool moved = false;    // counted by the rollups in local day `from_day`: taken out of it
    int64_t from_day = 0;  // (local day of the rollups' zone)
};
constexpr size_t row_windows_max = 128;

// Adds the rows of `windows` to the rollups' counts (local days for a trend, groups otherwise),
// and in a zone of quarter hours moves each bucket start's minutes to the day they belong to.
// `why` set: no answer from rollups (too many windows or rows), the caller scans instead.
bool add_row_windows(collector_state& st, const query_params& q, const response_storage::rollup_query& rq, int offset, bool with_all,
                     std::vector<row_window>& windows, std::vector<response_storage::rollup_count>& counts,
                     std::vector<response_storage::rollup_count>& all, std::string& why, std::string& error) {
    const int64_t offset_ms = int64_t{q.utc_offset_minutes} * 60'000;
    const int64_t gap_ms = offset_ms - int64_t{offset} * rollup_cell_ms;  // 0 .. 29 minutes
    if (q.by_time && gap_ms != 0) {
        // The rollups' local days start gap_ms after the zone's: the minutes before each of their
        // midnights belong to the next day in the zone. Only where that next day starts another
        // bucket does it change a figure.
        int64_t first = INT64_MAX, last = INT64_MIN;
        for (const auto& k : counts) first = std::min(first, k.at), last = std::max(last, k.at);
        const int64_t lo = rq.since == INT64_MIN ? INT64_MIN : rq.since * rollup_cell_ms;
        const int64_t hi = rq.until == INT64_MAX ? INT64_MAX : rq.until * rollup_cell_ms;
        size_t moved = 0;
        for (int64_t d = first; first <= last && d <= last; ++d) {
            if (bucket_start_day(d + 1, q.bucket) == bucket_start_day(d, q.bucket)) continue;
            const int64_t midnight = (d + 1) * ms_per_day - int64_t{offset} * rollup_cell_ms;
            const int64_t a = std::max(midnight - gap_ms, lo), b = std::min(midnight, hi);
            if (a >= b) continue;
            if (++moved > row_windows_max)
                return why = "a time zone of quarter hours over more than " + std::to_string(row_windows_max) + " " +
                             time_bucket_name(q.bucket) + "s",
                       true;
            windows.push_back({a, b, true, d});
        }
    }
    size_t budget = st.desc.aggregate_scan_rows;
    count_sums delta, delta_all;  // of counts (local days or groups), of `all`
    for (const row_window& w : windows) {
        response_store store(store_desc{.max_attribute_keys = st.desc.max_attribute_keys});
        size_t rows = 0;
        if (!scan_into_store(st, q, budget, w.since_ms, w.until_ms, false, store, rows, error)) return false;
        if (rows > budget) return why = "the rows of its partial half hours are more than a scan may read", true;
        budget -= rows;
        if (q.by_time) {
            for (const group_stats& g : group_by_time(store, q.filter, time_bucket::day, q.utc_offset_minutes))
                delta.add("", floor_div(g.start_ms + offset_ms, ms_per_day), g, +1);
            if (w.moved) delta.add("", w.from_day, aggregate(store, q.filter), -1);
        } else {
            for (const group_stats& g : group_by_attribute(store, q.filter, q.by))
                if (q.by == "survey" || !g.key.empty()) delta.add(g.key, 0, g, +1);
            if (with_all) delta_all.add("", 0, aggregate(store, q.filter), +1);
        }
    }
    delta.add(counts);
    counts.clear();
    delta.emit(counts);
    if (with_all) {
        delta_all.add(all);
        all.clear();
        delta_all.emit(all);
    }
    return true;
}

// The filter a rollup answers: no comment or text condition; at most one attribute among `by`
// and the where conditions besides survey, conditions listing present values (not `!=`, not
// "absent"); in a zone of quarter hours a trend over at most row_windows_max bucket starts. Time
// bounds inside a half hour and a quarter-hour zone's minutes come from rows (row_window).
// Anything else: answered = false and `why` says what, for the scan's note.
bool aggregate_from_rollups(collector_state& st, const query_params& q, json& out, bool& answered, std::string& why, std::string& error) {
    answered = false;
    const response_filter& f = q.filter;
    if (f.with_comment || !f.text.empty()) return why = "a comment or text condition", true;
    // Whole half hours from the rollups; the parts of half hours at the edges from rows.
    response_storage::rollup_query rq;
    rq.since = f.since_ms == INT64_MIN ? INT64_MIN : -floor_div(-f.since_ms, rollup_cell_ms);  // ceil
    rq.until = f.until_ms == INT64_MAX ? INT64_MAX : floor_div(f.until_ms, rollup_cell_ms);
    std::vector<row_window> windows;
    if (rq.since != INT64_MIN && rq.until != INT64_MAX && rq.since >= rq.until) {
        windows.push_back({f.since_ms, f.until_ms});  // within one half hour, or across one boundary
        rq.since = rq.until = 0;
    } else {
        if (rq.since != INT64_MIN && f.since_ms < rq.since * rollup_cell_ms) windows.push_back({f.since_ms, rq.since * rollup_cell_ms});
        if (rq.until != INT64_MAX && rq.until * rollup_cell_ms < f.until_ms) windows.push_back({rq.until * rollup_cell_ms, f.until_ms});
    }
    const bool by_survey = q.by == "survey", by_attribute = !q.by_time && !by_survey;
    if (by_attribute) rq.attribute = q.by;
    bool where_on_attribute = false;
    bool surveys_given = false;
    for (const attribute_filter& af : f.attributes) {
        if (af.exclude || af.values.empty()) return why = "a != condition (" + af.key + ")", true;
        for (const std::string& v : af.values)
            if (v.empty()) return why = "a condition on an absent value (" + af.key + ")", true;
        if (af.key == "survey") {
            if (surveys_given) return why = "two survey conditions", true;  // their intersection, left to the rows
            surveys_given = true;
            rq.surveys = af.values;
            continue;
        }
        if (where_on_attribute || (!rq.attribute.empty() && rq.attribute != af.key))
            return why = "two attributes at once (" + (rq.attribute.empty() ? q.by : rq.attribute) + ", " + af.key + ")", true;
        where_on_attribute = true;
        rq.attribute = af.key;
        rq.values = af.values;
    }
    rq.group_by_value = by_attribute;
    rq.group_by_survey = by_survey;
    // SQL sums into local days for a trend (the core folds days into weeks, months), and over
    // the whole range otherwise: the answer is days × slots or groups × slots, not cells.
    // A zone of quarter hours: the rollups in the zone of whole half hours just west, corrected below.
    const int offset = static_cast<int>(floor_div(q.utc_offset_minutes, rollup_cell_ms / 60'000));
    const bool quarter = int64_t{q.utc_offset_minutes} * 60'000 != int64_t{offset} * rollup_cell_ms;
    std::vector<response_storage::rollup_count> counts;
    bool complete = false;
    if (!rollup_sums(st, rq, q.by_time, offset, q.bucket, counts, complete, error)) {
        error.clear();  // a backend without rollups: the rows answer
        return why = "this storage keeps no rollups", true;
    }
    if (!complete) return why = rq.attribute + " is past a survey's first " + std::to_string(rollup_max_keys) + " rolled-up keys", true;
    // by=ATTRIBUTE without a condition on it: rows without the attribute form the "" group,
    // the survey-level counts minus the attribute's.
    std::vector<response_storage::rollup_count> all;
    if (by_attribute && !where_on_attribute) {
        response_storage::rollup_query sq = rq;
        sq.attribute.clear();
        sq.values.clear();
        sq.group_by_value = false;
        if (!rollup_sums(st, sq, q.by_time, offset, q.bucket, all, complete, error)) return false;
    }
    if (!windows.empty() || (quarter && q.by_time)) {
        if (!add_row_windows(st, q, rq, offset, by_attribute && !where_on_attribute, windows, counts, all, why, error)) return false;
        if (!why.empty()) return true;
    }
    query_rows::compiled_filter c;
    for (int s = 0; s <= 10; ++s) c.slot_allowed[s] = (f.segments >> static_cast<int>(segment_of(s))) & 1;
    c.slot_allowed[slot_shown] = c.slot_allowed[slot_dismissed] = 1;
    using slot_counts = query_rows::slot_counts;
    std::vector<group_stats> groups;
    if (q.by_time) {
        const int64_t offset_ms = static_cast<int64_t>(q.utc_offset_minutes) * 60'000;
        int64_t first_day = INT64_MAX, last_day = INT64_MIN;
        for (const auto& k : counts) {  // k.at: the local day (bucket = 48 half hours)
            first_day = std::min(first_day, k.at);
            last_day = std::max(last_day, k.at);
        }
        if (!counts.empty()) {
            std::vector<slot_counts> days(static_cast<size_t>(last_day - first_day + 1));
            for (const auto& k : counts) days[static_cast<size_t>(k.at - first_day)][k.slot] += k.n;
            query_rows::fold_days(c, days, first_day, q.bucket, offset_ms, groups);
        }
    } else {
        std::map<std::string, slot_counts> by_group;
        for (const auto& k : counts) by_group[k.group][k.slot] += k.n;
        if (by_attribute && !where_on_attribute) {
            slot_counts none{};
            for (const auto& k : all) none[k.slot] += k.n;
            for (const auto& [value, sc] : by_group)
                for (int s = 0; s < slot_count; ++s) none[s] -= sc[s];
            by_group[""] = none;  // "" sorts first, where the rows' "none" group is
        }
        // Past the store's 1,000 values a key's rows go to "(other)": the rows say which.
        if (by_group.size() > 1001) return why = "more than 1,000 values of " + rq.attribute, true;
        for (auto& [value, sc] : by_group) {
            query_rows::mask_slots(c, sc.data());
            uint64_t total = 0;
            for (uint64_t v : sc) total += v;
            if (total == 0) continue;
            group_stats& g = groups.emplace_back();
            g.key = value;
            query_rows::add_slots(g, sc);
        }
    }
    slot_counts total{};
    for (const auto& k : (by_attribute && !where_on_attribute) ? all : counts) total[k.slot] += k.n;
    query_rows::mask_slots(c, total.data());
    group_stats t;
    query_rows::add_slots(t, total);
    out["total"] = {{"histogram", histogram_json(t.histogram)}, {"shown", t.shown}, {"dismissed", t.dismissed}};
    json list = json::array();
    for (const group_stats& g : groups) {
        json item = {{"key", g.key}};
        if (q.by_time) item["start"] = format_timestamp(g.start_ms);
        item["histogram"] = histogram_json(g.histogram);
        item["shown"] = g.shown;
        item["dismissed"] = g.dismissed;
        list.push_back(std::move(item));
    }
    out["groups"] = std::move(list);
    answered = true;
    return true;
}

// Rows no rollup answers: at most `limit` of them, read by the time range (and the survey
// condition) in SQL, into a store that keeps of each row only what the filter and `by` read.
// rows > limit: the scan stopped and nothing was counted (the caller refuses).
bool scan_into_store(collector_state& st, const query_params& q, size_t limit, int64_t since_ms, int64_t until_ms, bool whole_rows,
                     response_store& store, size_t& rows, std::string& error) {
    response_storage::scan_query sq;
    sq.since_ms = since_ms, sq.until_ms = until_ms, sq.limit = limit + 1;
    std::vector<std::string> keys{q.by};
    size_t survey_conditions = 0;
    for (const attribute_filter& af : q.filter.attributes) {
        keys.push_back(af.key);
        if (af.key == "survey" && !af.exclude && ++survey_conditions == 1) sq.surveys = af.values;
    }
    if (survey_conditions > 1) sq.surveys.clear();  // the store's matcher intersects them
    const bool keep_comment = whole_rows || q.filter.with_comment || !q.filter.text.empty();
    auto restart = [&] { store.clear(), rows = 0; };
    auto row = [&](std::string_view text) {
        if (++rows > limit) return;
        parse_result p = parse_response(text);
        if (!p.ok()) return;
        response& r = p.value;
        if (!whole_rows) {  // the other attributes would only fill the store's key index
            std::erase_if(r.attributes, [&](const auto& kv) { return std::find(keys.begin(), keys.end(), kv.first) == keys.end(); });
            if (!keep_comment) r.comment.reset();
            r.email.reset();
        }
        store.add(r);
    };
    bool ok = st.storage.scan_rows(sq, restart, row, error);
    st.metrics.rows_scanned(rows);
    return ok;
}

void get_aggregate(collector_state& st, const http_request& req, http_response& res) {
    if (!require_read_key(st, req, res)) return;
    // The shared grammar (params.h, docs/parameters.md); by defaults to week here.
    std::vector<param_pair> pairs{{"by", "week"}};
    for (const auto& [name, value] : req.params) pairs.emplace_back(name, value);
    query_params q;
    if (param_problem p = parse_params(pairs, q); !p.ok()) {
        send_error(res, collector_error::bad_parameter, p.field, p.message());
        return;
    }
    const response_filter& filter = q.filter;
    const std::string& by = q.by;
    const bool by_time = q.by_time;
    json out = {{"by", by}};
    std::string error, why;
    bool from_rollups = false;
    if (!aggregate_from_rollups(st, q, out, from_rollups, why, error)) {
        st.metrics.storage_error(storage_op::read);
        send_error(res, collector_error::unavailable, "", error);
        return;
    }
    if (from_rollups) {
        st.metrics.aggregate_answered(aggregate_source::rollups);
    } else {
        // No rollup answers: a bounded scan of the rows in the range, scored by the core, and said.
        const size_t limit = st.desc.aggregate_scan_rows;
        response_store store(store_desc{.max_attribute_keys = st.desc.max_attribute_keys});
        size_t rows = 0;
        if (!scan_into_store(st, q, limit, filter.since_ms, filter.until_ms, false, store, rows, error)) {
            st.metrics.storage_error(storage_op::read);
            send_error(res, collector_error::unavailable, "", error);
            return;
        }
        if (rows > limit) {
            st.metrics.aggregate_answered(aggregate_source::refused);
            send_error(res, collector_error::scan_too_large, "",
                       "no rollup answers this filter (" + why + ") and it matches more than " + std::to_string(limit) +
                           " rows, the most a scan reads (--aggregate-scan-rows): narrow since/until or survey");
            return;
        }
        st.metrics.aggregate_answered(aggregate_source::scan);
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
        std::string note = "no rollup answers this filter (" + why + "): counted from " + std::to_string(rows) +
                           " rows scanned in the database (at most " + std::to_string(limit) + ")";
        if (std::string more = store.limits_note(); !more.empty()) note += "; " + more;
        out["note"] = std::move(note);
    }
    if (by_time) out["tz"] = q.utc_offset_minutes;
    res.set_header("Cache-Control", "no-store");
    res.set_content(out.dump(-1, ' ', false, json::error_handler_t::replace), "application/json");
}

// [SECTION] GET /v1/comments (the dashboard at scale): answers with a comment, newest first, a
// page at a time. since/until/segment/where follow the shared grammar (params.h); survey= and
// q= (text search, in the database) are this route's; `before` is the `next` token of the
// previous page: "<ts_ms>.<id>", the key (ts, id) the pages are ordered by, so a page starts
// strictly after the last item of the one before (no gap, no duplicate, also while answers
// arrive). `where` is checked with the core's matcher on the rows the database returns: the
// scan reads at most comments_scan_budget rows a request and then hands back a `next` token
// and a note, so an attribute condition that matches nothing costs a bounded request.
constexpr size_t comments_scan_budget = 20000;

void get_comments(collector_state& st, const http_request& req, http_response& res) {
    if (!require_read_key(st, req, res)) return;
    std::vector<param_pair> pairs;
    for (const auto& [name, value] : req.params)
        if (name != "q" && name != "limit" && name != "before" && name != "survey") pairs.emplace_back(name, value);
    query_params qp;
    if (param_problem p = parse_params(pairs, qp); !p.ok()) return send_error(res, collector_error::bad_parameter, p.field, p.message());
    uint64_t limit = 50;
    if (req.has_param("limit") && (!parse_cursor(req.param("limit"), limit) || limit < 1 || limit > 200))
        return send_error(res, collector_error::bad_parameter, "limit", "limit must be from 1 to 200");
    response_storage::comment_query cq;
    cq.since_ms = qp.filter.since_ms, cq.until_ms = qp.filter.until_ms, cq.segments = qp.filter.segments;
    cq.survey = req.param("survey"), cq.text = req.param("q");
    if (std::string before = req.param("before"); !before.empty()) {
        size_t dot = before.find('.');
        uint64_t ts = 0;
        if (dot == std::string::npos || dot + 1 == before.size() || !parse_cursor(before.substr(0, dot), ts) || ts > uint64_t(INT64_MAX))
            return send_error(res, collector_error::bad_parameter, "before", "before must be the next token of a previous page");
        cq.before_ts_ms = static_cast<int64_t>(ts), cq.before_id = before.substr(dot + 1);
    }
    const std::vector<attribute_filter>& conditions = qp.filter.attributes;
    json items = json::array();
    std::string error, next;
    size_t scanned = 0;
    bool budget_spent = false;
    response_filter match;  // only the conditions: the rest was the database's
    match.attributes = conditions;
    while (true) {
        // One more than the page tells whether a next page exists; with conditions read wider.
        cq.limit = conditions.empty() ? limit + 1 : std::max<size_t>(4 * limit, 500);
        std::vector<response_storage::comment_row> rows;
        if (!st.storage.read_comments(cq, rows, error)) {
            st.metrics.storage_error(storage_op::read);
            return send_error(res, collector_error::unavailable, "", error);
        }
        response_store one;
        for (const auto& row : rows) {
            ++scanned;
            if (items.size() == limit) {  // a further match exists: the page ends at the last item
                next = items.back()["next_key"].get<std::string>();
                break;
            }
            cq.before_ts_ms = row.ts_ms, cq.before_id = row.id;
            parse_result parsed = parse_response(std::string_view(row.json));
            if (!parsed.ok()) continue;
            if (!conditions.empty()) {
                one.clear();
                if (!row_matches(one, match, one.add(parsed.value))) continue;
            }
            json body = json::parse(row.json, nullptr, false);
            const response& r = parsed.value;
            json item = {{"id", r.id},
                         {"score", r.score},
                         {"segment", segment_name(segment_of(r.score))},
                         {"comment", r.comment.value_or("")},
                         {"created", format_timestamp(r.ts_ms)},
                         {"locale", r.locale ? json(*r.locale) : json(nullptr)},
                         {"survey", r.survey},
                         {"attributes", body.is_object() && body.contains("attributes") ? body["attributes"] : json::object()},
                         {"contact_ok", body.is_object() && body.contains("contact_ok") ? body["contact_ok"] : json(false)},
                         {"email", body.is_object() && body.contains("email") ? body["email"] : json(nullptr)},
                         {"next_key", std::to_string(row.ts_ms) + "." + row.id}};
            items.push_back(std::move(item));
        }
        if (!next.empty() || rows.size() < cq.limit) break;  // a page and more, or the end
        if (scanned >= comments_scan_budget) {
            budget_spent = true;
            next = std::to_string(cq.before_ts_ms) + "." + cq.before_id;
            break;
        }
    }
    for (json& item : items) item.erase("next_key");
    json out = {{"items", std::move(items)}, {"next", next.empty() ? json(nullptr) : json(next)}};
    if (budget_spent)
        out["note"] = "scanned " + std::to_string(scanned) +
                      " commented answers for the attribute conditions without filling the page: "
                      "ask for the next page to go on";
    res.set_header("Cache-Control", "no-store");
    res.set_content(out.dump(-1, ' ', false, json::error_handler_t::replace), "application/json");
}

// GET /v1/webhooks: each endpoint, its state and counts, its latest deliveries.
void get_webhooks(collector_state& st, const http_request& req, http_response& res) {
    if (!require_read_key(st, req, res)) return;
    uint64_t limit = 20;
    if (req.has_param("limit") && (!parse_cursor(req.param("limit"), limit) || limit < 1 || limit > 1000)) {
        send_error(res, collector_error::bad_parameter, "limit", "limit must be from 1 to 1000");
        return;
    }
    auto when = [](int64_t ms) { return ms > 0 ? json(format_timestamp(ms)) : json(nullptr); };
    json list = json::array();
    for (size_t i = 0; i < st.desc.webhooks.size(); ++i) {
        const webhook_endpoint_desc& e = st.desc.webhooks[i];
        std::string key = webhook_endpoint_key(e), error;
        outbox_endpoint_state state;
        std::vector<outbox_delivery> recent;
        if (!st.storage.outbox_endpoint(key, state, error) || !st.storage.outbox_recent(key, limit, recent, error)) {
            send_error(res, collector_error::unavailable, "", error);
            return;
        }
        json deliveries = json::array();
        for (const outbox_delivery& d : recent)
            deliveries.push_back(
                {{"id", std::to_string(d.id)},
                 {"webhook_id", d.webhook_id},
                 {"event", d.event},
                 {"response_id", d.response_id},
                 {"status", delivery_state_name(d.state)},
                 {"attempts", d.attempts},
                 {"last_status", d.last_status ? json(d.last_status) : json(nullptr)},
                 {"last_error", d.last_error.empty() ? json(nullptr) : json(d.last_error)},
                 {"created", when(d.created_ms)},
                 {"last_attempt", when(d.last_attempt_ms)},
                 {"next_attempt", d.state == delivery_state::pending ? when(std::max<int64_t>(d.next_ms, 1)) : json(nullptr)}});
        json item = {{"n", i + 1},
                     {"url", redact_url(e.url)},
                     {"format", e.format == webhook_format::slack ? "slack" : "standard"},
                     {"when", e.when},
                     {"state", state.disabled ? "disabled" : "active"},
                     {"counts", {{"pending", state.pending}, {"delivered", state.delivered}, {"failed", state.failed}}},
                     {"deliveries", std::move(deliveries)}};
        if (state.disabled) item["disabled"] = {{"reason", state.reason}, {"at", when(state.changed_ms)}};
        list.push_back(std::move(item));
    }
    res.set_header("Cache-Control", "no-store");
    res.set_content(json{{"endpoints", std::move(list)}}.dump(-1, ' ', false, json::error_handler_t::replace), "application/json");
}

// POST /v1/webhooks/{id}/replay: the delivery is pending again, due now, same webhook-id.
void post_webhook_replay(collector_state& st, const http_request& req, http_response& res) {
    if (!require_admin_key(st, req, res)) return;
    constexpr std::string_view prefix = "/v1/webhooks/", suffix = "/replay";
    std::string id_text = req.path.substr(prefix.size(), req.path.size() - prefix.size() - suffix.size());
    uint64_t id = 0;
    bool found = false;
    std::string endpoint, error;
    if (!parse_cursor(id_text, id)) return send_error(res, collector_error::delivery_not_found, "id");
    if (!st.storage.outbox_replay(id, now_ms(), found, endpoint, error)) return send_error(res, collector_error::unavailable, "", error);
    if (!found) return send_error(res, collector_error::delivery_not_found, "id");
    log_line({{"msg", "webhook delivery replayed"}, {"delivery", id_text}, {"ip", req.remote_addr}});
    if (st.webhooks) st.webhooks->wake();
    res.status = 202;
    res.set_content(json{{"id", id_text}, {"status", "pending"}}.dump(), "application/json");
}

// POST /v1/webhooks/endpoints/{n}/enable: a disabled endpoint (410) is active again.
void post_webhook_enable(collector_state& st, const http_request& req, http_response& res) {
    if (!require_admin_key(st, req, res)) return;
    constexpr std::string_view prefix = "/v1/webhooks/endpoints/", suffix = "/enable";
    std::string n_text = req.path.substr(prefix.size(), req.path.size() - prefix.size() - suffix.size());
    uint64_t n = 0;
    if (!parse_cursor(n_text, n) || n < 1 || n > st.desc.webhooks.size() || !st.webhooks)
        return send_error(res, collector_error::endpoint_not_found, "n");
    std::string error;
    if (!st.webhooks->enable(static_cast<size_t>(n - 1), error)) return send_error(res, collector_error::unavailable, "", error);
    log_line({{"msg", "webhook endpoint enabled"}, {"n", n}, {"url", redact_url(st.desc.webhooks[n - 1].url)}, {"ip", req.remote_addr}});
    res.set_content(json{{"n", n}, {"state", "active"}}.dump(), "application/json");
}

//-----------------------------------------------------------------------------
// Digest (digest.h): GET /v1/digest (read key), POST /v1/digest/send (admin key) and the
// schedule. A digest target is a webhook endpoint with `digest` set; its deliveries go through
// the outbox and the sender like the answers', with one webhook-id per period.
//-----------------------------------------------------------------------------
// The digest of a period is sent at 09:00 local on the day its period ends (a week ends on
// Monday 00:00): the latest period end whose 09:00 has passed.
constexpr int64_t digest_send_hour_ms = 9 * 3600 * 1000;
int64_t digest_due_end(digest_period p, int64_t now, int offset_minutes) {
    return digest_boundary_at_or_before(p, now - digest_send_hour_ms, offset_minutes);
}

// The follow-up list's open count (followup.h): every stored answer, one read of the rows in
// pages (the in-memory store keeps no ids), against the statuses, which people set by hand and
// so are few. A digest is computed once a period or on request, not per answer.
// The follow-up list's open count: its candidates from the rollups (the follow-up key's daily
// cells, rollups.h), less those a status other than "to do" closed (their rows read by id). A
// backend without rollups reads every row instead.
bool count_open_follow_ups(response_storage& storage, uint64_t& open, std::string& error) {
    std::vector<follow_up_mark> list;
    if (!storage.follow_up_list(INT64_MIN, -1, SIZE_MAX, list, error)) return false;
    follow_up_marks marks;
    for (follow_up_mark& m : list) marks[m.response_id] = std::move(m);
    response_storage::rollup_query q;
    q.attribute = std::string(rollup_follow_up_key);
    q.days = true;
    q.bucket = 0;
    std::vector<response_storage::rollup_count> counts;
    bool complete = false;
    if (storage.rollup_counts(q, counts, complete, error) && complete) {
        uint64_t candidates = 0;
        for (const auto& k : counts) candidates += k.n;
        std::vector<std::string> closed;
        for (const auto& [id, m] : marks)
            if (m.status != follow_up_status::todo) closed.push_back(id);
        std::vector<stored_response> rows;
        if (!storage.read_ids(closed, rows, error)) return false;
        uint64_t shut = 0;
        for (const stored_response& row : rows) {
            parse_result p = parse_response(std::string_view(row.json));
            follow_up_group g;
            if (p.ok() && follow_up_group_of(p.value, g)) ++shut;  // a candidate whose status closed it
        }
        open = candidates >= shut ? candidates - shut : 0;  // (a row written between the two reads)
        return true;
    }
    error.clear();
    open = 0;
    std::vector<stored_response> rows;
    for (uint64_t cursor = 0;;) {
        rows.clear();
        if (!storage.read_since(cursor, 20000, rows, error)) return false;
        for (const stored_response& row : rows) {
            parse_result p = parse_response(std::string_view(row.json));
            if (p.ok() && follow_up_is_open(p.value, marks)) ++open;
            cursor = row.cursor;
        }
        if (rows.size() < 20000) return true;
    }
}

// The digest reads its period and the one before from the rows (themes need the comments),
// at most this many; past it the digest fails, said in the log, rather than count a part.
constexpr size_t digest_scan_rows = 2'000'000;

bool compute_digest(collector_state& st, digest_period p, int64_t end_ms, int offset_minutes, digest& out, std::string& error) {
    uint64_t open = 0;
    if (!count_open_follow_ups(st.storage, open, error)) return false;
    query_params all;
    response_store store;
    size_t rows = 0;
    const int64_t length = digest_period_ms(p);
    if (!scan_into_store(st, all, digest_scan_rows, end_ms - 2 * length, end_ms, true, store, rows, error)) return false;
    if (rows > digest_scan_rows) {
        error = "the digest's two periods hold more than " + std::to_string(digest_scan_rows) + " rows";
        return false;
    }
    digest_desc dd;
    dd.period = p;
    dd.end_ms = end_ms;
    dd.utc_offset_minutes = offset_minutes;
    dd.open_follow_ups = open;
    out = build_digest(store, dd);
    return true;
}

struct digest_queued {
    size_t n = 0;  // 1-based endpoint number, as GET /v1/webhooks counts
    std::string webhook_id;
    uint64_t delivery = 0;
    bool inserted = false;
};

// Queues the digest of the period ending at end_ms for endpoint i (0-based), once per period.
bool queue_digest(collector_state& st, size_t i, int64_t end_ms, digest_queued& q, std::string& error) {
    const webhook_endpoint_desc& e = st.desc.webhooks[i];
    digest_period p = *parse_digest_period(e.digest);
    digest d;
    if (!compute_digest(st, p, end_ms, e.digest_offset_minutes, d, error)) return false;
    int64_t now = now_ms();
    outbox_delivery o;
    o.endpoint = webhook_endpoint_key(e);
    o.event = digest_event_name(p);
    // The period's first local day names it: a restart or a second collector makes the same id.
    o.webhook_id = o.event + "." + format_date(floor_div(d.since_ms + int64_t(e.digest_offset_minutes) * 60000, ms_per_day));
    o.created_ms = now;
    json payload = {{"type", o.event}, {"timestamp", format_timestamp(now)}, {"data", json::parse(digest_to_json(d))}};
    o.record_json = payload.dump(-1, ' ', false, json::error_handler_t::replace);
    q.n = i + 1;
    q.webhook_id = o.webhook_id;
    if (!st.storage.outbox_enqueue(o, now, q.inserted, q.delivery, error)) return false;
    if (q.inserted)
        log_line({{"msg", "digest queued"}, {"webhook_id", q.webhook_id}, {"url", redact_url(e.url)}, {"delivery", q.delivery}});
    if (st.webhooks) st.webhooks->wake();
    return true;
}

// GET /v1/digest?period=week|day&end=DATE&tz=+01:00: the digest JSON (with its text).
void get_digest(collector_state& st, const http_request& req, http_response& res) {
    if (!require_read_key(st, req, res)) return;
    digest_period p = digest_period::week;
    int offset = 0;
    if (req.has_param("period")) {
        std::optional<digest_period> v = parse_digest_period(req.param("period"));
        if (!v) return send_error(res, collector_error::bad_parameter, "period", "period must be day or week");
        p = *v;
    }
    if (req.has_param("tz") && !parse_utc_offset(req.param("tz"), offset))
        return send_error(res, collector_error::bad_parameter, "tz", std::string("tz ") + param_error_text(param_error::bad_offset));
    // Default: the latest complete period.
    int64_t end = digest_boundary_at_or_before(p, now_ms(), offset);
    if (req.has_param("end")) {
        std::optional<int64_t> v = parse_digest_end(req.param("end"), offset);
        if (!v)
            return send_error(res, collector_error::bad_parameter, "end", std::string("end ") + param_error_text(param_error::bad_time));
        end = *v;
    }
    digest d;
    std::string error;
    if (!compute_digest(st, p, end, offset, d, error)) {
        st.metrics.storage_error(storage_op::read);
        return send_error(res, collector_error::unavailable, "", error);
    }
    res.set_header("Cache-Control", "no-store");
    res.set_content(digest_to_json(d), "application/json");
}

// POST /v1/digest/send?end=DATE: queues the digest for every digest target now (the test hook
// that does not wait for Monday); end defaults to the period the schedule would send last.
void post_digest_send(collector_state& st, const http_request& req, http_response& res) {
    if (!require_admin_key(st, req, res)) return;
    // Checked before anything is queued (whether it parses does not depend on the offset).
    if (req.has_param("end") && !parse_digest_end(req.param("end"), 0))
        return send_error(res, collector_error::bad_parameter, "end", std::string("end ") + param_error_text(param_error::bad_time));
    json list = json::array();
    std::string error;
    for (size_t i = 0; i < st.desc.webhooks.size(); ++i) {
        const webhook_endpoint_desc& e = st.desc.webhooks[i];
        if (e.digest.empty()) continue;
        digest_period p = *parse_digest_period(e.digest);
        int64_t end = digest_due_end(p, now_ms(), e.digest_offset_minutes);
        if (req.has_param("end")) end = *parse_digest_end(req.param("end"), e.digest_offset_minutes);
        digest_queued q;
        if (!queue_digest(st, i, end, q, error)) return send_error(res, collector_error::unavailable, "", error);
        list.push_back({{"n", q.n}, {"webhook_id", q.webhook_id}, {"delivery", std::to_string(q.delivery)}, {"new", q.inserted}});
    }
    if (list.empty()) return send_error(res, collector_error::digest_not_configured);
    res.status = 202;
    res.set_content(json{{"queued", std::move(list)}}.dump(), "application/json");
}

// Wakes every 30 s; queues each target's due period once (the storage refuses a second copy).
// At start it queues the latest due period if it was never sent (the collector was down at 09:00).
class digest_scheduler {
public:
    explicit digest_scheduler(collector_state& st) : st_(st) {}
    ~digest_scheduler() { stop(); }
    void start() {
        bool any = false;
        for (const webhook_endpoint_desc& e : st_.desc.webhooks) any = any || !e.digest.empty();
        if (any) thread_ = std::thread([this] { run(); });
    }
    void stop() {
        {
            std::lock_guard<std::mutex> lock(mutex_);
            stopping_ = true;
        }
        cv_.notify_all();
        if (thread_.joinable()) thread_.join();
    }

private:
    void run() {
        std::vector<int64_t> done(st_.desc.webhooks.size(), INT64_MIN);
        std::unique_lock<std::mutex> lock(mutex_);
        while (!stopping_) {
            lock.unlock();
            for (size_t i = 0; i < st_.desc.webhooks.size(); ++i) {
                const webhook_endpoint_desc& e = st_.desc.webhooks[i];
                if (e.digest.empty()) continue;
                int64_t end = digest_due_end(*parse_digest_period(e.digest), now_ms(), e.digest_offset_minutes);
                if (end == done[i]) continue;
                digest_queued q;
                std::string error;
                if (queue_digest(st_, i, end, q, error))
                    done[i] = end;
                else
                    log_line({{"level", "error"}, {"msg", "cannot queue the digest"}, {"url", redact_url(e.url)}, {"error", error}});
            }
            lock.lock();
            cv_.wait_for(lock, std::chrono::seconds(30), [this] { return stopping_; });
        }
    }
    collector_state& st_;
    std::thread thread_;
    std::mutex mutex_;
    std::condition_variable cv_;
    bool stopping_ = false;
};

//-----------------------------------------------------------------------------
// Follow-up statuses (issue 15's follow-up list): beside the answer, never changing it.
//-----------------------------------------------------------------------------
json follow_up_json(const follow_up_mark& m) {
    return {{"id", m.response_id},
            {"status", follow_up_status_name(m.status)},
            {"by", m.by},
            {"at", format_timestamp(m.at_ms)},
            {"note", m.note}};
}

// PATCH /v1/responses/{id}/follow-up (admin key): {"status", "by", "note"?}; the answer's row,
// cursor and stream stay as they were.
void patch_follow_up(collector_state& st, const http_request& req, http_response& res) {
    if (!require_admin_key(st, req, res)) return;
    constexpr std::string_view prefix = "/v1/responses/", suffix = "/follow-up";
    follow_up_mark mark;
    mark.response_id = req.path.substr(prefix.size(), req.path.size() - prefix.size() - suffix.size());
    if (!is_valid_id(mark.response_id)) return send_error(res, collector_error::response_not_found, "id");
    if (media_type(req.header("Content-Type")) != "application/json")
        return send_error(res, collector_error::unsupported_media_type, "Content-Type", "send application/json");
    json body = json::parse(req.body, nullptr, false);
    if (body.is_discarded() || !body.is_object())
        return send_error(res, collector_error::bad_follow_up, "", "the body must be a JSON object (valid UTF-8)");
    for (auto it = body.begin(); it != body.end(); ++it)
        if (it.key() != "status" && it.key() != "by" && it.key() != "note")
            return send_error(res, collector_error::bad_follow_up, it.key(), it.key() + " is not a follow-up field (status, by, note)");
    const json* status = body.contains("status") ? &body["status"] : nullptr;
    if (!status || !status->is_string() || !parse_follow_up_status(status->get_ref<const std::string&>(), mark.status))
        return send_error(res, collector_error::bad_follow_up, "status", "status must be \"todo\", \"contacted\" or \"resolved\"");
    if (!body.contains("by") || !body["by"].is_string())
        return send_error(res, collector_error::bad_follow_up, "by", "by must be a string");
    mark.by = body["by"].get<std::string>();
    if (std::string why = check_follow_up_by(mark.by); !why.empty()) return send_error(res, collector_error::bad_follow_up, "by", why);
    if (body.contains("note")) {
        if (!body["note"].is_string()) return send_error(res, collector_error::bad_follow_up, "note", "note must be a string");
        mark.note = body["note"].get<std::string>();
        if (std::string why = check_follow_up_note(mark.note); !why.empty())
            return send_error(res, collector_error::bad_follow_up, "note", why);
    }
    mark.at_ms = now_ms();
    bool found = false;
    std::string error;
    if (!st.storage.follow_up_set(mark, found, error)) {
        st.metrics.storage_error(storage_op::write);
        return send_error(res, collector_error::unavailable, "", error);
    }
    if (!found) return send_error(res, collector_error::response_not_found, "id");
    log_line({{"msg", "follow-up set"}, {"id", mark.response_id}, {"status", follow_up_status_name(mark.status)}, {"ip", req.remote_addr}});
    res.set_header("Cache-Control", "no-store");
    res.set_content(follow_up_json(mark).dump(-1, ' ', false, json::error_handler_t::replace), "application/json");
}

// GET /v1/follow-ups (read key): statuses in the order they were set; status=, since= (RFC 3339), limit=.
void get_follow_ups(collector_state& st, const http_request& req, http_response& res) {
    if (!require_read_key(st, req, res)) return;
    int status = -1;
    if (req.has_param("status") && !req.param("status").empty()) {
        follow_up_status s{};
        if (!parse_follow_up_status(req.param("status"), s))
            return send_error(res, collector_error::bad_parameter, "status", "status must be todo, contacted or resolved");
        status = static_cast<int>(s);
    }
    int64_t since = 0;
    if (req.has_param("since") && !req.param("since").empty()) {
        std::optional<int64_t> t = parse_timestamp(req.param("since"));
        if (!t)
            return send_error(res, collector_error::bad_parameter, "since", "since must be an RFC 3339 timestamp (2026-01-31T12:00:00Z)");
        since = *t;
    }
    uint64_t limit = 10000;
    if (req.has_param("limit") && (!parse_cursor(req.param("limit"), limit) || limit < 1 || limit > 10000))
        return send_error(res, collector_error::bad_parameter, "limit", "limit must be from 1 to 10000");
    std::vector<follow_up_mark> marks;
    std::string error;
    if (!st.storage.follow_up_list(since, status, static_cast<size_t>(limit), marks, error)) {
        st.metrics.storage_error(storage_op::read);
        return send_error(res, collector_error::unavailable, "", error);
    }
    json items = json::array();
    for (const follow_up_mark& m : marks) items.push_back(follow_up_json(m));
    res.set_header("Cache-Control", "no-store");
    res.set_content(json{{"items", std::move(items)}}.dump(-1, ' ', false, json::error_handler_t::replace), "application/json");
}

bool ends_with(const std::string& s, std::string_view tail) {
    return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
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

//-----------------------------------------------------------------------------
// [SECTION] Static files
//-----------------------------------------------------------------------------
const char* mime_type(const std::filesystem::path& file) {
    static const std::map<std::string, const char*> types = {
        {".html", "text/html"},      {".htm", "text/html"},         {".css", "text/css"},         {".js", "text/javascript"},
        {".mjs", "text/javascript"}, {".json", "application/json"}, {".map", "application/json"}, {".wasm", "application/wasm"},
        {".svg", "image/svg+xml"},   {".png", "image/png"},         {".jpg", "image/jpeg"},       {".jpeg", "image/jpeg"},
        {".gif", "image/gif"},       {".webp", "image/webp"},       {".ico", "image/x-icon"},     {".txt", "text/plain"},
        {".csv", "text/csv"},        {".xml", "application/xml"},   {".woff", "font/woff"},       {".woff2", "font/woff2"},
        {".ttf", "font/ttf"},        {".pdf", "application/pdf"},   {".gz", "application/gzip"},  {".zip", "application/zip"}};
    auto it = types.find(lower(file.extension().string()));
    return it == types.end() ? "application/octet-stream" : it->second;
}

// A path below a mount: no "..", ".", empty-but-inner, NUL or backslash segment can climb out.
bool safe_sub_path(const std::string& sub) {
    if (sub.find('\0') != std::string::npos || sub.find('\\') != std::string::npos) return false;
    size_t start = 0;
    while (start < sub.size()) {
        size_t slash = sub.find('/', start);
        if (slash == std::string::npos) slash = sub.size();
        std::string_view seg(sub.data() + start, slash - start);
        if (seg == ".." || seg == ".") return false;
        start = slash + 1;
    }
    return true;
}

// --web at / (first folder with the file wins), --examples at /examples/; "dir/" is dir/index.html.
bool serve_file(const collector_desc& desc, const http_request& req, http_response& res) {
    std::vector<std::pair<std::string, std::string>> mounts;  // (folder, path below it)
    for (const std::string& dir : desc.web_dirs) mounts.emplace_back(dir, req.path);
    if (!desc.examples_dir.empty() && req.path.rfind("/examples/", 0) == 0) mounts.emplace_back(desc.examples_dir, req.path.substr(9));
    for (auto& [dir, sub] : mounts) {
        if (sub.empty() || sub[0] != '/' || !safe_sub_path(sub)) continue;
        std::string rel = sub.back() == '/' ? sub + "index.html" : sub;
        std::filesystem::path file = std::filesystem::path(dir) / rel.substr(1);
        std::error_code ec;
        if (!std::filesystem::is_regular_file(file, ec)) continue;
        std::ifstream in(file, std::ios::binary);
        if (!in) continue;
        std::ostringstream text;
        text << in.rdbuf();
        res.set_content(text.str(), mime_type(file));
        return true;
    }
    return false;
}

//-----------------------------------------------------------------------------
// [SECTION] Survey definitions (GET public, PUT / DELETE admin, versions and list read key)
//-----------------------------------------------------------------------------
constexpr size_t survey_actor_max = 64;
constexpr const char* survey_cache_control = "public, max-age=60, stale-while-revalidate=600, stale-if-error=86400";

// Strong: the SHA-256 of the stored bytes (first 128 bits), so equal bytes always match.
std::string survey_etag(const std::string& body) {
    unsigned char digest[SHA256_DIGEST_LENGTH];
    SHA256(reinterpret_cast<const unsigned char*>(body.data()), body.size(), digest);
    static const char hex[] = "0123456789abcdef";
    std::string out = "\"";
    for (int i = 0; i < 16; ++i) out += {hex[digest[i] >> 4], hex[digest[i] & 15]};
    return out + "\"";
}

// If-None-Match / If-Match: "*" or a comma-separated list of entity tags. If-None-Match
// compares weakly (RFC 9110 13.1.2: a W/ prefix is ignored); If-Match strongly.
bool etag_listed(const std::string& header, const std::string& etag, bool weak) {
    for (size_t i = 0; i < header.size();) {
        size_t end = header.find(',', i);
        if (end == std::string::npos) end = header.size();
        std::string t = header.substr(i, end - i);
        while (!t.empty() && (t.front() == ' ' || t.front() == '\t')) t.erase(0, 1);
        while (!t.empty() && (t.back() == ' ' || t.back() == '\t')) t.pop_back();
        if (weak && t.rfind("W/", 0) == 0) t.erase(0, 2);
        if (t == "*" || t == etag) return true;
        i = end + 1;
    }
    return false;
}

// `fields` as JSON with the stored definition spliced in byte for byte (nlohmann would sort its
// keys, and a PUT of what a version list shows must restore the very bytes, ETag included).
std::string with_definition(const json& fields, const std::string& body) {
    std::string out = fields.dump();
    out.pop_back();
    return out + (fields.empty() ? "" : ",") + "\"definition\":" + body + "}";
}

std::string survey_version_json(const survey_version& v, bool with_id) {
    json j;
    if (with_id) j["id"] = v.id;
    j.update({{"version", v.version}, {"by", v.actor}, {"at", format_timestamp(v.at_ms)}, {"deleted", v.deleted}});
    if (v.deleted) return j.dump();
    j["etag"] = survey_etag(v.body);
    return with_definition(j, v.body);
}

std::string joined(const char* key, const std::vector<std::string>& items, const json& head = json::object()) {
    std::string out = head.dump();
    out.pop_back();
    out += std::string(head.empty() ? "" : ",") + "\"" + key + "\":[";
    for (size_t i = 0; i < items.size(); ++i) out += (i ? "," : "") + items[i];
    return out + "]}";
}

void send_cacheable(const http_request& req, http_response& res, std::string body) {
    std::string etag = survey_etag(body);
    res.set_header("ETag", etag);
    res.set_header("Cache-Control", survey_cache_control);
    if (std::string inm = req.header("If-None-Match"); !inm.empty() && etag_listed(inm, etag, true)) {
        res.status = 304;
        return;
    }
    res.set_content(std::move(body), "application/json");
}

// GET /v1/surveys (read key): every current definition. ?app=NAME (public): only the ones of
// that app showing now (active, within start/end), ids and definitions only.
void get_surveys(collector_state& st, const http_request& req, http_response& res) {
    bool by_app = req.has_param("app");
    if (!by_app && !require_read_key(st, req, res)) return;
    std::string app = req.param("app");
    if (by_app && !is_valid_survey(app)) return send_error(res, collector_error::bad_parameter, "app", "app is 1-64 of A-Z a-z 0-9 _ . -");
    survey_store* store = st.storage.surveys();
    std::vector<survey_version> all;
    std::string error;
    if (!store || !store->list(all, error)) return send_error(res, collector_error::unavailable, "", store ? error : "no survey storage");
    std::vector<std::string> list;
    int64_t now = now_ms();
    for (const survey_version& v : all) {
        if (!by_app) {
            list.push_back(survey_version_json(v, true));
            continue;
        }
        std::string t;
        if (!tagged_from_json(v.body, t)) continue;
        tagged def(t);
        if (def.get("app").text() != app || !definition_showing(def, now)) continue;
        list.push_back(with_definition(json{{"id", v.id}}, v.body));
    }
    if (by_app) return send_cacheable(req, res, joined("surveys", list));
    res.set_header("Cache-Control", "no-store");
    res.set_content(joined("surveys", list), "application/json");
}

// /v1/surveys/{id} (GET public; PUT, DELETE admin) and /v1/surveys/{id}/versions (GET, read key).
void survey_route(collector_state& st, const http_request& req, http_response& res) {
    std::string id = req.path.substr(std::string_view("/v1/surveys/").size());
    bool versions = ends_with(id, "/versions");
    if (versions) id.resize(id.size() - std::string_view("/versions").size());
    bool get = req.method == "GET" || req.method == "HEAD";
    if (versions && !get) return send_error(res, collector_error::method_not_allowed);
    if (!get && !require_admin_key(st, req, res)) return;
    if (versions && !require_read_key(st, req, res)) return;
    if (!is_valid_survey(id)) return send_error(res, collector_error::not_found, "id", "no survey with this id");
    survey_store* store = st.storage.surveys();
    if (!store) return send_error(res, collector_error::unavailable, "", "no survey storage");
    std::string error;
    if (versions) {
        std::vector<survey_version> all;
        if (!store->versions(id, all, error)) return send_error(res, collector_error::unavailable, "", error);
        if (all.empty()) return send_error(res, collector_error::not_found, "id", "no survey with this id");
        std::vector<std::string> list;
        for (const survey_version& v : all) list.push_back(survey_version_json(v, false));
        res.set_header("Cache-Control", "no-store");
        return res.set_content(joined("versions", list, json{{"id", id}}), "application/json");
    }
    survey_version cur;
    bool found = false;
    if (!store->get(id, cur, found, error)) return send_error(res, collector_error::unavailable, "", error);
    if (get) {
        if (!found) return send_error(res, collector_error::not_found, "id", "no survey with this id");
        return send_cacheable(req, res, cur.body);
    }
    // A write: If-Match (optional) against the current version, then the check, then a new version.
    uint64_t expect = 0;
    if (std::string if_match = req.header("If-Match"); !if_match.empty()) {
        if (!found || !etag_listed(if_match, survey_etag(cur.body), false))
            return send_error(res, collector_error::precondition_failed, "If-Match");
        expect = cur.version;
    }
    survey_version v{id, 0, {}, req.header("X-Npskit-Actor"), now_ms(), req.method == "DELETE"};
    if (!v.deleted) {
        if (media_type(req.header("Content-Type")) != "application/json")
            return send_error(res, collector_error::unsupported_media_type, "Content-Type", "send the definition as application/json");
        std::vector<definition_error> problems = validate_definition(req.body);
        if (!problems.empty()) {
            json errors = json::array();
            for (const definition_error& e : problems)
                errors.push_back({{"code", definition_code_name(e.code)}, {"field", e.field}, {"message", e.message}});
            res.status = 400;
            return res.set_content(json{{"errors", errors}}.dump(), "application/json");
        }
        std::string t;
        tagged_from_json(req.body, t);
        if (v.actor.empty()) v.actor = std::string(tagged(t).get("by").text());
        v.body = req.body;
    }
    if (v.actor.size() > survey_actor_max || !is_valid_utf8(v.actor) ||
        std::any_of(v.actor.begin(), v.actor.end(), [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; }))
        return send_error(res, collector_error::bad_parameter, "X-Npskit-Actor", "who: at most 64 characters, no control characters");
    survey_write outcome = survey_write::done;
    if (!store->put(v, expect, outcome, error)) return send_error(res, collector_error::unavailable, "", error);
    if (outcome == survey_write::precondition_failed) return send_error(res, collector_error::precondition_failed, "If-Match");
    if (outcome == survey_write::not_found) return send_error(res, collector_error::not_found, "id", "no survey with this id");
    log_line({{"msg", v.deleted ? "survey deleted" : "survey stored"},
              {"survey", id},
              {"version", v.version},
              {"by", v.actor},
              {"ip", req.remote_addr}});
    json body{{"id", id}, {"version", v.version}, {"deleted", v.deleted}};
    if (!v.deleted) {
        body["etag"] = survey_etag(v.body);
        res.set_header("ETag", survey_etag(v.body));
    }
    res.status = outcome == survey_write::done && v.version == 1 ? 201 : 200;
    res.set_content(body.dump(), "application/json");
}

//-----------------------------------------------------------------------------
// [SECTION] Dispatch
//-----------------------------------------------------------------------------
// On the I/O thread: CORS and preflight, then the route. Storage reads and files run on a
// worker; writes go to the group commit; streams open here.
void handle(collector_state& st, const std::shared_ptr<http_exchange>& ex) {
    const http_request& req = ex->request();
    http_response res;
    bool get = req.method == "GET" || req.method == "HEAD";
    std::string origin = req.header("Origin");
    if (!origin.empty() && req.path.rfind("/v1/", 0) == 0) {
        bool allowed = st.access.origin_allowed(req, origin);
        if (allowed) {
            res.set_header("Access-Control-Allow-Origin", origin);
            res.set_header("Access-Control-Expose-Headers", "X-Next-Cursor, Retry-After, ETag");
        }
        res.set_header("Vary", "Origin");
        if (req.method == "OPTIONS") {
            if (!allowed) {
                send_error(res, collector_error::origin_not_allowed, "Origin");
            } else {
                res.status = 204;
                res.set_header("Access-Control-Allow-Methods", "GET, POST, PATCH, OPTIONS");  // PATCH: follow-up statuses
                res.set_header("Access-Control-Allow-Headers", "Content-Type, Authorization, Last-Event-ID, If-None-Match");
                res.set_header("Access-Control-Max-Age", "600");
            }
            return ex->respond(std::move(res));
        }
    }
    const std::string& path = req.path;
    if (path == "/v1/responses" && req.method == "POST") return post_response(st, ex, std::move(res));
    if (path == "/v1/stream" && get) return get_stream(st, ex, std::move(res));
    auto on_worker = [&st, ex](http_response r, void (*route)(collector_state&, const http_request&, http_response&)) {
        st.server->offload([&st, ex, r = std::move(r), route]() mutable {
            route(st, ex->request(), r);
            ex->respond(std::move(r));
        });
    };
    if (path == "/v1/responses" && get) return on_worker(std::move(res), get_responses);
    if (path == "/v1/aggregate" && get) return on_worker(std::move(res), get_aggregate);
    if (path == "/v1/comments" && get) return on_worker(std::move(res), get_comments);  // the dashboard at scale
    // Webhooks: the delivery log (read key); replay and re-enable (admin key).
    if (path == "/v1/webhooks" && get) return on_worker(std::move(res), get_webhooks);
    if (req.method == "POST" && path.rfind("/v1/webhooks/endpoints/", 0) == 0 && ends_with(path, "/enable") &&
        path.size() > std::string_view("/v1/webhooks/endpoints//enable").size() - 1)  // a number between them
        return on_worker(std::move(res), post_webhook_enable);
    if (req.method == "POST" && path.rfind("/v1/webhooks/", 0) == 0 && ends_with(path, "/replay") && path.size() > 20)
        return on_worker(std::move(res), post_webhook_replay);
    // Digest: the figures (read key); queue it now (admin key).
    if (path == "/v1/digest" && get) return on_worker(std::move(res), get_digest);
    if (path == "/v1/digest/send" && req.method == "POST") return on_worker(std::move(res), post_digest_send);
    // Follow-up statuses: set (admin key), list (read key).
    if (req.method == "PATCH" && path.rfind("/v1/responses/", 0) == 0 && ends_with(path, "/follow-up") &&
        path.size() > std::string_view("/v1/responses//follow-up").size())
        return on_worker(std::move(res), patch_follow_up);
    if (path == "/v1/follow-ups" && get) return on_worker(std::move(res), get_follow_ups);
    // Survey definitions.
    if (path == "/v1/surveys" && get) return on_worker(std::move(res), get_surveys);
    if (path.rfind("/v1/surveys/", 0) == 0 && (get || req.method == "PUT" || req.method == "DELETE"))
        return on_worker(std::move(res), survey_route);
    if (path == "/healthz" && get) {
        res.set_header("Cache-Control", "no-store");
        res.set_content(json{{"ok", true}, {"cursor", st.storage.last_cursor()}}.dump(), "application/json");
        return ex->respond(std::move(res));
    }
    // Prometheus scrapes with the read key (docs/deploy.md, "Metrics"); rendering reads atomics only.
    if (path == "/metrics" && get) {
        if (!require_read_key(st, req, res)) return ex->respond(std::move(res));
        res.set_header("Cache-Control", "no-store");
        metrics_snapshot snap{.cursor = st.storage.last_cursor(), .version = NPSKIT_VERSION, .start_time_seconds = st.started_at};
        res.set_content(st.metrics.render(snap), "text/plain; version=0.0.4; charset=utf-8");
        return ex->respond(std::move(res));
    }
    if (path.rfind("/v1/", 0) == 0 || path == "/healthz" || path == "/metrics") {
        send_error(res, collector_error::method_not_allowed);
        return ex->respond(std::move(res));
    }
    if (!get) {
        send_error(res, collector_error::not_found);
        return ex->respond(std::move(res));
    }
    on_worker(std::move(res), [](collector_state& s, const http_request& r, http_response& out) {
        if (serve_file(s.desc, r, out)) return;
        for (const char* dir : {"/dashboard", "/examples", "/examples/saas-demo"})
            if (r.path == dir) {
                out.status = 301;
                out.set_header("Location", std::string(dir) + "/");
                return;
            }
        if (r.path == "/") return out.set_content(index_page, "text/html; charset=utf-8");
        send_error(out, collector_error::not_found);
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
    log_line({{"msg", "seeded demo data"},
              {"responses", stats.responses},
              {"shown", stats.shown},
              {"dismissed", stats.dismissed},
              {"from", format_timestamp(stats.first_ms)},
              {"to", format_timestamp(stats.last_ms)},
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

    std::string error;
    std::string db;  // as the log names it (describe() would say the same)
    std::unique_ptr<response_storage> storage = open_storage(desc.db_path, desc.synchronous_full, db, error);
    if (!storage) {
        log_line({{"level", "error"}, {"msg", "cannot open the database"}, {"db", db}, {"error", error}});
        return 1;
    }
    if (desc.seed_demo > 0 && !seed_demo(*storage, desc)) return 1;

    // Webhooks: the router is set after seeding (demo rows announce nothing) and before any
    // write; declared before the committer, which wakes it, so it outlives it.
    std::unique_ptr<webhook_sender> webhooks;
    webhook_sender_desc wd;
    wd.endpoints = desc.webhooks;
    wd.retry_scale = desc.webhook_retry_scale;
    wd.keep_ms = desc.webhook_keep_ms;
    wd.keep_count = desc.webhook_keep;
    wd.yield_ms = desc.webhook_yield_ms;
    wd.log = [](const std::string& level, const std::string& msg, const std::string& endpoint, const std::string& detail) {
        log_line({{"level", level}, {"msg", msg}, {"url", endpoint}, {"detail", detail}});
    };
    if (!desc.webhooks.empty()) {
        webhooks = std::make_unique<webhook_sender>(*storage, wd);
        if (!storage->set_outbox_router(webhooks->router(), error)) {
            log_line({{"level", "error"}, {"msg", "cannot use webhooks with this storage"}, {"error", error}});
            return 1;
        }
    }

    auto metrics = std::make_unique<collector_metrics>();  // ~150 KB of counters: not on the stack
    metrics->set_rows(storage->row_count());
    change_feed feed;
    feed.publish(storage->last_cursor());
    group_committer committer(*storage, feed, *metrics);
    if (webhooks) {
        committer.after_commit = [w = webhooks.get()] { w->wake(); };
        committer.on_saturated = [w = webhooks.get()] { w->ingest_saturated(); };
    }
    rate_limiter limiter(desc.rate, desc.burst);
    stream_hub hub(*storage, feed);
    // Other collectors' commits (PostgreSQL) wake this one's streams like its own do.
    storage->watch([&feed](uint64_t cursor) { feed.publish(cursor); });
    struct unwatch {  // on every way out, before feed goes
        response_storage& s;
        ~unwatch() { s.watch({}); }
    } unwatch_on_exit{*storage};
    auth_failures failures(desc.max_read_failures);
    collector_state st{desc,
                       *storage,
                       feed,
                       committer,
                       limiter,
                       hub,
                       nullptr,
                       {desc.origins, desc.read_key, desc.admin_key},
                       failures,
                       *metrics,
                       static_cast<double>(now_ms()) / 1000};
    bool generated_key = st.access.read_key.empty();
    if (generated_key) st.access.read_key = random_key();

    http_server_desc hd;
    hd.bind = desc.bind;
    hd.port = desc.port;
    hd.limits = desc.limits;
    hd.limits.body_bytes = schema_limits{}.max_body_bytes;
    hd.limits.idle_ms = desc.timeout_seconds * 1000;
    // --threads and --max-streams keep their old meaning for the stream cap (threads − 16).
    if (desc.max_streams > 0)
        hd.limits.streams = static_cast<size_t>(desc.max_streams);
    else if (desc.threads > 0)
        hd.limits.streams = static_cast<size_t>(std::max(1, desc.threads - 16));
    hd.limits = with_defaults(hd.limits);
    hd.workers = desc.threads > 0 ? std::min(desc.threads, 64) : 4;
    hd.io_threads = desc.io_threads;
    // Stored text is data: no browser may sniff a JSON answer (or an echoed field name) as HTML.
    hd.default_headers = {{"X-Content-Type-Options", "nosniff"}};
    hd.handler = [&st](std::shared_ptr<http_exchange> ex) { handle(st, ex); };
    hd.log = [&st](const http_request& req, int status, double ms, size_t out) {
        st.metrics.request(req.method, req.path, status, ms / 1000);
        if (st.desc.log_requests) {
            json line = {{"msg", "request"},
                         {"method", req.method},
                         {"path", req.path},
                         {"status", status},
                         {"ms", std::round(ms * 100) / 100},
                         {"ip", req.remote_addr},
                         {"in", req.body.size()},
                         {"out", out}};
            // Behind a trusted proxy: the client it names (what the rate limit counts).
            if (std::string client = client_of(st, req); client != req.remote_addr) line["client"] = client;
            log_line(line);
        }
    };
    hd.log_refusal = [](std::string_view what, const std::string& ip) {
        log_line({{"level", "warn"}, {"msg", "connection refused"}, {"code", what}, {"ip", ip}});
    };
    http_server server(hd);
    st.server = &server;
    hub.server = &server;
    int port = server.listen(error);
    if (port <= 0) {
        log_line({{"level", "error"},
                  {"msg", "cannot listen (is the port in use, or the address not local?)"},
                  {"bind", desc.bind},
                  {"port", desc.port},
                  {"error", error}});
        return 1;
    }

    if (webhooks) {
        // The slack link needs the port, known now.
        std::string host = desc.bind == "0.0.0.0" ? "127.0.0.1" : desc.bind;
        wd.dashboard_url = desc.dashboard_url.empty() ? "http://" + host + ":" + std::to_string(port) + "/dashboard/" : desc.dashboard_url;
        if (!webhooks->start(wd.dashboard_url, error)) {
            log_line({{"level", "error"}, {"msg", "cannot start the webhook sender"}, {"error", error}});
            return 1;
        }
        st.webhooks = webhooks.get();
    }
    digest_scheduler digests(st);  // after the sender: its deliveries wake it
    digests.start();

    std::atomic<bool> serving_done{false};
    std::thread signal_thread([&] {
        int sig = 0;
        sigwait(&stop_signals, &sig);
        if (serving_done) return;
        log_line({{"msg", "stopping"}, {"signal", sig == SIGINT ? "SIGINT" : "SIGTERM"}});
        hub.stop();  // ends every stream
        server.stop();
    });

    std::string host = desc.bind == "0.0.0.0" ? "127.0.0.1" : desc.bind;
    const http_limits& l = hd.limits;
    json started = {{"msg", "listening"},
                    {"url", "http://" + host + ":" + std::to_string(port) + "/"},
                    {"bind", desc.bind},
                    {"port", port},
                    {"db", storage->describe()},
                    {"cursor", storage->last_cursor()},
                    {"threads", hd.workers},
                    {"io_threads", hd.io_threads},
                    {"rate", desc.rate},
                    {"burst", desc.burst},
                    {"origins", desc.origins},
                    {"connections", server.connection_capacity()},
                    {"limits",
                     {{"header_bytes", l.header_bytes},
                      {"header_count", l.header_count},
                      {"request_line_bytes", l.request_line_bytes},
                      {"body_bytes", l.body_bytes},
                      {"request_ms", l.request_ms},
                      {"idle_ms", l.idle_ms},
                      {"write_ms", l.write_ms},
                      {"connections", l.connections},
                      {"connections_per_address", l.connections_per_address},
                      {"streams", l.streams},
                      {"streams_per_address", l.streams_per_address},
                      {"accept_backlog", l.accept_backlog}}}};
    // A key the operator did not choose must be shown once, or nobody could read.
    started["read_key"] = generated_key ? st.access.read_key : std::string("(from --read-key)");
    started["admin_key"] = desc.admin_key.empty() ? "(none: admin routes are off)" : "(from --admin-key)";
    json hooks = json::array();
    for (const webhook_endpoint_desc& e : desc.webhooks)
        hooks.push_back(
            {{"url", redact_url(e.url)}, {"format", e.format == webhook_format::slack ? "slack" : "standard"}, {"when", e.when}});
    started["webhooks"] = std::move(hooks);
    // Before the listening line: whoever waits for that line has the warning too.
    bool loopback = desc.bind.rfind("127.", 0) == 0 || desc.bind == "::1" || desc.bind == "localhost";
    if (loopback && desc.rate > 0 && desc.trusted_proxies.empty())
        log_line({{"level", "warn"},
                  {"msg",
                   "listening on loopback with a rate limit and no --trusted-proxy: behind a reverse proxy every client shares one bucket "
                   "(start with --trusted-proxy 127.0.0.1/32)"},
                  {"bind", desc.bind},
                  {"rate", desc.rate}});

    log_line(started);
    server.run();
    serving_done = true;
    bool by_signal = feed.stopping();
    if (!by_signal) pthread_kill(signal_thread.native_handle(), SIGTERM);  // wake it to end
    signal_thread.join();
    hub.stop();
    committer.stop();
    digests.stop();
    if (webhooks) webhooks->stop();
    log_line({{"msg", "stopped"}, {"cursor", storage->last_cursor()}});
    return 0;
}

}  // namespace npskit
