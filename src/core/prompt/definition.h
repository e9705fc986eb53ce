// npskit core: a survey definition served by the collector (GET /v1/surveys/{id}): the widget's
// own config (docs/js-api.md option names) plus a schedule and variants. Native only: the
// collector checks a definition with the readers the widget uses (rules.cpp's numbers and
// delays, i18n's text ids, is_safe_link, the record's survey-id rule), so a definition the
// collector accepts is one the widget reads as written.
//
// [SECTION] Check (codes: tests and clients match the code, people read the message)
// [SECTION] Schedule (active / start / end at a given time)
// [SECTION] Precedence (defaults < remote definition < the tag's data-* and init)
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "json_text.h"

namespace npskit {

//-----------------------------------------------------------------------------
// [SECTION] Check
//-----------------------------------------------------------------------------
#define NPSKIT_DEFINITION_ERRORS(X)                                                       \
    X(not_json, "is not JSON, or is nested deeper than 16")                               \
    X(not_object, "must be a JSON object")                                                \
    X(wrong_type, "has the wrong type")                                                   \
    X(out_of_range, "is out of range")                                                    \
    X(bad_choice, "is not one of the allowed values")                                     \
    X(unknown_text, "is not a text id (docs/js-api.md, Strings)")                         \
    X(unsafe_link, "must be https://…, http://… or a path of this site (docs/js-api.md)") \
    X(bad_name, "must be 1-64 of A-Z a-z 0-9 _ . -")                                      \
    X(bad_time, "must be an RFC 3339 timestamp (2026-01-10T12:30:00Z)")                   \
    X(end_before_start, "end must be after start")                                        \
    X(too_many, "has too many items")

enum class definition_code : uint8_t {
#define NPSKIT_X(name, text) name,
    NPSKIT_DEFINITION_ERRORS(NPSKIT_X)
#undef NPSKIT_X
};
const char* definition_code_name(definition_code c);
const char* definition_code_text(definition_code c);

struct definition_error {
    std::string field;  // "sample", "triggers[1].delay", "variants[0].texts.question"; "" = the whole
    definition_code code = definition_code::not_json;
    std::string message;  // the list's sentence, made precise ("must be a whole number from 0 to 100")
};

inline constexpr size_t definition_max_variants = 8;
inline constexpr int definition_max_priority = 1000;  // priority in [-1000, 1000]

// Every problem of a definition (JSON text), in document order; empty = valid. Unknown keys are
// ignored, as the widget ignores them. Extra keys beyond the widget's options: "active" (bool),
// "start" / "end" (RFC 3339), "priority" (integer), "app" (a survey-id-like name), "variants"
// (at most 8 of {name, weight 0..100, texts?, promoterUrl?, passiveUrl?, detractorUrl?}).
std::vector<definition_error> validate_definition(std::string_view json);

//-----------------------------------------------------------------------------
// [SECTION] Schedule
//-----------------------------------------------------------------------------
// Whether the definition (tagged text of a valid one) is live at now_ms: "active" is not false,
// now >= "start" (if given) and now < "end" (if given).
bool definition_showing(tagged definition, int64_t now_ms);

//-----------------------------------------------------------------------------
// [SECTION] Precedence
//-----------------------------------------------------------------------------
// The config layers the rules read (config_layers: the last layer with a key wins), so built-in
// defaults (read_survey_rules) < `remote` (the definition, tagged) < `local` (the tag's data-*
// then each init(), tagged): a developer can always pin a value. Top-level keys: a local
// "texts" replaces the remote "texts" whole.
std::string layer_config(std::string_view remote, std::string_view local);

}  // namespace npskit
