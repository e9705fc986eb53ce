// json_text: the widget's tiny JSON reader/writer; its records must pass the core schema.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "json_text.h"
#include "schema.h"

using namespace npskit;

TEST_CASE("json_text: reader") {
    json_value v;
    SUBCASE("nested values keep order and types") {
        REQUIRE(parse_json_text(R"( {"a":1,"b":[true,null,"x\u00e9\n"],"c":{"d":-2.5e1}} )", v));
        CHECK(v.is_object());
        CHECK(v.keys.size() == 3);
        CHECK(v.get("a")->number == 1);
        CHECK(v.get("b")->items[0].boolean);
        CHECK(v.get("b")->items[1].kind == json_kind::null);
        CHECK(v.get("b")->items[2].text == "x\xc3\xa9\n");
        CHECK(v.get("c")->get("d")->number == -25);
        CHECK(v.get("missing") == nullptr);
    }
    SUBCASE("surrogate pairs become one code point") {
        REQUIRE(parse_json_text(R"("\ud83d\ude00")", v));
        CHECK(v.text == "\xf0\x9f\x98\x80");
        CHECK_FALSE(parse_json_text(R"("\ud83d")", v));
    }
    SUBCASE("malformed input is refused without throwing") {
        for (const char* bad : {"", "{", "[1,]", "{\"a\"}", "01", "1.", "tru", "\"a", "{\"a\":1}x", "\"\x01\""})
            CHECK_FALSE(parse_json_text(bad, v));
        std::string deep(40, '[');
        CHECK_FALSE(parse_json_text(deep + std::string(40, ']'), v));
    }
    SUBCASE("last duplicate key wins, as in JavaScript") {
        REQUIRE(parse_json_text(R"({"a":1,"a":2})", v));
        CHECK(v.get("a")->number == 2);
    }
    SUBCASE("as_text") {
        REQUIRE(parse_json_text(R"([3, 2.5, false, "s"])", v));
        CHECK(v.items[0].as_text() == "3");
        CHECK(v.items[1].as_text() == "2.5");
        CHECK(v.items[2].as_text() == "false");
        CHECK(v.items[3].as_text() == "s");
    }
}

TEST_CASE("json_text: decimals and tagged text (the widget's JS -> wasm format)") {
    double n = 0;
    CHECK((parse_decimal("-12.5", n) && n == -12.5));
    CHECK((parse_decimal("+3", n) && n == 3));
    CHECK((parse_decimal("1e3", n) && n == 1000));
    CHECK((parse_decimal(".5", n) && n == 0.5));
    for (const char* bad : {"", "-", "1x", "e3", "1e", "1.2.3", " 1"}) CHECK_FALSE(parse_decimal(bad, n));

    json_value v;
    auto tagged = [](std::string t) {  // '|' stands for the '\x01' terminator
        for (char& c : t)
            if (c == '|') c = '\x01';
        return t;
    };
    // ['trial_ended', {plan: 'pro', seats: 12, tags: ['a', null], ok: true}]
    REQUIRE(parse_tagged_text(tagged("a2|strial_ended|o4|plan|spro|seats|n12|tags|a2|sa|z|ok|t|"), v));
    REQUIRE(v.is_array());
    CHECK(v.items[0].text == "trial_ended");
    const json_value& props = v.items[1];
    CHECK(props.get("plan")->text == "pro");
    CHECK(props.get("seats")->number == 12);
    CHECK(props.get("seats")->as_text() == "12");
    CHECK(props.get("tags")->items[1].kind == json_kind::null);
    CHECK(props.get("ok")->boolean);
    CHECK((parse_tagged_text(tagged("se\xc3\xa9\nx|"), v) && v.text == "e\xc3\xa9\nx"));
    for (const char* bad : {"", "s", "a2|sx|", "o1|k|", "q|", "n1x|", "t|z|", "tx|"}) CHECK_FALSE(parse_tagged_text(tagged(bad), v));
    std::string deep;
    for (int k = 0; k < 40; ++k) deep += "a1|";
    CHECK_FALSE(parse_tagged_text(tagged(deep + "z|"), v));
}

TEST_CASE("json_text: writer") {
    std::string out;
    append_json_string(out, "a\"b\\c\n\t\x01\x7f\xc3\xa9");
    CHECK(out == "\"a\\\"b\\\\c\\n\\t\\u0001\\u007f\xc3\xa9\"");
    json_value back;
    REQUIRE(parse_json_text(out, back));
    CHECK(back.text == "a\"b\\c\n\t\x01\x7f\xc3\xa9");

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
    CHECK_FALSE(parse_decimal("0e0000000000895374", v));  // 0 x infinity: NaN (found by fuzz/widget_config_fuzzer)
    CHECK(parse_decimal("1e308", v));
    CHECK(parse_decimal("0e5", v));
    CHECK(v == 0);
}
