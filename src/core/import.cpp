#include "import.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>

#include <nlohmann/json.hpp>

#include "calendar.h"
#include "hash_text.h"
#include "store.h"

namespace npskit {

using json = nlohmann::json;

const char* input_format_name(input_format f) {
    switch (f) {
        case input_format::unknown: return "unknown";
        case input_format::json_array: return "json";
        case input_format::ndjson: return "ndjson";
        case input_format::csv: return "csv";
    }
    return "?";
}

static bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

static std::string_view trim(std::string_view s) {
    while (!s.empty() && is_blank(s.front())) s.remove_prefix(1);
    while (!s.empty() && is_blank(s.back())) s.remove_suffix(1);
    return s;
}

static std::string_view skip_bom(std::string_view s) {
    if (s.size() >= 3 && std::memcmp(s.data(), "\xEF\xBB\xBF", 3) == 0) s.remove_prefix(3);
    return s;
}

input_format detect_format(std::string_view bytes) {
    bytes = trim(skip_bom(bytes));
    if (bytes.empty()) return input_format::unknown;
    if (bytes.front() == '[') return input_format::json_array;
    if (bytes.front() == '{') return input_format::ndjson;
    return input_format::csv;
}

//-----------------------------------------------------------------------------
// Mapping peers' fields onto schema v1
//-----------------------------------------------------------------------------
namespace {

std::string lower(std::string_view s) {
    std::string out(s);
    for (char& c : out)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return out;
}

// "Plan Name" → "plan_name"; nothing left → "".
std::string attribute_key_from(std::string_view name) {
    std::string key;
    for (char c : trim(name)) {
        char l = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
        bool ok = (l >= 'a' && l <= 'z') || (l >= '0' && l <= '9') || l == '_' || l == '.' || l == '-';
        if (ok) key += l;
        else if (!key.empty() && key.back() != '_') key += '_';
        if (key.size() == 64) break;
    }
    while (!key.empty() && key.back() == '_') key.pop_back();
    return key;
}

bool one_of(const std::string& s, std::initializer_list<const char*> names) {
    for (const char* n : names)
        if (s == n) return true;
    return false;
}

const std::initializer_list<const char*> score_names = {"score", "nps", "nps_score", "nps score", "rating",
                                                         "net promoter score"};
const std::initializer_list<const char*> ts_names = {"ts", "timestamp", "date", "created_at", "createdat",
                                                      "created at", "submitted_at", "submitted at", "time",
                                                      "datetime", "response date", "created"};
const std::initializer_list<const char*> comment_names = {"comment", "comments", "feedback", "text", "reason",
                                                           "open text", "why", "answer"};
const std::initializer_list<const char*> id_names = {"id", "response_id", "response id", "responseid"};
const std::initializer_list<const char*> survey_names = {"survey", "survey_id", "survey id", "surveyid"};
const std::initializer_list<const char*> user_names = {"user", "user_id", "user id", "userid", "person",
                                                        "person_id", "customer_id"};
const std::initializer_list<const char*> ignored_names = {"v", "permalink", "updated_at", "survey_type", "notes",
                                                           "tags", "formbricks id (internal)", "additional_answers"};

// Parses a timestamp cell or field: RFC 3339 / ISO dates, or Unix seconds / milliseconds.
std::optional<int64_t> timestamp_from_text(std::string_view text) {
    text = trim(text);
    if (text.empty()) return std::nullopt;
    if (std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; }) && text.size() <= 15) {
        int64_t v = std::stoll(std::string(text));
        return v < 100'000'000'000 ? v * 1000 : v;  // seconds until year 5138, else milliseconds
    }
    return parse_timestamp(text, true);
}

// Canonical schema-v1 object → strict validation; every importer ends here.
void finish_record(json& obj, const importer_desc& desc, uint64_t line, const response_importer::sink& sink,
                   import_stats& stats, const std::function<void(uint64_t, std::string)>& problem) {
    obj["v"] = 1;
    if (!obj.contains("survey")) obj["survey"] = desc.default_survey;
    if (!obj.contains("id")) {
        char id[48];
        // Records of a JSON array can share a line (a minified export): the record number keeps
        // their ids apart, or every record of a line would upsert the same id.
        if (desc.format == input_format::json_array)
            std::snprintf(id, sizeof id, "-%08llu-%llu", static_cast<unsigned long long>(line),
                          static_cast<unsigned long long>(stats.records));
        else
            std::snprintf(id, sizeof id, "-%08llu", static_cast<unsigned long long>(line));
        obj["id"] = desc.id_prefix + id;
    }
    if (!obj.contains("ts") && desc.default_ts_ms > 0) obj["ts"] = format_timestamp(desc.default_ts_ms);
    parse_result r = parse_response(obj);
    if (!r.ok()) {
        std::string reason;
        for (const auto& e : r.errors) reason += (reason.empty() ? "" : "; ") + e.message();
        problem(line, std::move(reason));
        return;
    }
    ++stats.accepted;
    sink(r.value);
}

// An id from a peer's export: kept when valid, prefixed when short (Delighted's numeric ids).
void set_id(json& obj, std::string_view raw, const importer_desc& desc) {
    raw = trim(raw);
    if (raw.empty()) return;
    if (is_valid_id(raw)) obj["id"] = std::string(raw);
    else {
        std::string prefixed = desc.id_prefix + "-" + std::string(raw);
        obj["id"] = is_valid_id(prefixed) ? prefixed : desc.id_prefix + "-" + std::to_string(hash_text(raw));
    }
}

}  // namespace

//-----------------------------------------------------------------------------
// The fast path: well-formed schema v1 records without nlohmann's DOM
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
        if (*p != '\\') return false;  // a raw control byte
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
    bool ascii = true;  // then it is valid UTF-8 and its length is its size: one pass, not three
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

enum v1_field : uint32_t {
    f_v = 1, f_id = 2, f_type = 4, f_survey = 8, f_score = 16, f_ts = 32, f_comment = 64, f_user = 128,
    f_trigger = 256, f_page = 512, f_locale = 1024, f_contact = 2048, f_email = 4096, f_attributes = 8192,
};

}  // namespace

bool response_importer::read_schema_v1(std::string_view text) {
    const schema_limits limits;
    v1_scanner in{text.data(), text.data() + text.size()};
    response_view& r = fast_view_;
    r = response_view{};
    uint32_t seen = 0;
    size_t attributes = 0;
    // Strings with escapes are decoded into the arena; reserved to the record's size first, so
    // it never moves and the views into it stay valid.
    std::string& arena = arena_;
    arena.clear();
    if (arena.capacity() < text.size()) arena.reserve(text.size());
    std::string_view key, value, number;
    bool plain = false;
    auto text_view = [&](std::optional<std::string_view>& field, size_t max_chars, bool multiline) {
        if (!in.string(value, arena, plain) || !text_ok(value, max_chars, multiline, plain)) return false;
        field = value;
        return true;
    };
    if (!in.eat('{')) return false;
    for (;;) {
        if (!in.key(key) || !in.eat(':')) return false;
        uint32_t field = 0;
        bool ok = false;
        using namespace std::string_view_literals;
        switch (key.empty() ? '\0' : key[0]) {
            case 'a':
                if (key == "attributes"sv) {
                    field = f_attributes;
                    if (!in.eat('{')) return false;
                    if (!in.eat('}')) {
                        for (;;) {
                            if (attributes == limits.max_attributes) return false;
                            if (fast_attributes_.size() <= attributes) fast_attributes_.emplace_back();
                            auto& [k, v] = fast_attributes_[attributes++];
                            if (!in.key(k) || !is_valid_attribute_key(k) || !in.eat(':')) return false;
                            in.blanks();
                            bool b = false;
                            if (in.p < in.end && *in.p == '"') {
                                if (!in.string(v, arena, plain) || !text_ok(v, limits.max_attribute_value_chars, false, plain)) return false;
                            } else if (in.boolean(b)) {
                                v = b ? "true"sv : "false"sv;
                            } else if (in.integer(number)) {
                                v = number;
                            } else {
                                return false;
                            }
                            if (in.eat(',')) continue;
                            if (in.eat('}')) break;
                            return false;
                        }
                    }
                    ok = true;
                }
                break;
            case 'c':
                if (key == "comment"sv) field = f_comment, ok = text_view(r.comment, limits.max_comment_chars, true);
                else if (key == "contact_ok"sv) {
                    field = f_contact;
                    bool b = false;
                    ok = in.boolean(b);
                    r.contact_ok = b;
                }
                break;
            case 'e': if (key == "email"sv) field = f_email, ok = text_view(r.email, limits.max_text_chars, false); break;
            case 'i': if (key == "id"sv) field = f_id, ok = in.string(r.id, arena, plain) && is_valid_id(r.id); break;
            case 'l': if (key == "locale"sv) field = f_locale, ok = text_view(r.locale, limits.max_text_chars, false); break;
            case 'p': if (key == "page"sv) field = f_page, ok = text_view(r.page, limits.max_page_chars, false); break;
            case 's':
                if (key == "score"sv) {
                    field = f_score;
                    ok = in.integer(number) && number.size() <= 2 && number[0] != '-';
                    if (ok) r.score = number.size() == 1 ? number[0] - '0' : (number[0] - '0') * 10 + (number[1] - '0');
                    ok = ok && r.score <= 10;
                } else if (key == "survey"sv) {
                    field = f_survey, ok = in.string(r.survey, arena, plain) && is_valid_survey(r.survey);
                }
                break;
            case 't':
                if (key == "ts"sv) {
                    field = f_ts;
                    if (in.string(value, arena, plain)) {
                        std::optional<int64_t> ms = parse_timestamp(value, false);
                        int year = ms ? civil_from_days(floor_div(*ms, ms_per_day)).year : 0;
                        ok = ms && year >= limits.min_year && year <= limits.max_year;
                        if (ok) r.ts_ms = *ms;
                    }
                } else if (key == "type"sv) {
                    field = f_type;
                    ok = in.string(value, arena, plain);
                    if (value == "response"sv) r.type = event_type::response;
                    else if (value == "shown"sv) r.type = event_type::shown;
                    else if (value == "dismissed"sv) r.type = event_type::dismissed;
                    else ok = false;
                } else if (key == "trigger"sv) {
                    field = f_trigger, ok = text_view(r.trigger, limits.max_text_chars, false);
                }
                break;
            case 'u': if (key == "user"sv) field = f_user, ok = text_view(r.user, limits.max_text_chars, false); break;
            case 'v': if (key == "v"sv) field = f_v, ok = in.integer(number) && number == "1"sv; break;
        }
        if (!ok || (seen & field)) return false;  // unknown, invalid, or repeated (the DOM keeps the last)
        seen |= field;
        if (in.eat(',')) continue;
        if (in.eat('}')) break;
        return false;
    }
    in.blanks();
    if (in.p != in.end) return false;
    if (!(seen & f_v) || !(seen & f_id) || !(seen & f_survey) || !(seen & f_ts)) return false;
    const bool is_response = r.type == event_type::response;
    if (is_response != static_cast<bool>(seen & f_score)) return false;  // missing, or not allowed
    if (!is_response) r.score = -1;
    // The DOM iterates an object's keys in byte order, and rejects nothing for order: sort.
    auto* first = fast_attributes_.data();
    auto by_key = [](const auto& x, const auto& y) { return x.first < y.first; };
    if (!std::is_sorted(first, first + attributes, by_key)) std::sort(first, first + attributes, by_key);
    for (size_t i = 1; i < attributes; ++i)
        if (first[i].first == first[i - 1].first) return false;  // repeated key
    r.attributes = first;
    r.attribute_count = attributes;
    return true;
}

//-----------------------------------------------------------------------------
// Column detection (CSV)
//-----------------------------------------------------------------------------
column_mapping detect_columns(const std::vector<std::string>& header) {
    column_mapping m;
    std::vector<std::string> names;
    for (const auto& h : header) names.push_back(lower(trim(skip_bom(h))));
    auto take = [&](int& slot, std::initializer_list<const char*> exact) {
        for (size_t i = 0; i < names.size() && slot < 0; ++i)
            if (one_of(names[i], exact)) slot = static_cast<int>(i);
    };
    take(m.score, score_names);
    take(m.ts, ts_names);
    take(m.comment, comment_names);
    take(m.id, id_names);
    take(m.survey, survey_names);
    take(m.user, user_names);
    take(m.type, {"type", "event"});
    // Formbricks and others export questions by their wording.
    for (size_t i = 0; i < names.size() && m.score < 0; ++i)
        if (names[i].find("recommend") != std::string::npos || names[i].find("how likely") != std::string::npos)
            m.score = static_cast<int>(i);
    for (size_t i = 0; i < names.size() && m.comment < 0; ++i) {
        const std::string& n = names[i];
        bool question = n.rfind("what", 0) == 0 || n.rfind("why", 0) == 0 || n.find("comment") != std::string::npos ||
                        n.find("feedback") != std::string::npos || n.find("reason") != std::string::npos;
        if (question && static_cast<int>(i) != m.score) m.comment = static_cast<int>(i);
    }
    for (size_t i = 0; i < names.size(); ++i)
        if (one_of(names[i], ignored_names)) m.ignored.push_back(static_cast<int>(i));
    return m;
}

//-----------------------------------------------------------------------------
// The streaming importer
//-----------------------------------------------------------------------------
response_importer::response_importer(importer_desc desc, sink on_response)
    : desc_(std::move(desc)), sink_(std::move(on_response)) {
    if (desc_.mapping) mapping_ = *desc_.mapping;
}

response_importer::response_importer(importer_desc desc, view_sink on_response)
    : response_importer(std::move(desc), sink()) {
    view_sink_ = std::move(on_response);
    // Records the fast path does not read (peers' formats, CSV, odd JSON) arrive as a response.
    sink_ = [this](const response& r) { view_sink_(view_of(r, fast_attributes_)); };
}

void response_importer::problem(uint64_t line, std::string reason) {
    ++stats_.skipped;
    if (stats_.examples.size() < desc_.max_examples) stats_.examples.push_back({line, std::move(reason)});
}

void response_importer::set_mapping(const column_mapping& m) {
    mapping_ = m;
    needs_mapping_ = false;
    auto held = std::move(held_rows_);
    held_rows_.clear();
    for (auto& [line, cells] : held) on_csv_row(cells, line);
}

void response_importer::feed(std::string_view chunk) {
    if (!started_) {
        // Detection needs the first non-blank byte; keep blanks until it arrives.
        pending_.append(chunk);
        // Skip every leading blank and byte-order mark; when what is left could still be the start
        // of a mark split across chunks, wait for more bytes, so that detection never depends on
        // where the input was split (found by fuzz/import_stream).
        std::string_view head = pending_;
        for (;;) {
            while (!head.empty() && is_blank(head.front())) head.remove_prefix(1);
            if (head.size() >= 3 && head.substr(0, 3) == "\xEF\xBB\xBF") {
                head.remove_prefix(3);
                continue;
            }
            if (!head.empty() && head.size() < 3 && std::string_view("\xEF\xBB\xBF").substr(0, head.size()) == head) return;
            break;
        }
        if (head.empty()) return;
        if (desc_.format == input_format::unknown) desc_.format = detect_format(head);
        started_ = true;
        // Start at the first real byte (a CSV header may follow blank lines); lines still count.
        const size_t skipped = static_cast<size_t>(head.data() - pending_.data());
        std::string all = std::move(pending_);
        pending_.clear();
        for (size_t i = 0; i < skipped; ++i) line_ += all[i] == '\n';
        record_line_ = line_;
        feed(std::string_view(all).substr(skipped));
        return;
    }
    switch (desc_.format) {
        case input_format::ndjson: {
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
                    ++stats_.records;
                    problem(line_, "record is larger than " + std::to_string(desc_.max_record_bytes) + " bytes");
                    oversized_ = false;
                } else {
                    on_record(pending_, line_);
                }
                pending_.clear();
                ++line_;
            }
            break;
        }
        case input_format::json_array: {
            for (char c : chunk) {
                if (c == '\n') ++line_;
                if (array_closed_) continue;
                if (in_string_) {
                    if (escaped_) escaped_ = false;
                    else if (c == '\\') escaped_ = true;
                    else if (c == '"') in_string_ = false;
                    if (!oversized_) pending_ += c;
                    continue;
                }
                if (depth_ == 0) {  // before the array
                    if (c == '[') depth_ = 1;
                    continue;
                }
                if (depth_ == 1 && (c == ',' || c == ']')) {
                    if (oversized_) {
                        ++stats_.records;
                        problem(record_line_, "record is larger than " + std::to_string(desc_.max_record_bytes) + " bytes");
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
                if (c == '"') in_string_ = true;
                else if (c == '{' || c == '[') ++depth_;
                else if (c == '}' || c == ']') --depth_;
                if (!oversized_) {
                    pending_ += c;
                    if (pending_.size() > desc_.max_record_bytes) oversized_ = true, pending_.clear();
                }
            }
            break;
        }
        case input_format::csv: {
            for (char c : chunk) {
                if (in_quotes_) {
                    if (escaped_) {  // a quote seen inside quotes: "" is a literal quote
                        escaped_ = false;
                        if (c == '"') {
                            cell_ += '"';
                            continue;
                        }
                        in_quotes_ = false;  // the quote closed the field; fall through with c
                    } else {
                        if (c == '"') escaped_ = true;
                        else {
                            if (c == '\n') ++line_;
                            if (cell_.size() < desc_.max_record_bytes) cell_ += c;
                            else oversized_ = true;
                        }
                        continue;
                    }
                }
                if (c == '"' && cell_.empty()) {
                    in_quotes_ = true;
                } else if (c == ',') {
                    cells_.push_back(std::move(cell_));
                    cell_.clear();
                } else if (c == '\n') {
                    cells_.push_back(std::move(cell_));
                    cell_.clear();
                    uint64_t start = record_line_;
                    record_line_ = ++line_;
                    if (oversized_) {
                        ++stats_.records;
                        problem(start, "record is larger than " + std::to_string(desc_.max_record_bytes) + " bytes");
                        oversized_ = false;
                    } else {
                        on_csv_row(cells_, start);
                    }
                    cells_.clear();
                } else if (c != '\r') {
                    if (cell_.size() < desc_.max_record_bytes) cell_ += c;
                    else oversized_ = true;
                }
            }
            break;
        }
        case input_format::unknown: break;
    }
}

void response_importer::finish() {
    if (!started_) return;
    switch (desc_.format) {
        case input_format::ndjson:
            if (oversized_) {
                ++stats_.records;
                problem(line_, "record is larger than " + std::to_string(desc_.max_record_bytes) + " bytes");
            } else if (!trim(pending_).empty()) {
                on_record(pending_, line_);
            }
            break;
        case input_format::json_array:
            if (!array_closed_) {
                ++stats_.records;
                problem(record_line_, "the JSON array is not closed (file truncated?)");
            }
            break;
        case input_format::csv:
            if (in_quotes_ && !escaped_) {
                ++stats_.records;
                problem(record_line_, "a quoted field is not closed");
            } else if (!cell_.empty() || !cells_.empty()) {
                cells_.push_back(std::move(cell_));
                on_csv_row(cells_, record_line_);
            }
            if (needs_mapping_) {
                for (auto& held : held_rows_) {
                    ++stats_.records;
                    problem(held.first, "no score column found in the header: map the columns");
                }
                held_rows_.clear();
            }
            break;
        case input_format::unknown: break;
    }
    pending_.clear();
    cells_.clear();
    cell_.clear();
}

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
    auto report = [this](uint64_t l, std::string reason) { problem(l, std::move(reason)); };
    // A raw NUL is never valid JSON, and nlohmann's lexer would stop at it as if the input ended.
    json j = text.find('\0') == std::string_view::npos ? json::parse(text.begin(), text.end(), nullptr, false)
                                                       : json(json::value_t::discarded);
    if (j.is_discarded()) return problem(line, "not valid JSON");
    if (!j.is_object()) return problem(line, "not a JSON object");
    if (j.contains("v") || desc_.strict_schema) {  // schema v1 as it is: strict
        parse_result r = parse_response(j);
        if (!r.ok()) {
            std::string reason;
            for (const auto& e : r.errors) reason += (reason.empty() ? "" : "; ") + e.message();
            return problem(line, reason);
        }
        ++stats_.accepted;
        return sink_(r.value);
    }
    // A peer's export: map its fields onto schema v1, then validate strictly.
    json obj = json::object();
    json attrs = json::object();
    auto add_attribute = [&](std::string_view name, const json& value) {
        std::string key = attribute_key_from(name);
        if (key.empty() || attrs.size() >= 32 || attrs.contains(key)) return;
        if (value.is_string() && utf8_length(value.get_ref<const std::string&>()) <= 256) attrs[key] = value;
        else if (value.is_boolean() || value.is_number_integer()) attrs[key] = value;
        else if (value.is_number_float() && std::isfinite(value.get<double>())) attrs[key] = value;
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
                int64_t v = value.get<int64_t>();
                ms = v < 100'000'000'000 ? v * 1000 : v;
            } else if (value.is_string()) {
                ms = timestamp_from_text(value.get_ref<const std::string&>());
            }
            if (!ms) return problem(line, name + " is not a timestamp");
            obj["ts"] = format_timestamp(*ms);
        } else if (one_of(name, comment_names)) {
            if (value.is_string() && !trim(value.get_ref<const std::string&>()).empty()) obj["comment"] = value;
        } else if (one_of(name, id_names)) {
            if (value.is_string()) set_id(obj, value.get_ref<const std::string&>(), desc_);
            else if (value.is_number_integer()) set_id(obj, value.dump(), desc_);
        } else if (one_of(name, survey_names)) {
            if (value.is_string() && is_valid_survey(value.get_ref<const std::string&>())) obj["survey"] = value;
            else if (value.is_string()) add_attribute("survey_name", value);
        } else if (one_of(name, user_names)) {
            if (value.is_string()) obj["user"] = value;
            else if (value.is_number_integer()) obj["user"] = value.dump();
        } else if (name == "type" && value.is_string()) {
            obj["type"] = value;
        } else if (one_of(name, {"trigger", "page", "locale", "email", "contact_ok"})) {
            obj[name] = value;
        } else if (value.is_object() &&
                   one_of(name, {"person_properties", "properties", "attributes", "customer_properties"})) {
            for (auto p = value.begin(); p != value.end(); ++p) add_attribute(p.key(), p.value());
        } else if (!one_of(name, ignored_names) && !value.is_object() && !value.is_array()) {
            add_attribute(name, value);
        }
    }
    if (!attrs.empty()) obj["attributes"] = std::move(attrs);
    finish_record(obj, desc_, line, sink_, stats_, report);
}

void response_importer::on_csv_row(std::vector<std::string>& cells, uint64_t line) {
    if (header_.empty()) {
        header_ = cells;
        if (!desc_.mapping) mapping_ = detect_columns(header_);
        needs_mapping_ = !mapping_.complete();
        return;
    }
    if (cells.size() == 1 && trim(cells[0]).empty()) return;  // blank line
    if (needs_mapping_) {
        held_rows_.emplace_back(line, cells);
        return;
    }
    ++stats_.records;
    auto report = [this](uint64_t l, std::string reason) { problem(l, std::move(reason)); };
    if (cells.size() > header_.size()) return problem(line, "more cells than header columns");
    auto cell = [&](int index) -> std::string_view {
        return index >= 0 && static_cast<size_t>(index) < cells.size() ? trim(cells[index]) : std::string_view();
    };
    json obj = json::object();
    std::string_view score = cell(mapping_.score);
    if (!score.empty()) {
        // A CSV cell is text: "9" is the integer 9; "6.5", "nine", "11" are rejected by validation.
        bool digits = score.size() <= 3 && std::all_of(score.begin(), score.end(), [](char c) { return c >= '0' && c <= '9'; });
        if (digits) obj["score"] = std::stoi(std::string(score));
        else if (score.find_first_not_of("0123456789.-+eE") == std::string_view::npos) obj["score"] = 0.5;  // non-integer number
        else obj["score"] = std::string(score);
    }
    std::string_view type = cell(mapping_.type);
    if (type == "shown" || type == "dismissed" || type == "response") obj["type"] = std::string(type);
    if (mapping_.ts >= 0) {
        std::string_view ts = cell(mapping_.ts);
        if (!ts.empty()) {
            auto ms = timestamp_from_text(ts);
            if (!ms) return problem(line, header_[mapping_.ts] + " is not a timestamp: \"" + std::string(ts.substr(0, 40)) + "\"");
            obj["ts"] = format_timestamp(*ms);
        }
    }
    if (!cell(mapping_.comment).empty()) obj["comment"] = std::string(cell(mapping_.comment));
    if (!cell(mapping_.id).empty()) set_id(obj, cell(mapping_.id), desc_);
    std::string_view survey = cell(mapping_.survey);
    if (!survey.empty() && is_valid_survey(survey)) obj["survey"] = std::string(survey);
    if (!cell(mapping_.user).empty()) obj["user"] = std::string(cell(mapping_.user));
    json attrs = json::object();
    for (size_t i = 0; i < cells.size(); ++i) {
        int col = static_cast<int>(i);
        if (col == mapping_.score || col == mapping_.ts || col == mapping_.comment || col == mapping_.id ||
            col == mapping_.survey || col == mapping_.user || col == mapping_.type ||
            std::find(mapping_.ignored.begin(), mapping_.ignored.end(), col) != mapping_.ignored.end())
            continue;
        std::string_view value = cell(col);
        std::string key = attribute_key_from(header_[i]);
        // Wide exports (one column per question) keep the first 32 short attributes.
        if (value.empty() || key.empty() || attrs.size() >= 32 || utf8_length(value) > 256 || attrs.contains(key)) continue;
        attrs[key] = std::string(value);
    }
    if (!attrs.empty()) obj["attributes"] = std::move(attrs);
    if (obj.contains("score") && obj["score"].is_number_float()) return problem(line, "score must be an integer from 0 to 10");
    finish_record(obj, desc_, line, sink_, stats_, report);
}

import_stats import_text(std::string_view text, const importer_desc& desc, const response_importer::sink& on_response) {
    response_importer importer(desc, on_response);
    importer.feed(text);
    importer.finish();
    return importer.stats();
}

}  // namespace npskit
