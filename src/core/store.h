// npskit core: the columnar response store.
// One byte per score, one int64 per timestamp, one u16 code per attribute, comments in one
// pool: ~27 bytes per response with six attributes, beyond the comment text.
//
// The score byte doubles as the event kind so that every aggregate is one 13-slot counter:
//   0..10  an answered response with that score
//   11     the prompt was shown        (event_type::shown)
//   12     the prompt was dismissed    (event_type::dismissed)
#pragma once
#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "hash_text.h"
#include "schema.h"

namespace npskit {

constexpr uint8_t slot_shown = 11;
constexpr uint8_t slot_dismissed = 12;
constexpr int slot_count = 13;

// An attribute's codes cost memory only on rows that have it: a column starts sparse, (row,
// code) pairs in row order (6 B an entry), and turns dense (one u16 per row, 2 B) once a third
// of the rows have it, when dense is the smaller. A key seen once is 6 bytes, not 2 B × rows.
// Read codes only through code_at() / dense_codes(): the representation changes under you.
class attribute_column {
public:
    std::string key;
    std::vector<std::string> values;  // dictionary: values[code - 1]; code 0 = row has no value
    std::unordered_map<std::string, uint16_t> code_by_value;
    uint16_t other = 0;     // the code of "(other)" once the dictionary is full; 0 before
    size_t other_rows = 0;  // rows given "(other)" (values beyond the dictionary cap)

    uint16_t find(std::string_view value) const;     // 0 when the value never occurs
    std::string_view value_of(uint16_t code) const;  // "" for 0
    uint16_t code_at(size_t row) const {
        if (dense_) return row < codes_.size() ? codes_[row] : 0;
        auto it = std::lower_bound(sparse_rows_.begin(), sparse_rows_.end(), static_cast<uint32_t>(row));
        return it != sparse_rows_.end() && *it == row ? sparse_codes_[static_cast<size_t>(it - sparse_rows_.begin())] : 0;
    }
    // Codes of rows [0, rows) as one array for the scoring loops: the column itself when dense
    // (no copy: the loops keep their speed); a sparse column is spread into `scratch` for the
    // query (2 B a row while it runs, not for the store's lifetime).
    const uint16_t* dense_codes(size_t rows, std::vector<uint16_t>& scratch) const;
    bool dense() const { return dense_; }
    size_t entries() const { return dense_ ? codes_.size() : sparse_rows_.size(); }  // rows held
    size_t memory_bytes() const {
        return codes_.capacity() * sizeof(uint16_t) + sparse_rows_.capacity() * sizeof(uint32_t) +
               sparse_codes_.capacity() * sizeof(uint16_t);
    }

private:
    friend class response_store;
    void set(size_t row, uint16_t code, size_t rows);  // rows: the store's row count
    void append_row() {
        if (dense_) codes_.push_back(0);
    }
    void merge_pending(size_t rows);  // end_bulk: the sparse updates, merged in row order
    bool dense_ = false;
    std::vector<uint16_t> codes_;                         // dense: one per row
    std::vector<uint32_t> sparse_rows_;                   // sparse: ascending rows that have a value
    std::vector<uint16_t> sparse_codes_;                  // sparse: their codes
    std::vector<std::pair<uint32_t, uint16_t>> pending_;  // end_bulk: updates not yet merged
};

// id hash → row, open addressing with linear probing: 12 bytes a slot at a load of 3/8..3/4
// (≈ 16–32 bytes per id) instead of ≈ 50 for std::unordered_map's nodes. A slot holds the hash
// and the row side by side: an insert into a large table costs one cache miss, not two.
class id_index {
public:
    // The row stored for `hash`, or `row` after inserting it; .second tells which.
    std::pair<uint32_t, bool> insert(uint64_t hash, uint32_t row);
    void reserve(size_t ids);
    void clear();
    size_t size() const { return size_; }
    size_t memory_bytes() const { return slots_.capacity() * sizeof(slot); }
    void release();  // frees the table (capacity 0)

private:
    struct slot {
        uint32_t hash_low = 0, hash_high = 0;  // 0, 0 = empty (a zero hash is stored as 1)
        uint32_t row = 0;
    };
    void grow(size_t slots);
    std::vector<slot> slots_;
    size_t size_ = 0;
};

struct store_desc {
    bool index_ids = true;  // = true: keep an id → row index so updates replace (live data)
    // Distinct attribute keys indexed for breakdowns and filters, per survey (the record's own
    // fields stored as attributes, survey/page/..., do not count): a key beyond a survey's cap is
    // not indexed on that survey's rows, and counted (unindexed_keys) so that the CLI, the
    // dashboard and /v1/aggregate can say so. Per survey, so that one survey flooding fresh keys
    // cannot use up another's; surveys beyond the survey column's dictionary (max_attribute_values)
    // share the "(other)" survey's cap, so the columns stay bounded (≤ keys × (values + 1)).
    size_t max_attribute_keys = 64;
    // Distinct values a key's dictionary holds; further values share one "(other)" code.
    size_t max_attribute_values = 1000;
};

class response_store {
public:
    explicit response_store(store_desc desc = {});

    // Appends a new record or, when its id is already stored, updates that row (the widget
    // sends the score first and the comment later under the same id). Returns the row.
    size_t add(const response& r);
    size_t add(const response_view& r);  // the same, from a record read in place
    size_t size() const { return slots.size(); }
    void clear();
    void reserve(size_t rows, size_t comment_bytes = 0);
    // Reserves for a source of `total_bytes` from what its first `fed_bytes` gave (the rows and
    // comment text stored so far), plus 5 %: the columns then never copy themselves while
    // growing. Nothing when either is unknown.
    void reserve_like(double fed_bytes, double total_bytes);
    // A bulk load (a file, a URL, the collector's pages) into an empty store: add() appends and
    // notes each id's hash (8 B, written in order) instead of probing a hash table (a cache miss
    // a row, and 24 MB of fresh pages at 10^6). end_bulk() then finds repeated ids at once: a
    // later record of an id updates the first row exactly as add() would have, and is removed.
    // After it the ids stay indexed for live updates (a sorted array, 12 B a row), unless
    // released. Figures read during a bulk load count a repeated id twice until end_bulk().
    void begin_bulk();
    void end_bulk();
    bool in_bulk() const { return bulk_; }
    // Once no more records can arrive for existing ids (a file or URL load has ended), the id
    // index is dead weight (12–25 B per response): free it; later adds append.
    void release_id_index();
    bool indexes_ids() const { return desc_.index_ids; }
    // Gives back the growth slack of every column and of the comment pool when it is more than
    // a tenth (a copy of each, once, when a load ends): memory_bytes() counts capacities. A
    // store reserved from a good estimate keeps its columns (no copy, no fresh pages touched).
    void shrink_to_fit();

    const attribute_column* attribute(std::string_view key) const;
    std::string_view comment(size_t row) const { return std::string_view(comment_pool).substr(comment_offsets[row], comment_lengths[row]); }
    size_t memory_bytes() const;  // columns + dictionaries + pool + id index, approximately
    const store_desc& desc() const { return desc_; }
    // What the caps left out: distinct keys not indexed (counted exactly up to 65,536 names, then
    // "at least"), their values on rows, and the keys whose values overflowed into "(other)".
    size_t unindexed_keys() const { return unindexed_key_hashes_.size(); }
    size_t unindexed_values = 0;
    // One sentence for people ("" when nothing was left out): the CLI's stderr, the dashboard's
    // note, /v1/aggregate's "note".
    std::string limits_note() const;

    // Columns: read freely, write only through add().
    std::vector<uint8_t> slots;     // score 0..10, or slot_shown / slot_dismissed
    std::vector<int64_t> times_ms;  // Unix milliseconds
    std::vector<uint32_t> comment_offsets;
    std::vector<uint16_t> comment_lengths;  // bytes; ≤ 2000 code points fits
    std::string comment_pool;
    std::vector<attribute_column> attributes;
    int64_t min_time_ms = 0, max_time_ms = 0;  // over all rows; equal when empty
    bool time_sorted = true;                   // rows were appended in time order: ranges are found by binary search
    // Comment offsets never decrease with the row (only an update of an older row's comment
    // breaks it): a text search scans the pool once and finds rows by binary search.
    bool comments_in_row_order = true;

private:
    attribute_column* column(std::string_view key, bool capped);  // nullptr: beyond the key cap
    size_t column_index(std::string_view key) const;              // attributes.size() when absent
    void set_attribute(size_t row, std::string_view key, std::string_view value);
    // A field stored as an attribute: nothing when absent; a boolean as "true" / "false".
    void set_attribute(size_t row, std::string_view key, const std::optional<std::string_view>& value);
    void set_attribute(size_t row, std::string_view key, const std::optional<bool>& value);
    template <store_rule rule, class T>
    void store_field(size_t row, std::string_view key, const T& value) {  // add(): one field of the list
        if constexpr (rule == store_rule::attribute) {
            capped_ = false;  // the record's own fields are always indexed
            set_attribute(row, key, value);
            capped_ = true;
        }
    }
    void set_comment(size_t row, std::string_view text);
    void update_row(size_t row, size_t from);  // end_bulk: row takes what record `from` carried
    void remove_rows(const std::vector<uint32_t>& sorted_rows);
    std::pair<size_t, bool> find_settled(uint64_t hash) const;  // in settled_hashes_
    store_desc desc_;
    size_t column_hint_ = 0;
    bool capped_ = true;  // set_attribute(): the key counts against max_attribute_keys
    // The per-survey key cap: add() notes the row's survey code (its code in the "survey" column,
    // 0 without one); the (survey code, column) pairs already counted, and each survey's count.
    uint16_t row_survey_ = 0;
    std::unordered_set<uint64_t> survey_columns_;  // survey code << 32 | column index
    std::vector<uint32_t> survey_key_count_;       // by survey code
    std::vector<uint8_t> column_capped_;           // by column: a host attribute, not a record field
    // key → column, once there are too many columns to compare keys one by one (a flood of
    // surveys × keys would make every attribute of every row a scan of thousands of columns).
    struct key_hash {
        using is_transparent = void;
        size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
    };
    std::unordered_map<std::string, uint32_t, key_hash, std::equal_to<>> column_by_key_;
    std::vector<uint32_t> dense_columns_;                    // add(): only dense columns grow with every row
    std::unordered_set<uint64_t> unindexed_key_hashes_;      // ≤ 65,536  // add(): the column the next attribute is likely in
    std::vector<response_view::attribute> view_attributes_;  // add(response): its attributes as views
    // 64-bit hash of the id (a collision would merge two ids: ~5e-6 at 10^7 ids). Rows of a
    // settled bulk load are found by binary search in settled_*; rows added later, in row_by_id_.
    id_index row_by_id_;
    std::vector<uint64_t> settled_hashes_;  // ascending
    std::vector<uint32_t> settled_rows_;
    bool bulk_ = false;
    std::vector<uint64_t> bulk_hashes_;          // bulk load: row i's id hash (0: no id)
    std::vector<uint32_t> bulk_empty_comments_;  // bulk load: rows whose record had comment "" (rare)
};

}  // namespace npskit
