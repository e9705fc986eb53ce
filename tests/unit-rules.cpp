// rules: triggers, pages, sticky sampling, waits, cooldown, cap, new users — with a fake clock.
#include <doctest/doctest.h>

#include <deque>
#include <string>

#include "rules.h"

using namespace npskit;

namespace {
constexpr int64_t day = 86400000;
constexpr int64_t t0 = 1768003200000;  // 2026-01-10T00:00:00Z: the fake clock starts here

// Tagged text from JSON (how the widget's JS shim hands config and properties over). Kept alive
// in a deque: rules and properties are views into it.
std::deque<std::string> kept;
std::string_view tagged_text(const char* json) {
    std::string t;
    REQUIRE(tagged_from_json(json, t));
    return kept.emplace_back(std::move(t));
}
survey_rules rules_from(const char* json) { return read_survey_rules({tagged_text(json)}); }
tagged props(const char* json) { return tagged(tagged_text(json)); }

decision on(const survey_rules& r, const survey_history& h, const char* event, tagged properties = {}, const char* path = "/",
            int64_t now = t0, const char* who = "user-1") {
    return decide_on_event(r, h, {event, properties, path, who, "product-nps", now});
}
}  // namespace

TEST_CASE("rules: defaults") {
    survey_rules r;
    CHECK(r.sample_percent == 100);
    CHECK(r.wait_after_answer_days == 90);
    CHECK(r.wait_after_dismiss_days == 30);
    CHECK(r.cooldown_days == 7);
    CHECK(on(r, {}, "anything").show());  // no triggers configured: any tracked event
    CHECK(on(rules_from(R"({"triggers":[]})"), {}, "anything").show());
    CHECK(on(rules_from(R"({"triggers":[1,{"where":{}}]})"), {}, "anything").show());  // no usable trigger
}

TEST_CASE("rules: triggers and property conditions") {
    survey_rules r = rules_from(R"({"triggers":["purchase_completed",
        {"event":"trial_ended","where":{"plan":"pro","seats":{"gte":5},"region":["eu","us"],"coupon":{"exists":true}},"delay":1500},
        {"event":"visit","where":{"count":{"lte":3}}}]})");
    CHECK(on(r, {}, "purchase_completed").show());
    CHECK(on(r, {}, "purchase_completed").delay_ms == 0);
    CHECK(on(r, {}, "signed_in").code == rule_decision::no_trigger);

    decision d = on(r, {}, "trial_ended", props(R"({"plan":"pro","seats":5,"region":"eu","coupon":"X"})"));
    CHECK(d.show());
    CHECK(d.delay_ms == 1500);

    for (const char* bad :
         {R"({"plan":"free","seats":5,"region":"eu","coupon":"X"})", R"({"plan":"pro","seats":4,"region":"eu","coupon":"X"})",
          R"({"plan":"pro","seats":5,"region":"asia","coupon":"X"})", R"({"plan":"pro","seats":5,"region":"eu"})",
          R"({"plan":"pro","seats":"many","region":"eu","coupon":1})", R"({"plan":"pro","seats":5,"region":"eu","coupon":null})"}) {
        CAPTURE(bad);
        CHECK(on(r, {}, "trial_ended", props(bad)).code == rule_decision::conditions_not_met);
    }
    CHECK(on(r, {}, "trial_ended").code == rule_decision::conditions_not_met);  // no properties at all

    CHECK(on(r, {}, "visit", props(R"({"count":"2"})")).show());  // numbers as text (data-* attributes) still compare
    CHECK(on(r, {}, "visit", props(R"({"count":4})")).code == rule_decision::conditions_not_met);

    SUBCASE("equals, in, and conditions that cannot be read are ignored") {
        survey_rules t = rules_from(R"({"triggers":[{"event":"e","where":{"a":{"equals":1},"b":{"in":["x","y"]},
            "c":{"gte":"3"},"d":{"nope":1},"e":{"gte":1,"lte":2}}}]})");
        CHECK(on(t, {}, "e", props(R"({"a":1,"b":"y"})")).show());
        CHECK(on(t, {}, "e", props(R"({"a":"1","b":"z"})")).code == rule_decision::conditions_not_met);
    }
    SUBCASE("the first matching trigger gives the delay; a later one can still match") {
        survey_rules t = rules_from(R"({"triggers":[{"event":"e","where":{"x":1},"delay":100},{"event":"*","delay":"200"}]})");
        CHECK(on(t, {}, "e", props(R"({"x":1})")).delay_ms == 100);
        CHECK(on(t, {}, "e", props(R"({"x":2})")).delay_ms == 200);
    }
    SUBCASE("data-triggers text form and wildcard") {
        survey_rules t = rules_from(R"({"triggers":"trial_ended, purchase_completed"})");
        CHECK(on(t, {}, "purchase_completed").show());
        CHECK(on(t, {}, "trial_ended").show());
        CHECK(on(t, {}, "trial").code == rule_decision::no_trigger);
        CHECK(on(rules_from(R"({"triggers":["*"]})"), {}, "whatever").show());
    }
    SUBCASE("bad config fields keep defaults") {
        survey_rules t = rules_from(R"({"sample":"lots","cooldownDays":-1,"waitAfterAnswerDays":"45","maxDisplays":2.5e9})");
        CHECK(t.sample_percent == 100);
        CHECK(t.cooldown_days == 7);
        CHECK(t.wait_after_answer_days == 45);
        CHECK(t.max_displays == 0);
    }
    SUBCASE("later config layers win") {
        std::string layers = std::string(tagged_text(R"({"sample":10,"triggers":"a"})")) + std::string(tagged_text(R"({"sample":20})"));
        survey_rules t = read_survey_rules({layers});
        CHECK(t.sample_percent == 20);
        CHECK(on(t, {}, "b").code == rule_decision::no_trigger);
    }
}

TEST_CASE("rules: URL path patterns") {
    CHECK(path_matches("/app/*", "/app/billing"));
    CHECK(path_matches("/app/*", "/app/"));
    CHECK_FALSE(path_matches("/app/*", "/apple"));
    CHECK(path_matches("*/settings", "/org/7/settings?tab=1"));
    CHECK(path_matches("/", "/#top"));
    CHECK_FALSE(path_matches("/", "/x"));
    CHECK(path_matches("/a*b*c", "/aXbYbZc"));
    survey_rules r = rules_from(R"({"paths":["/app/*","/checkout"]})");
    CHECK(on(r, {}, "x", {}, "/app/home").show());
    CHECK(on(r, {}, "x", {}, "/checkout").show());
    CHECK(on(r, {}, "x", {}, "/blog").code == rule_decision::path_not_matched);
    survey_rules words = rules_from(R"({"paths":"/a/* /b"})");  // data-paths
    CHECK(on(words, {}, "x", {}, "/b").show());
    CHECK(on(words, {}, "x", {}, "/c").code == rule_decision::path_not_matched);
}

TEST_CASE("rules: sampling is sticky per user and survey, and close to the percent") {
    survey_rules r;
    r.sample_percent = 30;
    int shown = 0;
    for (int u = 0; u < 10000; ++u) {
        std::string who = "user-" + std::to_string(u);
        bool first = decide_on_event(r, {}, {"e", {}, "/", who, "product-nps", t0}).show();
        // The same user, a year of triggers later: the same answer every time.
        for (int k = 1; k < 5; ++k) REQUIRE(decide_on_event(r, {}, {"e", {}, "/", who, "product-nps", t0 + k * 100 * day}).show() == first);
        shown += first;
    }
    CHECK(shown > 2800);
    CHECK(shown < 3200);
    CHECK(sample_bucket("user-1", "a") == sample_bucket("user-1", "a"));
    CHECK(stable_hash("ab", "c") != stable_hash("a", "bc"));  // the separator matters
    r.sample_percent = 0;
    CHECK(on(r, {}, "e").code == rule_decision::not_sampled);
}

TEST_CASE("rules: waits after answer and dismissal, global cooldown, cap, new users") {
    survey_rules r;
    survey_history h;
    SUBCASE("after an answer: 90 days") {
        h.last_answered_ms = h.last_shown_ms = h.last_any_shown_ms = t0;
        CHECK(on(r, h, "e", {}, "/", t0 + 89 * day).code == rule_decision::answered_recently);
        CHECK(on(r, h, "e", {}, "/", t0 + 90 * day).show());
    }
    SUBCASE("after a dismissal: 30 days") {
        h.last_dismissed_ms = h.last_shown_ms = h.last_any_shown_ms = t0;
        CHECK(on(r, h, "e", {}, "/", t0 + 29 * day).code == rule_decision::dismissed_recently);
        CHECK(on(r, h, "e", {}, "/", t0 + 30 * day).show());
    }
    SUBCASE("global cooldown: 7 days after any survey was shown") {
        h.last_any_shown_ms = t0;
        CHECK(on(r, h, "e", {}, "/", t0 + 6 * day).code == rule_decision::cooldown);
        CHECK(on(r, h, "e", {}, "/", t0 + 7 * day).show());
    }
    SUBCASE("display cap") {
        r.max_displays = 2;
        h.displays = 2;
        CHECK(on(r, h, "e", {}, "/", t0 + 400 * day).code == rule_decision::display_cap);
        h.displays = 1;
        CHECK(on(r, h, "e", {}, "/", t0 + 400 * day).show());
    }
    SUBCASE("new users only after N days") {
        r.new_user_days = 14;
        CHECK(on(r, h, "e").code == rule_decision::too_new);  // never seen: unknown age
        h.first_seen_ms = t0;
        CHECK(on(r, h, "e", {}, "/", t0 + 13 * day).code == rule_decision::too_new);
        CHECK(on(r, h, "e", {}, "/", t0 + 14 * day).show());
    }
    SUBCASE("npskit('show') keeps the waits; force bypasses them") {
        h.last_dismissed_ms = t0;
        CHECK(decide_when_asked(r, h, t0 + day, false).code == rule_decision::dismissed_recently);
        CHECK(decide_when_asked(r, h, t0 + day, true).show());
    }
    SUBCASE("zero days disables a wait") {
        r.wait_after_dismiss_days = 0;
        r.cooldown_days = 0;
        h.last_dismissed_ms = h.last_any_shown_ms = t0;
        CHECK(on(r, h, "e", {}, "/", t0 + 1).show());
    }
}

TEST_CASE("rules: history text round trip") {
    survey_history h{t0, t0 + 1, t0 + 2, 0, 3, t0 + 4};
    survey_history back;
    REQUIRE(history_from_text(history_to_text(h), back));
    CHECK(back.first_seen_ms == h.first_seen_ms);
    CHECK(back.last_answered_ms == h.last_answered_ms);
    CHECK(back.displays == 3);
    CHECK(back.last_any_shown_ms == t0 + 4);
    for (const char* bad : {"", "1,2", "a,b,c,d,e", "1,2,3,4,5,6,7", "1,,3,4,5"}) CHECK_FALSE(history_from_text(bad, back));
    CHECK(rule_decision_name(rule_decision::cooldown) == std::string("cooldown"));
}

TEST_CASE("rules: is_safe_link (promoterUrl) takes http(s) and same-site paths only") {
    CHECK(is_safe_link("https://example.com/review"));
    CHECK(is_safe_link("http://example.com"));
    CHECK(is_safe_link("/ok/path"));
    CHECK(is_safe_link("/ok/path?x=//y"));
    CHECK(is_safe_link("/"));
    CHECK_FALSE(is_safe_link(""));
    CHECK_FALSE(is_safe_link("/\\evil.example"));  // read as //evil.example
    CHECK_FALSE(is_safe_link("//evil.example"));   // protocol-relative: another host
    CHECK_FALSE(is_safe_link("javascript:alert(1)"));
    CHECK_FALSE(is_safe_link("JavaScript:alert(1)"));
    CHECK_FALSE(is_safe_link("data:text/html,x"));
    CHECK_FALSE(is_safe_link(" https://example.com"));  // not trimmed: refused as written
    CHECK_FALSE(is_safe_link("  /ok"));
    CHECK_FALSE(is_safe_link("HTTPS://example.com"));  // the scheme in lower case only (docs/js-api.md)
    CHECK_FALSE(is_safe_link("https:example.com"));
    CHECK_FALSE(is_safe_link("/\t/evil.example"));  // the URL parser drops the tab: //evil.example
    CHECK_FALSE(is_safe_link("/\n/evil.example"));
    CHECK(is_safe_link("/a\t/b"));  // read as /a/b: still this site
    CHECK_FALSE(is_safe_link("ok/relative"));
    CHECK_FALSE(is_safe_link("?q=1"));
}
