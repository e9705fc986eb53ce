// Response schema v1: what is accepted, what is refused and with which code.
#include <doctest/doctest.h>

#include <algorithm>
#include <string>

#include "schema.h"

using namespace npskit;

static const char* valid_body = R"({"v":1,"id":"3f2b8c1e-9a4d-4c2e-8f00-5b6a7c8d9e0f","survey":"product-nps","score":9,)"
                                R"("ts":"2026-01-10T12:30:00Z","comment":"Fast.\nLove it","trigger":"trial_ended","page":"/billing",)"
                                R"("locale":"fr","attributes":{"plan":"pro","seats":12,"beta":true}})";

static bool has_error(const parse_result& r, schema_error_code code, const std::string& field) {
    return std::any_of(r.errors.begin(), r.errors.end(), [&](const schema_error& e) { return e.code == code && e.field == field; });
}

static std::string with(const std::string& field_json) {
    // valid_body with one field replaced/added: {"v":1,...,FIELD}
    std::string body = valid_body;
    body.pop_back();
    return body + "," + field_json + "}";
}

TEST_CASE("a valid response parses into the record") {
    parse_result r = parse_response(valid_body);
    REQUIRE(r.ok());
    CHECK(r.value.id == "3f2b8c1e-9a4d-4c2e-8f00-5b6a7c8d9e0f");
    CHECK(r.value.type == event_type::response);
    CHECK(r.value.score == 9);
    CHECK(r.value.comment == std::string("Fast.\nLove it"));
    CHECK(r.value.locale == std::string("fr"));
    REQUIRE(r.value.attributes.size() == 3);
    CHECK(r.value.attributes[0] == std::pair<std::string, std::string>("beta", "true"));
    CHECK(r.value.attributes[1] == std::pair<std::string, std::string>("plan", "pro"));
    CHECK(r.value.attributes[2] == std::pair<std::string, std::string>("seats", "12"));
}

TEST_CASE("serialize then parse gives the same record") {
    parse_result a = parse_response(valid_body);
    REQUIRE(a.ok());
    parse_result b = parse_response(response_to_json(a.value));
    REQUIRE(b.ok());
    CHECK(b.value.id == a.value.id);
    CHECK(b.value.ts_ms == a.value.ts_ms);
    CHECK(b.value.comment == a.value.comment);
    CHECK(b.value.attributes == a.value.attributes);
}

TEST_CASE("scores other than integers 0-10 are refused, naming the field") {
    std::string base = R"({"v":1,"id":"abcdefgh","survey":"s","ts":"2026-01-10T12:30:00Z","score":)";
    CHECK(has_error(parse_response(base + "6.5}"), schema_error_code::score_not_integer, "score"));
    CHECK(has_error(parse_response(base + "9.0}"), schema_error_code::score_not_integer, "score"));
    CHECK(has_error(parse_response(base + "\"9\"}"), schema_error_code::wrong_type, "score"));
    CHECK(has_error(parse_response(base + "11}"), schema_error_code::score_out_of_range, "score"));
    CHECK(has_error(parse_response(base + "-1}"), schema_error_code::score_out_of_range, "score"));
    CHECK(has_error(parse_response(base + "18446744073709551615}"), schema_error_code::score_out_of_range, "score"));
    CHECK(has_error(parse_response(base + "null}"), schema_error_code::missing, "score"));
    CHECK(has_error(parse_response(base + "1e309}"), schema_error_code::not_json, ""));
    CHECK(parse_response(base + "-0}").ok());  // -0 is the integer 0
    CHECK(parse_response(base + "0}").ok());
    CHECK(parse_response(base + "10}").ok());
    parse_result r = parse_response(base + "11}");
    REQUIRE_FALSE(r.errors.empty());
    CHECK(r.errors[0].message() == "score must be from 0 to 10");
}

TEST_CASE("display events carry no score") {
    std::string base = R"({"v":1,"id":"abcdefgh","survey":"s","ts":"2026-01-10T12:30:00Z","type":)";
    parse_result shown = parse_response(base + "\"shown\"}");
    REQUIRE(shown.ok());
    CHECK(shown.value.type == event_type::shown);
    CHECK(shown.value.score == -1);
    CHECK(has_error(parse_response(base + "\"dismissed\",\"score\":3}"), schema_error_code::score_not_allowed, "score"));
    CHECK(has_error(parse_response(base + "\"clicked\"}"), schema_error_code::bad_type, "type"));
}

TEST_CASE("every problem is listed, not only the first") {
    parse_result r = parse_response(R"({"v":2,"id":"x","survey":"","score":12,"ts":"yesterday","colour":"red"})");
    CHECK(has_error(r, schema_error_code::bad_version, "v"));
    CHECK(has_error(r, schema_error_code::bad_id, "id"));
    CHECK(has_error(r, schema_error_code::bad_survey, "survey"));
    CHECK(has_error(r, schema_error_code::score_out_of_range, "score"));
    CHECK(has_error(r, schema_error_code::bad_timestamp, "ts"));
    CHECK(has_error(r, schema_error_code::unknown_field, "colour"));
    CHECK(r.errors.size() == 6);
    std::string json = errors_to_json(r.errors);
    CHECK(json.find(R"("code":"bad_version")") != std::string::npos);
    CHECK(json.find(R"("message":"score must be from 0 to 10")") != std::string::npos);
}

TEST_CASE("limits and hostile input") {
    SUBCASE("missing required fields") {
        parse_result r = parse_response("{}");
        CHECK(has_error(r, schema_error_code::missing, "v"));
        CHECK(has_error(r, schema_error_code::missing, "id"));
        CHECK(has_error(r, schema_error_code::missing, "survey"));
        CHECK(has_error(r, schema_error_code::missing, "score"));
        CHECK(has_error(r, schema_error_code::missing, "ts"));
    }
    SUBCASE("not JSON, not an object, too deep, too large") {
        CHECK(has_error(parse_response("{\"v\":1,"), schema_error_code::not_json, ""));
        CHECK(has_error(parse_response("[1,2]"), schema_error_code::not_object, ""));
        CHECK(has_error(parse_response(std::string(10000, '[') + std::string(10000, ']')), schema_error_code::too_deep, ""));
        CHECK(has_error(parse_response(std::string(70 * 1024, ' ')), schema_error_code::too_large, ""));
    }
    SUBCASE("comment length is counted in code points") {
        std::string accents;
        for (int i = 0; i < 2000; ++i) accents += "\xC3\xA9";  // é, two bytes each
        CHECK(parse_response(with("\"user\":\"u1\"")).ok());
        std::string base = R"({"v":1,"id":"abcdefgh","survey":"s","ts":"2026-01-10T12:30:00Z","score":3,"comment":")";
        CHECK(parse_response(base + accents + "\"}").ok());
        CHECK(has_error(parse_response(base + accents + "e\"}"), schema_error_code::too_long, "comment"));
    }
    SUBCASE("control characters and invalid UTF-8") {
        std::string base = R"({"v":1,"id":"abcdefgh","survey":"s","ts":"2026-01-10T12:30:00Z","score":3,)";
        CHECK(has_error(parse_response(base + R"("comment":"a\u0000b"})"), schema_error_code::control_character, "comment"));
        CHECK(has_error(parse_response(base + R"("user":"a\nb"})"), schema_error_code::control_character, "user"));
        CHECK(has_error(parse_response(base + "\"comment\":\"\xC3\x28\"}"), schema_error_code::not_json, ""));
        // HTML is data, not markup: accepted and kept verbatim (the renderers use text nodes).
        parse_result html = parse_response(base + R"("comment":"<img src=x onerror=alert(1)></script>"})");
        REQUIRE(html.ok());
        CHECK(*html.value.comment == "<img src=x onerror=alert(1)></script>");
    }
    SUBCASE("attributes") {
        std::string base = R"({"v":1,"id":"abcdefgh","survey":"s","ts":"2026-01-10T12:30:00Z","score":3,"attributes":)";
        CHECK(has_error(parse_response(base + R"({"bad key":"x"}})"), schema_error_code::bad_attribute_key, "attributes.bad key"));
        CHECK(has_error(parse_response(base + R"({"plan":{"nested":1}}})"), schema_error_code::bad_attribute_value, "attributes.plan"));
        CHECK(has_error(parse_response(base + R"({"plan":null}})"), schema_error_code::bad_attribute_value, "attributes.plan"));
        CHECK(has_error(parse_response(base + "[1]}"), schema_error_code::wrong_type, "attributes"));
        std::string many = "{";
        for (int i = 0; i < 33; ++i) many += (i ? "," : "") + std::string("\"k") + std::to_string(i) + "\":1";
        CHECK(has_error(parse_response(base + many + "}}"), schema_error_code::too_many_attributes, "attributes"));
        std::string long_value(257, 'x');
        CHECK(has_error(parse_response(base + R"({"plan":")" + long_value + "\"}}"), schema_error_code::too_long, "attributes.plan"));
    }
    SUBCASE("timestamps need a zone and a sane year") {
        std::string base = R"({"v":1,"id":"abcdefgh","survey":"s","score":3,"ts":)";
        CHECK(has_error(parse_response(base + "\"2026-01-10T12:30:00\"}"), schema_error_code::bad_timestamp, "ts"));
        CHECK(has_error(parse_response(base + "\"1999-12-31T23:59:59Z\"}"), schema_error_code::bad_timestamp, "ts"));
        CHECK(has_error(parse_response(base + "1767000000}"), schema_error_code::wrong_type, "ts"));
        CHECK(parse_response(base + "\"2026-01-10T14:30:00+02:00\"}").ok());
    }
}

TEST_CASE("a raw NUL byte makes a body invalid JSON, even after a complete object") {
    std::string body = R"({"v":1,"id":"abcdefgh-1","survey":"s","score":9,"ts":"2026-03-02T10:00:00Z"})";
    CHECK(parse_response(std::string_view(body)).ok());
    std::string trailing = body + std::string(1, '\0') + "{}";
    parse_result r = parse_response(std::string_view(trailing));
    REQUIRE(r.errors.size() == 1);
    CHECK(r.errors[0].code == schema_error_code::not_json);
}
