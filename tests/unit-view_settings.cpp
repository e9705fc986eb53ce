// Tests for src/core/view/view_settings: view settings <-> URL hash, and the filter they give.
#include <doctest/doctest.h>

#include "calendar.h"
#include "params.h"
#include "view_settings.h"

using namespace npskit;

TEST_CASE("percent encoding") {
    CHECK(percent_encode("a b&c=d|é") == "a%20b%26c%3Dd%7C%C3%A9");
    CHECK(percent_decode("a%20b%26c%3Dd%7C%C3%A9") == "a b&c=d|é");
    CHECK(percent_decode("bad%zzend%") == "bad%zzend%");
    CHECK(percent_decode("a+b") == "a b");
}

TEST_CASE("view hash round trip") {
    SUBCASE("defaults encode to nothing") {
        CHECK(encode_view_hash(view_settings{}) == "");
        CHECK(decode_view_hash("") == view_settings{});
        CHECK(decode_view_hash("#") == view_settings{});
    }
    SUBCASE("every field survives") {
        view_settings v;
        v.source = "http://127.0.0.1:8080/data.ndjson?x=1&y=2";
        v.key = "k&y";
        v.range = date_preset::custom;
        v.custom_since_day = days_from_civil(2026, 1, 5);
        v.custom_until_day = days_from_civil(2026, 2, 1);
        v.segments = 0b011;
        v.attributes.push_back({"plan", {"pro", "team plan"}, false});
        v.attributes.push_back({"country", {"FR"}, true});
        v.exclude_rule = "internal=true";
        v.text = "slow & buggy";
        v.bucket = time_bucket::month;
        v.breakdown = "plan";
        v.theme = "support ticket";
        v.dark = true;
        std::string hash = encode_view_hash(v);
        CHECK(hash.find("mention=support%20ticket") != std::string::npos);
        CHECK(hash.find("theme=dark") != std::string::npos);
        CHECK(hash.find("range=2026-01-05..2026-02-01") != std::string::npos);
        CHECK(hash.find(' ') == std::string::npos);
        CHECK(hash.find("key") == std::string::npos);        // the read key never goes into a hash
        CHECK(decode_view_hash("#key=k%26y").key == "k&y");  // but is read from one
        v.key.clear();
        CHECK(decode_view_hash("#" + hash) == v);
    }
    SUBCASE("presets and no breakdown") {
        view_settings v;
        v.range = date_preset::last_30_days;
        v.breakdown = "";
        v.segments = 0;
        CHECK(encode_view_hash(v) == "range=30d&seg=none&bd=none");
        CHECK(decode_view_hash("range=30d&seg=none&bd=none") == v);
    }
    SUBCASE("a comment theme (mention=) apart from the colour theme (theme=)") {
        view_settings v;
        v.theme = "mise à jour";
        CHECK(encode_view_hash(v) == "mention=mise%20%C3%A0%20jour");
        CHECK(decode_view_hash("#mention=mise%20%C3%A0%20jour") == v);
        CHECK(decode_view_hash("mention=mise+%C3%A0+jour").theme == "mise à jour");
        CHECK_FALSE(decode_view_hash("theme=dark").theme.size());
        CHECK(decode_view_hash("mention=bill&theme=dark").dark);
        CHECK(decode_view_hash("mention=bill").theme == "bill");
        view_settings cleared = decode_view_hash("mention=bill");
        cleared.theme.clear();
        CHECK(encode_view_hash(cleared) == "");
    }
    SUBCASE("unknown and malformed parameters are ignored") {
        view_settings v = decode_view_hash("#zzz=1&range=bogus&by=year&a.=x&a.plan=&junk&range=2026-02-01..2026-01-01");
        CHECK(v == view_settings{});
    }
}

TEST_CASE("filter_for") {
    int64_t now = *parse_timestamp("2026-03-10T15:00:00Z");
    SUBCASE("presets end at the end of today (UTC)") {
        view_settings v;
        v.range = date_preset::last_7_days;
        response_filter f = filter_for(v, now);
        CHECK(f.until_ms == *parse_timestamp("2026-03-11T00:00:00Z"));
        CHECK(f.since_ms == *parse_timestamp("2026-03-04T00:00:00Z"));
    }
    SUBCASE("custom range includes its last day") {
        view_settings v = decode_view_hash("range=2026-01-01..2026-01-31");
        response_filter f = filter_for(v, now);
        CHECK(f.since_ms == *parse_timestamp("2026-01-01T00:00:00Z"));
        CHECK(f.until_ms == *parse_timestamp("2026-02-01T00:00:00Z"));
    }
    SUBCASE("exclude rule becomes an excluding attribute filter") {
        view_settings v;
        v.exclude_rule = " internal = true|yes ";
        response_filter f = filter_for(v, now);
        REQUIRE(f.attributes.size() == 1);
        CHECK(f.attributes[0].key == "internal");
        CHECK(f.attributes[0].exclude);
        CHECK(f.attributes[0].values == std::vector<std::string>{"true", "yes"});
        CHECK(parse_exclude_rule("nokey").key.empty());
        CHECK(parse_exclude_rule("=x").key.empty());
    }
}

TEST_CASE("the URL hash asks what the CLI's options ask (params.h)") {
    response_store store;
    const char* plans[] = {"pro", "team", "free"};
    const char* countries[] = {"FR", "DE", "US"};
    const int64_t start = *parse_timestamp("2026-01-29T00:10:00Z");
    for (int i = 0; i < 150; ++i) {
        response r;
        r.id = "hash-row-" + std::to_string(1000 + i);
        r.survey = "product-nps";
        r.score = (i * 7) % 11;
        r.ts_ms = start + i * 47 * 60'000LL;
        if (i % 10) r.attributes.push_back({"plan", plans[i % 3]});
        r.attributes.push_back({"country", countries[(i / 2) % 3]});
        store.add(r);
    }
    struct question {
        const char* hash;
        std::vector<param_pair> cli;  // what `npskit score --NAME VALUE` hands to params.h
    };
    const question questions[] = {
        {"since=2026-01-30&until=2026-01-31", {{"since", "2026-01-30"}, {"until", "2026-01-31"}}},
        {"range=2026-01-30..2026-01-31", {{"since", "2026-01-30"}, {"until", "2026-01-31"}}},
        {"where=plan%3Dpro%7Cteam&where=country!%3DDE", {{"where", "plan=pro|team"}, {"where", "country!=DE"}}},
        {"a.plan=pro&x=country%3DDE", {{"where", "plan=pro"}, {"where", "country!=DE"}}},
        {"xa.plan=free&a.country=FR%7CUS", {{"where", "plan!=free"}, {"where", "country=FR|US"}}},
        {"where=plan%3D", {{"where", "plan="}}},
        {"seg=dp", {{"segment", "detractor,passive"}}},
        {"segment=promoter&since=2026-01-31&until=2026-02-01", {{"segment", "promoter"}, {"since", "2026-01-31"}, {"until", "2026-02-01"}}},
    };
    const int64_t now = *parse_timestamp("2026-03-01T00:00:00Z");
    const uint64_t everything = aggregate(store, response_filter{}).histogram.n();
    for (const question& q : questions) {
        CAPTURE(q.hash);
        view_settings v = decode_view_hash(q.hash);
        query_params cli;
        REQUIRE(parse_params(q.cli, cli).ok());
        group_stats dashboard = aggregate(store, filter_for(v, now));
        group_stats command_line = aggregate(store, cli.filter);
        CHECK(dashboard.histogram == command_line.histogram);
        CHECK(dashboard.histogram.n() > 0);
        CHECK(dashboard.histogram.n() < everything);
        // What the dashboard writes back asks the same question again.
        CHECK(aggregate(store, filter_for(decode_view_hash(encode_view_hash(v)), now)).histogram == dashboard.histogram);
    }
    SUBCASE("the hash writes the shared spelling") {
        view_settings v = decode_view_hash("a.plan=pro%7Cteam&xa.country=DE");
        CHECK(encode_view_hash(v) == "where=plan%3Dpro%7Cteam&where=country%21%3DDE");
    }
}
