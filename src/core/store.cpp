#include "store.h"

#include <algorithm>

namespace npskit {

void id_index::clear() {
    slots_.clear();
    size_ = 0;
}

void id_index::release() {
    std::vector<slot>().swap(slots_);
    size_ = 0;
}

void id_index::grow(size_t count) {
    std::vector<slot> old = std::move(slots_);
    slots_.assign(count, slot{});
    size_ = 0;
    for (const slot& s : old)
        if (s.hash_low | s.hash_high) insert(uint64_t{s.hash_high} << 32 | s.hash_low, s.row);
}

void id_index::reserve(size_t ids) {
    size_t count = 16;
    while (count * 3 / 4 < ids) count *= 2;
    if (count > slots_.size()) grow(count);
}

std::pair<uint32_t, bool> id_index::insert(uint64_t hash, uint32_t row) {
    if (hash == 0) hash = 1;
    if ((size_ + 1) * 4 > slots_.size() * 3) grow(slots_.empty() ? 16 : slots_.size() * 2);
    const uint32_t low = static_cast<uint32_t>(hash), high = static_cast<uint32_t>(hash >> 32);
    const size_t mask = slots_.size() - 1;
    for (size_t i = static_cast<size_t>(low ^ high) & mask;; i = (i + 1) & mask) {
        slot& s = slots_[i];
        if (s.hash_low == low && s.hash_high == high) return {s.row, false};
        if ((s.hash_low | s.hash_high) == 0) {
            s = slot{low, high, row};
            ++size_;
            return {row, true};
        }
    }
}

uint16_t attribute_column::find(std::string_view value) const {
    // Most columns hold a handful of values (plan, country, locale): comparing them is faster
    // than hashing a std::string made for the lookup, for every attribute of every row.
    if (values.size() <= 16) {
        for (size_t i = 0; i < values.size(); ++i) {
            const std::string& v = values[i];
            if (v.size() == value.size() && (value.empty() || (v[0] == value[0] && v == value))) return static_cast<uint16_t>(i + 1);
        }
        return 0;
    }
    auto it = code_by_value.find(std::string(value));
    return it == code_by_value.end() ? 0 : it->second;
}

const uint16_t* attribute_column::dense_codes(size_t rows, std::vector<uint16_t>& scratch) const {
    if (dense_ && codes_.size() >= rows) return codes_.data();
    scratch.assign(rows, 0);
    if (dense_) std::copy(codes_.begin(), codes_.end(), scratch.begin());
    for (size_t i = 0; i < sparse_rows_.size() && sparse_rows_[i] < rows; ++i) scratch[sparse_rows_[i]] = sparse_codes_[i];
    return scratch.data();
}

void attribute_column::merge_pending(size_t rows) {
    if (pending_.empty()) return;
    // Stable: two updates of one row keep their order, and the later wins.
    std::stable_sort(pending_.begin(), pending_.end(), [](const auto& x, const auto& y) { return x.first < y.first; });
    std::vector<uint32_t> merged_rows;
    std::vector<uint16_t> merged_codes;
    merged_rows.reserve(sparse_rows_.size() + pending_.size());
    merged_codes.reserve(sparse_rows_.size() + pending_.size());
    size_t i = 0, j = 0;
    while (i < sparse_rows_.size() || j < pending_.size()) {
        if (j == pending_.size() || (i < sparse_rows_.size() && sparse_rows_[i] < pending_[j].first)) {
            merged_rows.push_back(sparse_rows_[i]);
            merged_codes.push_back(sparse_codes_[i++]);
            continue;
        }
        const uint32_t r = pending_[j].first;
        if (i < sparse_rows_.size() && sparse_rows_[i] == r) ++i;  // the update replaces it
        uint16_t code = pending_[j++].second;
        while (j < pending_.size() && pending_[j].first == r) code = pending_[j++].second;
        merged_rows.push_back(r);
        merged_codes.push_back(code);
    }
    sparse_rows_ = std::move(merged_rows);
    sparse_codes_ = std::move(merged_codes);
    std::vector<std::pair<uint32_t, uint16_t>>().swap(pending_);
    if (!sparse_rows_.empty()) {  // the dense test of set(), once
        const uint32_t last = sparse_rows_.back();
        const uint16_t code = sparse_codes_.back();
        set(last, code, rows);
    }
}

void attribute_column::set(size_t row, uint16_t code, size_t rows) {
    if (dense_) {
        codes_[row] = code;
        return;
    }
    const uint32_t r = static_cast<uint32_t>(row);
    if (sparse_rows_.empty() || sparse_rows_.back() < r) {  // the usual case: the newest row
        sparse_rows_.push_back(r);
        sparse_codes_.push_back(code);
    } else {  // an update of an older row
        auto it = std::lower_bound(sparse_rows_.begin(), sparse_rows_.end(), r);
        const auto i = it - sparse_rows_.begin();
        if (*it == r)
            sparse_codes_[static_cast<size_t>(i)] = code;
        else {
            sparse_rows_.insert(it, r);
            sparse_codes_.insert(sparse_codes_.begin() + i, code);
        }
    }
    // Dense is smaller once 6 B per entry pass 2 B per row.
    if (sparse_rows_.size() * 3 >= rows && rows >= 64) {
        codes_.assign(rows, 0);
        for (size_t i = 0; i < sparse_rows_.size(); ++i) codes_[sparse_rows_[i]] = sparse_codes_[i];
        std::vector<uint32_t>().swap(sparse_rows_);
        std::vector<uint16_t>().swap(sparse_codes_);
        dense_ = true;
    }
}

std::string_view attribute_column::value_of(uint16_t code) const {
    return code == 0 ? std::string_view() : std::string_view(values[code - 1]);
}

response_store::response_store(store_desc desc) : desc_(desc) {}

void response_store::clear() {
    slots.clear();
    times_ms.clear();
    comment_offsets.clear();
    comment_lengths.clear();
    comment_pool.clear();
    attributes.clear();
    row_survey_ = 0;
    survey_columns_.clear();
    survey_key_count_.clear();
    column_capped_.clear();
    column_by_key_.clear();
    dense_columns_.clear();
    unindexed_key_hashes_.clear();
    unindexed_values = 0;
    row_by_id_.clear();
    settled_hashes_.clear();
    settled_rows_.clear();
    bulk_ = false;
    bulk_hashes_.clear();
    bulk_empty_comments_.clear();
    min_time_ms = max_time_ms = 0;
    time_sorted = true;
    comments_in_row_order = true;
}

void response_store::reserve(size_t rows, size_t comment_bytes) {
    comment_pool.reserve(comment_bytes);
    slots.reserve(rows);
    times_ms.reserve(rows);
    comment_offsets.reserve(rows);
    comment_lengths.reserve(rows);
    for (auto& a : attributes)
        if (a.dense_) a.codes_.reserve(rows);
    if (bulk_)
        bulk_hashes_.reserve(rows);
    else if (desc_.index_ids)
        row_by_id_.reserve(rows);
}

void response_store::reserve_like(double fed_bytes, double total_bytes) {
    if (fed_bytes <= 0 || total_bytes <= 0 || slots.empty()) return;
    const double scale = total_bytes / fed_bytes * 1.05;
    auto estimate = [scale](size_t now) {  // a wild estimate must not reserve gigabytes
        return static_cast<size_t>(std::min(static_cast<double>(now) * scale, 1e8));
    };
    reserve(estimate(slots.size()), estimate(comment_pool.size()));
}

void response_store::release_id_index() {
    desc_.index_ids = false;
    row_by_id_.release();
    std::vector<uint64_t>().swap(settled_hashes_);
    std::vector<uint32_t>().swap(settled_rows_);
}

std::pair<size_t, bool> response_store::find_settled(uint64_t hash) const {
    hash |= 1;  // as bulk_hashes_ stores it
    auto it = std::lower_bound(settled_hashes_.begin(), settled_hashes_.end(), hash);
    if (it == settled_hashes_.end() || *it != hash) return {0, false};
    return {settled_rows_[static_cast<size_t>(it - settled_hashes_.begin())], true};
}

void response_store::begin_bulk() {
    if (!desc_.index_ids || !slots.empty()) return;  // only into an empty, indexed store
    bulk_ = true;
    bulk_hashes_.clear();
    bulk_empty_comments_.clear();
    bulk_hashes_.reserve(slots.capacity());
}

void response_store::update_row(size_t row, size_t from) {
    slots[row] = slots[from];  // the first timestamp stays, as add() keeps it
    // A comment, or an empty one sent on purpose (it clears, as in add()); none: the row's stays.
    if (comment_lengths[from] != 0 ||
        std::binary_search(bulk_empty_comments_.begin(), bulk_empty_comments_.end(), static_cast<uint32_t>(from))) {
        comment_offsets[row] = comment_offsets[from];
        comment_lengths[row] = comment_lengths[from];
        comments_in_row_order = false;
    }
    for (auto& a : attributes) {
        const uint16_t code = a.code_at(from);
        if (!code) continue;
        // A sparse column gets its updates after the loop, merged at once: one by one, each
        // would insert in the middle of the pairs (updates come in id-hash order, not row order).
        if (a.dense_)
            a.codes_[row] = code;
        else
            a.pending_.push_back({static_cast<uint32_t>(row), code});
    }
}

void response_store::remove_rows(const std::vector<uint32_t>& sorted_rows) {
    if (sorted_rows.empty()) return;
    auto compact = [&](auto& column) {
        size_t out = sorted_rows[0], next = 0;
        for (size_t in = sorted_rows[0]; in < column.size(); ++in) {
            if (next < sorted_rows.size() && sorted_rows[next] == in) {
                ++next;
                continue;
            }
            column[out++] = column[in];
        }
        column.resize(out);
    };
    compact(slots);
    compact(times_ms);
    compact(comment_offsets);
    compact(comment_lengths);
    for (auto& a : attributes) {
        if (a.dense_) {
            compact(a.codes_);
            continue;
        }
        size_t out = 0, removed = 0;  // drop the removed rows' entries; later rows move up
        for (size_t i = 0; i < a.sparse_rows_.size(); ++i) {
            const uint32_t r = a.sparse_rows_[i];
            while (removed < sorted_rows.size() && sorted_rows[removed] < r) ++removed;
            if (removed < sorted_rows.size() && sorted_rows[removed] == r) continue;
            a.sparse_rows_[out] = r - static_cast<uint32_t>(removed);
            a.sparse_codes_[out++] = a.sparse_codes_[i];
        }
        a.sparse_rows_.resize(out);
        a.sparse_codes_.resize(out);
    }
}

void response_store::end_bulk() {
    if (!bulk_) return;
    bulk_ = false;
    // (hash, row) of every row with an id, in (hash, row) order: a counting pass on the top 16
    // bits (stable: rows stay in order), then each bucket (~n / 65536 entries) sorted.
    std::vector<uint32_t> bucket_end(65536, 0);
    for (uint64_t h : bulk_hashes_)
        if (h) ++bucket_end[h >> 48];
    for (size_t b = 1; b < bucket_end.size(); ++b) bucket_end[b] += bucket_end[b - 1];
    std::vector<std::pair<uint64_t, uint32_t>> ids(bucket_end.back());
    for (size_t row = bulk_hashes_.size(); row-- > 0;)  // backwards: each bucket fills from its end
        if (const uint64_t h = bulk_hashes_[row]) ids[--bucket_end[h >> 48]] = {h, static_cast<uint32_t>(row)};
    std::vector<uint64_t>().swap(bulk_hashes_);
    for (size_t b = 0; b < bucket_end.size(); ++b) {  // bucket_end[b] is now where bucket b starts
        const size_t end = b + 1 < bucket_end.size() ? bucket_end[b + 1] : ids.size();
        if (end - bucket_end[b] > 1) std::sort(ids.begin() + bucket_end[b], ids.begin() + end);
    }
    // A repeated id: its later rows update the first, in row order, then go.
    std::vector<uint64_t> hashes;
    std::vector<uint32_t> rows, removed;
    hashes.reserve(ids.size());
    rows.reserve(ids.size());
    for (size_t i = 0; i < ids.size(); ++i) {
        if (i > 0 && ids[i].first == ids[i - 1].first) {
            update_row(rows.back(), ids[i].second);
            removed.push_back(ids[i].second);
            continue;
        }
        hashes.push_back(ids[i].first);
        rows.push_back(ids[i].second);
    }
    std::vector<std::pair<uint64_t, uint32_t>>().swap(ids);
    std::vector<uint32_t>().swap(bulk_empty_comments_);
    for (auto& a : attributes) a.merge_pending(slots.size());
    dense_columns_.clear();
    for (size_t i = 0; i < attributes.size(); ++i)
        if (attributes[i].dense_) dense_columns_.push_back(static_cast<uint32_t>(i));
    if (!removed.empty()) {
        std::sort(removed.begin(), removed.end());
        remove_rows(removed);
        for (uint32_t& row : rows)  // rows move up by the removed rows before them
            row -= static_cast<uint32_t>(std::lower_bound(removed.begin(), removed.end(), row) - removed.begin());
        // What add() would have said: updates never append, so only the kept rows' order counts.
        time_sorted = std::is_sorted(times_ms.begin(), times_ms.end());
    }
    hashes.shrink_to_fit();
    rows.shrink_to_fit();
    settled_hashes_ = std::move(hashes);
    settled_rows_ = std::move(rows);
}

namespace {
template <typename Container>
void shrink_when_slack(Container& c) {
    if (c.capacity() - c.size() > c.size() / 10 + 64) c.shrink_to_fit();
}
}  // namespace

void response_store::shrink_to_fit() {
    shrink_when_slack(slots);
    shrink_when_slack(times_ms);
    shrink_when_slack(comment_offsets);
    shrink_when_slack(comment_lengths);
    shrink_when_slack(comment_pool);
    for (auto& a : attributes) {
        shrink_when_slack(a.codes_);
        shrink_when_slack(a.sparse_rows_);
        shrink_when_slack(a.sparse_codes_);
    }
}

size_t response_store::column_index(std::string_view key) const {
    if (attributes.size() <= 16) {  // the usual store: comparing a few keys beats hashing
        for (size_t i = 0; i < attributes.size(); ++i)
            if (attributes[i].key == key) return i;
        return attributes.size();
    }
    auto it = column_by_key_.find(key);
    return it == column_by_key_.end() ? attributes.size() : it->second;
}

const attribute_column* response_store::attribute(std::string_view key) const {
    const size_t i = column_index(key);
    return i < attributes.size() ? &attributes[i] : nullptr;
}

attribute_column* response_store::column(std::string_view key, bool capped) {
    // Records name their attributes in the same order, row after row: try the column after
    // the last one found first.
    size_t i = column_hint_ < attributes.size() && attributes[column_hint_].key == key ? column_hint_ : column_index(key);
    const bool found = i < attributes.size();
    // A record field's column (survey, page, ...) is never capped, whoever names its key.
    if (capped && !(found && !column_capped_[i])) {
        const uint64_t pair = uint64_t{row_survey_} << 32 | (found ? i : attributes.size());
        if (!found || !survey_columns_.contains(pair)) {
            if (survey_key_count_.size() <= row_survey_) survey_key_count_.resize(row_survey_ + size_t{1}, 0);
            if (survey_key_count_[row_survey_] >= desc_.max_attribute_keys) {
                // Beyond this survey's cap the key is not indexed on its rows (a stream of fresh
                // keys would otherwise grow one column each); the caller still has the record.
                if (unindexed_key_hashes_.size() < 65536) unindexed_key_hashes_.insert(hash_text(key));
                ++unindexed_values;
                return nullptr;
            }
            ++survey_key_count_[row_survey_];
            survey_columns_.insert(pair);
        }
    }
    if (found) {
        column_hint_ = i + 1;
        return &attributes[i];
    }
    attribute_column& a = attributes.emplace_back();
    column_hint_ = attributes.size();
    a.key = std::string(key);
    column_capped_.push_back(capped);
    if (attributes.size() > 16) {
        if (column_by_key_.empty())
            for (size_t c = 0; c + 1 < attributes.size(); ++c) column_by_key_.emplace(attributes[c].key, static_cast<uint32_t>(c));
        column_by_key_.emplace(a.key, static_cast<uint32_t>(attributes.size() - 1));
    }
    return &a;  // sparse: costs nothing on the rows before
}

void response_store::set_attribute(size_t row, std::string_view key, std::string_view value) {
    attribute_column* col = column(key, capped_);
    if (!col) return;
    attribute_column& a = *col;
    const bool was_dense = a.dense_;
    uint16_t code = a.find(value);
    if (code == 0) {
        const size_t cap = std::min<size_t>(desc_.max_attribute_values, 65534);
        if (a.values.size() < cap && !a.other) {
            a.values.emplace_back(value);
            code = static_cast<uint16_t>(a.values.size());
            a.code_by_value.emplace(std::string(value), code);
        } else {
            // Dictionary full: further distinct values share one "(other)" code, the last.
            if (!a.other) {
                a.values.emplace_back("(other)");
                a.other = static_cast<uint16_t>(a.values.size());
            }
            code = a.other;
            ++a.other_rows;
        }
    }
    a.set(row, code, slots.size());
    if (!was_dense && a.dense_) dense_columns_.push_back(static_cast<uint32_t>(col - attributes.data()));
}

std::string response_store::limits_note() const {
    std::string note;
    if (const size_t keys = unindexed_keys()) {
        note += (keys >= 65536 ? "at least " : "") + std::to_string(keys) + " attribute key" + (keys == 1 ? "" : "s") +
                " beyond the first " + std::to_string(desc_.max_attribute_keys) + " not indexed for breakdowns (" +
                std::to_string(unindexed_values) + " value" + (unindexed_values == 1 ? "" : "s") + " left out)";
    }
    for (const auto& a : attributes)
        if (a.other) {
            note += std::string(note.empty() ? "" : "; ") + "\"" + a.key + "\" has more than " + std::to_string(a.values.size() - 1) +
                    " distinct values: " + std::to_string(a.other_rows) + " row" + (a.other_rows == 1 ? "" : "s") +
                    " grouped as \"(other)\"";
        }
    return note;
}

void response_store::set_attribute(size_t row, std::string_view key, const std::optional<std::string_view>& value) {
    if (value) set_attribute(row, key, *value);
}

void response_store::set_attribute(size_t row, std::string_view key, const std::optional<bool>& value) {
    if (value) set_attribute(row, key, std::string_view(*value ? "true" : "false"));
}

void response_store::set_comment(size_t row, std::string_view text) {
    if (text.size() > 0xffff) text = text.substr(0, 0xffff);  // schema allows ≤ 2000 code points
    // Reuse the row's slot when the new text fits (an update repeating the same comment).
    if (text.size() <= comment_lengths[row] && comment_pool.compare(comment_offsets[row], text.size(), text) == 0) {
        comment_lengths[row] = static_cast<uint16_t>(text.size());
        return;
    }
    if (row + 1 != slots.size()) comments_in_row_order = false;
    comment_offsets[row] = static_cast<uint32_t>(comment_pool.size());
    comment_lengths[row] = static_cast<uint16_t>(text.size());
    comment_pool.append(text);
}

size_t response_store::add(const response& r) { return add(view_of(r, view_attributes_)); }

size_t response_store::add(const response_view& r) {
    size_t row = slots.size();
    bool is_update = false;
    if (bulk_) {
        bulk_hashes_.push_back(r.id.empty() ? 0 : hash_text(r.id) | 1);  // | 1: never 0
    } else if (desc_.index_ids && !r.id.empty()) {
        const uint64_t hash = hash_text(r.id);
        auto [settled_row, found] = find_settled(hash);
        if (found) {
            row = settled_row;
            is_update = true;
        } else {
            auto [existing, inserted] = row_by_id_.insert(hash, static_cast<uint32_t>(row));
            if (!inserted) {
                row = existing;
                is_update = true;
            }
        }
    }
    column_hint_ = 0;
    uint8_t slot = r.type == event_type::shown       ? slot_shown
                   : r.type == event_type::dismissed ? slot_dismissed
                                                     : static_cast<uint8_t>(r.score);
    if (!is_update) {
        if (row > 0 && r.ts_ms < times_ms[row - 1]) time_sorted = false;
        slots.push_back(slot);
        times_ms.push_back(r.ts_ms);
        comment_offsets.push_back(static_cast<uint32_t>(comment_pool.size()));
        comment_lengths.push_back(0);
        for (uint32_t c : dense_columns_) attributes[c].append_row();
        if (row == 0) min_time_ms = max_time_ms = r.ts_ms;
    } else {
        slots[row] = slot;  // an update carries the full record; keep its first timestamp
    }
    min_time_ms = std::min(min_time_ms, r.ts_ms);
    max_time_ms = std::max(max_time_ms, r.ts_ms);
    if (r.comment) set_comment(row, *r.comment);
    if (bulk_ && r.comment && r.comment->empty()) bulk_empty_comments_.push_back(static_cast<uint32_t>(row));
        // Fields stored as attributes (the list's `attribute` rule: survey, trigger, page, locale,
        // contact_ok), so that breakdowns treat them like the host's attributes.
#define NPSKIT_X(member, json, kind, limit, update, stored) store_field<store_rule::stored>(row, json, r.member);
    NPSKIT_RECORD_FIELDS(NPSKIT_X)
#undef NPSKIT_X
    // Whose key budget the host's attributes count against: the row's survey (set just above).
    row_survey_ = 0;
    if (const size_t s = column_index("survey"); s < attributes.size()) row_survey_ = attributes[s].code_at(row);
    for (const auto& [key, value] : r.attributes) set_attribute(row, key, value);
    return row;
}

size_t response_store::memory_bytes() const {
    size_t bytes = slots.capacity() + times_ms.capacity() * sizeof(int64_t) + comment_offsets.capacity() * sizeof(uint32_t) +
                   comment_lengths.capacity() * sizeof(uint16_t) + comment_pool.capacity();
    for (const auto& a : attributes) {
        bytes += a.memory_bytes();
        for (const auto& v : a.values) bytes += v.capacity() + sizeof(std::string) * 3;  // value + map entry
    }
    bytes += row_by_id_.memory_bytes() + settled_hashes_.capacity() * sizeof(uint64_t) + settled_rows_.capacity() * sizeof(uint32_t) +
             bulk_hashes_.capacity() * sizeof(uint64_t);
    return bytes;
}

}  // namespace npskit
