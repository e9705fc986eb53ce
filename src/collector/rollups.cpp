// npskit collector: histogram rollup cells and moves (see rollups.h).
#include "rollups.h"

#include <algorithm>

#include "store.h"
#include "view/followup.h"

namespace npskit {

int64_t rollup_half_hour(int64_t ts_ms) {
    // Floor, not truncation: timestamps are years 2000-2099, but keep it right for any sign.
    return ts_ms >= 0 ? ts_ms / rollup_cell_ms : -((-ts_ms + rollup_cell_ms - 1) / rollup_cell_ms);
}

namespace {
uint8_t slot_of(const response& r) {
    if (r.type == event_type::shown) return slot_shown;
    if (r.type == event_type::dismissed) return slot_dismissed;
    return static_cast<uint8_t>(std::clamp(r.score, 0, 10));
}
}  // namespace

bool rollup_key_always(std::string_view key) {
    return key == rollup_follow_up_key ||
           std::find(std::begin(rollup_builtin_keys), std::end(rollup_builtin_keys), key) != std::end(rollup_builtin_keys);
}

void rollup_cells(const response& r, const rollup_key_allowed& allowed, std::vector<rollup_cell>& out) {
    const int64_t half = rollup_half_hour(r.ts_ms);
    const uint8_t slot = slot_of(r);
    const size_t first = out.size();
    out.push_back({r.survey, half, {}, {}, slot});
    auto builtin = [&](std::string_view key, const std::optional<std::string>& v) {
        if (v) out.push_back({r.survey, half, std::string(key), *v, slot});
    };
    builtin("trigger", r.trigger);
    builtin("page", r.page);
    builtin("locale", r.locale);
    if (r.contact_ok) out.push_back({r.survey, half, "contact_ok", *r.contact_ok ? "true" : "false", slot});
    for (const auto& [key, value] : r.attributes)
        if (allowed && allowed(r.survey, key)) out.push_back({r.survey, half, key, value, slot});
    // The same cells by UTC day (floor: right for any sign).
    const int64_t day = half >= 0 ? half / rollup_cells_per_day : -((-half + rollup_cells_per_day - 1) / rollup_cells_per_day);
    const size_t halves = out.size();
    for (size_t i = first; i < halves; ++i) {
        rollup_cell c = out[i];
        c.unit = rollup_unit::day;
        c.at = day;
        out.push_back(std::move(c));
    }
    follow_up_group g;
    if (follow_up_group_of(r, g))
        out.push_back({r.survey, day, std::string(rollup_follow_up_key), follow_up_group_name(g), slot, rollup_unit::day});
}

void add_rollup_moves(const response& r, int sign, const rollup_key_allowed& allowed, std::vector<rollup_move>& moves) {
    std::vector<rollup_cell> cells;
    rollup_cells(r, allowed, cells);
    for (rollup_cell& c : cells) moves.push_back({std::move(c), sign});
}

void net_moves(std::vector<rollup_move>& moves) {
    std::sort(moves.begin(), moves.end(), [](const rollup_move& a, const rollup_move& b) { return a.cell < b.cell; });
    size_t out = 0;
    for (size_t i = 0; i < moves.size();) {
        rollup_move m = std::move(moves[i]);
        size_t j = i + 1;
        for (; j < moves.size() && moves[j].cell == m.cell; ++j) m.delta += moves[j].delta;
        if (m.delta != 0) moves[out++] = std::move(m);
        i = j;
    }
    moves.resize(out);
}

}  // namespace npskit
