// json_text: the widget's tiny JSON reader/writer; its records must pass the core schema.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "json_text.h"
#include "schema.h"

using namespace npskit;

namespace {
std::string tt(std::string t) {  // '|' stands for the '\x01' terminator
    for (char& c : t)
        if (c == '|') c = '\x01';
    return t;
}
std::string from_json(const char* json) {
    std::string out;
    REQUIRE(tagged_from_json(json, out));
    return out;
}
}  // namespace

TEST_CASE("json_text: tagged text, read in place (the widget's JS -> wasm format)") {
    // ['trial_ended', {plan: 'pro', seats: 12, tags: ['a', null], ok: true}]
    std::string text = tt("a2|strial_ended|o4|kplan|spro|kseats|n12|ktags|a2|sa|z|kok|t|");
    tagged args(text);
    REQUIRE(args.is_array());
    CHECK(args.span().size() == text.size());
    size_t pos = 0;
    tagged a0, a1, end;
    REQUIRE(args.next(pos, a0));
    REQUIRE(args.next(pos, a1));
    CHECK_FALSE(args.next(pos, end));
    CHECK(a0.text() == "trial_ended");
    CHECK(a1.get("plan").text() == "pro");
    double n = 0;
    CHECK((a1.get("seats").number(n) && n == 12));
    CHECK(a1.get("seats").text() == "12");
    CHECK(a1.get("tags").kind() == 'a');
    CHECK(a1.get("ok").text() == "true");
    CHECK_FALSE(a1.get("missing").present());
    CHECK_FALSE(a0.get("plan").present());  // not an object
    std::string_view key;
    tagged v;
    pos = 0;
    REQUIRE(a1.next(pos, v, &key));
    CHECK(key == "plan");

    SUBCASE("last duplicate key wins, as in JavaScript") {
        std::string dup = tt("o2|ka|n1|ka|n2|");
        CHECK(tagged(dup).get("a").text() == "2");
    }
    SUBCASE("malformed text reads as absent, never out of bounds") {
        for (const char* bad : {"", "s", "q|", "tx|", "o1|", "o1|ka|", "o1|xa|n1|", "a99999999999999999999|z|", "o3|kk|"}) {
            std::string b = tt(bad);
            tagged t(b);
            CAPTURE(bad);
            CHECK(t.span().size() <= b.size());
            CHECK_FALSE(t.get("a").present());
            tagged item;
            size_t p = 0;
            int items = 0;
            while (t.next(p, item) && items < 100) ++items;
            CHECK(items <= 1);
        }
        std::string deep;  // nesting costs no stack: 100,000 levels
        for (int k = 0; k < 100000; ++k) deep += tt("a1|");
        deep += tt("z|");
        CHECK(tagged(deep).span().size() == deep.size());
    }
    SUBCASE("config layers: the later layer wins") {
        std::string layers = tt("o2|ksample|n10|kendpoint|s/a|o1|ksample|n20|");
        config_layers c{layers};
        CHECK(c.get("sample").text() == "20");
        CHECK(c.get("endpoint").text() == "/a");
        CHECK_FALSE(c.get("survey").present());
    }
}

TEST_CASE("json_text: JSON to tagged text (tests and tools)") {
    CHECK(from_json(R"( {"a":1,"b":[true,null,"x\u00e9\n"],"c":{"d":-2.5e1}} )") ==
          tt("o3|ka|n1|kb|a3|t|z|sx\xc3\xa9\n|kc|o1|kd|n-2.5e1|"));
    CHECK(from_json(R"("\ud83d\ude00")") == tt("s\xf0\x9f\x98\x80|"));
    CHECK(from_json(R"(["a\u0001b", {}, []])") == tt("a3|sab|o0|a0|"));  // the terminator never appears in text
    std::string out;
    for (const char* bad : {"", "{", "[1,]", "{\"a\"}", "01", "1.", "tru", "\"a", "{\"a\":1}x", "\"\x01\"", "\"\\ud83d\"", "1e999"}) {
        CAPTURE(bad);
        out.clear();
        CHECK_FALSE(tagged_from_json(bad, out));
    }
    std::string deep(40, '[');
    CHECK_FALSE(tagged_from_json(deep + std::string(40, ']'), out));
}

TEST_CASE("json_text: small helpers the widget uses instead of libc's") {
    CHECK(same("init", "init"));
    CHECK_FALSE(same("init", "ini"));
    CHECK_FALSE(same("ini", "init"));
    CHECK(same("", ""));
    CHECK_FALSE(same(std::string_view("a\0", 2), "a"));
    CHECK(find_byte("a\tb\tc", '\t') == 1);
    CHECK(find_byte("a\tb\tc", '\t', 2) == 3);
    CHECK(find_byte("abc", '\t') == std::string_view::npos);
    int64_t n[3] = {};
    size_t used = 0;
    CHECK(read_integers("12,-3,4x", ',', n, 3, used) == 3);
    CHECK((n[0] == 12 && n[1] == -3 && n[2] == 4));
    CHECK(used == 7);  // stopped at the 'x'
    CHECK(read_integers("1\t2\tbody", '\t', n, 3, used) == 2);
    CHECK(read_integers("-", ',', n, 3, used) == 0);
    CHECK(read_integers("123456789012345678", ',', n, 1, used) == 1);
    CHECK(used == 17);  // at most 17 digits: no overflow
}

TEST_CASE("json_text: decimals") {
    double n = 0;
    CHECK((parse_decimal("-12.5", n) && n == -12.5));
    CHECK((parse_decimal("+3", n) && n == 3));
    CHECK((parse_decimal("1e3", n) && n == 1000));
    CHECK((parse_decimal(".5", n) && n == 0.5));
    for (const char* bad : {"", "-", "1x", "e3", "1e", "1.2.3", " 1"}) CHECK_FALSE(parse_decimal(bad, n));
}

TEST_CASE("json_text: writer") {
    std::string out;
    append_json_string(out, "a\"b\\c\n\t\x01\x7f\xc3\xa9");
    CHECK(out == "\"a\\\"b\\\\c\\n\\t\\u0001\\u007f\xc3\xa9\"");
    CHECK(nlohmann::json::parse(out) == "a\"b\\c\n\t\x01\x7f\xc3\xa9");

    out.clear();
    append_json_number(out, -12.5);
    out += ' ';
    append_json_number(out, 42);
    out += ' ';
    append_json_number(out, 0.125);
    CHECK(out == "-12.5 42 0.125");

    out.clear();
    append_timestamp(out, 0);
    CHECK(out == "1970-01-01T00:00:00Z");
    out.clear();
    append_timestamp(out, 1768048200123);  // 2026-01-10T12:30:00.123Z
    CHECK(out == "2026-01-10T12:30:00.123Z");
}

TEST_CASE("json_text: every record the widget writes validates with parse_response") {
    response r;
    r.id = "3f2b8c1e-9d4a-4c7b-8e2f-1a2b3c4d5e6f";
    r.survey = "product-nps";
    r.score = 7;
    r.ts_ms = 1768048200000;

    SUBCASE("minimal response") {
        auto p = parse_response(std::string_view(write_response_json(r)));
        REQUIRE(p.ok());
        CHECK(p.value.score == 7);
        CHECK(p.value.ts_ms == r.ts_ms);
    }
    SUBCASE("update with every optional field, hostile text") {
        r.comment = "Line one\nline \"two\" \xe2\x80\x94 caf\xc3\xa9\t\\";
        r.user = "user-42";
        r.trigger = "trial_ended";
        r.page = "/app/billing";
        r.locale = "fr";
        r.contact_ok = true;
        r.email = "ada@example.com";
        r.attributes = {{"plan", "pro"}, {"seats", "12"}};
        auto p = parse_response(std::string_view(write_response_json(r)));
        for (const auto& e : p.errors) INFO(e.message());
        REQUIRE(p.ok());
        CHECK(*p.value.comment == *r.comment);
        CHECK(*p.value.contact_ok);
        CHECK(*p.value.email == "ada@example.com");
        CHECK(p.value.attributes == r.attributes);
        CHECK(write_response_json(r).find('\n') == std::string::npos);
    }
    SUBCASE("display events carry no score") {
        for (event_type t : {event_type::shown, event_type::dismissed}) {
            r.type = t;
            std::string text = write_response_json(r);
            CHECK(text.find("score") == std::string::npos);
            auto p = parse_response(std::string_view(text));
            REQUIRE(p.ok());
            CHECK(p.value.type == t);
        }
    }
    SUBCASE("same JSON value as the core's canonical writer") {
        r.comment = "ok";
        r.page = "/";
        r.attributes = {{"a", "1"}};
        CHECK(nlohmann::json::parse(write_response_json(r)) == nlohmann::json::parse(response_to_json(r)));
    }
}

TEST_CASE("parse_decimal refuses numbers that are not finite") {
    double v = 0;
    CHECK_FALSE(parse_decimal("1e999", v));
    CHECK_FALSE(parse_decimal("-1e999", v));
    // Zero whatever the exponent, never NaN (fuzz/widget_config_fuzzer once found 0 x infinity here).
    CHECK((parse_decimal("0e0000000000895374", v) && v == 0));
    CHECK((parse_decimal("0.1", v) && v == 0.1));
    CHECK((parse_decimal("-2.5e-3", v) && v == -0.0025));
    CHECK((parse_decimal("1.", v) && v == 1));
    CHECK(parse_decimal("1e308", v));
    CHECK(parse_decimal("0e5", v));
    CHECK(v == 0);
}
