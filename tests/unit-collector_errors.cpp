// The collector's error list (src/collector/collector_errors.h): every code once, a status that
// is an error, a sentence; natively also the JSON body the HTTP layer builds from it and the
// layer's default limits.
#include <doctest/doctest.h>

#include <set>
#include <string>

#include "../src/collector/collector_errors.h"
#ifdef NPSKIT_HAS_HTTP
#include "http_server.h"
#endif

using namespace npskit;

TEST_CASE("collector errors: each code once, an HTTP error status, a sentence") {
    std::set<std::string_view> codes;
    for (size_t i = 0; i < collector_error_count; ++i) {
        const collector_error_info& e = collector_errors[i];
        CAPTURE(e.code);
        CHECK(codes.insert(e.code).second);
        CHECK(e.status >= 400);
        CHECK(e.status <= 599);
        CHECK(e.message.size() > 10);
        for (char c : e.code) CHECK(((c >= 'a' && c <= 'z') || c == '_'));
        CHECK(&info(static_cast<collector_error>(i)) == &e);  // the enum follows the list
    }
    CHECK(collector_error_count >= 18);
}

TEST_CASE("collector errors: the statuses clients and tests rely on") {
    CHECK(info(collector_error::bad_parameter).status == 400);
    CHECK(info(collector_error::unauthorized).status == 401);
    CHECK(info(collector_error::origin_not_allowed).status == 403);
    CHECK(info(collector_error::request_timeout).status == 408);
    CHECK(info(collector_error::conflict).status == 409);
    CHECK(info(collector_error::too_many_failures).status == 429);
    CHECK(info(collector_error::length_required).status == 411);
    CHECK(info(collector_error::too_large).status == 413);
    CHECK(info(collector_error::uri_too_long).status == 414);
    CHECK(info(collector_error::unsupported_media_type).status == 415);
    CHECK(info(collector_error::rate_limited).status == 429);
    CHECK(info(collector_error::too_many_headers).status == 431);
    CHECK(info(collector_error::header_too_large).status == 431);
    CHECK(info(collector_error::unavailable).status == 503);
    CHECK(info(collector_error::too_many_streams).status == 503);
    CHECK(info(collector_error::too_many_connections).status == 503);
    CHECK(info(collector_error::too_large).code == "too_large");
}

#ifdef NPSKIT_HAS_HTTP
TEST_CASE("collector errors: the JSON body carries code, field and the list's or the caller's sentence") {
    http_response r = error_response(collector_error::header_too_large);
    CHECK(r.status == 431);
    CHECK(r.content_type == "application/json");
    CHECK(r.body.find(R"("code":"header_too_large")") != std::string::npos);
    CHECK(r.body.find(std::string(info(collector_error::header_too_large).message)) != std::string::npos);
    http_response p = error_response(collector_error::bad_parameter, "since", "since must be a cursor");
    CHECK(p.status == 400);
    CHECK(p.body.find(R"("field":"since")") != std::string::npos);
    CHECK(p.body.find("since must be a cursor") != std::string::npos);
}

TEST_CASE("http limits: zero takes the default, a set value stays") {
    http_limits d = with_defaults({});
    CHECK(d.header_bytes == 16 * 1024);
    CHECK(d.header_count == 100);
    CHECK(d.body_bytes == 64 * 1024);
    CHECK(d.request_ms == 10000);
    CHECK(d.idle_ms == 5000);
    CHECK(d.connections_per_address > 2000);  // the 2,000-listener probe runs from one address
    CHECK(d.streams_per_address > 2000);
    CHECK(d.accept_backlog == 1024);
    http_limits set;
    set.request_ms = 2500;
    set.streams = 7;
    http_limits s = with_defaults(set);
    CHECK(s.request_ms == 2500);
    CHECK(s.streams == 7);
    CHECK(s.idle_ms == 5000);
}

TEST_CASE("http request: header names are case-insensitive, parameters repeat") {
    http_request req;
    req.headers = {{"Content-Length", "5"}, {"origin", "https://a.example"}, {"X-A", "1"}, {"x-a", "2"}};
    req.params = {{"where", "plan:pro"}, {"where", "plan:free"}, {"by", "week"}};
    CHECK(req.header("content-length") == "5");
    CHECK(req.header("Origin") == "https://a.example");
    CHECK(req.header_count("X-A") == 2);
    CHECK(req.header("Missing").empty());
    CHECK(req.param_count("where") == 2);
    CHECK(req.param("where", 1) == "plan:free");
    CHECK(req.has_param("by"));
    CHECK(!req.has_param("since"));
}
#endif
