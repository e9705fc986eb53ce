// npskit core: the widget's values and records without a JSON library.
// nlohmann/json costs ~20 KB gzip in wasm and the whole prompt budget is 16 KB, so the widget
// reads its config and the host's event properties as *tagged text* (the JS shim's encoding of a
// JS value, read in place: no tree is ever built) and writes schema v1 records with the writer
// below. The collector, CLI and dashboard keep using nlohmann (src/core/schema).
//
// [SECTION] Tagged text (how the widget's JS shim hands over a JS value) and a view into it
// [SECTION] Config layers (init() objects, the later one wins)
// [SECTION] JSON -> tagged text (tests, fuzzing and tools; never linked into the widget)
// [SECTION] Writer (escapes every control character, so a record is always one line)
// [SECTION] Schema v1 record (output validates with npskit::parse_response)
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

#include "hash_text.h"
#include "schema.h"  // event_type, response; the widget links schema.cpp for its id and survey checks
#include "small_text.h"

namespace npskit {

//-----------------------------------------------------------------------------
// [SECTION] Tagged text
//-----------------------------------------------------------------------------
// Preorder tokens, each ended by '\x01': "s<text>" string, "n<decimal>" number, "t", "f", "z"
// (null), "a<count>" then the items, "o<count>" then for each member "k<key>" and the value.
// Text never holds '\x01' (the encoder removes it). Every reader below is bounded by the text:
// malformed input reads as absent values, never out of bounds, never recursively.
class tagged {
public:
    tagged() = default;  // absent
    // The value whose first token starts `text`; it spans its own tokens only.
    explicit tagged(std::string_view text);

    // 's' 'n' 't' 'f' 'z' 'a' 'o', or 0 when absent or malformed.
    char kind() const;
    bool present() const { return kind() != 0; }
    bool is_object() const { return kind() == 'o'; }
    bool is_array() const { return kind() == 'a'; }
    bool is_string() const { return kind() == 's'; }
    bool is_scalar() const;  // string, number or boolean
    // Scalar as text: strings as is, numbers as written ("12", "2.5"), booleans "true"/"false";
    // "" for null, arrays, objects and absent values. A view into the tagged text.
    std::string_view text() const;
    // Numbers, and strings holding a decimal (data-* attributes arrive as text).
    bool number(double& out) const;
    // Object member (the last duplicate wins, as in JavaScript), or absent.
    tagged get(std::string_view key) const;
    // Arrays and objects: the item (and key) after position `pos`, advancing it; start with pos = 0.
    // False at the end.
    bool next(size_t& pos, tagged& value, std::string_view* key = nullptr) const;
    // Every token of this value (what to copy to keep it).
    std::string_view span() const;

private:
    std::string_view s_;
};

// A decimal number, the whole text: "-12.5", "3", "1e3", "+2". False for anything else.
bool parse_decimal(std::string_view text, double& out);
// `a` equals the NUL-terminated `b`. Out of line, with no strlen: comparing a view with a
// literal through std::string_view costs a strlen call and a compare call at every use.
bool same(std::string_view a, const char* b);
// The first `c` at or after `from`, or npos. A plain loop: std::string_view::find pulls libc's
// word-at-a-time memchr into the widget (~400 bytes of wasm).
size_t find_byte(std::string_view s, char c, size_t from = 0);
// Up to `max` integers ("-12", at most 17 digits) separated by `sep` at the start of `text`, into
// `out`; the separator after each is consumed. Returns how many were read; `used` is where reading
// stopped (a caller checks that it stopped where its format says).
size_t read_integers(std::string_view text, char sep, int64_t* out, size_t max, size_t& used);

//-----------------------------------------------------------------------------
// [SECTION] Config layers
//-----------------------------------------------------------------------------
// Tagged objects one after the other (data-* attributes first, then each init()): a key's value
// is its value in the last layer that has it.
struct config_layers {
    std::string_view text;
    tagged get(std::string_view key) const;
};

//-----------------------------------------------------------------------------
// [SECTION] JSON -> tagged text
//-----------------------------------------------------------------------------
// Appends one JSON document as tagged text. False on any syntax error, a bad \u escape or
// nesting deeper than 16 (`out` then holds a partial value).
bool tagged_from_json(std::string_view json, std::string& out);

//-----------------------------------------------------------------------------
// [SECTION] Writer
//-----------------------------------------------------------------------------
void append_json_string(text& out, std::string_view s);  // with quotes
void append_json_number(text& out, double n);            // integers exactly; else 6 decimals
void append_integer(text& out, int64_t n);
// "2026-01-10T12:30:00.123Z" (milliseconds only when non-zero), without printf.
void append_timestamp(text& out, int64_t unix_ms);

//-----------------------------------------------------------------------------
// [SECTION] Schema v1 record
//-----------------------------------------------------------------------------
// What the widget sends: the record's list (schema.h) in its wire form, as views (no copies).
// Not a response_view: text here is what is written (the browser's RFC 3339 timestamp, the
// attribute members already written), an empty text is absent, and the struct stays small
// (response_view's optionals cost the widget ~100 B gzip of its 16 KB budget).
// Members keep the list's names: ts_ms holds the timestamp's text, attributes the members.
#define NPSKIT_WIRE_id std::string_view
#define NPSKIT_WIRE_survey std::string_view
#define NPSKIT_WIRE_type event_type
#define NPSKIT_WIRE_score int
#define NPSKIT_WIRE_timestamp std::string_view  // RFC 3339 UTC ("2026-01-10T12:30:00.123Z")
#define NPSKIT_WIRE_text std::string_view       // "" = absent
#define NPSKIT_WIRE_multiline std::string_view
#define NPSKIT_WIRE_boolean int                  // -1 = not said, 0 / 1
#define NPSKIT_WIRE_attributes std::string_view  // the members: "\"plan\":\"pro\",\"seats\":\"12\""
// The text members first, then the numbers (the layout a hand-written struct had: the widget's
// writer reads them in fewer bytes of wasm).
#define NPSKIT_WIRE_IS_TEXT_id 1
#define NPSKIT_WIRE_IS_TEXT_survey 1
#define NPSKIT_WIRE_IS_TEXT_type 0
#define NPSKIT_WIRE_IS_TEXT_score 0
#define NPSKIT_WIRE_IS_TEXT_timestamp 1
#define NPSKIT_WIRE_IS_TEXT_text 1
#define NPSKIT_WIRE_IS_TEXT_multiline 1
#define NPSKIT_WIRE_IS_TEXT_boolean 0
#define NPSKIT_WIRE_IS_TEXT_attributes 1
#define NPSKIT_WIRE_IF_0(...)
#define NPSKIT_WIRE_IF_1(...) __VA_ARGS__
#define NPSKIT_WIRE_IF(c, ...) NPSKIT_WIRE_IF_(c, __VA_ARGS__)
#define NPSKIT_WIRE_IF_(c, ...) NPSKIT_WIRE_IF_##c(__VA_ARGS__)
#define NPSKIT_WIRE_NOT_0 1
#define NPSKIT_WIRE_NOT_1 0
#define NPSKIT_WIRE_NOT(c) NPSKIT_WIRE_NOT_(c)
#define NPSKIT_WIRE_NOT_(c) NPSKIT_WIRE_NOT_##c
#define NPSKIT_WIRE_ABSENT_id \
    {}
#define NPSKIT_WIRE_ABSENT_survey \
    {}
#define NPSKIT_WIRE_ABSENT_type event_type::response
#define NPSKIT_WIRE_ABSENT_score -1
#define NPSKIT_WIRE_ABSENT_timestamp \
    {}
#define NPSKIT_WIRE_ABSENT_text \
    {}
#define NPSKIT_WIRE_ABSENT_multiline \
    {}
#define NPSKIT_WIRE_ABSENT_boolean -1
#define NPSKIT_WIRE_ABSENT_attributes \
    {}
struct wire_record {
#define NPSKIT_X(member, json, kind, limit, update, stored) \
    NPSKIT_WIRE_IF(NPSKIT_WIRE_IS_TEXT_##kind, NPSKIT_WIRE_##kind member = NPSKIT_WIRE_ABSENT_##kind;)
    NPSKIT_RECORD_FIELDS(NPSKIT_X)
#undef NPSKIT_X
#define NPSKIT_X(member, json, kind, limit, update, stored) \
    NPSKIT_WIRE_IF(NPSKIT_WIRE_NOT(NPSKIT_WIRE_IS_TEXT_##kind), NPSKIT_WIRE_##kind member = NPSKIT_WIRE_ABSENT_##kind;)
    NPSKIT_RECORD_FIELDS(NPSKIT_X)
#undef NPSKIT_X
};
// Fields in the list's order, as response_to_json. Attribute values are strings.
void append_record_json(text& out, const wire_record& r);
// The same for a parsed response (tests and tools).
std::string write_response_json(const response& r);

}  // namespace npskit
