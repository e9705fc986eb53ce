// npskit collector: signed webhooks from the storage's outbox (storage.h), per the Standard
// Webhooks specification (https://www.standardwebhooks.com/). docs/http-api.md is the contract.
// [X] webhook-id / webhook-timestamp / webhook-signature (v1, HMAC-SHA256 from OpenSSL)
// [X] the spec's retry schedule with jitter, Retry-After, 2xx only, no redirects, 410 disables
// [X] filters in the core's condition grammar (params.h) plus score, comment, contact, survey
// [X] slack format ({"text"}), at most one message a second per endpoint
// [X] one sender thread per endpoint: a receiver that hangs holds only its own deliveries
// [X] finished deliveries pruned by age and count (keep_ms, keep_count)
// [X] deliveries wait while ingestion is saturated, at most yield_ms (ingest_saturated())
// [ ] HTTP-date Retry-After (seconds only), proxies of its own (libcurl's env proxy applies)
//
// [SECTION] Signing (pure)
// [SECTION] Filters (pure)
// [SECTION] Endpoints: flags and the --webhooks file
// [SECTION] Payloads and the retry schedule (pure)
// [SECTION] Sender
#pragma once
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "query.h"
#include "schema.h"
#include "storage.h"
#include "store.h"

namespace npskit {

//-----------------------------------------------------------------------------
// [SECTION] Signing
//-----------------------------------------------------------------------------
// "whsec_<base64>" → the raw key bytes. false when the prefix or the base64 is wrong, or the
// key is not 16 to 64 bytes (the spec recommends 24 to 64).
bool decode_webhook_secret(std::string_view secret, std::string& key);
// "v1,<base64 HMAC-SHA256(key, id + "." + timestamp + "." + body)>".
std::string sign_webhook(std::string_view key, std::string_view id, int64_t timestamp_s, std::string_view body);

//-----------------------------------------------------------------------------
// [SECTION] Filters
//-----------------------------------------------------------------------------
// Which answers an endpoint gets. Written as pairs joined by '&' (docs/http-api.md), read by
// the core's grammar (params.h: segment, where, a., xa.) into its response_filter, plus:
//   score=0-6 | score=10     the score range
//   comment=yes | no         a non-empty comment, or none
//   contact_ok=yes | no      = where=contact_ok=true | where=contact_ok!=true
//   survey=nps|onboarding    = where=survey=nps|onboarding
// A row matches as the core's row_matches() says (the same rule as /v1/aggregate and the
// dashboard), evaluated on a one-row store, and the score range.
struct webhook_filter {
    response_filter rows;               // the core's filter (segments, conditions, with_comment)
    int min_score = 0, max_score = 10;  // inclusive
    bool without_comment = false;       // comment=no
};
// "" is "every answer". false and a sentence in `error` for a bad pair.
bool parse_webhook_filter(std::string_view when, webhook_filter& out, std::string& error);
bool webhook_matches(const webhook_filter& f, const response& r);  // false for display events
// The same with `r` already added to a store of its own (one per row for every endpoint).
bool webhook_matches(const webhook_filter& f, const response& r, const response_store& one_row);
// Whether the filter needs the one-row store (attribute conditions or a text); else
// webhook_matches(f, r, empty_store) decides from the record alone.
bool webhook_filter_needs_store(const webhook_filter& f);

//-----------------------------------------------------------------------------
// [SECTION] Endpoints
//-----------------------------------------------------------------------------
enum class webhook_format : uint8_t { standard, slack };

struct webhook_endpoint_desc {
    std::string url;     // http:// or https:// only
    std::string secret;  // whsec_…; required for standard, optional for slack (then unsigned)
    webhook_format format = webhook_format::standard;
    std::string when;  // the filter as written
    webhook_filter filter;
    // A digest target (--digest, digest.h): "daily" | "weekly" gets only the digest, no
    // answer; "" is an answer endpoint. Days start at midnight in this UTC offset.
    std::string digest;
    int digest_offset_minutes = 0;
};

// The key an endpoint's deliveries and state are kept under: 16 hex digits of SHA-256(url).
std::string endpoint_key(std::string_view url);
// An endpoint's key: endpoint_key(url), or of "url#digest.weekly" for a digest target, so a
// URL that takes both answers and the digest keeps two states.
std::string webhook_endpoint_key(const webhook_endpoint_desc& e);
// The URL with what may be a credential replaced by "***": user:password, the query, and path
// segments of 16 or more token-like characters (Slack's /services/T…/B…/secret).
std::string redact_url(std::string_view url);
// Checks an endpoint (URL scheme, secret, filter already parsed): "" or a sentence.
std::string check_endpoint(const webhook_endpoint_desc& e);
// The --webhooks FILE: a JSON list of {"url", "secret"?, "format"? ("standard"|"slack"),
// "when"?}. Appends to `out`; false and a sentence on the first problem.
bool read_webhooks_file(const std::string& path, std::vector<webhook_endpoint_desc>& out, std::string& error);

//-----------------------------------------------------------------------------
// [SECTION] Payloads and the retry schedule
//-----------------------------------------------------------------------------
inline constexpr size_t webhook_payload_limit = 20 * 1024;  // bytes; attributes go first above it
// {"type":event,"timestamp":RFC 3339 of created_ms,"data":{record…,"segment":…}}
std::string webhook_payload(std::string_view event, int64_t created_ms, std::string_view record_json);
// A digest delivery's record_json is its whole standard payload ({"type":"digest.weekly",
// "timestamp","data":{digest JSON with "text"}}): sent as is, or as {"text": data.text} to Slack.
// {"text":…}: one line block per record (score, segment, comment, attributes, a dashboard link).
std::string slack_payload(const std::vector<const outbox_delivery*>& deliveries, std::string_view dashboard_url);

// The spec's schedule: attempt 1 at once, then after 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h.
inline constexpr int webhook_max_attempts = 8;
// Milliseconds to wait after `attempts_made` failed attempts (1..), or -1: give up. `jitter` in
// [0, 1) spreads it by ±20 %; a Retry-After (ms, 0 = none) longer than the schedule wins;
// `scale` multiplies both (tests only: --webhook-retry-scale).
int64_t webhook_retry_delay_ms(int attempts_made, double jitter, int64_t retry_after_ms, double scale = 1);

//-----------------------------------------------------------------------------
// [SECTION] Sender
//-----------------------------------------------------------------------------
struct webhook_sender_desc {
    std::vector<webhook_endpoint_desc> endpoints;
    std::string dashboard_url;  // slack links: "<url>#range=DAY..DAY"
    double retry_scale = 1;     // tests only
    int timeout_ms = 15000;     // one attempt, connect to last byte
    // Pruning: an endpoint's finished deliveries (delivered or failed) are kept for keep_ms after
    // their last attempt, and at most keep_count of them (the newest, which GET /v1/webhooks
    // lists); pending ones and digests always stay. --webhook-keep-days, --webhook-keep.
    int64_t keep_ms = 7LL * 24 * 3600 * 1000;
    uint64_t keep_count = 10000;
    // While ingestion is saturated (ingest_saturated() called within the last 200 ms), each
    // endpoint's deliveries wait, for at most yield_ms from the start of the saturation; then they
    // go out as usual until it has ended for a second. A burst then costs ingestion the outbox
    // rows only; a longer one costs the deliveries too (BENCHMARKS.md, webhooks). 0: never wait.
    int64_t yield_ms = 10000;
    std::function<void(const std::string& level, const std::string& msg, const std::string& endpoint, const std::string& detail)> log;
};

// One thread per endpoint: takes its due deliveries from storage, sends, records the outcome.
class webhook_sender {
public:
    webhook_sender(response_storage& storage, webhook_sender_desc desc);
    ~webhook_sender();
    webhook_sender(const webhook_sender&) = delete;
    webhook_sender& operator=(const webhook_sender&) = delete;

    // Loads each endpoint's state and starts the threads; false: the storage has no outbox.
    // dashboard_url: replaces desc.dashboard_url when not empty.
    bool start(const std::string& dashboard_url, std::string& error);
    void wake();  // new deliveries may be due (after a commit, a replay, an enable)
    // The writer was busy most of its last window (server.cpp's committer): deliveries wait.
    void ingest_saturated();
    void stop();  // ends every thread (an attempt in flight is aborted)
    // Re-enables endpoint n (0-based) in storage and here.
    bool enable(size_t n, std::string& error);
    const webhook_sender_desc& desc() const { return desc_; }
    // The router write() calls (storage.h): keys of the endpoints whose filter takes the row.
    outbox_router router() const;

private:
    struct endpoint_run;
    void run(endpoint_run& e);
    bool sleep_until(endpoint_run& e, int64_t until_ms);
    void prune(endpoint_run& e);

    response_storage& storage_;
    webhook_sender_desc desc_;
    std::vector<std::unique_ptr<endpoint_run>> runs_;
    std::mutex mutex_;
    std::condition_variable cv_;
    uint64_t wakes_ = 0;
    std::atomic<bool> stopping_{false};
    std::atomic<int64_t> saturated_at_ms_{0};
};

}  // namespace npskit
