// npskit collector: the merge rule every storage backend applies (storage.h).
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

response merge_update(const response& stored, const response& update) {
    response m = update;  // type, survey, score: the latest wins
    m.ts_ms = stored.ts_ms;  // the moment of the answer; a later comment does not move it
    auto keep = [](std::optional<std::string>& field, const std::optional<std::string>& old) {
        if (!field && old) field = old;
    };
    keep(m.comment, stored.comment);
    keep(m.user, stored.user);
    keep(m.trigger, stored.trigger);
    keep(m.page, stored.page);
    keep(m.locale, stored.locale);
    keep(m.email, stored.email);
    if (!m.contact_ok && stored.contact_ok) m.contact_ok = stored.contact_ok;
    if (m.type == event_type::response && m.score < 0) m.score = stored.score;
    // Stored attributes the update does not name are kept, within the schema's limit (the
    // merged record must stay valid schema v1: it is what reads return).
    const size_t max_attributes = schema_limits{}.max_attributes;
    for (const auto& kv : stored.attributes) {
        auto it = std::lower_bound(m.attributes.begin(), m.attributes.end(), kv,
                                   [](const auto& a, const auto& b) { return a.first < b.first; });
        if (it != m.attributes.end() && it->first == kv.first) continue;
        if (m.attributes.size() >= max_attributes) break;
        m.attributes.insert(it, kv);
    }
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
    enum kind { fixed, follow_up };
#define NPSKIT_X(wire, member, k) \
    if (merged.member != stored.member && (k == fixed || !in_window)) out.emplace_back(wire);
    NPSKIT_MERGE_FIELDS(NPSKIT_X)
#undef NPSKIT_X
    return out;
}

}  // namespace npskit
