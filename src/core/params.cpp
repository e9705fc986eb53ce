#include "params.h"

#include <algorithm>

#include "calendar.h"
#include "schema.h"

namespace npskit {

//-----------------------------------------------------------------------------
// [SECTION] Errors
//-----------------------------------------------------------------------------
const char* param_error_name(param_error code) {
    switch (code) {
        case param_error::none: return "none";
#define NPSKIT_X(name, text) \
    case param_error::name: return #name;
            NPSKIT_PARAM_ERRORS(NPSKIT_X)
#undef NPSKIT_X
    }
    return "?";
}

const char* param_error_text(param_error code) {
    switch (code) {
        case param_error::none: return "";
#define NPSKIT_X(name, text) \
    case param_error::name: return text;
            NPSKIT_PARAM_ERRORS(NPSKIT_X)
#undef NPSKIT_X
    }
    return "?";
}

std::string param_problem::message() const {
    if (ok()) return "";
    return field + " " + param_error_text(code) + " (got '" + value + "')";
}

//-----------------------------------------------------------------------------
// [SECTION] Values
//-----------------------------------------------------------------------------
bool is_bare_date(std::string_view text) { return text.size() == 10 && parse_timestamp(text, true).has_value(); }

namespace {
// "2026-01-31T12:00:00 01:00": a query string's unencoded '+' arrives as a space.
std::string restore_plus(std::string_view text) {
    std::string t(text);
    if (t.size() >= 25 && t[t.size() - 6] == ' ' && t[t.size() - 3] == ':') t[t.size() - 6] = '+';
    return t;
}
}  // namespace

std::optional<int64_t> parse_since(std::string_view text) { return parse_timestamp(restore_plus(text), true); }

std::optional<int64_t> parse_until(std::string_view text) {
    auto ms = parse_timestamp(restore_plus(text), true);
    if (ms && is_bare_date(text)) *ms += ms_per_day;
    return ms;
}

bool parse_utc_offset(std::string_view text, int& minutes) {
    if (text == "Z" || text == "z" || text == "UTC") return minutes = 0, true;
    if (text.size() < 3 || (text[0] != '+' && text[0] != '-' && text[0] != ' ')) return false;
    std::string digits;
    for (size_t i = 1; i < text.size(); ++i) {
        if (text[i] == ':' && i == 3 && text.size() == 6) continue;
        if (text[i] < '0' || text[i] > '9') return false;
        digits += text[i];
    }
    if (digits.size() != 4 && digits.size() != 2) return false;
    int h = (digits[0] - '0') * 10 + (digits[1] - '0');
    int m = digits.size() == 4 ? (digits[2] - '0') * 10 + (digits[3] - '0') : 0;
    if (m > 59 || h * 60 + m > 14 * 60) return false;
    minutes = (text[0] == '-' ? -1 : 1) * (h * 60 + m);
    return true;
}

std::optional<time_bucket> parse_time_bucket(std::string_view text) {
    for (time_bucket b : {time_bucket::day, time_bucket::week, time_bucket::month})
        if (text == time_bucket_name(b)) return b;
    return std::nullopt;
}

std::optional<uint8_t> parse_segment_names(std::string_view text) {
    if (text == "none") return uint8_t{0};
    uint8_t bits = 0;
    size_t start = 0;
    while (start <= text.size()) {
        size_t end = std::min(text.find(',', start), text.size());
        std::string_view name = text.substr(start, end - start);
        bool known = false;
        for (segment s : {segment::detractor, segment::passive, segment::promoter})
            if (name == segment_name(s)) bits |= static_cast<uint8_t>(1 << static_cast<int>(s)), known = true;
        if (!known) return std::nullopt;
        start = end + 1;
    }
    return bits;
}

uint8_t parse_segment_letters(std::string_view letters) {
    uint8_t s = 0;
    for (char c : letters) s |= c == 'd' ? 1 : c == 'p' ? 2 : c == 'P' ? 4 : 0;
    return s;
}

std::string format_segment_letters(uint8_t segments) {
    std::string seg;
    if (segments & 1) seg += 'd';
    if (segments & 2) seg += 'p';
    if (segments & 4) seg += 'P';
    return seg.empty() ? "none" : seg;
}

namespace {
bool is_key_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
}

std::vector<std::string> split_values(std::string_view text) {
    std::vector<std::string> values;
    size_t start = 0;
    for (;;) {
        size_t end = text.find('|', start);
        values.emplace_back(text.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start));
        if (end == std::string_view::npos) return values;
        start = end + 1;
    }
}
}  // namespace

std::optional<attribute_filter> parse_condition(std::string_view text) {
    size_t k = 0;
    while (k < text.size() && is_key_char(text[k])) ++k;
    attribute_filter f;
    f.key = std::string(text.substr(0, k));
    if (!is_valid_attribute_key(f.key)) return std::nullopt;
    std::string_view rest = text.substr(k);
    if (rest.substr(0, 2) == "!=")
        f.exclude = true, rest.remove_prefix(2);
    else if (!rest.empty() && (rest[0] == '=' || rest[0] == ':'))
        rest.remove_prefix(1);
    else
        return std::nullopt;
    f.values = split_values(rest);
    return f;
}

std::string format_condition(const attribute_filter& f) {
    std::string out = f.key + (f.exclude ? "!=" : "=");
    for (size_t i = 0; i < f.values.size(); ++i) out += (i ? "|" : "") + f.values[i];
    return out;
}

void add_condition(std::vector<attribute_filter>& list, attribute_filter f) {
    for (attribute_filter& existing : list)
        if (existing.key == f.key && existing.exclude == f.exclude) {
            existing.values.insert(existing.values.end(), f.values.begin(), f.values.end());
            return;
        }
    list.push_back(std::move(f));
}

//-----------------------------------------------------------------------------
// [SECTION] Pairs
//-----------------------------------------------------------------------------
param_problem apply_param(query_params& q, std::string_view name, std::string_view value) {
    param_problem p;
    auto fail = [&](param_error code) {
        p.code = code;
        p.field = std::string(name);
        p.value = std::string(value);
        return p;
    };
    if (name == "since" || name == "until") {
        if (value.empty()) return p;
        auto ms = name == "since" ? parse_since(value) : parse_until(value);
        if (!ms) return fail(param_error::bad_time);
        (name == "since" ? q.filter.since_ms : q.filter.until_ms) = *ms;
    } else if (name == "tz") {
        if (value.empty()) return q.utc_offset_minutes = 0, p;
        if (!parse_utc_offset(value, q.utc_offset_minutes)) return fail(param_error::bad_offset);
    } else if (name == "by") {
        auto b = parse_time_bucket(value);
        if (!b && !is_valid_attribute_key(value)) return fail(param_error::bad_by);
        q.by = std::string(value);
        q.by_time = b.has_value();
        if (b) q.bucket = *b;
    } else if (name == "segment") {
        auto s = parse_segment_names(value);
        if (!s) return fail(param_error::bad_segment);
        q.filter.segments = *s;
    } else if (name == "seg") {
        q.filter.segments = parse_segment_letters(value);
    } else if (name == "where") {
        auto f = parse_condition(value);
        if (!f) return fail(param_error::bad_condition);
        add_condition(q.filter.attributes, std::move(*f));
    } else if (name.substr(0, 2) == "a." || name.substr(0, 3) == "xa.") {
        // The dashboard's older spelling: the key in the name, empty values dropped.
        attribute_filter f;
        f.exclude = name[0] == 'x';
        f.key = std::string(name.substr(f.exclude ? 3 : 2));
        for (auto& v : split_values(value))
            if (!v.empty()) f.values.push_back(std::move(v));
        if (!is_valid_attribute_key(f.key) || f.values.empty()) return fail(param_error::bad_condition);
        add_condition(q.filter.attributes, std::move(f));
    }
    return p;
}

param_problem parse_params(const std::vector<param_pair>& pairs, query_params& q) {
    for (const auto& [name, value] : pairs) {
        param_problem p = apply_param(q, name, value);
        if (!p.ok()) return p;
    }
    return {};
}

}  // namespace npskit
