#include "query.h"

#include <algorithm>
#include <array>
#include <cstring>

#include "calendar.h"
#include "query_rows.h"

namespace npskit {

const char* time_bucket_name(time_bucket b) {
    switch (b) {
        case time_bucket::day: return "day";
        case time_bucket::week: return "week";
        case time_bucket::month: return "month";
    }
    return "?";
}

int64_t bucket_start_day(int64_t day, time_bucket bucket) {
    switch (bucket) {
        case time_bucket::day: return day;
        case time_bucket::week: return iso_week_start_day(day);
        case time_bucket::month: {
            civil_date d = civil_from_days(day);
            return days_from_civil(d.year, d.month, 1);
        }
    }
    return day;
}

std::string bucket_label(int64_t start_day, time_bucket bucket) {
    switch (bucket) {
        case time_bucket::day: return format_date(start_day);
        case time_bucket::week: return format_iso_week(start_day);
        case time_bucket::month: return format_month(start_day);
    }
    return {};
}

using namespace query_rows;

bool row_matches(const response_store& store, const response_filter& filter, size_t row) {
    compiled_filter c = compile(store, filter);
    return !c.matches_nothing && passes(store, c, row);
}

group_stats aggregate(const response_store& store, const response_filter& filter) {
    group_stats g;
    g.key = "all";
    compiled_filter c = compile(store, filter);
    if (c.matches_nothing) return g;
    std::array<uint64_t, slot_count> counts{};
    const uint8_t* slots = store.slots.data();
    if (has_sorted_fast_path(store, c)) {
        auto [lo, hi] = time_range_rows(store, filter);
        count_slots(slots + lo, hi - lo, counts.data());
    } else {
        // Four sets of counters so that consecutive equal scores do not wait on each other.
        std::array<std::array<uint64_t, 16>, 4> lanes{};
        scan(store, c, [&](size_t row) { ++lanes[row & 3][slots[row]]; });
        for (const auto& lane : lanes)
            for (int s = 0; s < slot_count; ++s) counts[s] += lane[s];
    }
    mask_slots(c, counts.data());
    add_slots(g, counts);
    return g;
}

std::vector<group_stats> group_by_time(const response_store& store, const response_filter& filter, time_bucket bucket,
                                       int utc_offset_minutes) {
    std::vector<group_stats> out;
    compiled_filter c = compile(store, filter);
    if (c.matches_nothing || store.size() == 0) return out;
    const int64_t offset_ms = static_cast<int64_t>(utc_offset_minutes) * 60'000;
    const int64_t first_day = floor_div(std::max(store.min_time_ms, filter.since_ms) + offset_ms, ms_per_day);
    const int64_t last_day = floor_div(std::min(store.max_time_ms, filter.until_ms) + offset_ms, ms_per_day);
    if (last_day < first_day) return out;
    // One pass into dense per-day counters, then days fold into weeks or months.
    std::vector<std::array<uint64_t, slot_count>> days(static_cast<size_t>(last_day - first_day + 1));
    const int64_t* times = store.times_ms.data();
    const uint8_t* slots = store.slots.data();
    uint64_t* counts = days.front().data();
    const int64_t shift = offset_ms;
    if (has_sorted_fast_path(store, c)) {  // day boundaries by binary search, then byte histograms
        auto [row, hi] = time_range_rows(store, filter);
        for (int64_t d = first_day; d <= last_day && row < hi; ++d) {
            const int64_t day_end_ms = (d + 1) * ms_per_day - shift;  // exclusive, UTC
            size_t end = static_cast<size_t>(std::lower_bound(times + row, times + hi, day_end_ms) - times);
            count_slots(slots + row, end - row, counts + static_cast<size_t>(d - first_day) * slot_count);
            row = end;
        }
    } else {
        // Rows mostly arrive in time order: remember the current day's bounds and divide only
        // when a row leaves them (wasm has no 64-bit multiply-high: the division is a real one).
        uint64_t day_lo = static_cast<uint64_t>(std::numeric_limits<int64_t>::min());
        size_t day_base = 0;
        scan(store, c, [&](size_t row) {
            int64_t t = times[row] + shift;
            if (static_cast<uint64_t>(t) - day_lo >= static_cast<uint64_t>(ms_per_day)) {
                int64_t day = day_of(t);
                day_lo = static_cast<uint64_t>(day * ms_per_day);
                day_base = static_cast<size_t>(day - first_day) * slot_count;
            }
            ++counts[day_base + slots[row]];
        });
    }
    fold_days(c, days, first_day, bucket, offset_ms, out);
    return out;
}

std::vector<group_stats> group_by_attribute(const response_store& store, const response_filter& filter, std::string_view key) {
    std::vector<group_stats> out;
    compiled_filter c = compile(store, filter);
    if (c.matches_nothing) return out;
    const attribute_column* col = store.attribute(key);
    std::vector<slot_counts> counts(code_count(col));
    const uint8_t* slots = store.slots.data();
    std::vector<uint16_t> scratch;
    const uint16_t* column = col ? col->dense_codes(store.size(), scratch) : nullptr;
    scan(store, c, [&](size_t row) { ++counts[column ? column[row] : 0][slots[row]]; });
    fold_codes(c, col, counts, out);
    return out;
}

std::vector<uint32_t> matching_responses(const response_store& store, const response_filter& filter, size_t limit) {
    std::vector<uint32_t> rows;
    compiled_filter c = compile(store, filter);
    if (c.matches_nothing) return rows;
    for (size_t row = 0; row < store.size(); ++row)
        if (store.slots[row] <= 10 && passes(store, c, row)) rows.push_back(static_cast<uint32_t>(row));
    std::stable_sort(rows.begin(), rows.end(), [&](uint32_t a, uint32_t b) { return store.times_ms[a] > store.times_ms[b]; });
    if (rows.size() > limit) rows.resize(limit);
    return rows;
}

//-----------------------------------------------------------------------------
// Text search over the comment pool, and the report's combined pass
//-----------------------------------------------------------------------------
namespace {

inline uint64_t load64(const char* p) {
    uint64_t v;
    std::memcpy(&v, p, 8);
    return v;
}
inline bool equal_ignoring_case(const char* a, std::string_view b) {
    for (size_t k = 0; k < b.size(); ++k)
        if (ascii_lower(a[k]) != ascii_lower(b[k])) return false;
    return true;
}
// 16 lanes of bytes (GCC/Clang vector extension: SSE2 natively, SIMD128 in wasm with -msimd128).
typedef uint8_t bytes16 __attribute__((vector_size(16)));
inline bytes16 load16(const char* p) {
    bytes16 v;
    std::memcpy(&v, p, 16);
    return v;
}
inline bytes16 splat16(int byte) {
    bytes16 v;
    std::memset(&v, byte, 16);
    return v;
}
// Lanes are 0 or 0xff (comparison results).
inline bool any_set(bytes16 m) {
    uint64_t half[2];
    std::memcpy(half, &m, 16);
    return (half[0] | half[1]) != 0;
}
inline bool all_set(bytes16 m) {
    uint64_t half[2];
    std::memcpy(half, &m, 16);
    return (half[0] & half[1]) == ~uint64_t{0};
}
// One bit per lane (bit k = lane k), without a target-specific movemask: one bit kept per byte,
// then a multiply gathers the 8 bits of each half into its top byte (no carries).
inline uint64_t bit_mask(bytes16 m) {
    uint64_t half[2];
    std::memcpy(half, &m, 16);
    const uint64_t lo = ((half[0] & 0x8040201008040201ull) * 0x0101010101010101ull) >> 56;
    const uint64_t hi = ((half[1] & 0x8040201008040201ull) * 0x0101010101010101ull) >> 56;
    return lo | hi << 8;
}
inline bool is_letter(char c) { return ascii_lower(c) >= 'a' && ascii_lower(c) <= 'z'; }
inline int lowest_byte(uint64_t mask) { return __builtin_ctzll(mask) >> 3; }  // little-endian (x86, wasm)

// Roughly how often a byte occurs in comment text, per mille (English and French letter
// frequencies, case folded). The pool scan looks for a text's two rarest bytes: fewer places
// to check in full than its first and last byte ("slow": l and w, not s and w).
inline int byte_frequency(char ch) {
    static constexpr uint8_t letters[26] = {65, 12, 28, 30, 105, 15, 15, 35, 60, 2,  5, 40, 22,
                                            60, 58, 22, 3,  55,  55, 68, 35, 10, 12, 3, 12, 2};
    const char l = ascii_lower(ch);
    if (l >= 'a' && l <= 'z') return letters[l - 'a'];
    if (ch == ' ') return 170;
    if (ch == '.' || ch == ',' || ch == '\'') return 10;
    return static_cast<unsigned char>(ch) >= 0x80 ? 6 : 3;  // UTF-8 (accents); digits, other punctuation
}

// Positions of the two rarest bytes of a (non-empty) text, in order; the same twice for one byte.
inline std::pair<size_t, size_t> rare_pair(std::string_view text) {
    size_t a = 0;
    for (size_t k = 1; k < text.size(); ++k)
        if (byte_frequency(text[k]) < byte_frequency(text[a])) a = k;
    size_t b = a;
    for (size_t k = 0; k < text.size(); ++k)
        if (k != a && (b == a || byte_frequency(text[k]) < byte_frequency(text[b]))) b = k;
    return {std::min(a, b), std::max(a, b)};
}

// Rows > 10 in slots (shown, dismissed): they pass every comment condition.
void append_display_rows(const response_store& store, std::vector<uint32_t>& out) {
    const uint8_t* slots = store.slots.data();
    const size_t n = store.size();
    size_t row = 0;
    // Slots are ≤ 12: adding 0x75 sets a byte's top bit exactly when it is > 10, with no carry.
    for (; row + 8 <= n; row += 8) {
        uint64_t high = (load64(reinterpret_cast<const char*>(slots + row)) + 0x7575757575757575ull) & 0x8080808080808080ull;
        for (; high; high &= high - 1) out.push_back(static_cast<uint32_t>(row + lowest_byte(high)));
    }
    for (; row < n; ++row)
        if (slots[row] > 10) out.push_back(static_cast<uint32_t>(row));
}

// Stable "newest first" from rows walked newest to oldest in a time-sorted store: rows of equal
// time come out in ascending row order, as std::stable_sort by time would leave them.
void ascending_ties(const response_store& store, std::vector<uint32_t>& rows, size_t limit) {
    const int64_t* times = store.times_ms.data();
    for (size_t i = 0; i < rows.size();) {
        size_t j = i + 1;
        while (j < rows.size() && times[rows[j]] == times[rows[i]]) ++j;
        std::reverse(rows.begin() + static_cast<std::ptrdiff_t>(i), rows.begin() + static_cast<std::ptrdiff_t>(j));
        i = j;
    }
    if (rows.size() > limit) rows.resize(limit);
}

// Newest first, at most `limit` (plus the rest of a tie at the cut, dropped by ascending_ties).
template <typename Rows>
void walk_back(const response_store& store, Rows&& rows_back_to_front, size_t limit, std::vector<uint32_t>& out) {
    const int64_t* times = store.times_ms.data();
    rows_back_to_front([&](uint32_t row) {
        if (out.size() >= limit && times[row] != times[out.back()]) return false;
        out.push_back(row);
        return true;
    });
    ascending_ties(store, out, limit);
}

}  // namespace

namespace query_rows {
// The rows a filter with a text condition can pass: comment matches ∪ display events, ascending.
// Returns `matches` itself when the store has no display events (no copy).
const std::vector<uint32_t>& text_candidates(const response_store& store, const std::vector<uint32_t>& matches,
                                             std::vector<uint32_t>& merged) {
    std::vector<uint32_t> display;
    append_display_rows(store, display);
    if (display.empty()) return matches;
    merged.clear();
    merged.reserve(matches.size() + display.size());
    std::set_union(matches.begin(), matches.end(), display.begin(), display.end(), std::back_inserter(merged));
    return merged;
}
}  // namespace query_rows

std::vector<uint32_t> rows_with_text(const response_store& store, std::string_view text) {
    std::vector<uint32_t> rows;
    const size_t n = store.size();
    if (text.empty()) {
        rows.resize(n);
        for (size_t i = 0; i < n; ++i) rows[i] = static_cast<uint32_t>(i);
        return rows;
    }
    if (!store.comments_in_row_order) {  // an older row's comment was replaced: row by row
        for (size_t row = 0; row < n; ++row)
            if (store.comment_lengths[row] && contains_ignoring_case(store.comment(row), text)) rows.push_back(static_cast<uint32_t>(row));
        return rows;
    }
    // One scan of the pool, 64 bytes at a time, for the two rarest bytes of the text at their
    // distance; each candidate is checked in full, then found in the offsets (they never
    // decrease with the row) and the scan jumps to the end of that comment.
    const char* pool = store.comment_pool.data();
    const size_t size = store.comment_pool.size();
    const size_t len = text.size();
    if (len > size) return rows;
    const uint32_t* offsets = store.comment_offsets.data();
    const uint16_t* lengths = store.comment_lengths.data();
    std::string lowered(text);
    for (char& ch : lowered) ch = ascii_lower(ch);
    const size_t p0 = rare_pair(lowered).first, p1 = rare_pair(lowered).second;
    // The text's first 16 bytes as a vector check: (pool | fold) == want, lanes past the text
    // always equal (0xff | anything = 0xff).
    bytes16 fold_text = splat16(0xff), want_text = splat16(0xff);
    for (size_t k = 0; k < std::min<size_t>(len, 16); ++k) {
        fold_text[k] = is_letter(lowered[k]) ? 0x20 : 0;
        want_text[k] = static_cast<uint8_t>(lowered[k]);
    }
    auto text_at = [&](size_t pos) __attribute__((always_inline)) {
        if (pos + 16 > size) {
            for (size_t k = 0; k < len; ++k)
                if (ascii_lower(pool[pos + k]) != lowered[k]) return false;
            return true;
        }
        if (!all_set((load16(pool + pos) | fold_text) == want_text)) return false;
        for (size_t k = 16; k < len; ++k)
            if (ascii_lower(pool[pos + k]) != lowered[k]) return false;
        return true;
    };
    size_t row = 0;  // rows before this one are behind the scan
    // 0 when the text is not at pos (or straddles two comments, or lies in replaced text);
    // otherwise the end of the comment that holds it.
    auto hit = [&](size_t pos) __attribute__((always_inline))->size_t {
        if (!text_at(pos)) return 0;
        // The last row whose comment starts at or before pos: galloping from the previous hit,
        // then a branch-free binary search in the last step's window.
        size_t step = 1, lo = row;
        while (lo + step < n && offsets[lo + step] <= pos) lo += step, step *= 2;
        for (step /= 2; step; step /= 2) lo = (lo + step < n && offsets[lo + step] <= pos) ? lo + step : lo;
        row = lo;
        const size_t end = size_t{offsets[lo]} + lengths[lo];
        if (pos < offsets[lo] || pos + len > end) return 0;
        rows.push_back(static_cast<uint32_t>(lo));
        return end;
    };
    // (byte | fold) == target: a letter's two cases, or the byte itself.
    const char b0 = lowered[p0], b1 = lowered[p1];
    const bytes16 fold0 = splat16(is_letter(b0) ? 0x20 : 0), target0 = splat16(b0);
    const bytes16 fold1 = splat16(is_letter(b1) ? 0x20 : 0), target1 = splat16(b1);
    auto candidates16 = [&](size_t at) {  // 0xff where the text could start at at + k
        return reinterpret_cast<bytes16>(((load16(pool + at + p0) | fold0) == target0) & ((load16(pool + at + p1) | fold1) == target1));
    };
    const size_t stop = size - len + 1;  // a match starts before this
    size_t i = 0, resume = 0;            // candidates before `resume` lie in a comment already found
    while (i + 64 <= stop) {
        const bytes16 m0 = candidates16(i), m1 = candidates16(i + 16), m2 = candidates16(i + 32), m3 = candidates16(i + 48);
        if (any_set(m0 | m1 | m2 | m3)) {
            // Bit k: the text may start at i + k (the scan never resumes inside a block: resume ≤ i).
            uint64_t bits = bit_mask(m0) | bit_mask(m1) << 16 | bit_mask(m2) << 32 | bit_mask(m3) << 48;
            while (bits) {
                const size_t pos = i + static_cast<size_t>(__builtin_ctzll(bits));
                bits &= bits - 1;
                if (const size_t end = hit(pos)) {  // that comment is done: skip to its end
                    resume = end;
                    bits = end - i >= 64 ? 0 : bits & (~uint64_t{0} << (end - i));
                }
            }
        }
        i = std::max(i + 64, resume);
    }
    for (i = std::max(i, resume); i < stop; ++i) {
        if (ascii_lower(pool[i + p0]) != b0 || ascii_lower(pool[i + p1]) != b1) continue;
        if (size_t end = hit(i)) i = end - 1;  // the loop's ++i: the comment's end (any text is ≥ 1 byte)
    }
    return rows;
}

std::vector<uint32_t> newest_responses(const response_store& store, const response_filter& filter, size_t limit,
                                       const std::vector<uint32_t>* text_rows) {
    std::vector<uint32_t> rows;
    compiled_filter c = compile(store, filter);
    if (c.matches_nothing || limit == 0) return rows;
    auto ok = [&](size_t row) { return store.slots[row] <= 10 && passes(store, c, row); };
    if (!filter.text.empty()) {
        c.text_known = true;  // every candidate below is a text match
        std::vector<uint32_t> own;
        if (!text_rows) own = rows_with_text(store, filter.text);
        const std::vector<uint32_t>& candidates = text_rows ? *text_rows : own;
        if (store.time_sorted) {
            walk_back(
                store,
                [&](auto&& take) {
                    for (size_t i = candidates.size(); i-- > 0;)
                        if (ok(candidates[i]) && !take(candidates[i])) return;
                },
                limit, rows);
            return rows;
        }
        for (uint32_t row : candidates)
            if (ok(row)) rows.push_back(row);
        std::stable_sort(rows.begin(), rows.end(), [&](uint32_t a, uint32_t b) { return store.times_ms[a] > store.times_ms[b]; });
        if (rows.size() > limit) rows.resize(limit);
        return rows;
    }
    if (!store.time_sorted) return matching_responses(store, filter, limit);
    auto [lo, hi] = time_range_rows(store, filter);
    walk_back(
        store,
        [&, lo = lo, hi = hi](auto&& take) {
            for (size_t row = hi; row-- > lo;)
                if (ok(row) && !take(static_cast<uint32_t>(row))) return;
        },
        limit, rows);
    return rows;
}

}  // namespace npskit
