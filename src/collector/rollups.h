// npskit collector: histogram rollups. NPS's sufficient statistic is the 11-bin histogram, so
// the storage keeps, in the same transaction as the rows, counts per (survey, half hour, slot) and
// per (survey, half hour, attribute key, value, slot), and the same per UTC day; /v1/aggregate can
// then count without rows. Half hours, not hours: a zone of half an hour (+05:30, -03:30) starts
// its days on a half hour, so its local days are whole cells too.
// slot: the score 0..10, or 11 shown / 12 dismissed (store.h's slot_shown / slot_dismissed).
//
// Pure: a row's cells, and the net moves of an update (old row out, merged row in). Each
// backend applies the moves with `n = n + delta` upserts (sqlite_storage.cpp, pg_storage.cpp).
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "schema.h"

namespace npskit {

inline constexpr int64_t rollup_cell_ms = 30LL * 60 * 1000;  // a fine cell: half an hour
inline constexpr int64_t rollup_cells_per_day = 48;
// Attribute keys rolled up per survey: the first this many seen (the store's default
// --max-attribute-keys); the built-in keys below always.
inline constexpr size_t rollup_max_keys = 64;
// The record's fields stored as attributes that `by=` accepts (survey has its own table).
inline constexpr std::string_view rollup_builtin_keys[] = {"trigger", "page", "locale", "contact_ok"};
// The follow-up list's candidates (view/followup.h follow_up_group_of), counted per UTC day
// under this key with the group's name as the value: the digest's open count reads them instead
// of every row. '#' is not allowed in an attribute key, so no host key meets it, and `by=` never
// names it.
inline constexpr std::string_view rollup_follow_up_key = "#follow_up";
// Keys every survey rolls up (never past its first 64): the built-ins and the follow-up key.
bool rollup_key_always(std::string_view key);

// key empty: the survey-level cell (no attribute). Every row counts in half-hour cells and in
// daily ones (UTC days, the same counts 48 times coarser: what a whole-day range reads).
enum class rollup_unit : uint8_t { half_hour, day };
struct rollup_cell {
    std::string survey;
    int64_t at = 0;  // floor(ts_ms / 30 min); for a day cell floor(ts_ms / 1 day)
    std::string key, value;
    uint8_t slot = 0;
    rollup_unit unit = rollup_unit::half_hour;
    auto operator<=>(const rollup_cell&) const = default;
};
struct rollup_move {
    rollup_cell cell;
    int64_t delta = 0;
};

// Whether (survey, host attribute key) is rolled up; the backend's key registry answers.
using rollup_key_allowed = std::function<bool(const std::string& survey, const std::string& key)>;
// The write path's registry rule: a key is rolled up when its survey already rolls it up or has
// room (its first rollup_max_keys keys); a new one goes in `keys` and in `added` (the caller
// writes those with the batch). Keys: a map of survey to a set of keys.
template <class Keys>
rollup_key_allowed rollup_registry(Keys& keys, std::vector<std::pair<std::string, std::string>>& added) {
    return [&keys, &added](const std::string& survey, const std::string& key) {
        auto& known = keys[survey];
        if (known.count(key)) return true;
        if (known.size() >= rollup_max_keys) return false;
        known.insert(key);
        added.emplace_back(survey, key);
        return true;
    };
}

int64_t rollup_half_hour(int64_t ts_ms);  // floor(ts_ms / 30 min)
// The cells one row counts in (once each): its survey cell and one per rolled-up attribute,
// each as a half-hour cell and as a day cell; and a follow-up candidate its day cell under
// rollup_follow_up_key.
void rollup_cells(const response& r, const rollup_key_allowed& allowed, std::vector<rollup_cell>& out);
// Adds the row's cells to `moves` with sign (+1 in, -1 out); net_moves() sums and sorts them.
void add_rollup_moves(const response& r, int sign, const rollup_key_allowed& allowed, std::vector<rollup_move>& moves);
// Sorted by cell, one entry per cell, zero deltas dropped: an update that changes nothing a
// rollup sees (a later comment) moves nothing.
void net_moves(std::vector<rollup_move>& moves);

}  // namespace npskit
