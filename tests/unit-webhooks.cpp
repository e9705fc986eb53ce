// The collector's webhooks (src/collector/webhooks.h): signing against the Standard Webhooks
// spec's own test vector, secrets, filters in the core's grammar, payloads, the retry schedule,
// URL redaction. Native only (OpenSSL, libcurl).
#ifdef NPSKIT_HAS_WEBHOOKS
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "webhooks.h"

using namespace npskit;

namespace {
response answer(int score, std::string comment = "", std::vector<std::pair<std::string, std::string>> attributes = {}) {
    response r;
    r.id = "r_0123456789";
    r.survey = "nps";
    r.score = score;
    r.ts_ms = 1767225600000;  // 2026-01-01
    if (!comment.empty()) r.comment = comment;
    r.attributes = std::move(attributes);
    return r;
}
bool matches(std::string_view when, const response& r) {
    webhook_filter f;
    std::string error;
    REQUIRE_MESSAGE(parse_webhook_filter(when, f, error), error);
    return webhook_matches(f, r);
}
}  // namespace

TEST_CASE("webhooks: the spec's test vector signs to the spec's signature") {
    std::string key;
    REQUIRE(decode_webhook_secret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", key));
    CHECK(key.size() == 24);
    CHECK(sign_webhook(key, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, R"({"test": 2432232314})") ==
          "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    SUBCASE("any change of id, timestamp or body changes it") {
        std::string good = sign_webhook(key, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, R"({"test": 2432232314})");
        CHECK(sign_webhook(key, "msg_p5jXN8AQM9LWM0D4loKWxJeK", 1614265330, R"({"test": 2432232314})") != good);
        CHECK(sign_webhook(key, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265331, R"({"test": 2432232314})") != good);
        CHECK(sign_webhook(key, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, R"({"test": 2432232315})") != good);
    }
}

TEST_CASE("webhooks: secrets are whsec_ and the base64 of 16 to 64 bytes") {
    std::string key;
    CHECK_FALSE(decode_webhook_secret("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", key));       // no prefix
    CHECK_FALSE(decode_webhook_secret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaS", key));  // not a multiple of 4
    CHECK_FALSE(decode_webhook_secret("whsec_!!!!", key));
    CHECK_FALSE(decode_webhook_secret("whsec_c2hvcnQ=", key));              // "short": 5 bytes
    REQUIRE(decode_webhook_secret("whsec_MDEyMzQ1Njc4OWFiY2RlZg==", key));  // padding is not key
    CHECK(key == "0123456789abcdef");
}

TEST_CASE("webhooks: filters read the core's grammar and the webhook's own names") {
    response detractor = answer(3, "too slow", {{"plan", "pro"}});
    response promoter = answer(10);
    CHECK(matches("", detractor));
    CHECK(matches("segment=detractor", detractor));
    CHECK_FALSE(matches("segment=detractor", promoter));
    CHECK(matches("segment=passive,promoter", promoter));
    CHECK(matches("where=plan=pro", detractor));
    CHECK_FALSE(matches("where=plan=pro", promoter));
    CHECK(matches("where=plan!=pro", promoter));
    CHECK(matches("where=plan=", promoter));  // no such attribute
    CHECK(matches("score=0-6", detractor));
    CHECK_FALSE(matches("score=0-2", detractor));
    CHECK(matches("score=10", promoter));
    CHECK(matches("comment=yes", detractor));
    CHECK_FALSE(matches("comment=yes", promoter));
    CHECK(matches("comment=no", promoter));
    CHECK_FALSE(matches("comment=no", detractor));
    CHECK(matches("survey=nps", detractor));
    CHECK(matches("survey=other|nps", detractor));
    CHECK_FALSE(matches("survey=onboarding", detractor));
    response contact = detractor;
    contact.contact_ok = true;
    CHECK(matches("contact_ok=yes", contact));
    CHECK_FALSE(matches("contact_ok=yes", detractor));
    CHECK(matches("contact_ok=no", detractor));
    CHECK(matches("segment=detractor&comment=yes&where=plan=pro", detractor));
    CHECK_FALSE(matches("segment=detractor&where=plan=team", detractor));
    SUBCASE("display events never match") {
        response shown = detractor;
        shown.type = event_type::shown;
        shown.score = -1;
        CHECK_FALSE(matches("", shown));
    }
    SUBCASE("bad pairs are refused with a sentence") {
        webhook_filter f;
        std::string error;
        for (const char* bad : {"segment=angry", "score=11", "score=7-3", "comment=maybe", "colour=red", "where=bad key=1", "detractor"}) {
            CAPTURE(bad);
            error.clear();
            CHECK_FALSE(parse_webhook_filter(bad, f, error));
            CHECK(error.size() > 10);
        }
    }
}

TEST_CASE("webhooks: filters without conditions decide from the record as the core's row_matches does") {
    // The router skips the one-row store for these (webhook_filter_needs_store): same answers.
    const response_store empty(store_desc{});
    for (const char* when : {"", "segment=detractor", "segment=passive,promoter", "comment=yes", "comment=no", "score=7-8",
                             "segment=promoter&comment=yes", "segment=detractor,passive&comment=no&score=3-7"}) {
        webhook_filter f;
        std::string error;
        REQUIRE_MESSAGE(parse_webhook_filter(when, f, error), error);
        CHECK_FALSE(webhook_filter_needs_store(f));
        for (int score = 0; score <= 10; ++score)
            for (const char* comment : {"", "slow"}) {
                CAPTURE(when);
                CAPTURE(score);
                CAPTURE(comment);
                response r = answer(score, comment, {{"plan", "pro"}});
                response_store one(store_desc{});
                one.add(r);
                bool want = score >= f.min_score && score <= f.max_score && !(f.without_comment && *comment) && row_matches(one, f.rows, 0);
                CHECK(webhook_matches(f, r, empty) == want);
            }
    }
    webhook_filter f;
    std::string error;
    for (const char* when : {"where=plan=pro", "survey=nps", "contact_ok=yes"}) {
        REQUIRE(parse_webhook_filter(when, f, error));
        CHECK(webhook_filter_needs_store(f));
    }
}

TEST_CASE("webhooks: the payload carries the record and its segment, under 20 KB") {
    response r = answer(2, "line one\nline two", {{"plan", "pro"}});
    std::string body = webhook_payload("response.created", 1767225600000, response_to_json(r));
    nlohmann::json p = nlohmann::json::parse(body);
    CHECK(p["type"] == "response.created");
    CHECK(p["timestamp"] == "2026-01-01T00:00:00Z");
    CHECK(p["data"]["id"] == r.id);
    CHECK(p["data"]["score"] == 2);
    CHECK(p["data"]["segment"] == "detractor");
    CHECK(p["data"]["attributes"]["plan"] == "pro");
    CHECK(body.find("\"v\":1") != std::string::npos);
    SUBCASE("an attribute named score does not stand in for the score") {
        response s = answer(9, "has \"score\":3 inside", {{"score", "2"}});
        nlohmann::json q = nlohmann::json::parse(webhook_payload("response.created", 0, response_to_json(s)));
        CHECK(q["data"]["segment"] == "promoter");
        CHECK(q["data"]["score"] == 9);
        CHECK(q["data"]["attributes"]["score"] == "2");
        CHECK(q["data"] == [&] {
            nlohmann::json d = nlohmann::json::parse(response_to_json(s));
            d["segment"] = "promoter";
            return d;
        }());
    }
    SUBCASE("the largest valid record still fits: attributes give way") {
        std::string comment;
        for (int j = 0; j < 2000; ++j) comment += "\xe2\x82\xac";  // 2,000 euro signs: 6,000 bytes
        response big = answer(9, comment);
        for (int i = 0; i < 32; ++i) big.attributes.emplace_back("key_" + std::to_string(100 + i), std::string(256, 'v'));
        // 256 two-byte characters per value: 32 of them are over 16 KB, with the comment over 20.
        for (auto& [k, v] : big.attributes) {
            v.clear();
            for (int j = 0; j < 256; ++j) v += "\xc3\xa9";
        }
        std::string large = webhook_payload("response.updated", 1767225600000, response_to_json(big));
        CHECK(large.size() <= webhook_payload_limit);
        nlohmann::json q = nlohmann::json::parse(large);
        CHECK(q["data"]["attributes_omitted"] == true);
        CHECK(q["data"]["segment"] == "promoter");
    }
}

TEST_CASE("webhooks: slack text has score, segment, comment, attributes and a dashboard link") {
    outbox_delivery a, b;
    a.event = "response.created";
    a.record_json = response_to_json(answer(3, "too <slow> & buggy", {{"plan", "pro"}}));
    response p = answer(10);
    p.id = "r_abcdefghij";
    b.event = "response.updated";
    b.record_json = response_to_json(p);
    std::string body = slack_payload({&a, &b}, "https://nps.example.com/dashboard/");
    nlohmann::json j = nlohmann::json::parse(body);
    std::string text = j["text"];
    CHECK(text.find("*Detractor* · score 3") != std::string::npos);
    CHECK(text.find(">too &lt;slow&gt; &amp; buggy") != std::string::npos);
    CHECK(text.find("plan=pro") != std::string::npos);
    CHECK(text.find("<https://nps.example.com/dashboard/#range=2026-01-01..2026-01-01|Open in the dashboard>") != std::string::npos);
    CHECK(text.find("*Promoter* · score 10") != std::string::npos);
    CHECK(text.find("(updated)") != std::string::npos);
    CHECK(j.size() == 1);
}

TEST_CASE("webhooks: the spec's retry schedule, jitter within ±20 %, Retry-After, then give up") {
    const int64_t s = 1000;
    CHECK(webhook_retry_delay_ms(1, 0.5, 0) == 5 * s);
    CHECK(webhook_retry_delay_ms(2, 0.5, 0) == 300 * s);
    CHECK(webhook_retry_delay_ms(3, 0.5, 0) == 1800 * s);
    CHECK(webhook_retry_delay_ms(4, 0.5, 0) == 7200 * s);
    CHECK(webhook_retry_delay_ms(5, 0.5, 0) == 18000 * s);
    CHECK(webhook_retry_delay_ms(6, 0.5, 0) == 36000 * s);
    CHECK(webhook_retry_delay_ms(7, 0.5, 0) == 36000 * s);
    CHECK(webhook_retry_delay_ms(8, 0.5, 0) == -1);  // 8 attempts made: failed
    CHECK(webhook_retry_delay_ms(1, 0.0, 0) == 4 * s);
    CHECK(webhook_retry_delay_ms(1, 0.999999, 0) >= 5999);
    CHECK(webhook_retry_delay_ms(1, 0.5, 60 * s) == 60 * s);   // Retry-After longer than the step
    CHECK(webhook_retry_delay_ms(2, 0.5, 60 * s) == 300 * s);  // shorter: the schedule stands
    CHECK(webhook_retry_delay_ms(1, 0.5, 0, 0.01) == 50);      // tests' scale
}

TEST_CASE("webhooks: URLs are shown without credentials; endpoints are checked") {
    CHECK(redact_url("https://user:pw@crm.example.com/hooks/nps?token=abc") == "https://***@crm.example.com/hooks/nps?***");
    CHECK(redact_url("https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX") ==
          "https://hooks.slack.com/services/T00000000/B00000000/***");
    CHECK(redact_url("http://127.0.0.1:9000/") == "http://127.0.0.1:9000/");
    CHECK(endpoint_key("http://a/") == endpoint_key("http://a/"));
    CHECK(endpoint_key("http://a/") != endpoint_key("http://b/"));
    CHECK(endpoint_key("http://a/").size() == 16);
    webhook_endpoint_desc e;
    e.url = "ftp://example.com/";
    CHECK_FALSE(check_endpoint(e).empty());
    e.url = "https://example.com/";
    CHECK_FALSE(check_endpoint(e).empty());  // standard needs a secret
    e.secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    CHECK(check_endpoint(e).empty());
    webhook_endpoint_desc slack;
    slack.url = "https://hooks.slack.com/services/x";
    slack.format = webhook_format::slack;
    CHECK(check_endpoint(slack).empty());
}
#endif
