// npskit core: the row loop's building blocks (the compiled filter, slot counting, folding
// days and codes into groups), shared by query.cpp and the dashboard's one-pass report
// counting (view/report_counts.cpp). Internal: the public API is query.h.
#pragma once
#include <algorithm>
#include <array>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "calendar.h"
#include "query.h"
#include "store.h"

namespace npskit::query_rows {

// Codes of an attribute column: its dictionary (with "(other)" last when full) plus the "none" code 0.
inline size_t code_count(const attribute_column* col) { return col ? col->values.size() + 1 : 1; }

// The filter turned into lookups the row loop can use without allocating.
struct compiled_filter {
    bool matches_nothing = false;
    struct attribute_test {
        const uint16_t* codes = nullptr;  // one per row; nullptr: column absent, every row has code 0
        std::vector<uint16_t> scratch;    // a sparse column's codes spread out for this query
        std::vector<uint8_t> allowed;     // by code
        // Move-only: a copy's `codes` would still point into the original's scratch.
        attribute_test() = default;
        attribute_test(attribute_test&&) = default;
        attribute_test& operator=(attribute_test&&) = default;
    };
    std::vector<attribute_test> attributes;
    std::array<uint8_t, slot_count> slot_allowed{};  // segment filter, display events always pass
    bool needs_comment_check = false;
    bool text_known = false;  // = false; true: the rows visited are text search matches (no re-check)
    const response_filter* filter = nullptr;
};

inline compiled_filter compile(const response_store& store, const response_filter& f) {
    compiled_filter c;
    c.filter = &f;
    for (int s = 0; s <= 10; ++s) c.slot_allowed[s] = (f.segments >> static_cast<int>(segment_of(s))) & 1;
    c.slot_allowed[slot_shown] = c.slot_allowed[slot_dismissed] = 1;
    c.needs_comment_check = f.with_comment || !f.text.empty();
    for (const attribute_filter& af : f.attributes) {
        const attribute_column* col = store.attribute(af.key);
        compiled_filter::attribute_test t;
        // (moving t keeps scratch's buffer: the pointer stays valid in c.attributes)
        t.codes = col ? col->dense_codes(store.size(), t.scratch) : nullptr;
        t.allowed.assign(code_count(col), af.exclude ? 1 : 0);
        for (const std::string& v : af.values) {
            uint16_t code = v.empty() ? 0 : (col ? col->find(v) : 0);
            if (!v.empty() && code == 0) continue;  // value never occurs
            t.allowed[code] = af.exclude ? 0 : 1;
        }
        if (!t.codes && !t.allowed[0]) c.matches_nothing = true;
        if (t.codes) c.attributes.push_back(std::move(t));
    }
    return c;
}

inline bool contains_ignoring_case(std::string_view hay, std::string_view needle) {
    if (needle.empty()) return true;
    if (needle.size() > hay.size()) return false;
    // Find the first byte in either case with memchr-like scans, then compare the rest.
    const char first_lower = ascii_lower(needle[0]);
    const char first_upper = (first_lower >= 'a' && first_lower <= 'z') ? static_cast<char>(first_lower - 'a' + 'A') : first_lower;
    const size_t last = hay.size() - needle.size();
    for (size_t i = 0; i <= last; ++i) {
        if (hay[i] != first_lower && hay[i] != first_upper) continue;
        size_t k = 1;
        while (k < needle.size() && ascii_lower(hay[i + k]) == ascii_lower(needle[k])) ++k;
        if (k == needle.size()) return true;
    }
    return false;
}

// Time range as one unsigned comparison (no overflow at the int64 limits).
inline bool in_time_range(int64_t t, const response_filter& f) {
    return static_cast<uint64_t>(t) - static_cast<uint64_t>(f.since_ms) <
           static_cast<uint64_t>(f.until_ms) - static_cast<uint64_t>(f.since_ms);
}

inline bool passes(const response_store& store, const compiled_filter& c, size_t row) {
    const response_filter& f = *c.filter;
    if (!in_time_range(store.times_ms[row], f)) return false;
    uint8_t slot = store.slots[row];
    if (!c.slot_allowed[slot]) return false;
    for (const auto& a : c.attributes)
        if (!a.allowed[a.codes[row]]) return false;
    if (c.needs_comment_check && slot <= 10) {
        if (f.with_comment && store.comment_lengths[row] == 0) return false;
        if (!c.text_known && !f.text.empty() && !contains_ignoring_case(store.comment(row), f.text)) return false;
    }
    return true;
}

// The hot loop. Calls visit(row) for every row that passes. Segment conditions only select
// slots, so the fast path (no comment condition) leaves them to the caller's counters.
template <typename Visit>
inline void scan(const response_store& store, const compiled_filter& c, Visit&& visit) {
    const size_t n = store.size();
    const response_filter& f = *c.filter;
    const int64_t* times = store.times_ms.data();
    if (c.needs_comment_check) {
        for (size_t row = 0; row < n; ++row)
            if (passes(store, c, row)) visit(row);
        return;
    }
    const uint64_t since = static_cast<uint64_t>(f.since_ms);
    const uint64_t range = static_cast<uint64_t>(f.until_ms) - since;
    if (c.attributes.empty()) {
        for (size_t row = 0; row < n; ++row)
            if (static_cast<uint64_t>(times[row]) - since < range) visit(row);
        return;
    }
    // Raw pointers in locals: through the vectors, every counter write could alias them and the
    // loop would reload them per row (wasm has no alias information to prove otherwise).
    const uint16_t* codes0 = c.attributes[0].codes;
    const uint8_t* allowed0 = c.attributes[0].allowed.data();
    if (c.attributes.size() == 1) {
        for (size_t row = 0; row < n; ++row)
            if (static_cast<uint64_t>(times[row]) - since < range && allowed0[codes0[row]]) visit(row);
        return;
    }
    const uint16_t* codes1 = c.attributes[1].codes;
    const uint8_t* allowed1 = c.attributes[1].allowed.data();
    if (c.attributes.size() == 2) {
        for (size_t row = 0; row < n; ++row)
            if (static_cast<uint64_t>(times[row]) - since < range && allowed0[codes0[row]] && allowed1[codes1[row]]) visit(row);
        return;
    }
    for (size_t row = 0; row < n; ++row) {
        if (static_cast<uint64_t>(times[row]) - since >= range || !allowed0[codes0[row]] || !allowed1[codes1[row]]) continue;
        bool ok = true;
        for (size_t k = 2; k < c.attributes.size() && ok; ++k) ok = c.attributes[k].allowed[c.attributes[k].codes[row]] != 0;
        if (ok) visit(row);
    }
}

// Rows appended in time order with no per-row condition: the filter is a row range, found by
// binary search, and counting is a plain byte histogram (several times faster, in wasm above all).
inline bool has_sorted_fast_path(const response_store& store, const compiled_filter& c) {
    return store.time_sorted && !c.needs_comment_check && c.attributes.empty();
}

inline std::pair<size_t, size_t> time_range_rows(const response_store& store, const response_filter& f) {
    const int64_t* begin = store.times_ms.data();
    const int64_t* end = begin + store.size();
    const int64_t* lo = f.since_ms == std::numeric_limits<int64_t>::min() ? begin : std::lower_bound(begin, end, f.since_ms);
    const int64_t* hi = f.until_ms == std::numeric_limits<int64_t>::max() ? end : std::lower_bound(lo, end, f.until_ms);
    return {static_cast<size_t>(lo - begin), static_cast<size_t>(hi - begin)};
}

// counts[slot] += occurrences in slots[0, n). Four sets of 32-bit lanes, flushed every 2^30 rows.
inline void count_slots(const uint8_t* slots, size_t n, uint64_t* counts) {
    size_t i = 0;
    while (i < n) {
        uint32_t lanes[4][16] = {};
        const size_t end = std::min(n, i + (size_t{1} << 30));
        for (; i + 4 <= end; i += 4) {
            ++lanes[0][slots[i]];
            ++lanes[1][slots[i + 1]];
            ++lanes[2][slots[i + 2]];
            ++lanes[3][slots[i + 3]];
        }
        for (; i < end; ++i) ++lanes[0][slots[i]];
        for (int s = 0; s < slot_count; ++s) counts[s] += uint64_t{lanes[0][s]} + lanes[1][s] + lanes[2][s] + lanes[3][s];
    }
}

// Drops the slots a segment filter excludes (display slots always stay).
inline void mask_slots(const compiled_filter& c, uint64_t* counts) {
    for (int s = 0; s < slot_count; ++s)
        if (!c.slot_allowed[s]) counts[s] = 0;
}

// Floor division by the constant day length: the compiler turns it into a multiply.
inline int64_t day_of(int64_t ms) {
    int64_t q = ms / ms_per_day;
    return (ms % ms_per_day < 0) ? q - 1 : q;
}

inline void add_slots(group_stats& g, const std::array<uint64_t, slot_count>& counts) {
    for (int s = 0; s <= 10; ++s) g.histogram.bins[s] += counts[s];
    g.shown += counts[slot_shown];
    g.dismissed += counts[slot_dismissed];
}

using slot_counts = std::array<uint64_t, slot_count>;

// Dense per-day counters → buckets (day, ISO week, month), empty ones trimmed at both ends.
inline void fold_days(const compiled_filter& c, std::vector<slot_counts>& days, int64_t first_day, time_bucket bucket, int64_t offset_ms,
                      std::vector<group_stats>& out) {
    for (auto& day : days) mask_slots(c, day.data());
    const int64_t last_day = first_day + static_cast<int64_t>(days.size()) - 1;
    for (int64_t d = first_day; d <= last_day; ++d) {
        int64_t start = bucket_start_day(d, bucket);
        if (out.empty() || out.back().start_ms != start * ms_per_day - offset_ms) {
            group_stats& g = out.emplace_back();
            g.key = bucket_label(start, bucket);
            g.start_ms = start * ms_per_day - offset_ms;
        }
        add_slots(out.back(), days[static_cast<size_t>(d - first_day)]);
    }
    auto empty = [](const group_stats& g) { return g.histogram.n() == 0 && g.shown == 0 && g.dismissed == 0; };
    while (!out.empty() && empty(out.back())) out.pop_back();
    auto first = std::find_if_not(out.begin(), out.end(), empty);
    out.erase(out.begin(), first);
}

// Per-code counters (flat, slot_count per code) → one group per non-empty code, dictionary order.
inline void fold_codes(const compiled_filter& c, const attribute_column* col, std::vector<slot_counts>& counts,
                       std::vector<group_stats>& out) {
    for (auto& group : counts) mask_slots(c, group.data());
    for (size_t code = 0; code < counts.size(); ++code) {
        uint64_t total = 0;
        for (uint64_t v : counts[code]) total += v;
        if (total == 0) continue;
        group_stats& g = out.emplace_back();
        g.key = col ? std::string(col->value_of(static_cast<uint16_t>(code))) : std::string();
        add_slots(g, counts[code]);
    }
}

// The rows a filter with a text condition can pass: comment matches ∪ display events, ascending.
// Returns `matches` itself when the store has no display events (no copy).
const std::vector<uint32_t>& text_candidates(const response_store& store, const std::vector<uint32_t>& matches,
                                             std::vector<uint32_t>& merged);

}  // namespace npskit::query_rows
