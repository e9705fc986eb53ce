// npskit collector: signed webhooks (see webhooks.h).
//
// [SECTION] Signing
// [SECTION] Filters
// [SECTION] Endpoints
// [SECTION] Payloads and the retry schedule
// [SECTION] Sender: one HTTP attempt (libcurl)
// [SECTION] Sender: the per-endpoint loop
#include "webhooks.h"

#include <curl/curl.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <pthread.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <random>
#include <sstream>

#include <nlohmann/json.hpp>

#include "calendar.h"
#include "params.h"
#include "score.h"
#include "store.h"

namespace npskit {

namespace {
int64_t wall_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}
}  // namespace

//-----------------------------------------------------------------------------
// [SECTION] Signing
//-----------------------------------------------------------------------------
bool decode_webhook_secret(std::string_view secret, std::string& key) {
    constexpr std::string_view prefix = "whsec_";
    if (secret.substr(0, prefix.size()) != prefix) return false;
    std::string_view b64 = secret.substr(prefix.size());
    if (b64.empty() || b64.size() % 4 != 0 || b64.size() > 1024) return false;
    std::string out(b64.size() / 4 * 3, '\0');
    int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()), reinterpret_cast<const unsigned char*>(b64.data()),
                            static_cast<int>(b64.size()));
    if (n < 0) return false;
    // EVP_DecodeBlock counts the padding as zero bytes.
    size_t pad = b64.size() >= 2 && b64[b64.size() - 2] == '=' ? 2 : b64.back() == '=' ? 1 : 0;
    out.resize(static_cast<size_t>(n) - pad);
    if (out.size() < 16 || out.size() > 64) return false;
    key = std::move(out);
    return true;
}

namespace {
// OpenSSL 3's one-shot HMAC() fetches the algorithm and sets the key on every call: each thread
// keeps one context for its last key (a sender thread has one) and re-initialises it with the key
// it holds (EVP_MAC_init with no key).
struct hmac_cache {
    EVP_MAC* mac = nullptr;
    EVP_MAC_CTX* ctx = nullptr;
    std::string key;
    ~hmac_cache() {
        EVP_MAC_CTX_free(ctx);
        EVP_MAC_free(mac);
    }
};
}  // namespace

std::string sign_webhook(std::string_view key, std::string_view id, int64_t timestamp_s, std::string_view body) {
    thread_local hmac_cache c;
    if (!c.mac) c.mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
    bool ok = c.mac != nullptr;
    if (ok && (!c.ctx || c.key != key)) {
        EVP_MAC_CTX_free(c.ctx);
        c.ctx = EVP_MAC_CTX_new(c.mac);
        char digest[] = "SHA256";
        OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0), OSSL_PARAM_construct_end()};
        ok = c.ctx && EVP_MAC_init(c.ctx, reinterpret_cast<const unsigned char*>(key.data()), key.size(), params) == 1;
        c.key = ok ? std::string(key) : std::string();
    } else if (ok) {
        ok = EVP_MAC_init(c.ctx, nullptr, 0, nullptr) == 1;
    }
    const std::string ts = std::to_string(timestamp_s);
    auto update = [&](std::string_view part) {
        ok = ok && EVP_MAC_update(c.ctx, reinterpret_cast<const unsigned char*>(part.data()), part.size()) == 1;
    };
    update(id), update("."), update(ts), update("."), update(body);
    unsigned char mac[EVP_MAX_MD_SIZE];
    size_t mac_len = 0;
    ok = ok && EVP_MAC_final(c.ctx, mac, &mac_len, sizeof mac) == 1;
    if (!ok) {  // out of memory or no HMAC provider: a signature no receiver accepts, never a wrong key's
        c.key.clear();
        return "v1,";
    }
    std::string b64(4 * ((mac_len + 2) / 3) + 1, '\0');
    int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(b64.data()), mac, static_cast<int>(mac_len));
    b64.resize(static_cast<size_t>(n));
    return "v1," + b64;
}

//-----------------------------------------------------------------------------
// [SECTION] Filters
//-----------------------------------------------------------------------------
namespace {
bool parse_yes_no(std::string_view v, bool& out) {
    if (v == "yes" || v == "true") return out = true, true;
    if (v == "no" || v == "false") return out = false, true;
    return false;
}
bool parse_score(std::string_view v, int& out) {
    if (v.empty() || v.size() > 2) return false;
    int n = 0;
    for (char c : v) {
        if (c < '0' || c > '9') return false;
        n = n * 10 + (c - '0');
    }
    if (n > 10) return false;
    out = n;
    return true;
}
}  // namespace

bool parse_webhook_filter(std::string_view when, webhook_filter& out, std::string& error) {
    out = {};
    query_params q;
    size_t start = 0;
    while (start < when.size()) {
        size_t amp = when.find('&', start);
        if (amp == std::string_view::npos) amp = when.size();
        std::string_view pair = when.substr(start, amp - start);
        start = amp + 1;
        while (!pair.empty() && pair.front() == ' ') pair.remove_prefix(1);
        while (!pair.empty() && pair.back() == ' ') pair.remove_suffix(1);
        if (pair.empty()) continue;
        size_t eq = pair.find('=');
        if (eq == std::string_view::npos) {
            error = "'" + std::string(pair) + "' must be NAME=VALUE (segment, where, score, comment, contact_ok, survey)";
            return false;
        }
        std::string_view name = pair.substr(0, eq), value = pair.substr(eq + 1);
        if (name == "score") {
            size_t dash = value.find('-');
            int lo = 0, hi = 0;
            bool ok = dash == std::string_view::npos ? parse_score(value, lo) && (hi = lo, true)
                                                     : parse_score(value.substr(0, dash), lo) && parse_score(value.substr(dash + 1), hi);
            if (!ok || lo > hi) {
                error = "score must be a score or a range such as 0-6 or 9-10 (got '" + std::string(value) + "')";
                return false;
            }
            out.min_score = lo, out.max_score = hi;
        } else if (name == "comment" || name == "contact_ok") {
            bool yes = false;
            if (!parse_yes_no(value, yes)) {
                error = std::string(name) + " must be yes or no (got '" + std::string(value) + "')";
                return false;
            }
            if (name == "comment") {
                q.filter.with_comment = yes;
                out.without_comment = !yes;
            } else {
                // The field is stored as the attribute contact_ok (true/false): the core's condition.
                attribute_filter f{"contact_ok", {"true"}, !yes};
                add_condition(q.filter.attributes, std::move(f));
            }
        } else if (name == "survey") {
            auto f = parse_condition("survey=" + std::string(value));
            if (!f || value.empty()) {
                error = "survey must be one or more survey ids separated by | (got '" + std::string(value) + "')";
                return false;
            }
            add_condition(q.filter.attributes, std::move(*f));
        } else if (name == "segment" || name == "where" || name == "seg" || name.substr(0, 2) == "a." || name.substr(0, 3) == "xa.") {
            param_problem p = apply_param(q, name, value);
            if (!p.ok()) {
                error = p.message();
                return false;
            }
        } else {
            error = "'" + std::string(name) + "' is not a webhook condition (segment, where, score, comment, contact_ok, survey)";
            return false;
        }
    }
    out.rows = std::move(q.filter);
    return true;
}

bool webhook_filter_needs_store(const webhook_filter& f) { return !f.rows.attributes.empty() || !f.rows.text.empty(); }

bool webhook_matches(const webhook_filter& f, const response& r, const response_store& one_row) {
    if (r.type != event_type::response || r.score < f.min_score || r.score > f.max_score) return false;
    if (f.without_comment && r.comment && !r.comment->empty()) return false;
    if (!webhook_filter_needs_store(f)) {
        // Segments and with_comment read the record itself (the answer is always in the range:
        // a filter has no time bounds), so the common filters cost no store per answer.
        if (!(f.rows.segments & (1u << static_cast<unsigned>(segment_of(r.score))))) return false;
        return !f.rows.with_comment || (r.comment && !r.comment->empty());
    }
    // The core's rule on a one-row store: the same answer as /v1/aggregate gives for this row.
    return row_matches(one_row, f.rows, 0);
}

bool webhook_matches(const webhook_filter& f, const response& r) {
    response_store one(store_desc{});
    one.add(r);
    return webhook_matches(f, r, one);
}

//-----------------------------------------------------------------------------
// [SECTION] Endpoints
//-----------------------------------------------------------------------------
std::string webhook_endpoint_key(const webhook_endpoint_desc& e) {
    return e.digest.empty() ? endpoint_key(e.url) : endpoint_key(e.url + "#digest." + e.digest);
}

std::string endpoint_key(std::string_view url) {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    EVP_Digest(url.data(), url.size(), md, &n, EVP_sha256(), nullptr);
    static const char hex[] = "0123456789abcdef";
    std::string out;
    for (unsigned int i = 0; i < 8 && i < n; ++i) {
        out += hex[md[i] >> 4];
        out += hex[md[i] & 15];
    }
    return out;
}

std::string redact_url(std::string_view url) {
    size_t scheme = url.find("://");
    if (scheme == std::string_view::npos) return "***";
    std::string out(url.substr(0, scheme + 3));
    std::string_view rest = url.substr(scheme + 3);
    size_t path_at = rest.find_first_of("/?#");
    std::string_view authority = rest.substr(0, path_at);
    if (size_t at = authority.rfind('@'); at != std::string_view::npos) {
        out += "***@";
        authority = authority.substr(at + 1);
    }
    out += authority;
    if (path_at == std::string_view::npos) return out;
    rest = rest.substr(path_at);
    size_t query_at = rest.find_first_of("?#");
    std::string_view path = rest.substr(0, query_at);
    size_t start = 0;
    while (start < path.size()) {
        size_t slash = path.find('/', start + 1);
        if (slash == std::string_view::npos) slash = path.size();
        std::string_view seg = path.substr(start + 1, slash - start - 1);
        bool token = seg.size() >= 16 && std::all_of(seg.begin(), seg.end(), [](char c) {
                         return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '-';
                     });
        out += '/';
        out += token ? std::string_view("***") : seg;
        start = slash;
    }
    if (query_at != std::string_view::npos && rest[query_at] == '?') out += "?***";
    return out;
}

std::string check_endpoint(const webhook_endpoint_desc& e) {
    if (e.url.rfind("http://", 0) != 0 && e.url.rfind("https://", 0) != 0)
        return "a webhook URL must start with http:// or https:// (got '" + redact_url(e.url) + "')";
    if (e.url.size() > 2048) return "a webhook URL must be at most 2048 characters";
    std::string key;
    if (e.secret.empty()) {
        if (e.format == webhook_format::standard)
            return "the webhook " + redact_url(e.url) + " needs a --webhook-secret whsec_… (receivers verify the signature with it)";
    } else if (!decode_webhook_secret(e.secret, key)) {
        return "a webhook secret must be whsec_ followed by the base64 of 16 to 64 random bytes";
    }
    return {};
}

bool read_webhooks_file(const std::string& path, std::vector<webhook_endpoint_desc>& out, std::string& error) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        error = "cannot read " + path;
        return false;
    }
    std::stringstream text;
    text << in.rdbuf();
    nlohmann::json list = nlohmann::json::parse(text.str(), nullptr, false);
    if (list.is_discarded() || !list.is_array()) {
        error = path + " must be a JSON list of {\"url\", \"secret\", \"format\", \"when\"}";
        return false;
    }
    for (size_t i = 0; i < list.size(); ++i) {
        const nlohmann::json& item = list[i];
        std::string where = path + " [" + std::to_string(i) + "]";
        if (!item.is_object() || !item.contains("url") || !item["url"].is_string()) {
            error = where + " needs a \"url\"";
            return false;
        }
        webhook_endpoint_desc e;
        e.url = item["url"].get<std::string>();
        for (const char* field : {"secret", "format", "when"})
            if (item.contains(field) && !item[field].is_string()) {
                error = where + ": \"" + field + "\" must be text";
                return false;
            }
        for (auto it = item.begin(); it != item.end(); ++it)
            if (it.key() != "url" && it.key() != "secret" && it.key() != "format" && it.key() != "when") {
                error = where + ": \"" + it.key() + "\" is not a webhook field (url, secret, format, when)";
                return false;
            }
        e.secret = item.value("secret", "");
        std::string format = item.value("format", "standard");
        if (format != "standard" && format != "slack") {
            error = where + ": format must be standard or slack";
            return false;
        }
        e.format = format == "slack" ? webhook_format::slack : webhook_format::standard;
        e.when = item.value("when", "");
        if (!parse_webhook_filter(e.when, e.filter, error)) {
            error = where + ": when: " + error;
            return false;
        }
        out.push_back(std::move(e));
    }
    return true;
}

//-----------------------------------------------------------------------------
// [SECTION] Payloads and the retry schedule
//-----------------------------------------------------------------------------
namespace {
const char* segment_of_record(const nlohmann::ordered_json& record) {
    if (!record.contains("score") || !record["score"].is_number_integer()) return "";
    int score = record["score"].get<int>();
    return score >= 0 && score <= 10 ? segment_name(segment_of(score)) : "";
}
}  // namespace

std::string webhook_payload(std::string_view event, int64_t created_ms, std::string_view record_json) {
    // The stored record is canonical JSON (an object ending in '}'): splice it in as is, with
    // its segment, rather than parse and print it again for every delivery.
    if (record_json.size() + 160 < webhook_payload_limit && record_json.size() > 2 && record_json.front() == '{' &&
        record_json.back() == '}') {
        // The record's score: the one "score": followed by a digit (attribute values are strings,
        // and a quote inside a string is escaped).
        int score = -1;
        for (size_t at = record_json.find("\"score\":"); at != std::string_view::npos; at = record_json.find("\"score\":", at + 1)) {
            size_t v = at + 8;
            if (v < record_json.size() && record_json[v] >= '0' && record_json[v] <= '9') {
                score = record_json[v] - '0';
                if (v + 1 < record_json.size() && record_json[v + 1] >= '0' && record_json[v + 1] <= '9')
                    score = score * 10 + (record_json[v + 1] - '0');
                break;
            }
        }
        std::string out = "{\"type\":\"";
        out.append(event).append("\",\"timestamp\":\"").append(format_timestamp(created_ms)).append("\",\"data\":");
        out.append(record_json.substr(0, record_json.size() - 1));
        out.append(",\"segment\":\"").append(score >= 0 && score <= 10 ? segment_name(segment_of(score)) : "").append("\"}}");
        return out;
    }
    nlohmann::ordered_json data = nlohmann::ordered_json::parse(record_json, nullptr, false);
    if (data.is_discarded() || !data.is_object()) data = nlohmann::ordered_json::object();
    data["segment"] = segment_of_record(data);
    nlohmann::ordered_json payload;
    payload["type"] = event;
    payload["timestamp"] = format_timestamp(created_ms);
    payload["data"] = data;
    std::string body = payload.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    if (body.size() > webhook_payload_limit && payload["data"].contains("attributes")) {
        // Only 32 long attribute values can pass 20 KB: the receiver can read them back by id.
        payload["data"].erase("attributes");
        payload["data"]["attributes_omitted"] = true;
        body = payload.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    }
    return body;
}

namespace {
// Slack's mrkdwn: &, < and > are control characters.
std::string slack_escape(std::string_view text) {
    std::string out;
    for (char c : text) {
        if (c == '&')
            out += "&amp;";
        else if (c == '<')
            out += "&lt;";
        else if (c == '>')
            out += "&gt;";
        else
            out += c;
    }
    return out;
}
}  // namespace

std::string slack_payload(const std::vector<const outbox_delivery*>& deliveries, std::string_view dashboard_url) {
    std::string text;
    for (const outbox_delivery* d : deliveries) {
        nlohmann::json r = nlohmann::json::parse(d->record_json, nullptr, false);
        if (r.is_discarded() || !r.is_object()) continue;
        if (!text.empty()) text += "\n\n";
        if (d->event.rfind("digest.", 0) == 0) {  // the digest's own text (Markdown-light already)
            if (r.contains("data") && r["data"].contains("text") && r["data"]["text"].is_string())
                text += r["data"]["text"].get<std::string>();
            continue;
        }
        std::string seg = segment_of_record(nlohmann::ordered_json::parse(d->record_json, nullptr, false));
        std::string seg_title = seg.empty() ? "Answer" : std::string(1, static_cast<char>(seg[0] - 'a' + 'A')) + seg.substr(1);
        text += "*" + seg_title + "* · score " + (r.contains("score") ? r["score"].dump() : "?");
        text += " · survey " + slack_escape(r.value("survey", ""));
        if (d->event == "response.updated") text += " (updated)";
        if (r.contains("comment") && r["comment"].is_string() && !r["comment"].get<std::string>().empty()) {
            std::string comment = r["comment"].get<std::string>();
            text += "\n>";
            for (char c : slack_escape(comment)) text += c == '\n' ? std::string("\n>") : std::string(1, c);
        }
        std::string attrs;
        if (r.contains("contact_ok") && r["contact_ok"].is_boolean() && r["contact_ok"].get<bool>()) attrs += "contact_ok=yes";
        if (r.contains("attributes") && r["attributes"].is_object())
            for (auto it = r["attributes"].begin(); it != r["attributes"].end(); ++it)
                (attrs.empty() ? attrs : attrs += ", ") +=
                    slack_escape(it.key()) + "=" + slack_escape(it.value().is_string() ? it.value().get<std::string>() : it.value().dump());
        if (!attrs.empty()) text += "\n" + attrs;
        if (!dashboard_url.empty()) {
            std::string day = r.value("ts", "").substr(0, 10);
            text += "\n<" + std::string(dashboard_url) + (day.size() == 10 ? "#range=" + day + ".." + day : "") + "|Open in the dashboard>";
        }
    }
    return nlohmann::json{{"text", text}}.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

int64_t webhook_retry_delay_ms(int attempts_made, double jitter, int64_t retry_after_ms, double scale) {
    // Seconds before attempt k + 1 (the spec's schedule; attempt 1 is immediate).
    static constexpr int64_t schedule_s[webhook_max_attempts] = {0, 5, 5 * 60, 30 * 60, 2 * 3600, 5 * 3600, 10 * 3600, 10 * 3600};
    if (attempts_made < 1 || attempts_made >= webhook_max_attempts) return -1;
    double base = static_cast<double>(schedule_s[attempts_made]) * 1000.0 * (0.8 + 0.4 * std::clamp(jitter, 0.0, 1.0));
    double wait = std::max(base, static_cast<double>(std::min<int64_t>(retry_after_ms, 10LL * 3600 * 1000)));
    return static_cast<int64_t>(wait * scale);
}

//-----------------------------------------------------------------------------
// [SECTION] Sender: one HTTP attempt
//-----------------------------------------------------------------------------
struct webhook_sender::endpoint_run {
    size_t n = 0;
    std::string key;
    std::string secret_key;  // decoded
    std::atomic<bool> disabled{false};
    int64_t last_send_ms = 0;
    int64_t next_prune_ms = 0;   // 0: at the first chance
    int64_t last_fetch_ms = 0;   // the last outbox read
    size_t last_batch = 0;       // deliveries it returned
    int64_t yield_since_ms = 0;  // when this run of saturation began to hold deliveries (0: none)
    std::thread thread;
};

namespace {
struct attempt_result {
    bool aborted = false;  // stopping: leave the delivery pending
    int status = 0;
    int64_t retry_after_ms = 0;
    std::string error;
};

size_t discard_body(char*, size_t size, size_t n, void*) { return size * n; }
int abort_when_stopping(void* stopping, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
    return static_cast<std::atomic<bool>*>(stopping)->load() ? 1 : 0;
}

// The options every attempt of an endpoint shares, set once: the handle keeps its connection.
void setup_handle(CURL* curl, const std::string& url, int timeout_ms, std::atomic<bool>& stopping) {
    curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);  // a redirect is a failure (spec)
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout_ms));
    curl_easy_setopt(curl, CURLOPT_POST, 1L);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, discard_body);
    curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, abort_when_stopping);
    curl_easy_setopt(curl, CURLOPT_XFERINFODATA, &stopping);
}

attempt_result post_once(CURL* curl, const std::string& body, const std::vector<std::string>& headers) {
    attempt_result out;
    curl_slist* list = nullptr;
    for (const std::string& h : headers) list = curl_slist_append(list, h.c_str());
    // No "Expect: 100-continue" for bodies over 1 KB: a receiver that ignores it costs 1 s.
    list = curl_slist_append(list, "Expect:");
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, list);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.data());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
    CURLcode rc = curl_easy_perform(curl);
    if (rc == CURLE_ABORTED_BY_CALLBACK) {
        out.aborted = true;
    } else if (rc != CURLE_OK) {
        out.error = curl_easy_strerror(rc);
    } else {
        long status = 0;
        curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
        out.status = static_cast<int>(status);
        curl_header* h = nullptr;
        if (curl_easy_header(curl, "Retry-After", 0, CURLH_HEADER, -1, &h) == CURLHE_OK && h && h->value) {
            char* end = nullptr;
            long long s = std::strtoll(h->value, &end, 10);
            if (end != h->value && s > 0) out.retry_after_ms = s * 1000;
        }
        if (out.status < 200 || out.status > 299) out.error = "the receiver answered " + std::to_string(out.status);
    }
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, nullptr);
    curl_slist_free_all(list);
    return out;
}
}  // namespace

//-----------------------------------------------------------------------------
// [SECTION] Sender: the per-endpoint loop
//-----------------------------------------------------------------------------
webhook_sender::webhook_sender(response_storage& storage, webhook_sender_desc desc) : storage_(storage), desc_(std::move(desc)) {
    static std::once_flag curl_once;
    std::call_once(curl_once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
    if (desc_.retry_scale <= 0) desc_.retry_scale = 1;
    if (!desc_.log) desc_.log = [](const std::string&, const std::string&, const std::string&, const std::string&) {};
}

webhook_sender::~webhook_sender() { stop(); }

outbox_router webhook_sender::router() const {
    std::vector<std::pair<std::string, webhook_filter>> filters;
    for (const webhook_endpoint_desc& e : desc_.endpoints)
        if (e.digest.empty()) filters.emplace_back(endpoint_key(e.url), e.filter);  // digest targets take no answer
    bool needs_store = false;
    for (const auto& f : filters) needs_store = needs_store || webhook_filter_needs_store(f.second);
    return [filters = std::move(filters), needs_store](const response& row, std::vector<std::string>& keys) {
        if (row.type != event_type::response) return;
        // Built once per row, whatever the number of endpoints, and only when a filter reads it
        // (a store per answer was a tenth of ingestion's CPU with three endpoints).
        static const response_store empty(store_desc{});
        std::optional<response_store> one;
        if (needs_store) one.emplace(store_desc{}).add(row);
        for (const auto& [key, filter] : filters)
            if (webhook_matches(filter, row, one ? *one : empty)) keys.push_back(key);
    };
}

bool webhook_sender::start(const std::string& dashboard_url, std::string& error) {
    if (!dashboard_url.empty()) desc_.dashboard_url = dashboard_url;
    for (size_t i = 0; i < desc_.endpoints.size(); ++i) {
        auto run = std::make_unique<endpoint_run>();
        run->n = i;
        run->key = webhook_endpoint_key(desc_.endpoints[i]);
        if (!desc_.endpoints[i].secret.empty()) decode_webhook_secret(desc_.endpoints[i].secret, run->secret_key);
        outbox_endpoint_state state;
        if (!storage_.outbox_endpoint(run->key, state, error)) return false;
        run->disabled = state.disabled;
        runs_.push_back(std::move(run));
    }
    for (auto& run : runs_) run->thread = std::thread([this, r = run.get()] { this->run(*r); });
    return true;
}

void webhook_sender::wake() {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        ++wakes_;
    }
    cv_.notify_all();
}

void webhook_sender::ingest_saturated() { saturated_at_ms_.store(wall_ms(), std::memory_order_relaxed); }

void webhook_sender::stop() {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        stopping_ = true;
    }
    cv_.notify_all();
    for (auto& run : runs_)
        if (run->thread.joinable()) run->thread.join();
}

bool webhook_sender::enable(size_t n, std::string& error) {
    if (n >= runs_.size()) {
        error = "no such endpoint";
        return false;
    }
    if (!storage_.outbox_set_endpoint(runs_[n]->key, false, "", wall_ms(), error)) return false;
    runs_[n]->disabled = false;
    wake();
    return true;
}

// Deletes what the keep rules let go, in bounded steps: every ~10 s (a quarter of keep_ms when
// shorter), at once again while a backlog of finished rows remains.
void webhook_sender::prune(endpoint_run& e) {
    constexpr uint64_t max_rows = 20000;
    uint64_t deleted = 0;
    std::string error;
    int64_t now = wall_ms();
    if (!storage_.outbox_prune(e.key, now - desc_.keep_ms, desc_.keep_count, max_rows, deleted, error))
        desc_.log("error", "webhook outbox prune failed", redact_url(desc_.endpoints[e.n].url), error);
    int64_t every = std::clamp<int64_t>(desc_.keep_ms / 4, 50, 10000);
    e.next_prune_ms = deleted >= max_rows ? now : now + every;
}

// Waits until until_ms (0: a while), a wake() or stop(); false when stopping.
bool webhook_sender::sleep_until(endpoint_run&, int64_t until_ms) {
    std::unique_lock<std::mutex> lock(mutex_);
    uint64_t seen = wakes_;
    int64_t wait = until_ms > 0 ? std::max<int64_t>(0, until_ms - wall_ms()) : 30000;
    cv_.wait_for(lock, std::chrono::milliseconds(std::min<int64_t>(wait, 30000)), [&] { return stopping_ || wakes_ != seen; });
    return !stopping_;
}

// How long after an outbox read the next one waits while deliveries keep coming, so that one
// read and one record transaction carry many deliveries: each is a turn at SQLite's write lock,
// which ingestion's group commit also needs. A few at a time (an idle collector): 5 ms, so a
// lone answer still goes out within milliseconds; a stream (16 or more per read): 25 ms; a full
// read (a backlog): none, the next read is full anyway.
constexpr size_t batch_limit = 500;
int64_t coalesce_ms(size_t last_batch) { return last_batch >= batch_limit ? 0 : last_batch >= 16 ? 25 : 5; }

void webhook_sender::run(endpoint_run& e) {
    const webhook_endpoint_desc& ep = desc_.endpoints[e.n];
    const bool slack = ep.format == webhook_format::slack;
    // Named for top -H and the benchmark's per-thread CPU figures.
    pthread_setname_np(pthread_self(), ("webhook-" + std::to_string(e.n + 1)).substr(0, 15).c_str());
    // Below ingestion (nice 10, this thread only): deliveries are durable in the outbox and may
    // wait; a 202 may not. When the CPUs are busy the sender gets what ingestion leaves (about a
    // tenth under full contention) and catches up after the burst (BENCHMARKS.md, webhooks).
    setpriority(PRIO_PROCESS, static_cast<id_t>(syscall(SYS_gettid)), 10);
    CURL* curl = curl_easy_init();
    setup_handle(curl, ep.url, desc_.timeout_ms, stopping_);
    std::mt19937_64 random(std::random_device{}());
    std::uniform_real_distribution<double> jitter(0, 1);
    std::vector<outbox_delivery> due;
    std::vector<outbox_attempt> attempts;
    std::string error;
    while (!stopping_) {
        uint64_t seen;
        {
            std::lock_guard<std::mutex> lock(mutex_);
            seen = wakes_;
        }
        if (e.disabled) {
            sleep_until(e, 0);
            continue;
        }
        if (slack && wall_ms() < e.last_send_ms + 1000) {
            // At most one message a second: what arrives meanwhile goes in the next one.
            std::unique_lock<std::mutex> lock(mutex_);
            cv_.wait_for(lock, std::chrono::milliseconds(e.last_send_ms + 1000 - wall_ms()), [&] { return stopping_.load(); });
            continue;
        }
        if (desc_.yield_ms > 0) {
            // Deliveries are durable and may wait; a 202 may not. While the writer is saturated,
            // wait (up to yield_ms since this saturation began), and send once it is over.
            int64_t now = wall_ms(), since = now - saturated_at_ms_.load(std::memory_order_relaxed);
            if (since < 200) {
                if (e.yield_since_ms == 0) e.yield_since_ms = now;
                if (now - e.yield_since_ms < desc_.yield_ms) {
                    std::unique_lock<std::mutex> lock(mutex_);
                    cv_.wait_for(lock, std::chrono::milliseconds(50), [&] { return stopping_.load(); });
                    continue;
                }
            } else if (since >= 1000) {
                e.yield_since_ms = 0;
            }
        }
        if (ep.digest.empty() && wall_ms() >= e.next_prune_ms) prune(e);
        if (int64_t since = wall_ms() - e.last_fetch_ms; since >= 0 && since < coalesce_ms(e.last_batch)) {
            // Woken again right after a read (a commit every few ms under load): let the batch
            // grow, so one outbox read and one record transaction carry many deliveries.
            std::unique_lock<std::mutex> lock(mutex_);
            cv_.wait_for(lock, std::chrono::milliseconds(coalesce_ms(e.last_batch) - since), [&] { return stopping_.load(); });
            continue;
        }
        e.last_fetch_ms = wall_ms();
        due.clear();
        int64_t next_ms = 0;
        int64_t now = wall_ms();
        // While ingestion is saturated (the yield ran out), smaller reads: each is a turn at the
        // write lock (SQLite's fan-out) that the writer then waits for.
        bool saturated = now - saturated_at_ms_.load(std::memory_order_relaxed) < 200;
        if (!storage_.outbox_due(e.key, now, slack ? 20 : saturated ? 64 : batch_limit, due, next_ms, error)) {
            desc_.log("error", "webhook outbox read failed", redact_url(ep.url), error);
            std::unique_lock<std::mutex> lock(mutex_);
            cv_.wait_for(lock, std::chrono::seconds(1), [&] { return stopping_.load(); });
            continue;
        }
        e.last_batch = due.size();
        if (due.empty()) {
            std::unique_lock<std::mutex> lock(mutex_);
            int64_t wait = next_ms > 0 ? std::max<int64_t>(0, next_ms - wall_ms()) : 30000;
            if (ep.digest.empty()) wait = std::min<int64_t>(wait, std::max<int64_t>(0, e.next_prune_ms - wall_ms()));
            cv_.wait_for(lock, std::chrono::milliseconds(std::min<int64_t>(wait, 30000)), [&] { return stopping_ || wakes_ != seen; });
            continue;
        }
        attempts.clear();
        auto outcome = [&](const outbox_delivery& d, const attempt_result& r) {
            outbox_attempt a;
            a.id = d.id;
            a.at_ms = wall_ms();
            a.status = r.status;
            a.error = r.error;
            if (r.status >= 200 && r.status <= 299) {
                a.state = delivery_state::delivered;
            } else if (r.status == 410) {
                a.next_ms = a.at_ms;  // sent again once the endpoint is re-enabled
            } else {
                int64_t delay = webhook_retry_delay_ms(d.attempts + 1, jitter(random), r.retry_after_ms, desc_.retry_scale);
                if (delay < 0)
                    a.state = delivery_state::failed;
                else
                    a.next_ms = a.at_ms + delay;
            }
            attempts.push_back(std::move(a));
        };
        bool gone = false;
        int gone_status = 0;
        int64_t record_by_ms = wall_ms() + 1000;
        std::vector<std::string> headers = {"Content-Type: application/json", "User-Agent: npskit-collector"};
        if (slack) {
            std::vector<const outbox_delivery*> all;
            for (const outbox_delivery& d : due) all.push_back(&d);
            std::string body = slack_payload(all, desc_.dashboard_url);
            std::vector<std::string> h = headers;
            // One message carries several deliveries: the id of the first names it.
            int64_t ts = wall_ms() / 1000;
            h.push_back("webhook-id: " + due.front().webhook_id);
            h.push_back("webhook-timestamp: " + std::to_string(ts));
            if (!e.secret_key.empty()) h.push_back("webhook-signature: " + sign_webhook(e.secret_key, due.front().webhook_id, ts, body));
            attempt_result r = post_once(curl, body, h);
            e.last_send_ms = wall_ms();
            if (r.aborted) break;
            for (const outbox_delivery& d : due) outcome(d, r);
            gone = r.status == 410;
            gone_status = r.status;
        } else {
            for (const outbox_delivery& d : due) {
                std::string body = d.event.rfind("digest.", 0) == 0 ? d.record_json : webhook_payload(d.event, d.created_ms, d.record_json);
                int64_t ts = wall_ms() / 1000;
                std::vector<std::string> h = headers;
                h.push_back("webhook-id: " + d.webhook_id);
                h.push_back("webhook-timestamp: " + std::to_string(ts));
                h.push_back("webhook-signature: " + sign_webhook(e.secret_key, d.webhook_id, ts, body));
                attempt_result r = post_once(curl, body, h);
                if (r.aborted) break;
                outcome(d, r);
                if (r.status == 410) {
                    gone = true;
                    gone_status = r.status;
                    break;
                }
                // A slow receiver (up to the timeout per attempt): what is done is recorded at
                // least every second, so a stop or a crash repeats little.
                if (wall_ms() >= record_by_ms) {
                    if (!storage_.outbox_record(attempts, error))
                        desc_.log("error", "webhook outbox write failed", redact_url(ep.url), error);
                    attempts.clear();
                    record_by_ms = wall_ms() + 1000;
                }
            }
        }
        if (!storage_.outbox_record(attempts, error)) desc_.log("error", "webhook outbox write failed", redact_url(ep.url), error);
        if (gone) {
            std::string reason = "the receiver answered " + std::to_string(gone_status) + " Gone at " + format_timestamp(wall_ms());
            e.disabled = true;
            if (!storage_.outbox_set_endpoint(e.key, true, reason, wall_ms(), error))
                desc_.log("error", "webhook endpoint state write failed", redact_url(ep.url), error);
            desc_.log("warn", "webhook endpoint disabled", redact_url(ep.url), reason);
        }
    }
    curl_easy_cleanup(curl);
}

}  // namespace npskit
