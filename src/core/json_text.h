// npskit core: a tiny JSON reader and writer for the widget bundle.
// nlohmann/json costs ~20 KB gzip in wasm and the whole prompt budget is 16 KB, so the widget
// reads its config and the host's event properties with this reader and writes schema v1 records
// with this writer. The collector, CLI and dashboard keep using nlohmann (src/core/schema).
//
// [SECTION] Value and reader (objects keep insertion order; depth limited; never throws)
// [SECTION] Tagged text (how the widget's JS shim hands over a JS value: no JSON parser in the bundle)
// [SECTION] Writer (escapes every control character, so a record is always one line)
// [SECTION] Schema v1 record (output validates with npskit::parse_response)
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "schema.h"  // npskit::response (the struct only: this file never calls schema.cpp)

namespace npskit {

//-----------------------------------------------------------------------------
// [SECTION] Value and reader
//-----------------------------------------------------------------------------
enum class json_kind : uint8_t { null, boolean, number, string, array, object };

struct json_value {
    json_kind kind = json_kind::null;
    bool boolean = false;
    double number = 0;
    std::string text;               // string value
    std::vector<json_value> items;  // array elements, or object values
    std::vector<std::string> keys;  // object keys, parallel to items

    const json_value* get(std::string_view key) const;  // object member or nullptr
    bool is_string() const { return kind == json_kind::string; }
    bool is_number() const { return kind == json_kind::number; }
    bool is_object() const { return kind == json_kind::object; }
    bool is_array() const { return kind == json_kind::array; }
    // Scalar as text: strings as is, numbers as written in the input ("12", "2.5"), booleans
    // "true"/"false"; "" for null, arrays and objects. A view (no copy): valid while the value is.
    std::string_view as_text() const;
};

// Parses one JSON document. Returns false on any syntax error, bad UTF-8 escape, or depth > 16.
bool parse_json_text(std::string_view text, json_value& out);

// A decimal number, the whole text: "-12.5", "3", "1e3", "+2". False for anything else.
bool parse_decimal(std::string_view text, double& out);

//-----------------------------------------------------------------------------
// [SECTION] Tagged text
//-----------------------------------------------------------------------------
// Preorder tokens, each ended by '\x01': "s<text>" string, "n<decimal>" number, "t", "f", "z" (null),
// "a<count>" then the items, "o<count>" then for each member "<key>" and the value. Text never
// holds '\x01' (the shim removes it). Depth limited to 16, like parse_json_text.
bool parse_tagged_text(std::string_view text, json_value& out);

//-----------------------------------------------------------------------------
// [SECTION] Writer
//-----------------------------------------------------------------------------
void append_json_string(std::string& out, std::string_view s);  // with quotes
void append_json_number(std::string& out, double n);            // integers exactly; else 6 decimals
void append_integer(std::string& out, int64_t n);
// "2026-01-10T12:30:00.123Z" (milliseconds only when non-zero), without printf.
void append_timestamp(std::string& out, int64_t unix_ms);

//-----------------------------------------------------------------------------
// [SECTION] Schema v1 record
//-----------------------------------------------------------------------------
// Same field order as response_to_json. Attribute values are written as strings.
std::string write_response_json(const response& r);

}  // namespace npskit
