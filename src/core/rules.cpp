#include "rules.h"

namespace npskit {

const char* rule_decision_name(rule_decision d) {
    switch (d) {
#define NPSKIT_X(name, text) case rule_decision::name: return #name;
        NPSKIT_RULE_DECISIONS(NPSKIT_X)
#undef NPSKIT_X
    }
    return "?";
}

const char* rule_decision_text(rule_decision d) {
    switch (d) {
#define NPSKIT_X(name, text) case rule_decision::name: return text;
        NPSKIT_RULE_DECISIONS(NPSKIT_X)
#undef NPSKIT_X
    }
    return "?";
}

static bool read_int(const json_value* v, int& out, int lo, int hi, int& bad) {
    if (!v) return false;
    double n = v->number;
    if (v->is_string()) {  // data-* attributes arrive as text
        if (!parse_decimal(v->text, n)) return ++bad, false;
    } else if (!v->is_number()) {
        return ++bad, false;
    }
    if (!(n >= lo && n <= hi)) return ++bad, false;  // also NaN, whose cast to int is undefined (a wasm trap)
    out = static_cast<int>(n);
    return true;
}

// A condition value: "pro" (equals), ["a","b"] (one of), {"exists":true}, {"gte":3}, {"lte":9},
// {"in":[…]}, {"equals":x}.
static bool read_condition(const std::string& key, const json_value& v, property_condition& c) {
    c.key = key;
    if (v.is_array()) {
        c.op = condition_op::one_of;
        c.values = std::vector<std::string>(v.items.size());
        for (size_t k = 0; k < v.items.size(); ++k) c.values[k] = v.items[k].as_text();
        return true;
    }
    if (!v.is_object()) {
        c.op = condition_op::equals;
        c.values = std::vector<std::string>(1);
        c.values[0] = v.as_text();
        return v.kind != json_kind::null;
    }
    if (v.items.size() != 1) return false;
    const std::string& op = v.keys[0];
    const json_value& arg = v.items[0];
    if (op == "exists") c.op = condition_op::exists;
    else if ((op == "gte" || op == "lte") && arg.is_number()) {
        c.op = op == "gte" ? condition_op::at_least : condition_op::at_most;
        c.bound = arg.number;
    } else if (op == "in" || op == "equals") return read_condition(key, arg, c);
    else return false;
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

int read_survey_rules(const json_value& config, survey_rules& rules) {
    int bad = 0;
    // Vectors are sized once (vector(n)) and filled in place: no element is ever moved, so no
    // growth code for trigger_rule / property_condition is linked into the widget.
    if (const json_value* t = config.get("triggers")) {
        rules.triggers.clear();
        if (t->is_string()) {  // data-triggers="trial_ended purchase_completed"
            size_t i = 0, n = 0;
            while (!next_word(t->text, i).empty()) ++n;
            rules.triggers = std::vector<trigger_rule>(n);
            i = n = 0;
            for (std::string_view w; !(w = next_word(t->text, i)).empty();) rules.triggers[n++].event = w;
        } else if (t->is_array()) {
            auto event_of = [](const json_value& item) {
                const json_value* e = item.is_string() ? &item : item.get("event");
                return e && e->is_string() ? e : nullptr;
            };
            size_t n = 0;
            for (const auto& item : t->items) n += event_of(item) != nullptr;
            rules.triggers = std::vector<trigger_rule>(n);
            n = 0;
            for (const auto& item : t->items) {
                const json_value* e = event_of(item);
                if (!e) {
                    ++bad;
                    continue;
                }
                trigger_rule& rule = rules.triggers[n++];
                rule.event = e->text;
                if (e == &item) continue;
                if (const json_value* w = item.get("where"); w && w->is_object()) {
                    rule.conditions = std::vector<property_condition>(w->keys.size());
                    size_t used = 0;
                    for (size_t k = 0; k < w->keys.size(); ++k) {
                        property_condition& c = rule.conditions[used];
                        c.values.clear();
                        if (read_condition(w->keys[k], w->items[k], c)) ++used;
                        else ++bad;
                    }
                    while (rule.conditions.size() > used) rule.conditions.pop_back();
                }
                read_int(item.get("delay"), rule.delay_ms, 0, 3600000, bad);
            }
        } else ++bad;
    }
    if (const json_value* p = config.get("paths")) {
        rules.paths.clear();
        if (p->is_string()) {
            size_t i = 0, n = 0;
            while (!next_word(p->text, i).empty()) ++n;
            rules.paths = std::vector<std::string>(n);
            i = n = 0;
            for (std::string_view w; !(w = next_word(p->text, i)).empty();) rules.paths[n++] = w;
        } else if (p->is_array()) {
            rules.paths = std::vector<std::string>(p->items.size());
            for (size_t k = 0; k < p->items.size(); ++k) rules.paths[k] = p->items[k].as_text();
        } else ++bad;
    }
    for (const auto& f : int_fields) read_int(config.get(f.key), rules.*f.field, 0, f.hi, bad);
    return bad;
}

static bool condition_holds(const property_condition& c, const json_value* props) {
    const json_value* v = props ? props->get(c.key) : nullptr;
    if (c.op == condition_op::exists) return v && v->kind != json_kind::null;
    if (!v || v->kind == json_kind::null) return false;
    if (c.op == condition_op::at_least || c.op == condition_op::at_most) {
        double n = v->number;
        if (v->is_string()) {
            if (!parse_decimal(v->text, n)) return false;
        } else if (!v->is_number()) return false;
        return c.op == condition_op::at_least ? n >= c.bound : n <= c.bound;
    }
    std::string_view text = v->as_text();
    for (const auto& want : c.values)
        if (want == text) return true;
    return false;
}

bool path_matches(std::string_view pattern, std::string_view path) {
    size_t q = path.find_first_of("?#");
    if (q != std::string_view::npos) path = path.substr(0, q);
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
    if (within_days(h.last_answered_ms, now_ms, rules.wait_after_answer_days)) d.code = rule_decision::answered_recently;
    else if (within_days(h.last_dismissed_ms, now_ms, rules.wait_after_dismiss_days))
        d.code = rule_decision::dismissed_recently;
    else if (within_days(h.last_any_shown_ms, now_ms, rules.cooldown_days)) d.code = rule_decision::cooldown;
    else if (rules.max_displays > 0 && h.displays >= rules.max_displays) d.code = rule_decision::display_cap;
    else if (rules.new_user_days > 0 && (h.first_seen_ms <= 0 || within_days(h.first_seen_ms, now_ms, rules.new_user_days)))
        d.code = rule_decision::too_new;
    return d;
}

decision decide_on_event(const survey_rules& rules, const survey_history& h, const event_context& ctx) {
    decision d;
    const trigger_rule* matched = nullptr;
    bool name_matched = rules.triggers.empty();
    for (const auto& t : rules.triggers) {
        if (t.event != "*" && t.event != ctx.event) continue;
        name_matched = true;
        bool all = true;
        for (const auto& c : t.conditions) all = all && condition_holds(c, ctx.properties);
        if (all) {
            matched = &t;
            break;
        }
    }
    if (!name_matched) return d;  // no_trigger
    if (!rules.triggers.empty() && !matched) {
        d.code = rule_decision::conditions_not_met;
        return d;
    }
    if (!rules.paths.empty()) {
        bool any = false;
        for (const auto& p : rules.paths) any = any || path_matches(p, ctx.path);
        if (!any) {
            d.code = rule_decision::path_not_matched;
            return d;
        }
    }
    if (!in_sample(ctx.sample_key, ctx.survey, rules.sample_percent)) {
        d.code = rule_decision::not_sampled;
        return d;
    }
    d = decide_when_asked(rules, h, ctx.now_ms, false);
    if (d.show() && matched) d.delay_ms = matched->delay_ms;
    return d;
}

std::string history_to_text(const survey_history& h) {
    std::string out;
    const int64_t fields[] = {h.first_seen_ms, h.last_shown_ms, h.last_answered_ms,
                              h.last_dismissed_ms, h.displays, h.last_any_shown_ms};
    for (int64_t f : fields) {
        if (!out.empty()) out += ',';
        append_integer(out, f);
    }
    return out;
}

bool history_from_text(std::string_view text, survey_history& h) {
    int64_t fields[6] = {};
    size_t n = 0, i = 0;
    while (n < 6) {
        bool neg = i < text.size() && text[i] == '-';
        if (neg) ++i;
        size_t start = i;
        int64_t v = 0;
        while (i < text.size() && text[i] >= '0' && text[i] <= '9' && i - start < 16) v = v * 10 + (text[i++] - '0');
        if (i == start) return false;
        fields[n++] = neg ? -v : v;
        if (i == text.size()) break;
        if (text[i++] != ',') return false;
    }
    if (n < 5 || i != text.size()) return false;
    h = survey_history{fields[0], fields[1], fields[2], fields[3], static_cast<int>(fields[4]), fields[5]};
    return true;
}

}  // namespace npskit
