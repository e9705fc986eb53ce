// npskit core: response schema v1, the contract between widget, collector and dashboard.
// docs/schema.md is the human version of this file; keep them in step.
//
// [SECTION] The record
// [SECTION] Error codes (enumerable: tests assert on codes, people read the sentence)
// [SECTION] Parse, validate, serialize
#pragma once
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
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
    size_t max_body_bytes = 64 * 1024;  // a whole JSON body (collector answers 413 above)
    size_t max_comment_chars = 2000;    // Unicode code points
    size_t max_text_chars = 256;        // user, email, trigger, locale
    size_t max_page_chars = 512;
    size_t max_attributes = 32;
    size_t max_attribute_key_chars = 64;
    size_t max_attribute_value_chars = 256;
    int min_year = 2000, max_year = 2099;
    static constexpr size_t no_limit = SIZE_MAX;  // fields whose kind has its own rule (ids, scores)
};

// Schema v1's fields, in canonical order (the writers' order): the one declaration of the
// record. Every place that reads, writes, validates, merges, views or stores a field expands
// this list, so a new optional text field is one line here plus its tests.
//   member      the C++ member of `response` / `response_view`
//   json        its JSON name
//   kind        id, survey, type, score, timestamp, text, multiline (text that may hold
//               newlines and tabs), boolean, attributes: says its C++ types and its checks
//   limit       the schema_limits member that bounds it (no_limit: the kind's own rule)
//   update      update_wins: the follow-up; an update that carries the field replaces it (absent:
//               the stored value stays), within 24 h of the stored ts; first_wins: the first
//               write stays, a later value is ignored; fixed: set by the first write, a later
//               write may repeat or omit it, a different value is a conflict (collector/merge.cpp)
//   stored      how response_store keeps it: column (its own column: id index, score slot,
//               time, comment pool, attribute columns), attribute (an attribute column named
//               as the field, so breakdowns treat it like the host's attributes), not_stored
// ("v", the schema version, is the envelope: every reader and writer handles it first.)
#ifndef NPSKIT_TEST_EXTRA_FIELDS
#define NPSKIT_TEST_EXTRA_FIELDS(X)  // tests/unit-record.cpp: a throwaway field, added in one line
#endif
#define NPSKIT_RECORD_FIELDS(X)                                                  \
    X(id, "id", id, no_limit, fixed, column)                                     \
    X(type, "type", type, no_limit, fixed, column)                               \
    X(survey, "survey", survey, no_limit, fixed, attribute)                      \
    X(score, "score", score, no_limit, fixed, column)                            \
    X(ts_ms, "ts", timestamp, no_limit, first_wins, column)                      \
    X(comment, "comment", multiline, max_comment_chars, update_wins, column)     \
    X(user, "user", text, max_text_chars, fixed, not_stored)                     \
    X(trigger, "trigger", text, max_text_chars, fixed, attribute)                \
    X(page, "page", text, max_page_chars, fixed, attribute)                      \
    X(locale, "locale", text, max_text_chars, fixed, attribute)                  \
    X(contact_ok, "contact_ok", boolean, no_limit, update_wins, attribute)       \
    X(email, "email", text, max_text_chars, update_wins, not_stored)             \
    X(cta_clicked, "cta_clicked", text, max_text_chars, update_wins, attribute)  \
    X(attributes, "attributes", attributes, max_attributes, update_wins, column) \
    NPSKIT_TEST_EXTRA_FIELDS(X)

enum class field_kind : uint8_t { id, survey, type, score, timestamp, text, multiline, boolean, attributes };
enum class update_rule : uint8_t { update_wins, first_wins, fixed };
enum class store_rule : uint8_t { column, attribute, not_stored };
// A kind as a type, so that each operation is one overload per kind.
template <field_kind K>
using kind_tag = std::integral_constant<field_kind, K>;
#define NPSKIT_KIND(kind) \
    ::npskit::kind_tag<::npskit::field_kind::kind> {}

// Each field's index in the list (field_index::comment), and how many there are.
enum class field_index : uint8_t {
#define NPSKIT_X(member, json, kind, limit, update, stored) member,
    NPSKIT_RECORD_FIELDS(NPSKIT_X)
#undef NPSKIT_X
};
constexpr size_t record_field_count = 0
#define NPSKIT_X(member, json, kind, limit, update, stored) +1
    NPSKIT_RECORD_FIELDS(NPSKIT_X)
#undef NPSKIT_X
    ;

// The C++ types of each kind: owned (response), viewed (response_view), value when absent.
#define NPSKIT_OWNED_id std::string
#define NPSKIT_OWNED_survey std::string
#define NPSKIT_OWNED_type event_type
#define NPSKIT_OWNED_score int
#define NPSKIT_OWNED_timestamp int64_t
#define NPSKIT_OWNED_text std::optional<std::string>
#define NPSKIT_OWNED_multiline std::optional<std::string>
#define NPSKIT_OWNED_boolean std::optional<bool>
#define NPSKIT_OWNED_attributes std::vector<std::pair<std::string, std::string>>
#define NPSKIT_VIEWED_id std::string_view
#define NPSKIT_VIEWED_survey std::string_view
#define NPSKIT_VIEWED_type event_type
#define NPSKIT_VIEWED_score int
#define NPSKIT_VIEWED_timestamp int64_t
#define NPSKIT_VIEWED_text std::optional<std::string_view>
#define NPSKIT_VIEWED_multiline std::optional<std::string_view>
#define NPSKIT_VIEWED_boolean std::optional<bool>
#define NPSKIT_VIEWED_attributes std::span<const std::pair<std::string_view, std::string_view>>
#define NPSKIT_ABSENT_id \
    {}
#define NPSKIT_ABSENT_survey \
    {}
#define NPSKIT_ABSENT_type event_type::response
#define NPSKIT_ABSENT_score -1
#define NPSKIT_ABSENT_timestamp 0
#define NPSKIT_ABSENT_text \
    {}
#define NPSKIT_ABSENT_multiline \
    {}
#define NPSKIT_ABSENT_boolean \
    {}
#define NPSKIT_ABSENT_attributes \
    {}

// The record, owned. id: 8..64 of [A-Za-z0-9_-] (a UUID in practice); survey: 1..64 of
// [A-Za-z0-9_.-]; score: 0..10 for responses, -1 (absent) for display events; ts_ms: when it
// happened (RFC 3339 text on the wire); attributes: sorted by key, values as text.
struct response {
#define NPSKIT_X(member, json, kind, limit, update, stored) NPSKIT_OWNED_##kind member = NPSKIT_ABSENT_##kind;
    NPSKIT_RECORD_FIELDS(NPSKIT_X)
#undef NPSKIT_X
};

// The same record read in place: views into the input (the importer's fast path hands these
// to the store without copying each field into a std::string first). Valid during the call.
struct response_view {
    using attribute = std::pair<std::string_view, std::string_view>;
#define NPSKIT_X(member, json, kind, limit, update, stored) NPSKIT_VIEWED_##kind member = NPSKIT_ABSENT_##kind;
    NPSKIT_RECORD_FIELDS(NPSKIT_X)
#undef NPSKIT_X
};
// The views of `r` (valid while `r` and `attributes` live), and a view copied into `r` (its
// strings keep their capacity). src/core/response_view.cpp.
response_view view_of(const response& r, std::vector<response_view::attribute>& attributes);
const response& response_from(const response_view& v, response& r);

//-----------------------------------------------------------------------------
// [SECTION] Error codes
//-----------------------------------------------------------------------------
#define NPSKIT_SCHEMA_ERRORS(X)                                                         \
    X(not_json, "is not valid JSON (or not valid UTF-8)")                               \
    X(not_object, "must be a JSON object")                                              \
    X(too_deep, "is nested too deeply")                                                 \
    X(too_large, "is larger than the body limit")                                       \
    X(bad_version, "must be 1 (schema version)")                                        \
    X(missing, "is required")                                                           \
    X(wrong_type, "has the wrong type")                                                 \
    X(unknown_field, "is not a field of schema v1")                                     \
    X(score_not_integer, "must be an integer from 0 to 10")                             \
    X(score_out_of_range, "must be from 0 to 10")                                       \
    X(score_not_allowed, "must be absent on display events")                            \
    X(bad_id, "must be 8 to 64 characters of A-Z a-z 0-9 _ -")                          \
    X(bad_survey, "must be 1 to 64 characters of A-Z a-z 0-9 _ . -")                    \
    X(bad_type, "must be \"response\", \"shown\" or \"dismissed\"")                     \
    X(bad_timestamp, "must be an RFC 3339 timestamp with a time zone, years 2000-2099") \
    X(too_long, "is too long")                                                          \
    X(control_character, "contains a control character")                                \
    X(bad_utf8, "is not valid UTF-8")                                                   \
    X(too_many_attributes, "has too many attributes")                                   \
    X(bad_attribute_key, "must be 1 to 64 characters of A-Z a-z 0-9 _ . -")             \
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
    std::string field;            // JSON path: "score", "attributes.plan", "" for the body
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
