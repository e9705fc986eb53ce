#include "rules.h"
#include "code_list.h"

namespace npskit {

NPSKIT_CODE_LIST_LOOKUPS(rule_decision, NPSKIT_RULE_DECISIONS, rule_decision_name, rule_decision_text)

// A whole number in [lo, hi] (numbers, or decimals written as text); false otherwise.
static bool read_int(tagged v, int lo, int hi, int& out) {
    double n = 0;
    if (!v.number(n) || !(n >= lo && n <= hi)) return false;  // also NaN, whose cast to int is a wasm trap
    out = static_cast<int>(n);
    return true;
}

// The next word of a space- or comma-separated list ("" at the end).
static std::string_view next_word(std::string_view text, size_t& i) {
    while (i < text.size() && (text[i] == ' ' || text[i] == ',')) ++i;
    size_t start = i;
    while (i < text.size() && text[i] != ' ' && text[i] != ',') ++i;
    return text.substr(start, i - start);
}

// The numeric fields, table-driven: one read_int call site instead of six.
static const struct {
    const char* key;
    int survey_rules::*field;
    int hi;
} int_fields[] = {
    {"sample", &survey_rules::sample_percent, 100},
    {"waitAfterAnswerDays", &survey_rules::wait_after_answer_days, 3650},
    {"waitAfterDismissDays", &survey_rules::wait_after_dismiss_days, 3650},
    {"cooldownDays", &survey_rules::cooldown_days, 3650},
    {"maxDisplays", &survey_rules::max_displays, 1000000},
    {"newUserDays", &survey_rules::new_user_days, 3650},
};

survey_rules read_survey_rules(const config_layers& config) {
    survey_rules rules;
    rules.config = config;
    for (const auto& f : int_fields) read_int(config.get(f.key), 0, f.hi, rules.*f.field);
    return rules;
}

bool check_rule_number(std::string_view key, tagged v, bool& ok, int& hi) {
    for (const auto& f : int_fields)
        if (same(key, f.key)) {
            int unused = 0;
            ok = read_int(v, 0, f.hi, unused);
            hi = f.hi;
            return true;
        }
    return false;
}

bool check_trigger_delay(tagged v) {
    int unused = 0;
    return read_int(v, 0, trigger_delay_max_ms, unused);
}

// One condition on the event's property `v`: "pro" (equals), ["a","b"] (one of), {"exists":true},
// {"gte":3}, {"lte":9}, {"in":[…]}, {"equals":x}. -1 when the condition cannot be read (ignored).
static int condition_holds(tagged cond, tagged v) {
    bool has = v.present() && v.kind() != 'z';
    std::string_view op = "in";
    tagged arg = cond;
    size_t pos = 0;
    if (cond.is_object() && (!cond.next(pos, arg, &op) || pos != cond.span().size())) return -1;  // exactly one member
    if (same(op, "exists")) return has;
    double bound = 0, n = 0;
    if (same(op, "gte") || same(op, "lte")) {
        if (arg.kind() != 'n' || !arg.number(bound)) return -1;
        return has && v.number(n) && (same(op, "gte") ? n >= bound : n <= bound);
    }
    if ((!same(op, "in") && !same(op, "equals")) || !(arg.is_array() || arg.is_scalar())) return -1;
    tagged want = arg;  // a scalar is a list of one
    for (pos = 0; arg.is_array() ? arg.next(pos, want) : pos++ == 0;)
        if (has && want.text() == v.text()) return 1;
    return 0;
}

// Every condition of a trigger's "where" object holds (ignoring those that cannot be read).
static bool conditions_hold(tagged where, tagged properties) {
    if (!where.is_object()) return true;
    tagged cond;
    std::string_view key;
    for (size_t pos = 0; where.next(pos, cond, &key);)
        if (condition_holds(cond, properties.get(key)) == 0) return false;
    return true;
}

bool path_matches(std::string_view pattern, std::string_view path) {
    for (size_t q = 0; q < path.size(); ++q)
        if (path[q] == '?' || path[q] == '#') path = path.substr(0, q);
    // Iterative glob with one backtrack point: linear enough for short paths.
    size_t p = 0, s = 0, star = std::string_view::npos, mark = 0;
    while (s < path.size()) {
        if (p < pattern.size() && pattern[p] == '*') {
            star = p++;
            mark = s;
        } else if (p < pattern.size() && pattern[p] == path[s]) {
            ++p;
            ++s;
        } else if (star != std::string_view::npos) {
            p = star + 1;
            s = ++mark;
        } else {
            return false;
        }
    }
    while (p < pattern.size() && pattern[p] == '*') ++p;
    return p == pattern.size();
}

uint32_t stable_hash(std::string_view a, std::string_view b) {
    uint32_t h = 2166136261u;
    auto mix = [&h](unsigned char c) { h = (h ^ c) * 16777619u; };
    for (char c : a) mix(static_cast<unsigned char>(c));
    mix(0);
    for (char c : b) mix(static_cast<unsigned char>(c));
    // FNV's low bits are weak for short keys: finalize (murmur3 fmix32).
    h ^= h >> 16;
    h *= 0x85ebca6bu;
    h ^= h >> 13;
    h *= 0xc2b2ae35u;
    h ^= h >> 16;
    return h;
}

int sample_bucket(std::string_view sample_key, std::string_view survey) {
    return static_cast<int>(stable_hash(sample_key, survey) % 10000u);
}

bool in_sample(std::string_view sample_key, std::string_view survey, int percent) {
    return sample_bucket(sample_key, survey) < percent * 100;
}

static bool within_days(int64_t since_ms, int64_t now_ms, int days) {
    return since_ms > 0 && days > 0 && now_ms - since_ms < static_cast<int64_t>(days) * 86400000;
}

decision decide_when_asked(const survey_rules& rules, const survey_history& h, int64_t now_ms, bool force) {
    decision d;
    d.code = rule_decision::show;
    if (force) return d;
    if (within_days(h.last_answered_ms, now_ms, rules.wait_after_answer_days))
        d.code = rule_decision::answered_recently;
    else if (within_days(h.last_dismissed_ms, now_ms, rules.wait_after_dismiss_days))
        d.code = rule_decision::dismissed_recently;
    else if (within_days(h.last_any_shown_ms, now_ms, rules.cooldown_days))
        d.code = rule_decision::cooldown;
    else if (rules.max_displays > 0 && h.displays >= rules.max_displays)
        d.code = rule_decision::display_cap;
    else if (rules.new_user_days > 0 && (h.first_seen_ms <= 0 || within_days(h.first_seen_ms, now_ms, rules.new_user_days)))
        d.code = rule_decision::too_new;
    return d;
}

// A tracked event against the triggers: no_trigger, conditions_not_met, or show with the delay.
static decision match_trigger(tagged triggers, const event_context& ctx) {
    decision d;
    bool any_rule = false, name_matched = false;
    auto event_matches = [&](std::string_view name) {
        any_rule = any_rule || !name.empty();
        return !name.empty() && (same(name, "*") || name == ctx.event);
    };
    if (triggers.is_string()) {  // data-triggers="trial_ended purchase_completed"
        size_t i = 0;
        for (std::string_view w; !(w = next_word(triggers.text(), i)).empty();)
            if (event_matches(w)) {
                d.code = rule_decision::show;
                return d;
            }
    } else {
        tagged t;
        for (size_t pos = 0; triggers.next(pos, t);) {  // "name" or {"event":…,"where":…,"delay":…}
            tagged event = t.is_string() ? t : t.get("event");
            if (!event.is_string() || !event_matches(event.text())) continue;
            name_matched = true;
            if (t.is_object() && !conditions_hold(t.get("where"), ctx.properties)) continue;
            d.code = rule_decision::show;
            if (t.is_object()) read_int(t.get("delay"), 0, trigger_delay_max_ms, d.delay_ms);
            return d;
        }
    }
    if (!any_rule)
        d.code = rule_decision::show;  // no usable trigger: every tracked event
    else if (name_matched)
        d.code = rule_decision::conditions_not_met;
    return d;
}

static bool page_matches(tagged paths, std::string_view path) {
    bool any_rule = false;
    if (paths.is_string()) {
        size_t i = 0;
        for (std::string_view w; !(w = next_word(paths.text(), i)).empty(); any_rule = true)
            if (path_matches(w, path)) return true;
    } else {
        tagged p;
        for (size_t pos = 0; paths.next(pos, p); any_rule = true)
            if (path_matches(p.text(), path)) return true;
    }
    return !any_rule;
}

decision decide_on_event(const survey_rules& rules, const survey_history& h, const event_context& ctx) {
    decision d = match_trigger(rules.config.get("triggers"), ctx);
    if (!d.show()) return d;
    if (!page_matches(rules.config.get("paths"), ctx.path)) {
        d.code = rule_decision::path_not_matched;
        return d;
    }
    if (!in_sample(ctx.sample_key, ctx.survey, rules.sample_percent)) {
        d.code = rule_decision::not_sampled;
        return d;
    }
    int delay = d.delay_ms;
    d = decide_when_asked(rules, h, ctx.now_ms, false);
    if (d.show()) d.delay_ms = delay;
    return d;
}

text history_to_text(const survey_history& h) {
    text out;
    const int64_t fields[] = {h.first_seen_ms, h.last_shown_ms, h.last_answered_ms, h.last_dismissed_ms, h.displays, h.last_any_shown_ms};
    for (int64_t f : fields) {
        if (!out.empty()) out += ',';
        append_integer(out, f);
    }
    return out;
}

bool history_from_text(std::string_view text, survey_history& h) {
    int64_t fields[6] = {};
    size_t used = 0, n = read_integers(text, ',', fields, 6, used);
    if (n < 5 || used != text.size() || text.back() == ',') return false;
    h = survey_history{fields[0], fields[1], fields[2], fields[3], static_cast<int>(fields[4]), fields[5]};
    return true;
}

bool is_safe_link(std::string_view url) {
    if (same(url.substr(0, 8), "https://") || same(url.substr(0, 7), "http://")) return true;
    unsigned char c = url.size() > 1 ? url[1] : 'x';  // "/" alone: the site's root
    return !url.empty() && url[0] == '/' && c != '/' && c != '\\' && c >= 0x20;
}

}  // namespace npskit
