// npskit collector: histogram rollups. NPS's sufficient statistic is the 11-bin histogram, so
// the storage keeps, in the same transaction as the rows, counts per (survey, hour, slot) and
// per (survey, hour, attribute key, value, slot); /v1/aggregate can then count without rows.
// slot: the score 0..10, or 11 shown / 12 dismissed (store.h's slot_shown / slot_dismissed).
//
// Pure: a row's cells, and the net moves of an update (old row out, merged row in). Each
// backend applies the moves with `n = n + delta` upserts (sqlite_storage.cpp, pg_storage.cpp).
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "schema.h"

namespace npskit {

inline constexpr int64_t rollup_hour_ms = 3600LL * 1000;
// Attribute keys rolled up per survey: the first this many seen (the store's default
// --max-attribute-keys); the built-in keys below always.
inline constexpr size_t rollup_max_keys = 64;
// The record's fields stored as attributes that `by=` accepts (survey has its own table).
inline constexpr std::string_view rollup_builtin_keys[] = {"trigger", "page", "locale", "contact_ok"};

inline constexpr int64_t rollup_day_hours = 24;

// key empty: the survey-level cell (no attribute). Every row counts in hourly cells and in
// daily ones (UTC days, the same counts 24 times coarser: what a whole-day range reads).
enum class rollup_unit : uint8_t { hour, day };
struct rollup_cell {
    std::string survey;
    int64_t hour = 0;  // floor(ts_ms / 1 h); for a day cell floor(ts_ms / 1 day)
    std::string key, value;
    uint8_t slot = 0;
    rollup_unit unit = rollup_unit::hour;
    auto operator<=>(const rollup_cell&) const = default;
};
struct rollup_move {
    rollup_cell cell;
    int64_t delta = 0;
};

// Whether (survey, host attribute key) is rolled up; the backend's key registry answers.
using rollup_key_allowed = std::function<bool(const std::string& survey, const std::string& key)>;

int64_t rollup_hour(int64_t ts_ms);
// The cells one row counts in (once each): its survey cell and one per rolled-up attribute,
// each as an hour cell and as a day cell.
void rollup_cells(const response& r, const rollup_key_allowed& allowed, std::vector<rollup_cell>& out);
// Adds the row's cells to `moves` with sign (+1 in, -1 out); net_moves() sums and sorts them.
void add_rollup_moves(const response& r, int sign, const rollup_key_allowed& allowed, std::vector<rollup_move>& moves);
// Sorted by cell, one entry per cell, zero deltas dropped: an update that changes nothing a
// rollup sees (a later comment) moves nothing.
void net_moves(std::vector<rollup_move>& moves);

}  // namespace npskit
