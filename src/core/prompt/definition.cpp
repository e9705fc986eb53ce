#include "definition.h"

#include "calendar.h"
#include "code_list.h"
#include "i18n.h"
#include "rules.h"

namespace npskit {

NPSKIT_CODE_LIST_LOOKUPS(definition_code, NPSKIT_DEFINITION_ERRORS, definition_code_name, definition_code_text)

namespace {

bool is_cta_url_key(std::string_view key) {
    for (const char* k : cta_url_keys)
        if (same(key, k)) return true;
    return false;
}

struct checker {
    std::vector<definition_error> errors;
    void fail(std::string field, definition_code code, std::string message = {}) {
        if (message.empty()) message = definition_code_text(code);
        errors.push_back({std::move(field), code, std::move(message)});
    }
    bool string(const std::string& field, tagged v) {
        if (v.is_string()) return true;
        fail(field, definition_code::wrong_type, "must be a string");
        return false;
    }
    void name(const std::string& field, tagged v) {
        if (string(field, v) && !is_valid_survey(v.text())) fail(field, definition_code::bad_name);
    }
    void link(const std::string& field, tagged v) {
        if (string(field, v) && !is_safe_link(v.text())) fail(field, definition_code::unsafe_link);
    }
    void choice(const std::string& field, tagged v, std::initializer_list<const char*> allowed) {
        if (!string(field, v)) return;
        std::string list;
        for (const char* a : allowed) {
            if (same(v.text(), a)) return;
            list += list.empty() ? "" : ", ";
            list += a;
        }
        fail(field, definition_code::bad_choice, "must be one of " + list);
    }
    // The ids the widget's override_text knows (i18n.cpp), each a string.
    void texts(const std::string& field, tagged v) {
        if (!v.is_object()) return fail(field, definition_code::wrong_type, "must be an object of strings by text id");
        prompt_texts scratch = texts_for_locale("en");
        tagged t;
        std::string_view key;
        for (size_t pos = 0; v.next(pos, t, &key);) {
            std::string f = field + "." + std::string(key);
            if (!string(f, t)) continue;
            if (!override_text(scratch, key, t.text())) fail(f, definition_code::unknown_text);
        }
    }
    // A string of words, or an array of strings.
    void words(const std::string& field, tagged v) {
        if (v.is_string()) return;
        if (!v.is_array()) return fail(field, definition_code::wrong_type, "must be a string or an array of strings");
        tagged p;
        size_t i = 0;
        for (size_t pos = 0; v.next(pos, p); ++i) string(field + "[" + std::to_string(i) + "]", p);
    }
    void triggers(const std::string& field, tagged v) {
        if (v.is_string()) return;
        if (!v.is_array()) return fail(field, definition_code::wrong_type, "must be a string or an array of triggers");
        tagged t;
        size_t i = 0;
        for (size_t pos = 0; v.next(pos, t); ++i) {
            std::string f = field + "[" + std::to_string(i) + "]";
            if (t.is_string()) continue;
            if (!t.is_object()) {
                fail(f, definition_code::wrong_type, "must be an event name or {event, where?, delay?}");
                continue;
            }
            string(f + ".event", t.get("event"));
            tagged where = t.get("where"), delay = t.get("delay");
            if (where.present() && !where.is_object()) fail(f + ".where", definition_code::wrong_type, "must be an object");
            if (delay.present() && !check_trigger_delay(delay))
                fail(f + ".delay", definition_code::out_of_range,
                     "must be a number of milliseconds from 0 to " + std::to_string(trigger_delay_max_ms));
        }
    }
    void variants(const std::string& field, tagged v) {
        if (!v.is_array())
            return fail(field, definition_code::wrong_type,
                        "must be an array of {name, weight, texts?, promoterUrl?, passiveUrl?, detractorUrl?}");
        tagged item;
        size_t i = 0;
        for (size_t pos = 0; v.next(pos, item); ++i) {
            std::string f = field + "[" + std::to_string(i) + "]";
            if (i == definition_max_variants)
                fail(field, definition_code::too_many, "has more than " + std::to_string(definition_max_variants) + " variants");
            if (!item.is_object()) {
                fail(f, definition_code::wrong_type, "must be an object {name, weight, texts?, promoterUrl?, passiveUrl?, detractorUrl?}");
                continue;
            }
            name(f + ".name", item.get("name"));
            double w = 0;
            tagged weight = item.get("weight");
            if (weight.kind() != 'n' || !weight.number(w) || !(w >= 0 && w <= 100))
                fail(f + ".weight", definition_code::out_of_range, "must be a number from 0 to 100");
            if (tagged t = item.get("texts"); t.present()) texts(f + ".texts", t);
            for (const char* key : cta_url_keys)
                if (tagged l = item.get(key); l.present()) link(f + "." + key, l);
        }
    }
};

}  // namespace

std::vector<definition_error> validate_definition(std::string_view json) {
    checker c;
    std::string tagged_text;
    if (!tagged_from_json(json, tagged_text)) {
        c.fail("", definition_code::not_json);
        return c.errors;
    }
    tagged root(tagged_text);
    if (!root.is_object()) {
        c.fail("", definition_code::not_object);
        return c.errors;
    }
    tagged v;
    std::string_view key;
    std::optional<int64_t> start, end;
    for (size_t pos = 0; root.next(pos, v, &key);) {
        std::string f(key);
        bool ok = false;
        int hi = 0;
        if (check_rule_number(key, v, ok, hi)) {
            if (!ok) c.fail(f, definition_code::out_of_range, "must be a number from 0 to " + std::to_string(hi));
        } else if (same(key, "triggers")) {
            c.triggers(f, v);
        } else if (same(key, "paths")) {
            c.words(f, v);
        } else if (same(key, "texts")) {
            c.texts(f, v);
        } else if (is_cta_url_key(key)) {
            c.link(f, v);
        } else if (same(key, "survey") || same(key, "app")) {
            c.name(f, v);
        } else if (same(key, "position")) {
            c.choice(f, v, {"bottom-right", "bottom-center", "center"});
        } else if (same(key, "theme")) {
            c.choice(f, v, {"auto", "light", "dark"});
        } else if (same(key, "product") || same(key, "locale") || same(key, "brand")) {
            c.string(f, v);
        } else if (same(key, "active") || same(key, "displayEvents")) {
            if (v.kind() != 't' && v.kind() != 'f') c.fail(f, definition_code::wrong_type, "must be true or false");
        } else if (same(key, "start") || same(key, "end")) {
            if (!c.string(f, v)) continue;
            std::optional<int64_t> t = parse_timestamp(v.text());
            if (!t) c.fail(f, definition_code::bad_time);
            (same(key, "start") ? start : end) = t;
        } else if (same(key, "priority")) {
            double n = 0;
            if (v.kind() != 'n' || !v.number(n) || n != static_cast<double>(static_cast<int64_t>(n)) ||
                !(n >= -definition_max_priority && n <= definition_max_priority))
                c.fail(f, definition_code::out_of_range,
                       "must be a whole number from -" + std::to_string(definition_max_priority) + " to " +
                           std::to_string(definition_max_priority));
        } else if (same(key, "variants")) {
            c.variants(f, v);
        }
    }
    if (start && end && *end <= *start) c.fail("end", definition_code::end_before_start);
    return c.errors;
}

bool definition_showing(tagged definition, int64_t now_ms) {
    if (definition.get("active").kind() == 'f') return false;
    tagged start = definition.get("start"), end = definition.get("end");
    if (start.is_string())
        if (std::optional<int64_t> t = parse_timestamp(start.text()); !t || now_ms < *t) return false;
    if (end.is_string())
        if (std::optional<int64_t> t = parse_timestamp(end.text()); !t || now_ms >= *t) return false;
    return true;
}

std::string layer_config(std::string_view remote, std::string_view local) {
    std::string out;
    out.reserve(remote.size() + local.size());
    out.append(remote);
    out.append(local);
    return out;
}

}  // namespace npskit
