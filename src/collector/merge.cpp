// npskit collector: the merge rule every storage backend applies (storage.h), field by field
// from the record's list (schema.h): its `update` rule says whether an update may change a field.
#include <algorithm>
#include <string>
#include <vector>

#include "storage.h"

namespace npskit {

const char* write_outcome_name(write_outcome o) {
    switch (o) {
        case write_outcome::inserted: return "inserted";
        case write_outcome::updated: return "updated";
        case write_outcome::unchanged: return "unchanged";
        case write_outcome::conflict: return "conflict";
    }
    return "?";
}

namespace {
// update_wins, one overload per kind: `field` holds the update's value (the merged record
// starts as the update); absent there, the stored value stays.
template <field_kind K, class T>
void keep_when_absent(kind_tag<K>, T&, const T&, const response&) {}  // id, survey, type, timestamp: always present
template <field_kind K, class T>
void keep_when_absent(kind_tag<K>, std::optional<T>& field, const std::optional<T>& stored, const response&) {
    if (!field && stored) field = stored;  // text, multiline, boolean
}
void keep_when_absent(kind_tag<field_kind::score>, int& score, const int& stored, const response& m) {
    if (m.type == event_type::response && score < 0) score = stored;
}
// Stored attributes the update does not name are kept, within the schema's limit (the merged
// record must stay valid schema v1: it is what reads return).
void keep_when_absent(kind_tag<field_kind::attributes>, std::vector<std::pair<std::string, std::string>>& attributes,
                      const std::vector<std::pair<std::string, std::string>>& stored, const response&) {
    const size_t max_attributes = schema_limits{}.max_attributes;
    for (const auto& kv : stored) {
        auto it =
            std::lower_bound(attributes.begin(), attributes.end(), kv, [](const auto& a, const auto& b) { return a.first < b.first; });
        if (it != attributes.end() && it->first == kv.first) continue;
        if (attributes.size() >= max_attributes) break;
        attributes.insert(it, kv);
    }
}
}  // namespace

response merge_update(const response& stored, const response& update) {
    response m = update;
    // In the list's order: type (merged) before score (which depends on it). first_wins: ts, the
    // moment of the answer (a later comment does not move it).
#define NPSKIT_X(member, json, kind, limit, update, stored_as)    \
    if constexpr (update_rule::update == update_rule::first_wins) \
        m.member = stored.member;                                 \
    else                                                          \
        keep_when_absent(NPSKIT_KIND(kind), m.member, stored.member, m);
    NPSKIT_RECORD_FIELDS(NPSKIT_X)
#undef NPSKIT_X
    return m;
}

std::vector<std::string> update_conflicts(const response& stored, const response& update, int64_t now_ms) {
    // Compare the merged record with the stored one field by field: what merge_update would
    // change is what the update asks to change (an omitted field keeps its stored value).
    // ts never conflicts: merge_update keeps the stored one whatever a later write sends (the
    // follow-up window is measured from it, so it cannot be moved to reopen the window).
    const response merged = merge_update(stored, update);
    const bool in_window = now_ms - stored.ts_ms <= follow_up_window_ms;
    std::vector<std::string> out;
#define NPSKIT_X(member, json, kind, limit, update, stored_as)    \
    if constexpr (update_rule::update != update_rule::first_wins) \
        if (merged.member != stored.member && (update_rule::update == update_rule::fixed || !in_window)) out.emplace_back(json);
    NPSKIT_RECORD_FIELDS(NPSKIT_X)
#undef NPSKIT_X
    return out;
}

}  // namespace npskit
