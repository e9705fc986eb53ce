#include "report_counts.h"

#include <algorithm>
#include <array>
#include <limits>

#include "calendar.h"
#include "query_rows.h"

namespace npskit {

namespace {
using namespace query_rows;

// The counters one pass fills: per day of the current period (the trend), per code of the
// breakdown attribute, and the previous period's total.
struct report_pass {
    report_pass(const response_store& s, const response_filter& f) : store(s), filter(f), prev_filter(f) {}
    const response_store& store;
    const response_filter& filter;
    response_filter prev_filter;
    compiled_filter c, cp;
    const attribute_column* col = nullptr;  // the breakdown attribute (nullptr: absent or none)
    const uint16_t* column = nullptr;       // its codes
    std::vector<uint16_t> column_scratch;   // when the column is sparse
    std::vector<slot_counts> codes, days;
    slot_counts previous{};
    int64_t offset_ms = 0, first_day = 0, last_day = -1;
    uint64_t* code_counts = nullptr;  // nullptr: no breakdown
    uint64_t* day_counts = nullptr;
    // The current day's counters, found again only when a row falls on another day.
    uint64_t day_lo = static_cast<uint64_t>(std::numeric_limits<int64_t>::min());
    size_t day_base = 0;

    // The current period's counters for one row (the row passed every condition).
    void count_current(int64_t time_ms, uint8_t slot, uint16_t code) {
        const int64_t t = time_ms + offset_ms;
        if (static_cast<uint64_t>(t) - day_lo >= static_cast<uint64_t>(ms_per_day)) {
            const int64_t day = day_of(t);
            day_lo = static_cast<uint64_t>(day * ms_per_day);
            day_base = static_cast<size_t>(day - first_day) * slot_count;
        }
        ++day_counts[day_base + slot];
        if (code_counts) ++code_counts[code * size_t{slot_count} + slot];
    }
};

// count_slots over the rows that pass "with a comment" (answers with one, and display events):
// the pass picks the counter set (slot | pass << 4), so a row costs no branch, and four sets in
// turn keep consecutive rows of the same slot from waiting on each other's increment.
void count_commented_slots(const uint8_t* slots, const uint16_t* comment_lengths, size_t n, uint64_t* counts) {
    size_t i = 0;
    auto at = [&](size_t r) { return slots[r] | (((slots[r] > 10) | (comment_lengths[r] != 0)) << 4); };
    while (i < n) {
        uint32_t lanes[4][32] = {};
        const size_t end = std::min(n, i + (size_t{1} << 30));
        for (; i + 4 <= end; i += 4) {
            ++lanes[0][at(i)];
            ++lanes[1][at(i + 1)];
            ++lanes[2][at(i + 2)];
            ++lanes[3][at(i + 3)];
        }
        for (; i < end; ++i) ++lanes[0][at(i)];
        for (int s = 0; s < slot_count; ++s)
            counts[s] += uint64_t{lanes[0][16 + s]} + lanes[1][16 + s] + lanes[2][16 + s] + lanes[3][16 + s];
    }
}

// A text search: only the rows it selected (and display events).
void count_text_matches(report_pass& p, const std::vector<uint32_t>* text_rows) {
    const response_store& store = p.store;
    const response_filter& filter = p.filter;
    const response_filter& prev_filter = p.prev_filter;
    const compiled_filter& c = p.c;
    const uint16_t* column = p.column;
    const int64_t* times = store.times_ms.data();
    const uint8_t* slots = store.slots.data();
    slot_counts& previous = p.previous;
    auto count_current = [&p](int64_t t, uint8_t slot, uint16_t code) { p.count_current(t, slot, code); };
    // Only the rows the text search selects (and display events). Their times, slots and
    // breakdown codes are gathered a block at a time first: the rows are far apart in the columns, and a tight
    // loop of independent loads keeps many cache misses in flight. Both periods share every
    // condition but time, and the text needs no second check.
    std::vector<uint32_t> own, merged;
    if (!text_rows) own = rows_with_text(store, filter.text);
    const std::vector<uint32_t>& candidates = text_candidates(store, text_rows ? *text_rows : own, merged);
    const uint32_t* rows = candidates.data();
    const uint16_t* comment_lengths = store.comment_lengths.data();
    const bool with_comment = filter.with_comment;
    const size_t k = c.attributes.size();
    constexpr size_t block = 256;
    int64_t block_times[block];
    uint8_t block_slots[block];
    uint16_t block_codes[block] = {};
    for (size_t base = 0; base < candidates.size(); base += block) {
        const size_t m = std::min(block, candidates.size() - base);
        for (size_t j = 0; j < m; ++j) {
            block_times[j] = times[rows[base + j]];
            block_slots[j] = slots[rows[base + j]];
        }
        if (column)
            for (size_t j = 0; j < m; ++j) block_codes[j] = column[rows[base + j]];
        for (size_t j = 0; j < m; ++j) {
            const size_t row = rows[base + j];
            const int64_t t = block_times[j];
            const uint8_t slot = block_slots[j];
            const bool current = in_time_range(t, filter), before = in_time_range(t, prev_filter);
            if (!(current || before) || !c.slot_allowed[slot]) continue;
            if (with_comment && slot <= 10 && comment_lengths[row] == 0) continue;
            bool ok = true;
            for (size_t a = 0; a < k && ok; ++a) ok = c.attributes[a].allowed[c.attributes[a].codes[row]] != 0;
            if (!ok) continue;
            if (current) count_current(t, slot, block_codes[j]);
            if (before) ++previous[slot];  // the periods may overlap
        }
    }
}

// A comment condition, or rows not in time order: every row, both periods.
void count_every_row(report_pass& p) {
    const response_store& store = p.store;
    const int64_t* times = store.times_ms.data();
    const uint8_t* slots = store.slots.data();
    const uint16_t* column = p.column;
    const compiled_filter &c = p.c, &cp = p.cp;
    slot_counts& previous = p.previous;
    auto count_current = [&p](int64_t t, uint8_t slot, uint16_t code) { p.count_current(t, slot, code); };
    for (size_t row = 0; row < store.size(); ++row) {
        if (passes(store, c, row)) count_current(times[row], slots[row], column ? column[row] : 0);
        if (passes(store, cp, row)) ++previous[slots[row]];  // the periods may overlap
    }
}

// Time-sorted rows and no comment condition (or only "with a comment": `comment_lengths`):
// both periods are row ranges, days sub-ranges.
void count_sorted_ranges(report_pass& p, int64_t previous_since_ms, int64_t previous_until_ms, const uint16_t* comment_lengths = nullptr) {
    const response_store& store = p.store;
    const response_filter& filter = p.filter;
    const response_filter& prev_filter = p.prev_filter;
    const compiled_filter& c = p.c;
    const int64_t* times = store.times_ms.data();
    const uint8_t* slots = store.slots.data();
    const uint16_t* column = p.column;
    uint64_t* code_counts = p.code_counts;
    uint64_t* day_counts = p.day_counts;
    const int64_t first_day = p.first_day, last_day = p.last_day, offset_ms = p.offset_ms;
    slot_counts& previous = p.previous;
    // Time-sorted, no comment condition: both periods are row ranges (binary search), and
    // days are sub-ranges; only attribute conditions are checked row by row.
    const size_t k = c.attributes.size();
    const uint16_t* const* attr_codes = nullptr;
    std::array<const uint16_t*, 8> codes_small{};
    std::array<const uint8_t*, 8> allowed_small{};
    std::vector<const uint16_t*> codes_big;
    std::vector<const uint8_t*> allowed_big;
    const uint8_t* const* attr_allowed = nullptr;
    if (k <= 8) {
        for (size_t a = 0; a < k; ++a) codes_small[a] = c.attributes[a].codes, allowed_small[a] = c.attributes[a].allowed.data();
        attr_codes = codes_small.data();
        attr_allowed = allowed_small.data();
    } else {
        for (const auto& a : c.attributes) codes_big.push_back(a.codes), allowed_big.push_back(a.allowed.data());
        attr_codes = codes_big.data();
        attr_allowed = allowed_big.data();
    }
    auto attributes_pass = [&](size_t row) {
        for (size_t a = 0; a < k; ++a)
            if (!attr_allowed[a][attr_codes[a][row]]) return false;
        return true;
    };
    // "With a comment" holds for answers only (display events pass): branch-free, like below.
    auto commented = [&](size_t r) -> uint64_t { return (slots[r] > 10) | (comment_lengths[r] != 0); };
    auto [plo, phi] = time_range_rows(store, prev_filter);
    if (previous_since_ms >= previous_until_ms) plo = phi = 0;
    if (comment_lengths && k == 0) {
        count_commented_slots(slots + plo, comment_lengths + plo, phi - plo, previous.data());
    } else if (comment_lengths) {
        for (size_t r = plo; r < phi; ++r) previous[slots[r]] += commented(r) & uint64_t{attributes_pass(r)};
    } else if (k == 0) {
        count_slots(slots + plo, phi - plo, previous.data());
    } else {
        for (size_t row = plo; row < phi; ++row)
            if (attributes_pass(row)) ++previous[slots[row]];
    }
    auto [row, hi] = time_range_rows(store, filter);
    for (int64_t d = first_day; d <= last_day && row < hi; ++d) {
        const int64_t day_end_ms = (d + 1) * ms_per_day - offset_ms;  // exclusive, UTC
        const size_t end = static_cast<size_t>(std::lower_bound(times + row, times + hi, day_end_ms) - times);
        uint64_t* day = day_counts + static_cast<size_t>(d - first_day) * slot_count;
        if (comment_lengths && k == 0 && !code_counts) {
            count_commented_slots(slots + row, comment_lengths + row, end - row, day);  // the theme's share
        } else if (comment_lengths) {
            for (size_t r = row; r < end; ++r) {
                const uint8_t slot = slots[r];
                uint64_t pass = commented(r);
                for (size_t a = 0; a < k; ++a) pass &= attr_allowed[a][attr_codes[a][r]] != 0;
                day[slot] += pass;
                if (code_counts) code_counts[(column ? column[r] : 0) * size_t{slot_count} + slot] += pass;
            }
        } else if (k == 0 && !code_counts) {
            count_slots(slots + row, end - row, day);
        } else if (k == 0 && !column) {
            count_slots(slots + row, end - row, day);
            count_slots(slots + row, end - row, code_counts);
        } else if (k == 0) {
            for (size_t r = row; r < end; ++r) {
                const uint8_t slot = slots[r];
                ++day[slot];
                ++code_counts[column[r] * size_t{slot_count} + slot];
            }
        } else if (k <= 2) {
            // One or two attribute conditions, branch-free: a row adds its pass (0 or 1) to the
            // counters, so a filter that keeps rows at random costs no mispredicted branches.
            const uint16_t* codes0 = attr_codes[0];
            const uint8_t* allowed0 = attr_allowed[0];
            const uint16_t* codes1 = k == 2 ? attr_codes[1] : codes0;
            const uint8_t* allowed1 = k == 2 ? attr_allowed[1] : allowed0;
            if (!code_counts) {
                for (size_t r = row; r < end; ++r) day[slots[r]] += allowed0[codes0[r]] & allowed1[codes1[r]];
            } else if (!column) {
                for (size_t r = row; r < end; ++r) {
                    const uint8_t slot = slots[r];
                    const uint64_t pass = allowed0[codes0[r]] & allowed1[codes1[r]];
                    day[slot] += pass;
                    code_counts[slot] += pass;
                }
            } else {
                for (size_t r = row; r < end; ++r) {
                    const uint8_t slot = slots[r];
                    const uint64_t pass = allowed0[codes0[r]] & allowed1[codes1[r]];
                    day[slot] += pass;
                    code_counts[column[r] * size_t{slot_count} + slot] += pass;
                }
            }
        } else {
            for (size_t r = row; r < end; ++r) {
                if (!attributes_pass(r)) continue;
                const uint8_t slot = slots[r];
                ++day[slot];
                if (code_counts) ++code_counts[(column ? column[r] : 0) * size_t{slot_count} + slot];
            }
        }
        row = end;
    }
}
}  // namespace

report_counts count_for_report(const response_store& store, const response_filter& filter, time_bucket bucket, int utc_offset_minutes,
                               std::string_view breakdown_key, int64_t previous_since_ms, int64_t previous_until_ms,
                               const std::vector<uint32_t>* text_rows) {
    report_counts out;
    out.previous.key = "all";
    report_pass p(store, filter);
    p.prev_filter.since_ms = previous_since_ms;
    p.prev_filter.until_ms = previous_until_ms;
    p.c = compile(store, filter);
    p.cp = compile(store, p.prev_filter);
    if (p.c.matches_nothing) return out;
    const bool want_breakdown = !breakdown_key.empty();
    p.col = want_breakdown ? store.attribute(breakdown_key) : nullptr;
    p.column = p.col ? p.col->dense_codes(store.size(), p.column_scratch) : nullptr;
    p.codes.resize(want_breakdown ? code_count(p.col) : 0);
    p.offset_ms = static_cast<int64_t>(utc_offset_minutes) * 60'000;
    if (store.size()) {
        p.first_day = floor_div(std::max(store.min_time_ms, filter.since_ms) + p.offset_ms, ms_per_day);
        p.last_day = floor_div(std::min(store.max_time_ms, filter.until_ms) + p.offset_ms, ms_per_day);
    }
    p.days.resize(p.last_day >= p.first_day ? static_cast<size_t>(p.last_day - p.first_day + 1) : 0);
    p.code_counts = want_breakdown ? p.codes.front().data() : nullptr;
    p.day_counts = p.days.empty() ? nullptr : p.days.front().data();

    if (!filter.text.empty() || text_rows)
        count_text_matches(p, text_rows);
    else if (store.time_sorted && filter.with_comment)
        count_sorted_ranges(p, previous_since_ms, previous_until_ms, store.comment_lengths.data());
    else if (p.c.needs_comment_check || !store.time_sorted)
        count_every_row(p);
    else
        count_sorted_ranges(p, previous_since_ms, previous_until_ms);

    if (!p.days.empty()) fold_days(p.c, p.days, p.first_day, bucket, p.offset_ms, out.trend);
    if (want_breakdown) fold_codes(p.c, p.col, p.codes, out.breakdown);
    mask_slots(p.cp, p.previous.data());
    add_slots(out.previous, p.previous);
    return out;
}

}  // namespace npskit
