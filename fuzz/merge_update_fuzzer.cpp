// libFuzzer: two request bodies for the same id, as the collector's upsert sees them
// (stored, then update), split at the first newline. Invariants: when both are valid, the
// merged record is valid schema v1 (reads return it as is), keeps the stored timestamp,
// keeps every field of the update, and merging the update again changes nothing (a replay
// is a no-op). The ownership rule (update_conflicts): a record never conflicts with itself,
// ts never conflicts, and an update with no conflicts leaves type, survey and score as stored.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "schema.h"
#include "storage.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view all(reinterpret_cast<const char*>(data), size);
    size_t nl = all.find('\n');
    if (nl == std::string_view::npos) return 0;
    npskit::parse_result stored = npskit::parse_response(all.substr(0, nl));
    npskit::parse_result update = npskit::parse_response(all.substr(nl + 1));
    if (!stored.ok() || !update.ok()) return 0;
    update.value.id = stored.value.id;  // the collector merges only rows of one id
    npskit::response merged = npskit::merge_update(stored.value, update.value);
    std::string json = npskit::response_to_json(merged);
    npskit::parse_result back = npskit::parse_response(std::string_view(json));
    if (!back.ok()) std::abort();
    if (merged.ts_ms != stored.value.ts_ms) std::abort();
    if (merged.type != update.value.type || merged.survey != update.value.survey) std::abort();
    if (update.value.comment && merged.comment != update.value.comment) std::abort();
    for (const auto& kv : update.value.attributes) {
        bool found = false;
        for (const auto& m : merged.attributes) found = found || m == kv;
        if (!found) std::abort();
    }
    if (npskit::response_to_json(npskit::merge_update(merged, update.value)) != json) std::abort();
    const int64_t now = stored.value.ts_ms;  // inside the window: only fixed fields can conflict
    if (!npskit::update_conflicts(stored.value, stored.value, now).empty()) std::abort();
    std::vector<std::string> conflicts = npskit::update_conflicts(stored.value, update.value, now);
    for (const std::string& f : conflicts)
        if (f == "ts") std::abort();
    if (conflicts.empty() &&
        (merged.type != stored.value.type || merged.survey != stored.value.survey || merged.score != stored.value.score))
        std::abort();
    // Past the window, anything merge_update would change conflicts.
    const int64_t late = stored.value.ts_ms + npskit::follow_up_window_ms + 1;
    if (npskit::update_conflicts(stored.value, update.value, late).empty() && json != npskit::response_to_json(stored.value)) std::abort();
    return 0;
}
