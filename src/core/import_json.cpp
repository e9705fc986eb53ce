// npskit core: the JSON importers (array, NDJSON) and the schema v1 fast path.
//
// [SECTION] The byte streams: NDJSON lines, a JSON array's records
// [SECTION] A record: the fast path, else the DOM (schema v1 strictly, or a peer's export)
// [SECTION] The fast path: well-formed schema v1 records without nlohmann's DOM
#include <algorithm>
#include <cmath>
#include <cstring>

#include <nlohmann/json.hpp>

#include "calendar.h"
#include "import.h"
#include "import_peers.h"

namespace npskit {

using json = nlohmann::json;
using namespace import_peers;

//-----------------------------------------------------------------------------
// [SECTION] The byte streams
//-----------------------------------------------------------------------------
void response_importer::feed_ndjson(std::string_view chunk) {
    while (!chunk.empty()) {
        const char* nl = static_cast<const char*>(std::memchr(chunk.data(), '\n', chunk.size()));
        size_t take = nl ? static_cast<size_t>(nl - chunk.data()) : chunk.size();
        if (nl && pending_.empty() && !oversized_ && take <= desc_.max_record_bytes) {
            on_record(chunk.substr(0, take), line_);  // a whole line in the chunk: read in place
            chunk.remove_prefix(take + 1);
            ++line_;
            continue;
        }
        if (!oversized_) {
            if (pending_.size() + take > desc_.max_record_bytes) {
                oversized_ = true;
                pending_.clear();
            } else {
                pending_.append(chunk.data(), take);
            }
        }
        if (!nl) break;
        chunk.remove_prefix(take + 1);
        if (oversized_) {
            too_large(line_);
            oversized_ = false;
        } else {
            on_record(pending_, line_);
        }
        pending_.clear();
        ++line_;
    }
}

void response_importer::feed_json_array(std::string_view chunk) {
    for (char c : chunk) {
        if (c == '\n') ++line_;
        if (array_closed_) continue;
        if (in_string_) {
            if (escaped_)
                escaped_ = false;
            else if (c == '\\')
                escaped_ = true;
            else if (c == '"')
                in_string_ = false;
            if (!oversized_) pending_ += c;
            continue;
        }
        if (depth_ == 0) {  // before the array
            if (c == '[') depth_ = 1;
            continue;
        }
        if (depth_ == 1 && (c == ',' || c == ']')) {
            if (oversized_) {
                too_large(record_line_);
                oversized_ = false;
            } else if (!trim(pending_).empty()) {
                on_record(pending_, record_line_);
            }
            pending_.clear();
            if (c == ']') array_closed_ = true, depth_ = 0;
            continue;
        }
        if (depth_ == 1 && pending_.empty() && is_blank(c)) continue;
        if (depth_ == 1 && pending_.empty()) record_line_ = line_;
        if (c == '"')
            in_string_ = true;
        else if (c == '{' || c == '[')
            ++depth_;
        else if (c == '}' || c == ']')
            --depth_;
        if (!oversized_) {
            pending_ += c;
            if (pending_.size() > desc_.max_record_bytes) oversized_ = true, pending_.clear();
        }
    }
}

void response_importer::finish_json() {
    if (desc_.format == input_format::ndjson) {
        if (oversized_)
            too_large(line_);
        else if (!trim(pending_).empty())
            on_record(pending_, line_);
    } else if (!array_closed_) {
        ++stats_.records;
        problem(record_line_, import_error_code::array_not_closed);
    }
}

//-----------------------------------------------------------------------------
// [SECTION] A record
//-----------------------------------------------------------------------------
void response_importer::on_record(std::string_view text, uint64_t line) {
    text = trim(text);
    if (text.empty()) return;
    on_json_record(text, line);
}

void response_importer::on_json_record(std::string_view text, uint64_t line) {
    ++stats_.records;
    if (desc_.fast_path && read_schema_v1(text)) {
        ++stats_.accepted;
        if (view_sink_) return view_sink_(fast_view_);
        return sink_(response_from(fast_view_, fast_));
    }
    // A raw NUL is never valid JSON, and nlohmann's lexer would stop at it as if the input ended.
    json j =
        text.find('\0') == std::string_view::npos ? json::parse(text.begin(), text.end(), nullptr, false) : json(json::value_t::discarded);
    if (j.is_discarded()) return problem(line, import_error_code::not_json);
    if (!j.is_object()) return problem(line, import_error_code::not_object);
    if (j.contains("v") || desc_.strict_schema) {  // schema v1 as it is: strict
        parse_result r = parse_response(j);
        if (!r.ok()) return problem(line, std::move(r.errors));
        ++stats_.accepted;
        return sink_(r.value);
    }
    // A peer's export: map its fields onto schema v1, then validate strictly.
    json obj = json::object();
    json attrs = json::object();
    auto add_attribute = [&](std::string_view name, const json& value) {
        std::string key = attribute_key_from(name);
        if (key.empty() || attrs.size() >= 32 || attrs.contains(key)) return;
        if (value.is_string() && utf8_length(value.get_ref<const std::string&>()) <= 256)
            attrs[key] = value;
        else if (value.is_boolean() || value.is_number_integer())
            attrs[key] = value;
        else if (value.is_number_float() && std::isfinite(value.get<double>()))
            attrs[key] = value;
    };
    for (auto it = j.begin(); it != j.end(); ++it) {
        std::string name = lower(it.key());
        const json& value = it.value();
        if (value.is_null()) continue;
        if (one_of(name, score_names)) {
            obj["score"] = value;  // strict: 6.5, "9", 11 fail validation with the field named
        } else if (one_of(name, ts_names)) {
            std::optional<int64_t> ms;
            if (value.is_number_integer()) {
                ms = timestamp_from_number(value.get<int64_t>());
            } else if (value.is_string()) {
                ms = timestamp_from_text(value.get_ref<const std::string&>());
            }
            if (!ms) return problem(line, import_error_code::not_a_timestamp, name);
            obj["ts"] = format_timestamp(*ms);
        } else if (one_of(name, comment_names)) {
            if (value.is_string() && !trim(value.get_ref<const std::string&>()).empty()) obj["comment"] = value;
        } else if (one_of(name, id_names)) {
            if (value.is_string())
                set_id(obj, value.get_ref<const std::string&>(), desc_);
            else if (value.is_number_integer())
                set_id(obj, value.dump(), desc_);
        } else if (one_of(name, survey_names)) {
            if (value.is_string() && is_valid_survey(value.get_ref<const std::string&>()))
                obj["survey"] = value;
            else if (value.is_string())
                add_attribute("survey_name", value);
        } else if (one_of(name, user_names)) {
            if (value.is_string())
                obj["user"] = value;
            else if (value.is_number_integer())
                obj["user"] = value.dump();
        } else if (name == "type" && value.is_string()) {
            obj["type"] = value;
        } else if (is_v1_text_field(name)) {
            obj[name] = value;
        } else if (value.is_object() && one_of(name, {"person_properties", "properties", "attributes", "customer_properties"})) {
            for (auto p = value.begin(); p != value.end(); ++p) add_attribute(p.key(), p.value());
        } else if (!one_of(name, ignored_names) && !value.is_object() && !value.is_array()) {
            add_attribute(name, value);
        }
    }
    if (!attrs.empty()) obj["attributes"] = std::move(attrs);
    parse_result r = finish_record(obj, desc_, line, stats_.records);
    if (!r.ok()) return problem(line, std::move(r.errors));
    ++stats_.accepted;
    sink_(r.value);
}

//-----------------------------------------------------------------------------
// [SECTION] The fast path
//-----------------------------------------------------------------------------
namespace {

// A record's text, read as the one JSON shape the collector and the generator write. Every
// method returns false on anything unexpected: the caller then takes the DOM path.
struct v1_scanner {
    const char* p;
    const char* end;

    void blanks() {
        while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')) ++p;
    }
    bool eat(char c) {
        blanks();
        if (p < end && *p == c) {
            ++p;
            return true;
        }
        return false;
    }
    // A string without \u, \b, \f escapes and without raw control bytes (invalid JSON anyway).
    // `out` views the input when the string has no escape (nearly always), else the string is
    // decoded at the end of `scratch` (which must not reallocate: the caller reserves it).
    // `plain`: every byte is ASCII from 0x20 to 0x7e (then it is valid UTF-8 and its length in
    // code points is its size), so text_ok need not look at it again.
    bool string(std::string_view& out, std::string& scratch, bool& plain) {
        blanks();
        if (p >= end || *p != '"') return false;
        const char* start = ++p;
        uint64_t high = 0;
        // Eight bytes at a time up to the first quote, backslash or control byte; a byte-wise
        // test flags the first such byte exactly (later flags may be false: they are not used).
        constexpr uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
        while (end - p >= 8) {
            uint64_t x;
            std::memcpy(&x, p, 8);
            const uint64_t quote = x ^ (ones * '"'), backslash = x ^ (ones * '\\');
            const uint64_t stop = (((quote - ones) & ~quote) | ((backslash - ones) & ~backslash) | ((x - ones * 0x20) & ~x)) & highs;
            if (stop) {
                const int at = __builtin_ctzll(stop) >> 3;
                high |= (((x & ~highs) + ones) | x) & highs & ((uint64_t{1} << (at * 8)) - 1);  // bytes ≥ 0x7f before it
                p += at;
                break;
            }
            high |= (((x & ~highs) + ones) | x) & highs;
            p += 8;
        }
        for (;; ++p) {
            if (p >= end) return false;
            const unsigned char c = static_cast<unsigned char>(*p);
            if (c == '"' || c == '\\' || c < 0x20) break;
            high |= c >= 0x7f;
        }
        if (*p == '"') {
            out = std::string_view(start, static_cast<size_t>(p - start));
            ++p;
            plain = !high;
            return true;
        }
        if (*p != '\\') return false;           // a raw control byte
        const size_t decoded = scratch.size();  // appended after what the record decoded before
        scratch.append(start, static_cast<size_t>(p - start));
        plain = false;
        const char* run = p;
        for (;;) {
            if (p >= end) return false;
            const unsigned char c = static_cast<unsigned char>(*p);
            if (c == '"') break;
            if (c < 0x20) return false;
            if (c == '\\') {
                scratch.append(run, static_cast<size_t>(p - run));
                if (p + 1 >= end) return false;
                switch (p[1]) {
                    case '"': scratch += '"'; break;
                    case '\\': scratch += '\\'; break;
                    case '/': scratch += '/'; break;
                    case 'n': scratch += '\n'; break;
                    case 'r': scratch += '\r'; break;
                    case 't': scratch += '\t'; break;
                    default: return false;
                }
                p += 2;
                run = p;
                continue;
            }
            ++p;
        }
        scratch.append(run, static_cast<size_t>(p - run));
        ++p;
        out = std::string_view(scratch).substr(decoded);
        return true;
    }
    // An object key: short, plain ASCII in practice. One test a byte; an escape or a control
    // byte returns false (the DOM path reads such a record).
    bool key(std::string_view& out) {
        blanks();
        if (p >= end || *p != '"') return false;
        const char* start = ++p;
        for (; p < end; ++p) {
            const unsigned char c = static_cast<unsigned char>(*p);
            if (c == '"') {
                out = std::string_view(start, static_cast<size_t>(p++ - start));
                return true;
            }
            if (c == '\\' || c < 0x20) return false;
        }
        return false;
    }
    bool word(const char* w) {
        const size_t n = std::strlen(w);
        if (static_cast<size_t>(end - p) < n || std::memcmp(p, w, n) != 0) return false;
        p += n;
        return true;
    }
    // true / false, as a bool.
    bool boolean(bool& out) {
        blanks();
        if (word("true")) return out = true, true;
        if (word("false")) return out = false, true;
        return false;
    }
    // An integer in nlohmann's canonical form (what dump() writes back): -?(0|[1-9][0-9]{0,17}),
    // not "-0", not followed by a fraction or an exponent.
    bool integer(std::string_view& text) {
        blanks();
        const char* start = p;
        if (p < end && *p == '-') ++p;
        const char* digits = p;
        while (p < end && *p >= '0' && *p <= '9') ++p;
        const size_t n = static_cast<size_t>(p - digits);
        if (n == 0 || n > 18 || (n > 1 && *digits == '0') || (n == 1 && *digits == '0' && digits != start)) return false;
        if (p < end && (*p == '.' || *p == 'e' || *p == 'E')) return false;
        text = std::string_view(start, static_cast<size_t>(p - start));
        return true;
    }
};

// What parse_response's validator accepts for a text field, checked without building errors.
bool text_ok(std::string_view s, size_t max_chars, bool multiline, bool plain) {
    if (plain) return s.size() <= max_chars;  // printable ASCII: valid, one code point a byte
    bool ascii = true;                        // then it is valid UTF-8 and its length is its size: one pass, not three
    for (char c : s) {
        const unsigned char u = static_cast<unsigned char>(c);
        if (u >= 0x80) {
            ascii = false;
            continue;
        }
        if ((u < 0x20 && !(multiline && (c == '\n' || c == '\r' || c == '\t'))) || u == 0x7f) return false;
    }
    if (ascii) return s.size() <= max_chars;
    return is_valid_utf8(s) && utf8_length(s) <= max_chars;
}

// One reader per kind of the record's list (schema.h); false: the DOM path reads the record.
struct fast_reader {
    v1_scanner& in;
    std::string& arena;                                 // decoded strings (reserved: views into it stay valid)
    std::vector<response_view::attribute>& attributes;  // their views (kept between records)
    size_t attribute_count = 0;
    bool plain = false;
    std::string_view value, number;

    bool read(kind_tag<field_kind::id>, std::string_view& out, size_t) { return in.string(out, arena, plain) && is_valid_id(out); }
    bool read(kind_tag<field_kind::survey>, std::string_view& out, size_t) { return in.string(out, arena, plain) && is_valid_survey(out); }
    bool read(kind_tag<field_kind::type>, event_type& out, size_t) {
        using namespace std::string_view_literals;
        if (!in.string(value, arena, plain)) return false;
        if (value == "response"sv)
            out = event_type::response;
        else if (value == "shown"sv)
            out = event_type::shown;
        else if (value == "dismissed"sv)
            out = event_type::dismissed;
        else
            return false;
        return true;
    }
    bool read(kind_tag<field_kind::score>, int& out, size_t) {
        if (!in.integer(number) || number.size() > 2 || number[0] == '-') return false;
        out = number.size() == 1 ? number[0] - '0' : (number[0] - '0') * 10 + (number[1] - '0');
        return out <= 10;
    }
    bool read(kind_tag<field_kind::timestamp>, int64_t& out, size_t) {
        const schema_limits limits;
        if (!in.string(value, arena, plain)) return false;
        std::optional<int64_t> ms = parse_timestamp(value, false);
        int year = ms ? civil_from_days(floor_div(*ms, ms_per_day)).year : 0;
        if (!ms || year < limits.min_year || year > limits.max_year) return false;
        out = *ms;
        return true;
    }
    bool text(std::optional<std::string_view>& out, size_t max_chars, bool multiline) {
        if (!in.string(value, arena, plain) || !text_ok(value, max_chars, multiline, plain)) return false;
        out = value;
        return true;
    }
    bool read(kind_tag<field_kind::text>, std::optional<std::string_view>& out, size_t max_chars) { return text(out, max_chars, false); }
    bool read(kind_tag<field_kind::multiline>, std::optional<std::string_view>& out, size_t max_chars) {
        return text(out, max_chars, true);
    }
    bool read(kind_tag<field_kind::boolean>, std::optional<bool>& out, size_t) {
        bool b = false;
        if (!in.boolean(b)) return false;
        out = b;
        return true;
    }
    bool read(kind_tag<field_kind::attributes>, std::span<const response_view::attribute>&, size_t max_attributes) {
        const schema_limits limits;
        if (!in.eat('{')) return false;
        if (in.eat('}')) return true;
        for (;;) {
            if (attribute_count == max_attributes) return false;
            if (attributes.size() <= attribute_count) attributes.emplace_back();
            auto& [k, v] = attributes[attribute_count++];
            if (!in.key(k) || !is_valid_attribute_key(k) || !in.eat(':')) return false;
            in.blanks();
            bool b = false;
            if (in.p < in.end && *in.p == '"') {
                if (!in.string(v, arena, plain) || !text_ok(v, limits.max_attribute_value_chars, false, plain)) return false;
            } else if (in.boolean(b)) {
                using namespace std::string_view_literals;
                v = b ? "true"sv : "false"sv;
            } else if (in.integer(number)) {
                v = number;
            } else {
                return false;
            }
            if (in.eat(',')) continue;
            if (in.eat('}')) return true;
            return false;
        }
    }
};

// After the last key: what the DOM would miss or refuse. `seen`: the field was there.
template <field_kind K, class T>
bool fast_complete(kind_tag<K>, bool, const T&, const response_view&) {
    return true;
}  // optional
bool fast_complete(kind_tag<field_kind::id>, bool seen, std::string_view, const response_view&) { return seen; }
bool fast_complete(kind_tag<field_kind::survey>, bool seen, std::string_view, const response_view&) { return seen; }
bool fast_complete(kind_tag<field_kind::timestamp>, bool seen, int64_t, const response_view&) { return seen; }
bool fast_complete(kind_tag<field_kind::score>, bool seen, int, const response_view& r) {
    return seen == (r.type == event_type::response);  // missing, or not allowed
}

constexpr uint32_t version_bit = 1;
constexpr uint32_t field_bit(field_index i) { return 2u << static_cast<unsigned>(i); }
static_assert(record_field_count < 31, "the fast path keeps one bit a field");

}  // namespace

bool response_importer::read_schema_v1(std::string_view text) {
    using namespace std::string_view_literals;
    const schema_limits limits;
    v1_scanner in{text.data(), text.data() + text.size()};
    response_view& r = fast_view_;
    r = response_view{};
    uint32_t seen = 0;
    // Strings with escapes are decoded into the arena; reserved to the record's size first, so
    // it never moves and the views into it stay valid.
    arena_.clear();
    if (arena_.capacity() < text.size()) arena_.reserve(text.size());
    fast_reader read{in, arena_, fast_attributes_, 0, false, {}, {}};
    std::string_view key;
    if (!in.eat('{')) return false;
    for (;;) {
        if (!in.key(key) || !in.eat(':')) return false;
        uint32_t bit = 0;
        bool ok = false;
        if (key == "v"sv) bit = version_bit, ok = in.integer(read.number) && read.number == "1"sv;
#define NPSKIT_X(member, json, kind, limit, update, stored) \
    else if (key == std::string_view(json)) bit = field_bit(field_index::member), ok = read.read(NPSKIT_KIND(kind), r.member, limits.limit);
        NPSKIT_RECORD_FIELDS(NPSKIT_X)
#undef NPSKIT_X
        if (!ok || (seen & bit)) return false;  // unknown, invalid, or repeated (the DOM keeps the last)
        seen |= bit;
        if (in.eat(',')) continue;
        if (in.eat('}')) break;
        return false;
    }
    in.blanks();
    if (in.p != in.end || !(seen & version_bit)) return false;
#define NPSKIT_X(member, json, kind, limit, update, stored) \
    if (!fast_complete(NPSKIT_KIND(kind), (seen & field_bit(field_index::member)) != 0, r.member, r)) return false;
    NPSKIT_RECORD_FIELDS(NPSKIT_X)
#undef NPSKIT_X
    if (r.type != event_type::response) r.score = -1;
    // The DOM iterates an object's keys in byte order, and rejects nothing for order: sort.
    auto* first = fast_attributes_.data();
    const size_t attributes = read.attribute_count;
    auto by_key = [](const auto& x, const auto& y) { return x.first < y.first; };
    if (!std::is_sorted(first, first + attributes, by_key)) std::sort(first, first + attributes, by_key);
    for (size_t i = 1; i < attributes; ++i)
        if (first[i].first == first[i - 1].first) return false;  // repeated key
    r.attributes = std::span<const response_view::attribute>(first, attributes);
    return true;
}

}  // namespace npskit
