#include "json_text.h"

#include <cmath>

#include "calendar.h"

namespace npskit {

bool parse_decimal(std::string_view s, double& out) {
    size_t i = 0, digits = 0;
    bool negative = i < s.size() && s[i] == '-', dot = false;
    i += negative || (i < s.size() && s[i] == '+');
    double v = 0;
    int shift = 0;  // the digits read, as an integer, times 10^shift
    for (; i < s.size(); ++i) {
        if (s[i] == '.' && !dot) {
            dot = true;
            continue;
        }
        if (s[i] < '0' || s[i] > '9') break;
        v = v * 10 + (s[i] - '0');
        ++digits;
        shift -= dot;
    }
    if (!digits) return false;
    if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
        bool negative_exponent = ++i < s.size() && s[i] == '-';
        i += negative_exponent || (i < s.size() && s[i] == '+');
        int e = 0;
        size_t start = i;
        for (; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i) e = e < 400 ? e * 10 + (s[i] - '0') : e;
        if (i == start) return false;
        shift += negative_exponent ? -e : e;
    }
    if (i != s.size()) return false;
    for (; shift > 0; --shift) v *= 10;  // no pow(): keeps the widget small
    for (; shift < 0; ++shift) v /= 10;
    if (v - v != 0) return false;  // not finite: "1e999" is infinity
    out = negative ? -v : v;
    return true;
}

bool same(std::string_view a, const char* b) {
    size_t i = 0;
    for (; i < a.size(); ++i)
        if (!b[i] || a[i] != b[i]) return false;
    return !b[i];
}

size_t find_byte(std::string_view s, char c, size_t from) {
    for (; from < s.size(); ++from)
        if (s[from] == c) return from;
    return std::string_view::npos;
}

size_t read_integers(std::string_view text, char sep, int64_t* out, size_t max, size_t& used) {
    size_t n = 0, i = 0;
    while (n < max) {
        bool negative = i < text.size() && text[i] == '-';
        size_t start = i += negative;
        int64_t v = 0;
        while (i < text.size() && text[i] >= '0' && text[i] <= '9' && i - start < 17) v = v * 10 + (text[i++] - '0');
        if (i == start) break;
        out[n++] = negative ? -v : v;
        if (i == text.size() || text[i] != sep) break;
        ++i;
    }
    used = i;
    return n;
}

//-----------------------------------------------------------------------------
// [SECTION] Tagged text
//-----------------------------------------------------------------------------
namespace {
constexpr char tag_end = '\x01';

// The item count of an "a<count>" / "o<count>" token, capped at `cap` (each item takes at least
// one byte of what is left, so a larger count can only mean malformed text).
size_t count_of(std::string_view digits, size_t cap) {
    size_t n = 0;
    for (char c : digits) {
        if (c < '0' || c > '9' || n > cap) return cap;
        n = n * 10 + static_cast<size_t>(c - '0');
    }
    return n < cap ? n : cap;
}

// Where the value starting at `pos` ends (s.size() when it runs off the end). Iterative: a count
// of tokens still to read, so hostile nesting costs no stack.
size_t skip_value(std::string_view s, size_t pos) {
    size_t pending = 1;
    while (pending && pos < s.size()) {
        size_t end = find_byte(s, tag_end, pos);
        if (end == std::string_view::npos) return s.size();
        char tag = s[pos];
        --pending;
        if (tag == 'a' || tag == 'o') {
            size_t n = count_of(s.substr(pos + 1, end - pos - 1), s.size());
            pending += tag == 'o' ? 2 * n : n;  // an object's members are key + value tokens
        }
        pos = end + 1;
    }
    return pos;
}
}  // namespace

tagged::tagged(std::string_view text_from_value) : s_(text_from_value.substr(0, skip_value(text_from_value, 0))) {}

char tagged::kind() const {
    // A whole value's span ends with a terminator; one cut short by the end of the text does not.
    char tag = s_.empty() || s_.back() != tag_end ? 0 : s_[0];
    return tag == 's' || tag == 'n' || tag == 'a' || tag == 'o' || tag == 't' || tag == 'f' || tag == 'z' ? tag : 0;
}

bool tagged::is_scalar() const {
    char k = kind();
    return k == 's' || k == 'n' || k == 't' || k == 'f';
}

std::string_view tagged::text() const {
    char k = kind();
    if (k == 's' || k == 'n') return s_.substr(1, find_byte(s_, tag_end) - 1);
    if (k == 't') return "true";
    if (k == 'f') return "false";
    return {};
}

bool tagged::number(double& out) const {
    char k = kind();
    return (k == 'n' || k == 's') && parse_decimal(text(), out);
}

bool tagged::next(size_t& pos, tagged& value, std::string_view* key) const {
    char k = kind();
    if (k != 'a' && k != 'o') return false;
    if (pos == 0) pos = find_byte(s_, tag_end) + 1;
    if (pos >= s_.size()) return false;
    if (k == 'o') {
        size_t end = find_byte(s_, tag_end, pos);
        if (s_[pos] != 'k' || end == std::string_view::npos) return false;
        if (key) *key = s_.substr(pos + 1, end - pos - 1);
        pos = end + 1;
    }
    value = tagged(s_.substr(pos));
    pos += value.s_.size();
    return !value.s_.empty();
}

tagged tagged::get(std::string_view key) const {
    tagged found, v;
    std::string_view k;
    for (size_t pos = 0; next(pos, v, &k);)
        if (k == key) found = v;
    return found;
}

std::string_view tagged::span() const { return s_; }

//-----------------------------------------------------------------------------
// [SECTION] Config layers
//-----------------------------------------------------------------------------
tagged config_layers::get(std::string_view key) const {
    tagged found;
    for (size_t pos = 0; pos < text.size();) {
        tagged layer(text.substr(pos));
        if (layer.span().empty()) break;
        if (tagged v = layer.get(key); v.present()) found = v;
        pos += layer.span().size();
    }
    return found;
}

//-----------------------------------------------------------------------------
// [SECTION] JSON -> tagged text
//-----------------------------------------------------------------------------
namespace {
struct json_to_tagged {
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
        if (cp < 0x80) {
            if (cp != 1) out += static_cast<char>(cp);  // the token terminator never appears in text
        } else if (cp < 0x800) {
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
            if (c >= '0' && c <= '9')
                v |= c - '0';
            else if (c >= 'a' && c <= 'f')
                v |= c - 'a' + 10;
            else if (c >= 'A' && c <= 'F')
                v |= c - 'A' + 10;
            else
                return false;
        }
        return true;
    }
    // A JSON string's content, unescaped, then the terminator.
    bool string(std::string& out) {
        if (i >= s.size() || s[i] != '"') return false;
        ++i;
        while (i < s.size()) {
            char c = s[i++];
            if (c == '"') return out += tag_end, true;
            if (static_cast<unsigned char>(c) < 0x20) return false;
            if (c != '\\') {
                out += c;
                continue;
            }
            if (i >= s.size()) return false;
            char e = s[i++];
            uint32_t cp = 0;
            switch (e) {
                case '"':
                case '\\':
                case '/': cp = static_cast<uint32_t>(e); break;
                case 'b': cp = '\b'; break;
                case 'f': cp = '\f'; break;
                case 'n': cp = '\n'; break;
                case 'r': cp = '\r'; break;
                case 't': cp = '\t'; break;
                case 'u':
                    if (!hex4(cp)) return false;
                    if (cp >= 0xd800 && cp <= 0xdbff) {  // a surrogate pair
                        uint32_t lo;
                        if (!literal("\\u") || !hex4(lo) || lo < 0xdc00 || lo > 0xdfff) return false;
                        cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
                    } else if (cp >= 0xdc00 && cp <= 0xdfff) {
                        return false;
                    }
                    break;
                default: return false;
            }
            append_utf8(out, cp);
        }
        return false;
    }
    // JSON's grammar (no leading zeros, no "+", digits after "."), kept as written.
    bool number(std::string& out) {
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
        double unused;
        if (!parse_decimal(s.substr(start, i - start), unused)) return false;  // 1e999: not a finite number
        out += 'n';
        out += s.substr(start, i - start);
        out += tag_end;
        return true;
    }
    bool value(std::string& out, int depth) {
        if (depth > 16) return false;
        skip_space();
        if (i >= s.size()) return false;
        char c = s[i];
        if (c == '{' || c == '[') {  // the items first, then the count in front of them
            ++i;
            bool object = c == '{';
            std::string items;
            size_t n = 0;
            skip_space();
            if (i < s.size() && s[i] == (object ? '}' : ']'))
                ++i;
            else
                for (;; ++n) {
                    skip_space();
                    if (object) {
                        items += 'k';
                        if (!string(items)) return false;
                        skip_space();
                        if (i >= s.size() || s[i++] != ':') return false;
                    }
                    if (!value(items, depth + 1)) return false;
                    skip_space();
                    if (i >= s.size()) return false;
                    if (s[i] == ',') {
                        ++i;
                        continue;
                    }
                    if (s[i++] != (object ? '}' : ']')) return false;
                    ++n;
                    break;
                }
            out += object ? 'o' : 'a';
            out += std::to_string(n);
            out += tag_end;
            out += items;
            return true;
        }
        if (c == '"') return out += 's', string(out);
        if (literal("true")) return out += "t\x01", true;
        if (literal("false")) return out += "f\x01", true;
        if (literal("null")) return out += "z\x01", true;
        return number(out);
    }
};
}  // namespace

bool tagged_from_json(std::string_view json, std::string& out) {
    json_to_tagged r{json};
    if (!r.value(out, 0)) return false;
    r.skip_space();
    return r.i == json.size();
}

//-----------------------------------------------------------------------------
// [SECTION] Writer
//-----------------------------------------------------------------------------
void append_json_string(text& out, std::string_view s) {
    static const char hex[] = "0123456789abcdef";
    out += '"';
    for (char c : s) {
        unsigned char u = static_cast<unsigned char>(c);
        if (c == '"')
            out += "\\\"";
        else if (c == '\\')
            out += "\\\\";
        else if (c == '\n')
            out += "\\n";
        else if (c == '\r')
            out += "\\r";
        else if (c == '\t')
            out += "\\t";
        else if (u < 0x20 || u == 0x7f) {
            out += "\\u00";
            out += hex[u >> 4];
            out += hex[u & 15];
        } else
            out += c;
    }
    out += '"';
}

void append_integer(text& out, int64_t n) {
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

void append_json_number(text& out, double n) {
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
        out.append(digits, static_cast<size_t>(last + 1));
    }
}

static void append_padded(text& out, int v, int width) {
    char buf[8];
    for (int k = width - 1; k >= 0; --k, v /= 10) buf[k] = static_cast<char>('0' + v % 10);
    out.append(buf, static_cast<size_t>(width));
}

void append_timestamp(text& out, int64_t unix_ms) {
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

//-----------------------------------------------------------------------------
// [SECTION] Schema v1 record
//-----------------------------------------------------------------------------
static void field(text& out, const char* name) {
    out += ",\"";
    out += name;
    out += "\":";
}

// One writer per kind of the record's list (schema.h), on the wire form. Values by reference:
// read after the key is written, as a hand-written writer would (fewer wasm locals).
static void write_field(kind_tag<field_kind::id>, text& out, const char* name, const std::string_view& value, const wire_record&) {
    field(out, name);
    append_json_string(out, value);
}
static void write_field(kind_tag<field_kind::survey>, text& out, const char* name, const std::string_view& value, const wire_record&) {
    field(out, name);
    append_json_string(out, value);
}
static void write_field(kind_tag<field_kind::type>, text& out, const char* name, const event_type& value, const wire_record&) {
    static const char* const type_names[] = {"response", "shown", "dismissed"};
    field(out, name);
    out += '"';
    out += type_names[static_cast<int>(value) % 3];
    out += '"';
}
static void write_field(kind_tag<field_kind::score>, text& out, const char* name, const int& value, const wire_record& r) {
    if (r.type != event_type::response || value < 0) return;
    field(out, name);
    append_integer(out, value);
}
static void write_field(kind_tag<field_kind::timestamp>, text& out, const char* name, const std::string_view& value, const wire_record&) {
    field(out, name);
    append_json_string(out, value);
}
static void text_field(text& out, const char* name, std::string_view value) {  // left out when empty
    if (value.empty()) return;
    field(out, name);
    append_json_string(out, value);
}
static void write_field(kind_tag<field_kind::text>, text& out, const char* name, const std::string_view& value, const wire_record&) {
    text_field(out, name, value);
}
static void write_field(kind_tag<field_kind::multiline>, text& out, const char* name, const std::string_view& value, const wire_record&) {
    text_field(out, name, value);
}
static void write_field(kind_tag<field_kind::boolean>, text& out, const char* name, const int& value, const wire_record&) {
    if (value < 0) return;
    field(out, name);
    out += value ? "true" : "false";
}
static void write_field(kind_tag<field_kind::attributes>, text& out, const char* name, const std::string_view& value, const wire_record&) {
    if (value.empty()) return;
    field(out, name);
    out += '{';
    out += value;
    out += '}';
}

void append_record_json(text& out, const wire_record& r) {
    out += "{\"v\":1";
#define NPSKIT_X(member, json, kind, limit, update, stored) write_field(NPSKIT_KIND(kind), out, json, r.member, r);
    NPSKIT_RECORD_FIELDS(NPSKIT_X)
#undef NPSKIT_X
    out += '}';
}

namespace {
// A response's field in its wire form; `scratch` holds what had to be written first.
struct wire_writer {
    text ts, attributes;
    std::string_view of(kind_tag<field_kind::id>, const std::string& v) { return v; }
    std::string_view of(kind_tag<field_kind::survey>, const std::string& v) { return v; }
    event_type of(kind_tag<field_kind::type>, event_type v) { return v; }
    int of(kind_tag<field_kind::score>, int v) { return v; }
    std::string_view of(kind_tag<field_kind::timestamp>, int64_t v) {
        append_timestamp(ts, v);
        return ts;
    }
    std::string_view of(kind_tag<field_kind::text>, const std::optional<std::string>& v) {
        return v ? std::string_view(*v) : std::string_view();
    }
    std::string_view of(kind_tag<field_kind::multiline>, const std::optional<std::string>& v) {
        return v ? std::string_view(*v) : std::string_view();
    }
    int of(kind_tag<field_kind::boolean>, const std::optional<bool>& v) { return v ? *v : -1; }
    std::string_view of(kind_tag<field_kind::attributes>, const std::vector<std::pair<std::string, std::string>>& v) {
        for (const auto& [key, value] : v) {
            if (!attributes.empty()) attributes += ',';
            append_json_string(attributes, key);
            attributes += ':';
            append_json_string(attributes, value);
        }
        return attributes;
    }
};
}  // namespace

std::string write_response_json(const response& r) {
    wire_writer w;
    wire_record v;
#define NPSKIT_X(member, json, kind, limit, update, stored) v.member = w.of(NPSKIT_KIND(kind), r.member);
    NPSKIT_RECORD_FIELDS(NPSKIT_X)
#undef NPSKIT_X
    text out;
    append_record_json(out, v);
    return std::string(std::string_view(out));
}

}  // namespace npskit
