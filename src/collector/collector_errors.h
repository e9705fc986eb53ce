// The collector's error codes: one list (code, HTTP status, sentence people read). Answers
// carry {"errors":[{"code","field","message"}]}; tests and clients match the code, and a call
// site may give a more precise sentence than the list's.
#pragma once
#include <cstddef>
#include <string_view>

namespace npskit {

#define NPSKIT_COLLECTOR_ERRORS(X)                                                                                                        \
    X(bad_parameter, 400, "a query parameter is not valid")                                                                               \
    X(bad_request, 400, "the request line or a header could not be parsed")                                                               \
    X(bad_framing, 400, "the request's framing is malformed or ambiguous")                                                                \
    X(unauthorized, 401, "reads need the read key: Authorization: Bearer KEY or ?access_token=KEY")                                       \
    X(admin_unauthorized, 401, "this needs the admin key: Authorization: Bearer ADMIN_KEY")                                               \
    X(admin_disabled, 403, "admin routes are off: start the collector with --admin-key (env NPSKIT_ADMIN_KEY)")                           \
    X(origin_not_allowed, 403, "this origin is not in the collector's --origins list")                                                    \
    X(not_found, 404, "no such path")                                                                                                     \
    X(delivery_not_found, 404, "no webhook delivery with this id (see GET /v1/webhooks)")                                                 \
    X(endpoint_not_found, 404, "no webhook endpoint with this number (see GET /v1/webhooks)")                                             \
    X(method_not_allowed, 405, "method not allowed here")                                                                                 \
    X(request_timeout, 408, "the request (headers and body) did not arrive within the deadline")                                          \
    X(conflict, 409,                                                                                                                      \
      "an answer with this id is stored; only its follow-up (comment, contact_ok, email, cta_clicked, attributes) may change, within 24 " \
      "h")                                                                                                                                \
    X(length_required, 411, "send the body with a Content-Length; Transfer-Encoding is not accepted")                                     \
    X(too_large, 413, "the body is larger than 64 KB")                                                                                    \
    X(uri_too_long, 414, "the request line is longer than the limit")                                                                     \
    X(unsupported_media_type, 415, "send application/json or text/plain (sendBeacon)")                                                    \
    X(rate_limited, 429, "too many writes from this address")                                                                             \
    X(too_many_failures, 429, "too many requests with a wrong read key from this address; retry later")                                   \
    X(too_many_headers, 431, "more header lines than the limit")                                                                          \
    X(header_too_large, 431, "the request line and headers are larger than the limit")                                                    \
    X(scan_too_large, 422, "no rollup answers this filter and it matches more rows than a scan may read: narrow since/until or survey")   \
    X(unavailable, 503, "the collector cannot serve this now")                                                                            \
    X(too_many_streams, 503, "too many open streams; retry later")                                                                        \
    X(too_many_connections, 503, "too many open connections (from this address or in total); retry later")                                \
    X(digest_not_configured, 409, "this collector has no digest target: start it with --digest daily|weekly --digest-url URL")            \
    X(bad_follow_up, 400,                                                                                                                 \
      "send {\"status\": \"todo\"|\"contacted\"|\"resolved\", \"by\": a name of 1 to 64 characters, \"note\": up to 1,000}")              \
    X(response_not_found, 404, "no response with this id (see GET /v1/responses)")                                                        \
    X(precondition_failed, 412, "If-Match does not name the current version (GET it again, then retry)")

enum class collector_error : unsigned char {
#define NPSKIT_X(code, status, message) code,
    NPSKIT_COLLECTOR_ERRORS(NPSKIT_X)
#undef NPSKIT_X
};

struct collector_error_info {
    std::string_view code;
    int status;
    std::string_view message;
};

inline constexpr collector_error_info collector_errors[] = {
#define NPSKIT_X(code, status, message) {#code, status, message},
    NPSKIT_COLLECTOR_ERRORS(NPSKIT_X)
#undef NPSKIT_X
};
inline constexpr size_t collector_error_count = sizeof collector_errors / sizeof collector_errors[0];

constexpr const collector_error_info& info(collector_error e) { return collector_errors[static_cast<size_t>(e)]; }

}  // namespace npskit
