// npskit core: peers' exports onto schema v1, shared by the JSON and CSV importers.
#include "import_peers.h"

#include <algorithm>
#include <cstdio>
#include <cstring>

#include <nlohmann/json.hpp>

#include "calendar.h"
#include "hash_text.h"

namespace npskit::import_peers {

using json = nlohmann::json;

std::string_view trim(std::string_view s) {
    while (!s.empty() && is_blank(s.front())) s.remove_prefix(1);
    while (!s.empty() && is_blank(s.back())) s.remove_suffix(1);
    return s;
}

std::string_view skip_bom(std::string_view s) {
    if (s.size() >= 3 && std::memcmp(s.data(), "\xEF\xBB\xBF", 3) == 0) s.remove_prefix(3);
    return s;
}

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
        if (ok)
            key += l;
        else if (!key.empty() && key.back() != '_')
            key += '_';
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

const std::initializer_list<const char*> score_names = {"score", "nps", "nps_score", "nps score", "rating", "net promoter score"};
const std::initializer_list<const char*> ts_names = {"ts",           "timestamp",    "date", "created_at", "createdat",     "created at",
                                                     "submitted_at", "submitted at", "time", "datetime",   "response date", "created"};
const std::initializer_list<const char*> comment_names = {"comment", "comments",  "feedback", "text",
                                                          "reason",  "open text", "why",      "answer"};
const std::initializer_list<const char*> id_names = {"id", "response_id", "response id", "responseid"};
const std::initializer_list<const char*> survey_names = {"survey", "survey_id", "survey id", "surveyid"};
const std::initializer_list<const char*> user_names = {"user", "user_id", "user id", "userid", "person", "person_id", "customer_id"};
const std::initializer_list<const char*> ignored_names = {
    "v", "permalink", "updated_at", "survey_type", "notes", "tags", "formbricks id (internal)", "additional_answers"};

bool is_v1_text_field(const std::string& name) {
#define NPSKIT_X(member, json, kind, limit, update, stored) \
    if ((field_kind::kind == field_kind::text || field_kind::kind == field_kind::boolean) && name == json) return true;
    NPSKIT_RECORD_FIELDS(NPSKIT_X)
#undef NPSKIT_X
    return false;
}

// Parses a timestamp cell or field: RFC 3339 / ISO dates, or Unix seconds / milliseconds.
std::optional<int64_t> timestamp_from_text(std::string_view text) {
    text = trim(text);
    if (text.empty()) return std::nullopt;
    if (std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; }) && text.size() <= 15) {
        return timestamp_from_number(std::stoll(std::string(text)));
    }
    return parse_timestamp(text, true);
}

std::optional<int64_t> timestamp_from_number(int64_t v) {
    // Seconds until year 5138, else milliseconds until the end of year 9999; nothing before 1970,
    // so no product of an attacker's number can overflow.
    constexpr int64_t seconds_until = 100'000'000'000;
    constexpr int64_t ms_until = 253'402'300'800'000;
    if (v < 0 || v >= ms_until) return std::nullopt;
    return v < seconds_until ? v * 1000 : v;
}

parse_result finish_record(json& obj, const importer_desc& desc, uint64_t line, uint64_t record) {
    obj["v"] = 1;
    if (!obj.contains("survey")) obj["survey"] = desc.default_survey;
    if (!obj.contains("id")) {
        char id[48];
        // Records of a JSON array can share a line (a minified export): the record number keeps
        // their ids apart, or every record of a line would upsert the same id.
        if (desc.format == input_format::json_array)
            std::snprintf(id, sizeof id, "-%08llu-%llu", static_cast<unsigned long long>(line), static_cast<unsigned long long>(record));
        else
            std::snprintf(id, sizeof id, "-%08llu", static_cast<unsigned long long>(line));
        obj["id"] = desc.id_prefix + id;
    }
    if (!obj.contains("ts") && desc.default_ts_ms > 0) obj["ts"] = format_timestamp(desc.default_ts_ms);
    return parse_response(obj);
}

void set_id(json& obj, std::string_view raw, const importer_desc& desc) {
    raw = trim(raw);
    if (raw.empty()) return;
    if (is_valid_id(raw))
        obj["id"] = std::string(raw);
    else {
        std::string prefixed = desc.id_prefix + "-" + std::string(raw);
        obj["id"] = is_valid_id(prefixed) ? prefixed : desc.id_prefix + "-" + std::to_string(hash_text(raw));
    }
}

}  // namespace npskit::import_peers
