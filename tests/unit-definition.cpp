// definition: the collector's check of a survey definition (same readers and limits as the
// widget's rules), the schedule at a given time, and the precedence of config layers.
#include <doctest/doctest.h>

#include <string>

#include "definition.h"
#include "rules.h"

using namespace npskit;

namespace {
constexpr int64_t t0 = 1768003200000;  // 2026-01-10T00:00:00Z
std::string tagged_of(const char* json) {
    std::string t;
    REQUIRE(tagged_from_json(json, t));
    return t;
}
std::string codes(const std::vector<definition_error>& errors) {
    std::string out;
    for (const auto& e : errors) out += (out.empty() ? "" : " ") + e.field + ":" + definition_code_name(e.code);
    return out;
}
}  // namespace

TEST_CASE("definition: a typical definition with every option is valid") {
    const char* def = R"({"survey":"product-nps","app":"web","active":true,"priority":10,
      "start":"2026-01-01T00:00:00Z","end":"2026-02-01T00:00:00Z",
      "triggers":["trial_ended",{"event":"purchase_completed","where":{"plan":"pro"},"delay":2000}],
      "paths":["/app/*"],"sample":50,"waitAfterAnswerDays":90,"waitAfterDismissDays":30,"cooldownDays":7,
      "maxDisplays":3,"newUserDays":14,"position":"center","theme":"dark","brand":"#112233","product":"Acme",
      "displayEvents":false,"promoterUrl":"https://example.com/review","passiveUrl":"/offer","detractorUrl":"https://help.example.com/",
      "texts":{"question":"How likely are you to recommend {product}?","follow_promoter":"What do you love?","passive_cta":"Try 60 days"},
      "variants":[{"name":"a","weight":50},{"name":"b","weight":50,"texts":{"follow_promoter":"Why?"},"promoterUrl":"/r","passiveUrl":"/o","detractorUrl":"/h"}],
      "somethingNew":1})";
    CHECK(codes(validate_definition(def)) == "");
    CHECK(codes(validate_definition("{}")) == "");
}

TEST_CASE("definition: the numbers take exactly what the widget's rules take") {
    // The same bounds as read_survey_rules: a value it refuses is an error, one it takes is not.
    const char* cases[] = {R"({"sample":101})",          R"({"sample":-1})", R"({"sample":"x"})",  R"({"waitAfterAnswerDays":3651})",
                           R"({"maxDisplays":1000001})", R"({"sample":50})", R"({"sample":"50"})", R"({"cooldownDays":0})"};
    for (const char* json : cases) {
        std::string t = tagged_of(json);
        survey_rules defaults;
        survey_rules read = read_survey_rules({t});
        bool widget_took = read.sample_percent != defaults.sample_percent ||
                           read.wait_after_answer_days != defaults.wait_after_answer_days || read.max_displays != defaults.max_displays ||
                           read.cooldown_days != defaults.cooldown_days;
        CAPTURE(json);
        CHECK(validate_definition(json).empty() == widget_took);
    }
    auto e = validate_definition(R"({"sample":101})");
    REQUIRE(e.size() == 1);
    CHECK(e[0].field == "sample");
    CHECK(e[0].code == definition_code::out_of_range);
    CHECK(e[0].message == "must be a number from 0 to 100");
}

TEST_CASE("definition: each problem has its field, code and message, in document order") {
    auto e = validate_definition(R"j({"triggers":[3,{"event":"a","delay":3600001,"where":1}],"paths":[1],
      "texts":{"question":"ok","nope":"x","follow_promoter":2},"promoterUrl":"javascript:alert(1)","survey":"a b",
      "position":"top","theme":"pink","active":"yes","start":"tomorrow","priority":1.5,"variants":{}})j");
    CHECK(codes(e) ==
          "triggers[0]:wrong_type triggers[1].where:wrong_type triggers[1].delay:out_of_range paths[0]:wrong_type "
          "texts.nope:unknown_text texts.follow_promoter:wrong_type promoterUrl:unsafe_link survey:bad_name position:bad_choice "
          "theme:bad_choice active:wrong_type start:bad_time priority:out_of_range variants:wrong_type");
    CHECK(e[2].message == "must be a number of milliseconds from 0 to 3600000");
    CHECK(e[8].message == "must be one of bottom-right, bottom-center, center");
    CHECK(e[4].message == definition_code_text(definition_code::unknown_text));
}

TEST_CASE("definition: every segment's link is checked by is_safe_link, at the top and in variants") {
    CHECK(codes(validate_definition(R"j({"passiveUrl":"//evil.example","detractorUrl":"javascript:alert(1)","promoterUrl":"/ok"})j")) ==
          "passiveUrl:unsafe_link detractorUrl:unsafe_link");
    CHECK(codes(validate_definition(R"j({"detractorUrl":3})j")) == "detractorUrl:wrong_type");
    CHECK(codes(validate_definition(R"j({"variants":[{"name":"a","weight":1,"passiveUrl":"/\\evil","detractorUrl":"HTTPS://x"}]})j")) ==
          "variants[0].detractorUrl:unsafe_link variants[0].passiveUrl:unsafe_link");
    CHECK(codes(validate_definition(R"j({"texts":{"detractor_cta":"Help","passive_cta":"Offer"}})j")) == "");
}

TEST_CASE("definition: not JSON, not an object, too deep, schedule and variants") {
    CHECK(codes(validate_definition("{")) == ":not_json");
    CHECK(codes(validate_definition("[1]")) == ":not_object");
    std::string deep(17, '[');
    deep += std::string(17, ']');
    CHECK(codes(validate_definition("{\"a\":" + deep + "}")) == ":not_json");
    CHECK(codes(validate_definition(R"({"start":"2026-02-01T00:00:00Z","end":"2026-01-01T00:00:00Z"})")) == "end:end_before_start");
    CHECK(codes(validate_definition(R"({"variants":[{"name":"","weight":101},{"weight":1,"name":"x","texts":{"q":"1"}}]})")) ==
          "variants[0].name:bad_name variants[0].weight:out_of_range variants[1].texts.q:unknown_text");
    std::string nine = R"({"variants":[)";
    for (int i = 0; i < 9; ++i) nine += std::string(i ? "," : "") + R"({"name":"v)" + std::to_string(i) + R"(","weight":1})";
    CHECK(codes(validate_definition(nine + "]}")) == "variants:too_many");
    // "<script>" in a text is only text: stored and served as JSON, never interpreted here.
    CHECK(codes(validate_definition(R"j({"texts":{"question":"<script>alert(1)</script>"}})j")) == "");
}

TEST_CASE("definition: schedule (active, start, end at a given time)") {
    std::string always = tagged_of("{}"), paused = tagged_of(R"({"active":false})"), on = tagged_of(R"({"active":true})");
    CHECK(definition_showing(tagged(always), t0));
    CHECK(definition_showing(tagged(on), t0));
    CHECK_FALSE(definition_showing(tagged(paused), t0));
    std::string window = tagged_of(R"({"start":"2026-01-10T00:00:00Z","end":"2026-01-11T00:00:00Z"})");
    CHECK_FALSE(definition_showing(tagged(window), t0 - 1));
    CHECK(definition_showing(tagged(window), t0));  // start is inclusive
    CHECK(definition_showing(tagged(window), t0 + 86400000 - 1));
    CHECK_FALSE(definition_showing(tagged(window), t0 + 86400000));  // end is exclusive
    std::string paused_window = tagged_of(R"({"active":false,"start":"2026-01-01T00:00:00Z"})");
    CHECK_FALSE(definition_showing(tagged(paused_window), t0));
}

TEST_CASE("definition: precedence is defaults < remote definition < tag and init") {
    std::string remote = tagged_of(R"({"sample":50,"waitAfterAnswerDays":30,"texts":{"question":"remote"}})");
    std::string tag = tagged_of(R"({"sample":"20"})");  // data-sample="20"
    std::string init = tagged_of(R"({"texts":{"question":"init"}})");
    std::string layers = layer_config(remote, tag + init);
    survey_rules r = read_survey_rules({layers});
    CHECK(r.sample_percent == 20);           // the tag pins it
    CHECK(r.wait_after_answer_days == 30);   // the remote definition's
    CHECK(r.wait_after_dismiss_days == 30);  // the built-in default
    CHECK(r.cooldown_days == 7);             // the built-in default
    CHECK(config_layers{layers}.get("texts").get("question").text() == "init");
    survey_rules only_remote = read_survey_rules({layer_config(remote, "")});
    CHECK(only_remote.sample_percent == 50);
    CHECK(read_survey_rules({layer_config("", "")}).sample_percent == 100);
    // A value the remote definition gets wrong keeps the default; the local layer still wins over it.
    std::string bad = tagged_of(R"({"sample":500})");
    CHECK(read_survey_rules({layer_config(bad, "")}).sample_percent == 100);
}
