// rules: triggers, pages, sticky sampling, waits, cooldown, cap, new users — with a fake clock.
#include <doctest/doctest.h>

#include "rules.h"

using namespace npskit;

namespace {
constexpr int64_t day = 86400000;
constexpr int64_t t0 = 1768003200000;  // 2026-01-10T00:00:00Z: the fake clock starts here

json_value parse(const char* text) {
    json_value v;
    REQUIRE(parse_json_text(text, v));
    return v;
}

decision on(const survey_rules& r, const survey_history& h, const char* event, const json_value* props = nullptr,
            const char* path = "/", int64_t now = t0, const char* who = "user-1") {
    return decide_on_event(r, h, {event, props, path, who, "product-nps", now});
}
}  // namespace

TEST_CASE("rules: defaults") {
    survey_rules r;
    CHECK(r.sample_percent == 100);
    CHECK(r.wait_after_answer_days == 90);
    CHECK(r.wait_after_dismiss_days == 30);
    CHECK(r.cooldown_days == 7);
    CHECK(on(r, {}, "anything").show());  // no triggers configured: any tracked event
}

TEST_CASE("rules: triggers and property conditions") {
    survey_rules r;
    CHECK(read_survey_rules(parse(R"({"triggers":["purchase_completed",
        {"event":"trial_ended","where":{"plan":"pro","seats":{"gte":5},"region":["eu","us"],"coupon":{"exists":true}},"delay":1500},
        {"event":"visit","where":{"count":{"lte":3}}}]})"), r) == 0);
    REQUIRE(r.triggers.size() == 3);
    CHECK(on(r, {}, "purchase_completed").show());
    CHECK(on(r, {}, "signed_in").code == rule_decision::no_trigger);

    json_value ok = parse(R"({"plan":"pro","seats":5,"region":"eu","coupon":"X"})");
    decision d = on(r, {}, "trial_ended", &ok);
    CHECK(d.show());
    CHECK(d.delay_ms == 1500);

    for (const char* bad : {R"({"plan":"free","seats":5,"region":"eu","coupon":"X"})",
                            R"({"plan":"pro","seats":4,"region":"eu","coupon":"X"})",
                            R"({"plan":"pro","seats":5,"region":"asia","coupon":"X"})",
                            R"({"plan":"pro","seats":5,"region":"eu"})", R"({"plan":"pro","seats":"many","region":"eu","coupon":1})"}) {
        json_value props = parse(bad);
        CAPTURE(bad);
        CHECK(on(r, {}, "trial_ended", &props).code == rule_decision::conditions_not_met);
    }
    CHECK(on(r, {}, "trial_ended").code == rule_decision::conditions_not_met);  // no properties at all

    json_value few = parse(R"({"count":"2"})");  // numbers as text (data-* attributes) still compare
    CHECK(on(r, {}, "visit", &few).show());
    json_value many = parse(R"({"count":4})");
    CHECK(on(r, {}, "visit", &many).code == rule_decision::conditions_not_met);

    SUBCASE("data-triggers text form and wildcard") {
        survey_rules t;
        read_survey_rules(parse(R"({"triggers":"trial_ended, purchase_completed"})"), t);
        REQUIRE(t.triggers.size() == 2);
        CHECK(t.triggers[1].event == "purchase_completed");
        read_survey_rules(parse(R"({"triggers":["*"]})"), t);
        CHECK(on(t, {}, "whatever").show());
    }
    SUBCASE("bad config fields are counted and keep defaults") {
        survey_rules t;
        CHECK(read_survey_rules(parse(R"({"sample":"lots","cooldownDays":-1,"waitAfterAnswerDays":"45"})"), t) == 2);
        CHECK(t.sample_percent == 100);
        CHECK(t.cooldown_days == 7);
        CHECK(t.wait_after_answer_days == 45);
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
    survey_rules r;
    read_survey_rules(parse(R"({"paths":["/app/*","/checkout"]})"), r);
    CHECK(on(r, {}, "x", nullptr, "/app/home").show());
    CHECK(on(r, {}, "x", nullptr, "/checkout").show());
    CHECK(on(r, {}, "x", nullptr, "/blog").code == rule_decision::path_not_matched);
}

TEST_CASE("rules: sampling is sticky per user and survey, and close to the percent") {
    survey_rules r;
    r.sample_percent = 30;
    int shown = 0;
    for (int u = 0; u < 10000; ++u) {
        std::string who = "user-" + std::to_string(u);
        bool first = decide_on_event(r, {}, {"e", nullptr, "/", who, "product-nps", t0}).show();
        // The same user, a year of triggers later: the same answer every time.
        for (int k = 1; k < 5; ++k)
            REQUIRE(decide_on_event(r, {}, {"e", nullptr, "/", who, "product-nps", t0 + k * 100 * day}).show() == first);
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
        CHECK(on(r, h, "e", nullptr, "/", t0 + 89 * day).code == rule_decision::answered_recently);
        CHECK(on(r, h, "e", nullptr, "/", t0 + 90 * day).show());
    }
    SUBCASE("after a dismissal: 30 days") {
        h.last_dismissed_ms = h.last_shown_ms = h.last_any_shown_ms = t0;
        CHECK(on(r, h, "e", nullptr, "/", t0 + 29 * day).code == rule_decision::dismissed_recently);
        CHECK(on(r, h, "e", nullptr, "/", t0 + 30 * day).show());
    }
    SUBCASE("global cooldown: 7 days after any survey was shown") {
        h.last_any_shown_ms = t0;
        CHECK(on(r, h, "e", nullptr, "/", t0 + 6 * day).code == rule_decision::cooldown);
        CHECK(on(r, h, "e", nullptr, "/", t0 + 7 * day).show());
    }
    SUBCASE("display cap") {
        r.max_displays = 2;
        h.displays = 2;
        CHECK(on(r, h, "e", nullptr, "/", t0 + 400 * day).code == rule_decision::display_cap);
        h.displays = 1;
        CHECK(on(r, h, "e", nullptr, "/", t0 + 400 * day).show());
    }
    SUBCASE("new users only after N days") {
        r.new_user_days = 14;
        CHECK(on(r, h, "e").code == rule_decision::too_new);  // never seen: unknown age
        h.first_seen_ms = t0;
        CHECK(on(r, h, "e", nullptr, "/", t0 + 13 * day).code == rule_decision::too_new);
        CHECK(on(r, h, "e", nullptr, "/", t0 + 14 * day).show());
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
        CHECK(on(r, h, "e", nullptr, "/", t0 + 1).show());
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
