// npskit collector: the merge rule every storage backend applies (storage.h).
#include <algorithm>

#include "storage.h"

namespace npskit {

const char* write_outcome_name(write_outcome o) {
    switch (o) {
        case write_outcome::inserted: return "inserted";
        case write_outcome::updated: return "updated";
        case write_outcome::unchanged: return "unchanged";
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

}  // namespace npskit
