// npskit core: response schema v1, the contract between widget, collector and dashboard.
// docs/schema.md is the human version of this file; keep them in step.
//
// [SECTION] The record
// [SECTION] Error codes (enumerable: tests assert on codes, people read the sentence)
// [SECTION] Parse, validate, serialize
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace npskit {

//-----------------------------------------------------------------------------
// [SECTION] The record
//-----------------------------------------------------------------------------
enum class event_type : uint8_t { response = 0, shown = 1, dismissed = 2 };
const char* event_type_name(event_type t);

struct schema_limits {
    size_t max_body_bytes = 64 * 1024;   // a whole JSON body (collector answers 413 above)
    size_t max_comment_chars = 2000;     // Unicode code points
    size_t max_text_chars = 256;         // user, email, trigger, locale
    size_t max_page_chars = 512;
    size_t max_attributes = 32;
    size_t max_attribute_key_chars = 64;
    size_t max_attribute_value_chars = 256;
    int min_year = 2000, max_year = 2099;
};

struct response {
    std::string id;                          // 8..64 of [A-Za-z0-9_-]; a UUID in practice
    event_type type = event_type::response;  // "response" | "shown" | "dismissed"
    std::string survey;                      // 1..64 of [A-Za-z0-9_.-]
    int score = -1;                          // 0..10 for responses; -1 (absent) for display events
    int64_t ts_ms = 0;                       // when it happened (RFC 3339 text on the wire)
    std::optional<std::string> comment;      // follow-up answer
    std::optional<std::string> user;         // host's user id, if identified
    std::optional<std::string> trigger;      // event that showed the prompt
    std::optional<std::string> page;         // URL path
    std::optional<std::string> locale;       // prompt language, BCP 47
    std::optional<bool> contact_ok;          // detractor agreed to be contacted
    std::optional<std::string> email;        // only if the host passed one and contact_ok
    std::vector<std::pair<std::string, std::string>> attributes;  // sorted by key, values as text
};

// The same record read in place: views into the input (the importer's fast path hands these
// to the store without copying each field into a std::string first). Valid during the call.
struct response_view {
    using attribute = std::pair<std::string_view, std::string_view>;
    std::string_view id, survey;
    event_type type = event_type::response;
    int score = -1;
    int64_t ts_ms = 0;
    std::optional<std::string_view> comment, user, trigger, page, locale, email;
    std::optional<bool> contact_ok;
    const attribute* attributes = nullptr;  // sorted by key
    size_t attribute_count = 0;
};
// The views of `r` (valid while `r` and `attributes` live), and a view copied into `r` (its
// strings keep their capacity). src/core/response_view.cpp.
response_view view_of(const response& r, std::vector<response_view::attribute>& attributes);
const response& response_from(const response_view& v, response& r);

//-----------------------------------------------------------------------------
// [SECTION] Error codes
//-----------------------------------------------------------------------------
#define NPSKIT_SCHEMA_ERRORS(X)                                                      \
    X(not_json, "is not valid JSON (or not valid UTF-8)")                            \
    X(not_object, "must be a JSON object")                                           \
    X(too_deep, "is nested too deeply")                                              \
    X(too_large, "is larger than the body limit")                                    \
    X(bad_version, "must be 1 (schema version)")                                     \
    X(missing, "is required")                                                        \
    X(wrong_type, "has the wrong type")                                              \
    X(unknown_field, "is not a field of schema v1")                                  \
    X(score_not_integer, "must be an integer from 0 to 10")                          \
    X(score_out_of_range, "must be from 0 to 10")                                    \
    X(score_not_allowed, "must be absent on display events")                         \
    X(bad_id, "must be 8 to 64 characters of A-Z a-z 0-9 _ -")                      \
    X(bad_survey, "must be 1 to 64 characters of A-Z a-z 0-9 _ . -")               \
    X(bad_type, "must be \"response\", \"shown\" or \"dismissed\"")                  \
    X(bad_timestamp, "must be an RFC 3339 timestamp with a time zone, years 2000-2099") \
    X(too_long, "is too long")                                                       \
    X(control_character, "contains a control character")                            \
    X(bad_utf8, "is not valid UTF-8")                                                \
    X(too_many_attributes, "has too many attributes")                                \
    X(bad_attribute_key, "must be 1 to 64 characters of A-Z a-z 0-9 _ . -")         \
    X(bad_attribute_value, "must be a string, a finite number or a boolean")

enum class schema_error_code : uint8_t {
#define NPSKIT_X(name, text) name,
    NPSKIT_SCHEMA_ERRORS(NPSKIT_X)
#undef NPSKIT_X
};
const char* schema_error_name(schema_error_code code);  // "score_out_of_range"
const char* schema_error_text(schema_error_code code);  // "must be from 0 to 10"

struct schema_error {
    schema_error_code code;
    std::string field;  // JSON path: "score", "attributes.plan", "" for the body
    std::string message() const;  // "score must be from 0 to 10"
};

struct parse_result {
    response value;
    std::vector<schema_error> errors;  // every problem, not only the first
    bool ok() const { return errors.empty(); }
};

//-----------------------------------------------------------------------------
// [SECTION] Parse, validate, serialize
//-----------------------------------------------------------------------------
// Never throws, also when built without exceptions.
parse_result parse_response(std::string_view json_text, const schema_limits& limits = {});
parse_result parse_response(const nlohmann::json& object, const schema_limits& limits = {});
std::string response_to_json(const response& r);  // canonical: v, id, type, survey, score?, ts, …
nlohmann::json response_to_json_value(const response& r);
// Errors as the collector sends them: {"errors":[{"code":"…","field":"…","message":"…"}]}
std::string errors_to_json(const std::vector<schema_error>& errors);

// Building blocks shared with the importers.
bool is_valid_id(std::string_view id);
bool is_valid_survey(std::string_view survey);
bool is_valid_attribute_key(std::string_view key);
size_t utf8_length(std::string_view text);  // code points; text must be valid UTF-8
bool is_valid_utf8(std::string_view text);

}  // namespace npskit
