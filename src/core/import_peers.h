// npskit core, inside the importers (not for other modules): what the JSON and CSV readers
// share: text trimming, peers' field and column names, and the last step every record that is
// not read by the fast path takes (a canonical schema v1 object, validated strictly).
#pragma once
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json_fwd.hpp>

#include "import.h"

namespace npskit::import_peers {

inline bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }
std::string_view trim(std::string_view s);
std::string_view skip_bom(std::string_view s);
std::string lower(std::string_view s);  // ASCII
// "Plan Name" → "plan_name"; nothing left → "".
std::string attribute_key_from(std::string_view name);
bool one_of(const std::string& s, std::initializer_list<const char*> names);

// Peers' names for schema v1's fields (lower case), as JSON keys and CSV headers.
extern const std::initializer_list<const char*> score_names, ts_names, comment_names, id_names, survey_names, user_names, ignored_names;
// A schema v1 field a peer's record may carry under its own name as it is (text and boolean
// kinds of the record's list, schema.h: trigger, page, locale, email, contact_ok, …).
bool is_v1_text_field(const std::string& name);

// A timestamp cell or field: RFC 3339 / ISO dates, or Unix seconds / milliseconds.
std::optional<int64_t> timestamp_from_text(std::string_view text);
// A number read as a timestamp: Unix seconds below 10^11, else milliseconds; none before 1970 or
// after 9999.
std::optional<int64_t> timestamp_from_number(int64_t v);
// An id from a peer's export: kept when valid, prefixed when short (Delighted's numeric ids).
void set_id(nlohmann::json& obj, std::string_view raw, const importer_desc& desc);
// Canonical schema v1 object → strict validation: fills in v, the default survey, id and ts
// (`record` numbers a JSON array's records), then parse_response.
parse_result finish_record(nlohmann::json& obj, const importer_desc& desc, uint64_t line, uint64_t record);

}  // namespace npskit::import_peers
