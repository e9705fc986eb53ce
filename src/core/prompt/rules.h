// npskit core: when may the survey prompt be shown? Pure decisions, the clock passed in.
//
// [SECTION] Survey rules (the config; zero/empty fields mean "use the default")
// [SECTION] History (what happened for one user and survey, persisted by the platform)
// [SECTION] Decisions (enumerable codes: tests assert on codes, logs print the sentence)
// [SECTION] Building blocks (path patterns, sticky sampling, history text)
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

#include "json_text.h"

namespace npskit {

//-----------------------------------------------------------------------------
// [SECTION] Survey rules
//-----------------------------------------------------------------------------
// The numbers are read once; triggers and paths are read where they are used, straight from the
// config's tagged text (no vectors of rules: the widget is size-bound).
struct survey_rules {
    config_layers config;              // "triggers" and "paths" (empty: every event, every page)
    int sample_percent = 100;          // = 100, sticky per (user, survey)
    int wait_after_answer_days = 90;   // = 90
    int wait_after_dismiss_days = 30;  // = 30
    int cooldown_days = 7;             // = 7, after any survey was shown
    int max_displays = 0;              // = 0, no cap
    int new_user_days = 0;             // = 0, show to new users at once
};

// The config form (docs/js-api.md): {"triggers":["a", {"event":"b","where":{…},"delay":2000}],
// "paths":["/app/*"], "sample":50, "waitAfterAnswerDays":90, …}; data-* attributes give the same
// keys as text ("trial_ended purchase_completed", "50"). Unknown keys are ignored; a missing or
// unusable value keeps the default. Triggers: an event name ("*" = any) with conditions on the
// event's properties ("pro" equals, ["a","b"] one of, {"exists":true}, {"gte":3}, {"lte":9},
// {"in":[…]}, {"equals":x}; a condition that cannot be read is ignored); no usable trigger means
// every tracked event. Paths: '*' matches any run; none means every page.
survey_rules read_survey_rules(const config_layers& config);
// The same reading for one key, for the collector's definition check (definition.h): true when
// `key` is one of the numeric rules; `ok` says whether read_survey_rules would take `v`, `hi` is
// the key's upper bound (the lower is 0). Never called by the widget (LTO drops it).
bool check_rule_number(std::string_view key, tagged v, bool& ok, int& hi);
inline constexpr int trigger_delay_max_ms = 3600000;  // a trigger's "delay", 0..1 h
bool check_trigger_delay(tagged v);                   // what match_trigger would take

//-----------------------------------------------------------------------------
// [SECTION] History
//-----------------------------------------------------------------------------
struct survey_history {
    int64_t first_seen_ms = 0;  // when this user was first seen (or signed up); 0 = unknown
    int64_t last_shown_ms = 0;  // this survey, this user
    int64_t last_answered_ms = 0;
    int64_t last_dismissed_ms = 0;
    int displays = 0;
    int64_t last_any_shown_ms = 0;  // any survey (global cooldown)
};

//-----------------------------------------------------------------------------
// [SECTION] Decisions
//-----------------------------------------------------------------------------
#define NPSKIT_RULE_DECISIONS(X)                                     \
    X(show, "show the prompt")                                       \
    X(no_trigger, "no trigger matches this event")                   \
    X(conditions_not_met, "the event's properties do not match")     \
    X(path_not_matched, "this page is not in the survey's paths")    \
    X(not_sampled, "this user is outside the sample")                \
    X(answered_recently, "this user answered recently")              \
    X(dismissed_recently, "this user dismissed the prompt recently") \
    X(cooldown, "a survey was shown to this user recently")          \
    X(display_cap, "this user has seen the prompt too often")        \
    X(too_new, "this user is too new")

enum class rule_decision : uint8_t {
#define NPSKIT_X(name, text) name,
    NPSKIT_RULE_DECISIONS(NPSKIT_X)
#undef NPSKIT_X
};
const char* rule_decision_name(rule_decision d);
const char* rule_decision_text(rule_decision d);

struct decision {
    rule_decision code = rule_decision::no_trigger;
    int delay_ms = 0;  // when code == show
    bool show() const { return code == rule_decision::show; }
};

struct event_context {
    std::string_view event;       // tracked event name
    tagged properties;            // an object, or absent
    std::string_view path;        // location.pathname
    std::string_view sample_key;  // user id, or the anonymous id
    std::string_view survey;
    int64_t now_ms = 0;
};

// A tracked event: triggers, page, sampling, waits, cap, new users, in that order.
decision decide_on_event(const survey_rules& rules, const survey_history& history, const event_context& ctx);
// Only the waits, cap and new-user rule (npskit('show') bypasses triggers, pages and sampling;
// `force` bypasses everything).
decision decide_when_asked(const survey_rules& rules, const survey_history& history, int64_t now_ms, bool force);

//-----------------------------------------------------------------------------
// [SECTION] Building blocks
//-----------------------------------------------------------------------------
bool path_matches(std::string_view pattern, std::string_view path);  // '*' any run, query ignored
uint32_t stable_hash(std::string_view a, std::string_view b);        // FNV-1a of a, NUL, b
// 0..9999, the same for the same (user, survey) forever: sampling never re-rolls per trigger.
int sample_bucket(std::string_view sample_key, std::string_view survey);
bool in_sample(std::string_view sample_key, std::string_view survey, int percent);

// The thank-you links' options in segment order (survey_desc::cta_url, definitions): each is its
// segment's name + "Url", so the record's cta_clicked is the key without its last 3 letters.
inline constexpr const char* cta_url_keys[3] = {"detractorUrl", "passiveUrl", "promoterUrl"};

// A thank-you link (detractorUrl, passiveUrl, promoterUrl): "https://…", "http://…" (the scheme in lower case, exactly:
// "HTTPS://" is refused like any other, nothing is normalised), or a path of this site: one '/'
// followed by neither '/' nor a backslash (browsers read "//x" and "/\x" as the host x) nor a
// control character (the URL parser drops tab, CR and LF: "/<tab>/x" is "//x").
bool is_safe_link(std::string_view url);

text history_to_text(const survey_history& h);  // "first,shown,answered,dismissed,displays,any"
bool history_from_text(std::string_view text, survey_history& h);

}  // namespace npskit
