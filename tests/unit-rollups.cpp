// The collector's histogram rollups (src/collector/rollups.h): a row's cells, and the net
// moves of an update (score, half hour, attribute added / changed / removed, a later comment).
// Native only (the collector is).
#ifdef NPSKIT_HAS_ROLLUPS
#include <doctest/doctest.h>

#include <map>

#include "rollups.h"

using namespace npskit;

namespace {
response answer(int score, int64_t ts_ms, std::vector<std::pair<std::string, std::string>> attributes = {}) {
    response r;
    r.id = "r_0123456789";
    r.survey = "nps";
    r.score = score;
    r.ts_ms = ts_ms;
    r.attributes = std::move(attributes);
    return r;
}
const rollup_key_allowed all = [](const std::string&, const std::string&) { return true; };
constexpr int64_t h = 3600LL * 1000;
constexpr int64_t half = rollup_cell_ms;
constexpr int64_t t0 = 1767225600000;  // 2026-01-01T00:00Z, an hour boundary

// Applies moves to a table of counts, as the backends' `n = n + delta` upserts do.
void apply(std::map<rollup_cell, int64_t>& table, std::vector<rollup_move> moves) {
    net_moves(moves);
    for (const rollup_move& m : moves) table[m.cell] += m.delta;
    std::erase_if(table, [](const auto& e) { return e.second == 0; });
}
std::map<rollup_cell, int64_t> table_of(const std::vector<response>& rows) {
    std::map<rollup_cell, int64_t> t;
    std::vector<rollup_move> moves;
    for (const response& r : rows) add_rollup_moves(r, +1, all, moves);
    apply(t, moves);
    return t;
}
}  // namespace

TEST_CASE("rollups: half hours are floored") {
    CHECK(half * 2 == h);
    CHECK(rollup_half_hour(t0) == t0 / half);
    CHECK(rollup_half_hour(t0 + half - 1) == t0 / half);
    CHECK(rollup_half_hour(t0 + half) == t0 / half + 1);
    CHECK(rollup_half_hour(t0 + h) == t0 / half + 2);
    CHECK(rollup_half_hour(-1) == -1);
    CHECK(rollup_cells_per_day * half == 24 * h);
}

TEST_CASE("rollups: a row's cells are its survey cell, its built-ins and its allowed attributes") {
    response r = answer(9, t0 + half + 5, {{"plan", "pro"}, {"team", "a"}});  // the day's second half hour
    r.locale = "fr";
    r.contact_ok = false;
    std::vector<rollup_cell> cells;
    rollup_cells(
        r, [](const std::string&, const std::string& key) { return key == "plan"; }, cells);
    // Each half-hour cell, then the same cell by UTC day, then (a promoter: on the follow-up
    // list) its follow-up cell, daily only.
    REQUIRE(cells.size() == 9);
    CHECK(cells[0] == rollup_cell{"nps", t0 / half + 1, "", "", 9});
    CHECK(cells[1] == rollup_cell{"nps", t0 / half + 1, "locale", "fr", 9});
    CHECK(cells[2] == rollup_cell{"nps", t0 / half + 1, "contact_ok", "false", 9});
    CHECK(cells[3] == rollup_cell{"nps", t0 / half + 1, "plan", "pro", 9});
    CHECK(cells[0].unit == rollup_unit::half_hour);
    for (size_t i = 0; i < 4; ++i) {
        rollup_cell day = cells[i];
        day.unit = rollup_unit::day;
        day.at = t0 / (24 * h);
        CHECK(cells[4 + i] == day);
    }
    CHECK(cells[8] == rollup_cell{"nps", t0 / (24 * h), std::string(rollup_follow_up_key), "promoter", 9, rollup_unit::day});

    response shown;
    shown.id = "s_0123456789";
    shown.survey = "nps";
    shown.type = event_type::shown;
    shown.ts_ms = t0;
    cells.clear();
    rollup_cells(shown, all, cells);
    REQUIRE(cells.size() == 2);
    CHECK(cells[0].slot == 11);
    CHECK(cells[1].slot == 11);
    CHECK(cells[1].unit == rollup_unit::day);
    shown.type = event_type::dismissed;
    cells.clear();
    rollup_cells(shown, all, cells);
    CHECK(cells[0].slot == 12);
}

TEST_CASE("rollups: an update's moves leave the table equal to the new rows' table") {
    const response a = answer(3, t0, {{"plan", "free"}, {"team", "x"}});
    response b = answer(8, t0 + 2 * h);
    b.id = "r_other000000";
    // Each kind of update the widget and the host can send; the time changes only by merging
    // in an older database, but the arithmetic must hold for it too.
    std::vector<response> updates;
    response c = a;
    c.comment = "later comment";  // moves nothing
    updates.push_back(c);
    c = a;
    c.score = 10;
    updates.push_back(c);
    c = a;
    c.attributes.emplace_back("zone", "eu");  // added
    updates.push_back(c);
    c = a;
    c.attributes[0].second = "pro";  // changed
    updates.push_back(c);
    c = a;
    c.attributes.erase(c.attributes.begin());  // removed
    updates.push_back(c);
    c = a;
    c.ts_ms = t0 + 7 * h;
    c.locale = "de";
    updates.push_back(c);
    for (const response& u : updates) {
        std::map<rollup_cell, int64_t> t = table_of({a, b});
        std::vector<rollup_move> moves;
        add_rollup_moves(a, -1, all, moves);
        add_rollup_moves(u, +1, all, moves);
        apply(t, moves);
        CHECK(t == table_of({u, b}));
    }
    // A later comment moves only the follow-up cell: the detractor joins the list with it.
    std::vector<rollup_move> moves;
    add_rollup_moves(a, -1, all, moves);
    add_rollup_moves(updates[0], +1, all, moves);
    net_moves(moves);
    REQUIRE(moves.size() == 1);
    CHECK(moves[0].cell == rollup_cell{"nps", t0 / (24 * h), std::string(rollup_follow_up_key), "detractor_comment", 3, rollup_unit::day});
    CHECK(moves[0].delta == 1);
    // A later comment on a promoter moves it from one group to the other.
    response p = answer(10, t0);
    response pc = p;
    pc.comment = "love it";
    moves.clear();
    add_rollup_moves(p, -1, all, moves);
    add_rollup_moves(pc, +1, all, moves);
    net_moves(moves);
    REQUIRE(moves.size() == 2);
    CHECK(moves[0].cell.value == "promoter");
    CHECK(moves[0].delta == -1);
    CHECK(moves[1].cell.value == "promoter_comment");
    CHECK(moves[1].delta == 1);
}

TEST_CASE("rollups: the follow-up cell follows the list's groups") {
    auto group_of = [](const response& r) {
        std::vector<rollup_cell> cells;
        rollup_cells(r, all, cells);
        std::string g;
        for (const rollup_cell& c : cells)
            if (c.key == rollup_follow_up_key) {
                CHECK(c.unit == rollup_unit::day);
                CHECK(g.empty());  // at most one
                g = c.value;
            }
        return g;
    };
    response r = answer(4, t0);
    CHECK(group_of(r) == "");  // a detractor without comment or opt-in
    r.contact_ok = true;
    CHECK(group_of(r) == "detractor_contact");
    r.contact_ok = false;
    r.comment = "slow";
    CHECK(group_of(r) == "detractor_comment");
    r = answer(8, t0);
    CHECK(group_of(r) == "");
    r.comment = "fine";
    CHECK(group_of(r) == "passive_comment");
    r = answer(9, t0);
    CHECK(group_of(r) == "promoter");
    r.type = event_type::shown;
    CHECK(group_of(r) == "");
    CHECK(rollup_key_always(rollup_follow_up_key));
    CHECK(rollup_key_always("locale"));
    CHECK_FALSE(rollup_key_always("plan"));
}

TEST_CASE("rollups: net_moves sums each cell once and drops zeros") {
    std::vector<rollup_move> moves;
    const response a = answer(5, t0);
    add_rollup_moves(a, +1, all, moves);
    add_rollup_moves(a, +1, all, moves);
    add_rollup_moves(answer(6, t0), +1, all, moves);
    add_rollup_moves(answer(6, t0), -1, all, moves);
    net_moves(moves);
    REQUIRE(moves.size() == 2);  // the hour cell and the day cell
    CHECK(moves[0].cell.unit != moves[1].cell.unit);
    for (const rollup_move& m : moves) {
        CHECK(m.cell.slot == 5);
        CHECK(m.delta == 2);
    }
}
#endif
