#include "schema.h"
#include "code_list.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include <nlohmann/json.hpp>

#include "calendar.h"

namespace npskit {

using json = nlohmann::json;

const char* event_type_name(event_type t) {
    switch (t) {
        case event_type::response: return "response";
        case event_type::shown: return "shown";
        case event_type::dismissed: return "dismissed";
    }
    return "?";
}

NPSKIT_CODE_LIST_LOOKUPS(schema_error_code, NPSKIT_SCHEMA_ERRORS, schema_error_name, schema_error_text)

std::string schema_error::message() const { return (field.empty() ? std::string("body") : field) + " " + schema_error_text(code); }

bool is_valid_utf8(std::string_view s) {
    size_t i = 0;
    while (i < s.size()) {
        unsigned char c = static_cast<unsigned char>(s[i]);
        size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
        if (len == 0 || i + len > s.size()) return false;
        uint32_t cp = len == 1 ? c : len == 2 ? (c & 0x1f) : len == 3 ? (c & 0x0f) : (c & 0x07);
        for (size_t k = 1; k < len; ++k) {
            unsigned char cc = static_cast<unsigned char>(s[i + k]);
            if ((cc >> 6) != 2) return false;
            cp = (cp << 6) | (cc & 0x3f);
        }
        static const uint32_t min_for_len[] = {0, 0, 0x80, 0x800, 0x10000};
        if (cp < min_for_len[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
        i += len;
    }
    return true;
}

size_t utf8_length(std::string_view s) {
    size_t n = 0;
    for (char c : s) n += (static_cast<unsigned char>(c) & 0xc0) != 0x80;
    return n;
}

static bool all_chars(std::string_view s, std::string_view extra) {
    for (char c : s) {
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
        for (char e : extra) ok = ok || c == e;  // a loop, not find(): no memchr in the widget
        if (!ok) return false;
    }
    return true;
}
bool is_valid_id(std::string_view id) { return id.size() >= 8 && id.size() <= 64 && all_chars(id, "_-"); }
bool is_valid_survey(std::string_view s) { return !s.empty() && s.size() <= 64 && all_chars(s, "_.-"); }
bool is_valid_attribute_key(std::string_view k) { return !k.empty() && k.size() <= 64 && all_chars(k, "_.-"); }

// nlohmann parses iteratively, but its destructor and our walk should never meet a
// pathological depth: refuse before parsing.
static bool nesting_within(std::string_view text, int max_depth) {
    int depth = 0;
    bool in_string = false, escaped = false;
    for (char c : text) {
        if (in_string) {
            if (escaped)
                escaped = false;
            else if (c == '\\')
                escaped = true;
            else if (c == '"')
                in_string = false;
        } else if (c == '"') {
            in_string = true;
        } else if (c == '{' || c == '[') {
            if (++depth > max_depth) return false;
        } else if (c == '}' || c == ']') {
            --depth;
        }
    }
    return true;
}

namespace {
// not_json stands for "no problem" here: a text field is fine, or the code of its problem.
schema_error_code text_problem(std::string_view s, size_t max_chars, bool multiline) {
    if (!is_valid_utf8(s)) return schema_error_code::bad_utf8;
    if (utf8_length(s) > max_chars) return schema_error_code::too_long;
    for (char c : s) {
        unsigned char u = static_cast<unsigned char>(c);
        bool allowed = u >= 0x20 || (multiline && (c == '\n' || c == '\r' || c == '\t'));
        if (!allowed || u == 0x7f) return schema_error_code::control_character;
    }
    return schema_error_code::not_json;
}

struct validator {
    const schema_limits& limits;
    std::vector<schema_error>& errors;

    void fail(schema_error_code code, std::string field) { errors.push_back({code, std::move(field)}); }

    // A text field: string (or null = absent), bounded, no control characters except in comments.
    std::optional<std::string> text(const json& value, const char* key, size_t max_chars, bool multiline = false) {
        if (value.is_null()) return std::nullopt;
        if (!value.is_string()) {
            fail(schema_error_code::wrong_type, key);
            return std::nullopt;
        }
        const std::string& s = value.get_ref<const std::string&>();
        schema_error_code problem = text_problem(s, max_chars, multiline);
        if (problem != schema_error_code::not_json) {
            fail(problem, key);
            return std::nullopt;
        }
        return s;
    }
};

// [SECTION] One reader per kind: `value` is the field's JSON value, nullptr when absent.
// Text fields are read as their key is met (their errors keep the key order); the others
// after the pass, in the list's order (type before score: a score depends on the type).
constexpr bool read_in_pass(field_kind k) { return k == field_kind::text || k == field_kind::multiline; }

void read_field(kind_tag<field_kind::id>, const json* id, const char* name, size_t, std::string& out, const response&, validator& v) {
    if (!id)
        v.fail(schema_error_code::missing, name);
    else if (!id->is_string())
        v.fail(schema_error_code::wrong_type, name);
    else if (!is_valid_id(id->get_ref<const std::string&>()))
        v.fail(schema_error_code::bad_id, name);
    else
        out = id->get_ref<const std::string&>();
}

void read_field(kind_tag<field_kind::survey>, const json* survey, const char* name, size_t, std::string& out, const response&,
                validator& v) {
    if (!survey)
        v.fail(schema_error_code::missing, name);
    else if (!survey->is_string())
        v.fail(schema_error_code::wrong_type, name);
    else if (!is_valid_survey(survey->get_ref<const std::string&>()))
        v.fail(schema_error_code::bad_survey, name);
    else
        out = survey->get_ref<const std::string&>();
}

void read_field(kind_tag<field_kind::type>, const json* type, const char* name, size_t, event_type& out, const response&, validator& v) {
    if (!type || type->is_null()) return;
    if (!type->is_string()) return v.fail(schema_error_code::wrong_type, name);
    const std::string& t = type->get_ref<const std::string&>();
    if (t == "response")
        out = event_type::response;
    else if (t == "shown")
        out = event_type::shown;
    else if (t == "dismissed")
        out = event_type::dismissed;
    else
        v.fail(schema_error_code::bad_type, name);
}

void read_field(kind_tag<field_kind::score>, const json* score, const char* name, size_t, int& out, const response& r, validator& v) {
    bool is_response = r.type == event_type::response;
    if (!score || score->is_null()) {
        if (is_response) v.fail(schema_error_code::missing, name);
    } else if (!is_response) {
        v.fail(schema_error_code::score_not_allowed, name);
    } else if (score->is_number_integer()) {
        // nlohmann keeps big integers exact (int64/uint64); compare without narrowing first.
        bool in_range =
            score->is_number_unsigned() ? score->get<uint64_t>() <= 10 : (score->get<int64_t>() >= 0 && score->get<int64_t>() <= 10);
        if (in_range)
            out = static_cast<int>(score->get<int64_t>());
        else
            v.fail(schema_error_code::score_out_of_range, name);
    } else {
        // 6.5, 9.0, "9", true: never silently bucketed.
        v.fail(score->is_number() ? schema_error_code::score_not_integer : schema_error_code::wrong_type, name);
    }
}

void read_field(kind_tag<field_kind::timestamp>, const json* ts, const char* name, size_t, int64_t& out, const response&, validator& v) {
    if (!ts) return v.fail(schema_error_code::missing, name);
    if (!ts->is_string()) return v.fail(schema_error_code::wrong_type, name);
    auto ms = parse_timestamp(ts->get_ref<const std::string&>(), false);
    int year = ms ? civil_from_days(floor_div(*ms, ms_per_day)).year : 0;
    if (!ms || year < v.limits.min_year || year > v.limits.max_year)
        v.fail(schema_error_code::bad_timestamp, name);
    else
        out = *ms;
}

void read_field(kind_tag<field_kind::text>, const json* value, const char* name, size_t max_chars, std::optional<std::string>& out,
                const response&, validator& v) {
    if (value) out = v.text(*value, name, max_chars);
}

void read_field(kind_tag<field_kind::multiline>, const json* value, const char* name, size_t max_chars, std::optional<std::string>& out,
                const response&, validator& v) {
    if (value) out = v.text(*value, name, max_chars, true);
}

void read_field(kind_tag<field_kind::boolean>, const json* value, const char* name, size_t, std::optional<bool>& out, const response&,
                validator& v) {
    if (!value || value->is_null()) return;
    if (value->is_boolean())
        out = value->get<bool>();
    else
        v.fail(schema_error_code::wrong_type, name);
}

void read_field(kind_tag<field_kind::attributes>, const json* attrs, const char* name, size_t max_attributes,
                std::vector<std::pair<std::string, std::string>>& out, const response&, validator& v) {
    if (!attrs || attrs->is_null()) return;
    if (!attrs->is_object()) return v.fail(schema_error_code::wrong_type, name);
    if (attrs->size() > max_attributes) return v.fail(schema_error_code::too_many_attributes, name);
    const std::string prefix = std::string(name) + ".";
    out.reserve(attrs->size());
    for (auto it = attrs->begin(); it != attrs->end(); ++it) {
        if (!is_valid_attribute_key(it.key())) {
            v.fail(schema_error_code::bad_attribute_key, prefix + it.key());
            continue;
        }
        std::string value;
        const json& a = it.value();
        if (a.is_string())
            value = a.get_ref<const std::string&>();
        else if (a.is_boolean())
            value = a.get<bool>() ? "true" : "false";
        else if (a.is_number_integer())
            value = a.dump();
        else if (a.is_number_float() && std::isfinite(a.get<double>()))
            value = a.dump();
        else {
            v.fail(schema_error_code::bad_attribute_value, prefix + it.key());
            continue;
        }
        schema_error_code problem = text_problem(value, v.limits.max_attribute_value_chars, false);
        if (problem != schema_error_code::not_json) {
            v.fail(problem, prefix + it.key());
            continue;
        }
        out.emplace_back(it.key(), std::move(value));
    }
    // nlohmann objects iterate in key order: attributes are sorted already.
}

// [SECTION] One writer per kind (nlohmann)
void write_field(kind_tag<field_kind::id>, json& j, const char* name, const std::string& value, const response&) { j[name] = value; }
void write_field(kind_tag<field_kind::survey>, json& j, const char* name, const std::string& value, const response&) { j[name] = value; }
void write_field(kind_tag<field_kind::type>, json& j, const char* name, event_type value, const response&) {
    j[name] = event_type_name(value);
}
void write_field(kind_tag<field_kind::score>, json& j, const char* name, int value, const response& r) {
    if (r.type == event_type::response && value >= 0) j[name] = value;
}
void write_field(kind_tag<field_kind::timestamp>, json& j, const char* name, int64_t value, const response&) {
    j[name] = format_timestamp(value);
}
template <field_kind K, class T>
void write_field(kind_tag<K>, json& j, const char* name, const std::optional<T>& value, const response&) {  // text, multiline, boolean
    if (value) j[name] = *value;
}
void write_field(kind_tag<field_kind::attributes>, json& j, const char* name, const std::vector<std::pair<std::string, std::string>>& value,
                 const response&) {
    if (value.empty()) return;
    json a = json::object();
    for (const auto& [k, val] : value) a[k] = val;
    j[name] = std::move(a);
}
}  // namespace

parse_result parse_response(std::string_view json_text, const schema_limits& limits) {
    parse_result r;
    if (json_text.size() > limits.max_body_bytes) {
        r.errors.push_back({schema_error_code::too_large, ""});
        return r;
    }
    if (!nesting_within(json_text, 16)) {
        r.errors.push_back({schema_error_code::too_deep, ""});
        return r;
    }
    // nlohmann's lexer takes a NUL byte for the end of input, so "{…}\0anything" would pass;
    // a raw NUL is never valid JSON (inside strings it must be escaped).
    json j = json_text.find('\0') == std::string_view::npos ? json::parse(json_text.begin(), json_text.end(), nullptr, false)
                                                            : json(json::value_t::discarded);
    if (j.is_discarded()) {
        r.errors.push_back({schema_error_code::not_json, ""});
        return r;
    }
    return parse_response(j, limits);
}

parse_result parse_response(const json& j, const schema_limits& limits) {
    parse_result r;
    if (!j.is_object()) {
        r.errors.push_back({schema_error_code::not_object, ""});
        return r;
    }
    validator v{limits, r.errors};
    response& out = r.value;
    // One pass over the object's fields (this runs for every imported row: no find() per field).
    const json* version = nullptr;
    const json* found[record_field_count] = {};
    for (auto it = j.begin(); it != j.end(); ++it) {
        const std::string& key = it.key();
        const json& value = it.value();
        if (key == "v") version = &value;
#define NPSKIT_X(member, name, kind, limit, update, stored)                                \
    else if (key == name) {                                                                \
        if constexpr (read_in_pass(field_kind::kind))                                      \
            read_field(NPSKIT_KIND(kind), &value, name, limits.limit, out.member, out, v); \
        else                                                                               \
            found[static_cast<size_t>(field_index::member)] = &value;                      \
    }
        NPSKIT_RECORD_FIELDS(NPSKIT_X)
#undef NPSKIT_X
        else v.fail(schema_error_code::unknown_field, key);
    }

    if (!version)
        v.fail(schema_error_code::missing, "v");
    else if (!version->is_number_integer() || version->get<int64_t>() != 1)
        v.fail(schema_error_code::bad_version, "v");
#define NPSKIT_X(member, name, kind, limit, update, stored) \
    if constexpr (!read_in_pass(field_kind::kind))          \
        read_field(NPSKIT_KIND(kind), found[static_cast<size_t>(field_index::member)], name, limits.limit, out.member, out, v);
    NPSKIT_RECORD_FIELDS(NPSKIT_X)
#undef NPSKIT_X
    return r;
}

json response_to_json_value(const response& r) {
    json j = json::object();
    j["v"] = 1;
#define NPSKIT_X(member, name, kind, limit, update, stored) write_field(NPSKIT_KIND(kind), j, name, r.member, r);
    NPSKIT_RECORD_FIELDS(NPSKIT_X)
#undef NPSKIT_X
    return j;
}
std::string response_to_json(const response& r) { return response_to_json_value(r).dump(-1, ' ', false, json::error_handler_t::replace); }

std::string errors_to_json(const std::vector<schema_error>& errors) {
    json list = json::array();
    for (const auto& e : errors) list.push_back({{"code", schema_error_name(e.code)}, {"field", e.field}, {"message", e.message()}});
    return json{{"errors", std::move(list)}}.dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace npskit
