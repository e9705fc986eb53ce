#include "json_text.h"

#include <cmath>

#include "calendar.h"

namespace npskit {

const json_value* json_value::get(std::string_view key) const {
    if (kind != json_kind::object) return nullptr;
    for (size_t i = keys.size(); i-- > 0;)  // the last duplicate wins, as in JavaScript
        if (keys[i] == key) return &items[i];
    return nullptr;
}

std::string_view json_value::as_text() const {
    if (kind == json_kind::string || kind == json_kind::number) return text;
    if (kind == json_kind::boolean) return boolean ? "true" : "false";
    return {};
}

bool parse_decimal(std::string_view s, double& out) {
    size_t i = 0, digits = 0;
    bool negative = false;
    if (i < s.size() && (s[i] == '-' || s[i] == '+')) negative = s[i++] == '-';
    double v = 0;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') v = v * 10 + (s[i++] - '0'), ++digits;
    if (i < s.size() && s[i] == '.') {
        ++i;
        double scale = 0.1;
        while (i < s.size() && s[i] >= '0' && s[i] <= '9') v += (s[i++] - '0') * scale, scale *= 0.1, ++digits;
    }
    if (!digits) return false;
    if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
        ++i;
        bool neg_exp = false;
        if (i < s.size() && (s[i] == '+' || s[i] == '-')) neg_exp = s[i++] == '-';
        int e = 0, exp_digits = 0;
        while (i < s.size() && s[i] >= '0' && s[i] <= '9') e = e < 400 ? e * 10 + (s[i] - '0') : e, ++i, ++exp_digits;
        if (!exp_digits) return false;
        double scale = 1;
        for (int k = 0; k < e && scale < 1e308; ++k) scale *= 10;  // no pow(): keeps the widget small
        v = neg_exp ? v / scale : v * scale;
    }
    if (i != s.size()) return false;
    if (v - v != 0) return false;  // not finite: "1e999" is infinity, "0e999" 0 × infinity = NaN
    out = negative ? -v : v;
    return true;
}

namespace {
struct reader {
    std::string_view s;
    size_t i = 0;

    void skip_space() {
        while (i < s.size() && (s[i] == ' ' || s[i] == '\n' || s[i] == '\r' || s[i] == '\t')) ++i;
    }
    bool literal(std::string_view word) {
        if (s.substr(i, word.size()) != word) return false;
        i += word.size();
        return true;
    }
    static void append_utf8(std::string& out, uint32_t cp) {
        if (cp < 0x80) out += static_cast<char>(cp);
        else if (cp < 0x800) {
            out += static_cast<char>(0xc0 | (cp >> 6));
            out += static_cast<char>(0x80 | (cp & 0x3f));
        } else if (cp < 0x10000) {
            out += static_cast<char>(0xe0 | (cp >> 12));
            out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
            out += static_cast<char>(0x80 | (cp & 0x3f));
        } else {
            out += static_cast<char>(0xf0 | (cp >> 18));
            out += static_cast<char>(0x80 | ((cp >> 12) & 0x3f));
            out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
            out += static_cast<char>(0x80 | (cp & 0x3f));
        }
    }
    bool hex4(uint32_t& v) {
        if (i + 4 > s.size()) return false;
        v = 0;
        for (int k = 0; k < 4; ++k) {
            char c = s[i++];
            v <<= 4;
            if (c >= '0' && c <= '9') v |= c - '0';
            else if (c >= 'a' && c <= 'f') v |= c - 'a' + 10;
            else if (c >= 'A' && c <= 'F') v |= c - 'A' + 10;
            else return false;
        }
        return true;
    }
    bool string(std::string& out) {
        if (i >= s.size() || s[i] != '"') return false;
        ++i;
        while (i < s.size()) {
            char c = s[i++];
            if (c == '"') return true;
            if (static_cast<unsigned char>(c) < 0x20) return false;
            if (c != '\\') {
                out += c;
                continue;
            }
            if (i >= s.size()) return false;
            char e = s[i++];
            switch (e) {
                case '"': out += '"'; break;
                case '\\': out += '\\'; break;
                case '/': out += '/'; break;
                case 'b': out += '\b'; break;
                case 'f': out += '\f'; break;
                case 'n': out += '\n'; break;
                case 'r': out += '\r'; break;
                case 't': out += '\t'; break;
                case 'u': {
                    uint32_t cp;
                    if (!hex4(cp)) return false;
                    if (cp >= 0xd800 && cp <= 0xdbff) {  // a surrogate pair
                        uint32_t lo;
                        if (!literal("\\u") || !hex4(lo) || lo < 0xdc00 || lo > 0xdfff) return false;
                        cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
                    } else if (cp >= 0xdc00 && cp <= 0xdfff) {
                        return false;
                    }
                    append_utf8(out, cp);
                    break;
                }
                default: return false;
            }
        }
        return false;
    }
    // JSON's grammar (no leading zeros, no "+", digits after "."), the value from parse_decimal.
    bool number(json_value& out) {
        size_t start = i;
        if (i < s.size() && s[i] == '-') ++i;
        if (i >= s.size() || s[i] < '0' || s[i] > '9') return false;
        if (s[i] == '0' && i + 1 < s.size() && s[i + 1] >= '0' && s[i + 1] <= '9') return false;
        while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
        if (i < s.size() && s[i] == '.') {
            if (++i >= s.size() || s[i] < '0' || s[i] > '9') return false;
            while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
        }
        if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
            if (++i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
            if (i >= s.size() || s[i] < '0' || s[i] > '9') return false;
            while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
        }
        out.text = std::string(s.substr(start, i - start));
        return parse_decimal(out.text, out.number);
    }
    bool value(json_value& out, int depth) {
        if (depth > 16) return false;
        skip_space();
        if (i >= s.size()) return false;
        char c = s[i];
        if (c == '{') {
            ++i;
            out.kind = json_kind::object;
            skip_space();
            if (i < s.size() && s[i] == '}') return ++i, true;
            for (;;) {
                skip_space();
                std::string key;
                if (!string(key)) return false;
                skip_space();
                if (i >= s.size() || s[i++] != ':') return false;
                out.keys.push_back(std::move(key));
                out.items.emplace_back();
                if (!value(out.items.back(), depth + 1)) return false;
                skip_space();
                if (i >= s.size()) return false;
                if (s[i] == ',') { ++i; continue; }
                if (s[i] == '}') return ++i, true;
                return false;
            }
        }
        if (c == '[') {
            ++i;
            out.kind = json_kind::array;
            skip_space();
            if (i < s.size() && s[i] == ']') return ++i, true;
            for (;;) {
                out.items.emplace_back();
                if (!value(out.items.back(), depth + 1)) return false;
                skip_space();
                if (i >= s.size()) return false;
                if (s[i] == ',') { ++i; continue; }
                if (s[i] == ']') return ++i, true;
                return false;
            }
        }
        if (c == '"') {
            out.kind = json_kind::string;
            return string(out.text);
        }
        if (literal("true")) { out.kind = json_kind::boolean; out.boolean = true; return true; }
        if (literal("false")) { out.kind = json_kind::boolean; return true; }
        if (literal("null")) { out.kind = json_kind::null; return true; }
        out.kind = json_kind::number;
        return number(out);
    }
};
}  // namespace

bool parse_json_text(std::string_view text, json_value& out) {
    out = json_value{};
    reader r{text};
    if (!r.value(out, 0)) {
        out = json_value{};
        return false;
    }
    r.skip_space();
    if (r.i != text.size()) {
        out = json_value{};
        return false;
    }
    return true;
}

namespace {
struct tagged_reader {
    std::string_view s;
    size_t i = 0;

    bool token(std::string_view& out) {
        size_t end = s.find('\x01', i);
        if (end == std::string_view::npos) return false;
        out = s.substr(i, end - i);
        i = end + 1;
        return true;
    }
    bool value(json_value& v, int depth) {
        std::string_view t;
        if (depth > 16 || !token(t) || t.empty()) return false;
        char tag = t[0];
        t.remove_prefix(1);
        switch (tag) {
            case 's': v.kind = json_kind::string; v.text = std::string(t); return true;
            case 'n': v.kind = json_kind::number; v.text = std::string(t); return parse_decimal(t, v.number);
            case 't':
            case 'f': v.kind = json_kind::boolean; v.boolean = tag == 't'; return t.empty();
            case 'z': return t.empty();
            case 'a':
            case 'o': {
                double count = 0;
                // Each item takes at least one '\x01' of what is left: that bounds the sizes below.
                if (!parse_decimal(t, count) || count < 0 || count > 100000 || count > s.size() - i) return false;
                v.kind = tag == 'a' ? json_kind::array : json_kind::object;
                // Sized once, filled in place: no vector growth code in the widget.
                size_t n = static_cast<size_t>(count);
                v.items = std::vector<json_value>(n);
                if (tag == 'o') v.keys = std::vector<std::string>(n);
                for (size_t k = 0; k < n; ++k) {
                    if (tag == 'o') {
                        std::string_view key;
                        if (!token(key)) return false;
                        v.keys[k] = key;
                    }
                    if (!value(v.items[k], depth + 1)) return false;
                }
                return true;
            }
            default: return false;
        }
    }
};
}  // namespace

bool parse_tagged_text(std::string_view text, json_value& out) {
    out = json_value{};
    tagged_reader r{text};
    if (!r.value(out, 0) || r.i != text.size()) {
        out = json_value{};
        return false;
    }
    return true;
}

void append_json_string(std::string& out, std::string_view s) {
    static const char hex[] = "0123456789abcdef";
    out += '"';
    for (char c : s) {
        unsigned char u = static_cast<unsigned char>(c);
        if (c == '"') out += "\\\"";
        else if (c == '\\') out += "\\\\";
        else if (c == '\n') out += "\\n";
        else if (c == '\r') out += "\\r";
        else if (c == '\t') out += "\\t";
        else if (u < 0x20 || u == 0x7f) {
            out += "\\u00";
            out += hex[u >> 4];
            out += hex[u & 15];
        } else out += c;
    }
    out += '"';
}

void append_integer(std::string& out, int64_t n) {
    char buf[24];
    int len = 0;
    uint64_t u = n < 0 ? 0 - static_cast<uint64_t>(n) : static_cast<uint64_t>(n);
    do {
        buf[len++] = static_cast<char>('0' + u % 10);
        u /= 10;
    } while (u);
    if (n < 0) out += '-';
    while (len) out += buf[--len];
}

void append_json_number(std::string& out, double n) {
    if (!std::isfinite(n)) {
        out += "null";
        return;
    }
    if (std::fabs(n) < 9e15 && n == std::floor(n)) {
        append_integer(out, static_cast<int64_t>(n));
        return;
    }
    if (std::fabs(n) >= 9e15) {  // beyond exact integers: an approximation is all JSON promises anyway
        append_integer(out, n < 0 ? -9000000000000000 : 9000000000000000);
        return;
    }
    int64_t micro = static_cast<int64_t>(std::llround(std::fabs(n) * 1e6));
    if (n < 0) out += '-';
    append_integer(out, micro / 1000000);
    int64_t frac = micro % 1000000;
    if (frac) {
        out += '.';
        char digits[6];
        for (int k = 5; k >= 0; --k, frac /= 10) digits[k] = static_cast<char>('0' + frac % 10);
        int last = 5;
        while (digits[last] == '0') --last;
        out.append(digits, last + 1);
    }
}

static void append_padded(std::string& out, int v, int width) {
    char buf[8];
    for (int k = width - 1; k >= 0; --k, v /= 10) buf[k] = static_cast<char>('0' + v % 10);
    out.append(buf, width);
}

void append_timestamp(std::string& out, int64_t unix_ms) {
    int64_t day = floor_div(unix_ms, ms_per_day);
    int64_t rest = unix_ms - day * ms_per_day;
    civil_date cd = civil_from_days(day);
    append_padded(out, cd.year, 4);
    out += '-';
    append_padded(out, cd.month, 2);
    out += '-';
    append_padded(out, cd.day, 2);
    out += 'T';
    append_padded(out, static_cast<int>(rest / 3600000), 2);
    out += ':';
    append_padded(out, static_cast<int>(rest / 60000 % 60), 2);
    out += ':';
    append_padded(out, static_cast<int>(rest / 1000 % 60), 2);
    if (rest % 1000) {
        out += '.';
        append_padded(out, static_cast<int>(rest % 1000), 3);
    }
    out += 'Z';
}

static void field(std::string& out, const char* name) {
    out += ",\"";
    out += name;
    out += "\":";
}

std::string write_response_json(const response& r) {
    static const char* const type_names[] = {"response", "shown", "dismissed"};
    std::string out = "{\"v\":1";
    field(out, "id");
    append_json_string(out, r.id);
    field(out, "type");
    out += '"';
    out += type_names[static_cast<int>(r.type) % 3];
    out += '"';
    field(out, "survey");
    append_json_string(out, r.survey);
    if (r.type == event_type::response && r.score >= 0) {
        field(out, "score");
        append_integer(out, r.score);
    }
    field(out, "ts");
    out += '"';
    append_timestamp(out, r.ts_ms);
    out += '"';
    const std::pair<const char*, const std::optional<std::string>*> texts[] = {
        {"comment", &r.comment}, {"user", &r.user}, {"trigger", &r.trigger}, {"page", &r.page}, {"locale", &r.locale}};
    for (const auto& [name, value] : texts) {
        if (!*value) continue;
        field(out, name);
        append_json_string(out, **value);
    }
    if (r.contact_ok) {
        field(out, "contact_ok");
        out += *r.contact_ok ? "true" : "false";
    }
    if (r.email) {
        field(out, "email");
        append_json_string(out, *r.email);
    }
    if (!r.attributes.empty()) {
        field(out, "attributes");
        char sep = '{';
        for (const auto& [key, value] : r.attributes) {
            out += sep;
            sep = ',';
            append_json_string(out, key);
            out += ':';
            append_json_string(out, value);
        }
        out += '}';
    }
    out += '}';
    return out;
}

}  // namespace npskit
