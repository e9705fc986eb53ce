#include "followup.h"

#include <algorithm>
#include <limits>

#include "calendar.h"
#include "csv_export.h"
#include "score.h"

namespace npskit {

//-----------------------------------------------------------------------------
// [SECTION] Groups
//-----------------------------------------------------------------------------
const char* follow_up_group_name(follow_up_group g) {
    switch (g) {
#define NPSKIT_X(name) \
    case follow_up_group::name: return #name;
        NPSKIT_FOLLOW_UP_GROUPS(NPSKIT_X)
#undef NPSKIT_X
    }
    return "promoter";
}

bool follow_up_group_of(const response& r, follow_up_group& out) {
    if (r.type != event_type::response || r.score < 0 || r.score > 10) return false;
    const bool comment = r.comment && !r.comment->empty();
    switch (segment_of(r.score)) {
        case segment::detractor:
            if (r.contact_ok.value_or(false)) return out = follow_up_group::detractor_contact, true;
            if (comment) return out = follow_up_group::detractor_comment, true;
            return false;
        case segment::passive:
            if (comment) return out = follow_up_group::passive_comment, true;
            return false;
        case segment::promoter: out = comment ? follow_up_group::promoter_comment : follow_up_group::promoter; return true;
    }
    return false;
}

//-----------------------------------------------------------------------------
// [SECTION] The book of candidates
//-----------------------------------------------------------------------------
void follow_up_book::clear() {
    records_.clear();
    groups_.clear();
    settled_ = 0;
    dropped_ = 0;
    store_.clear();
    store_stale_ = true;
    for (bool& full : group_full_) full = false;
    ++version_;
}

void follow_up_book::add(response&& r, follow_up_group g) {
    auto gi = static_cast<size_t>(g);
    if (group_full_[gi] && r.ts_ms < oldest_kept_[gi]) {
        ++dropped_;
        return;
    }
    records_.push_back(std::move(r));
    groups_.push_back(g);
    ++version_;
    // Bounded while a large load streams in: settle once the unsettled part outgrows the kept one.
    if (records_.size() - settled_ > 4 * std::max<size_t>(settled_, per_group_ * follow_up_group_count)) settle();
}

void follow_up_book::note(const response& r) {
    follow_up_group g;
    // A detractor's score alone is not listed yet, but its comment or opt-in may follow under
    // the same id: that later record is noted then.
    if (!follow_up_group_of(r, g)) return;
    if (group_full_[static_cast<size_t>(g)] && r.ts_ms < oldest_kept_[static_cast<size_t>(g)]) {
        ++dropped_;  // checked before the copy
        return;
    }
    add(response(r), g);
}

void follow_up_book::note(const response_view& v) {
    if (v.type != event_type::response || v.score < 0) return;
    const bool comment = v.comment && !v.comment->empty();
    if (v.score <= 8 && !comment && !v.contact_ok.value_or(false)) return;  // skip the copy: not listed
    response_from(v, scratch_);
    follow_up_group g;
    if (follow_up_group_of(scratch_, g)) add(std::move(scratch_), g);
    scratch_ = response{};
}

const response_store& follow_up_book::store() {
    settle();
    if (store_stale_) {
        store_.clear();
        for (const response& r : records_) store_.add(r);
        store_stale_ = false;
    }
    return store_;
}

void follow_up_book::settle() {
    if (settled_ == records_.size()) return;
    // Repeated ids: later records update the first one as the collector merges (what a later
    // record carries wins; attributes key by key; the first timestamp stays).
    std::unordered_map<std::string_view, size_t> first;
    first.reserve(records_.size());
    std::vector<uint8_t> gone(records_.size(), 0);
    for (size_t i = 0; i < records_.size(); ++i) {
        auto [it, fresh] = first.try_emplace(std::string_view(records_[i].id), i);
        if (fresh) continue;
        response& into = records_[it->second];
        response& from = records_[i];
        if (from.comment) into.comment = std::move(from.comment);
        if (from.contact_ok) into.contact_ok = from.contact_ok;
        if (from.email) into.email = std::move(from.email);
        for (auto& kv : from.attributes) {
            auto a = std::find_if(into.attributes.begin(), into.attributes.end(), [&](const auto& p) { return p.first == kv.first; });
            if (a != into.attributes.end())
                a->second = std::move(kv.second);
            else
                into.attributes.emplace_back(kv.first, std::move(kv.second));
        }
        follow_up_group_of(into, groups_[it->second]);
        gone[i] = 1;
    }
    // Each group's newest per_group_.
    std::vector<size_t> order;
    for (size_t i = 0; i < records_.size(); ++i)
        if (!gone[i]) order.push_back(i);
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
        if (groups_[a] != groups_[b]) return groups_[a] < groups_[b];
        return records_[a].ts_ms > records_[b].ts_ms;
    });
    size_t kept_in_group[follow_up_group_count] = {};
    std::vector<response> records;
    std::vector<follow_up_group> groups;
    records.reserve(order.size());
    for (size_t i : order) {
        auto g = static_cast<size_t>(groups_[i]);
        if (kept_in_group[g] >= per_group_) {
            ++dropped_;
            continue;
        }
        ++kept_in_group[g];
        records.push_back(std::move(records_[i]));
        groups.push_back(groups_[i]);
    }
    records_ = std::move(records);
    groups_ = std::move(groups);
    settled_ = records_.size();
    for (size_t g = 0; g < static_cast<size_t>(follow_up_group_count); ++g) {
        group_full_[g] = kept_in_group[g] >= per_group_;
        oldest_kept_[g] = std::numeric_limits<int64_t>::max();
    }
    for (size_t i = 0; i < records_.size(); ++i) {
        auto g = static_cast<size_t>(groups_[i]);
        oldest_kept_[g] = std::min(oldest_kept_[g], records_[i].ts_ms);
    }
    store_stale_ = true;
    ++version_;
}

//-----------------------------------------------------------------------------
// [SECTION] The list and its CSV
//-----------------------------------------------------------------------------
std::vector<follow_up_row> follow_up_list(follow_up_book& book, const follow_up_marks& marks, const follow_up_query& q,
                                          follow_up_counts* counts) {
    book.settle();
    static const response_store no_store;
    const response_store& filter_store = q.filter ? book.store() : no_store;  // only filters read it
    if (counts) *counts = {};
    const std::vector<response>& records = book.records();
    std::vector<follow_up_row> rows;
    for (size_t i = 0; i < records.size(); ++i) {
        const response& r = records[i];
        auto seg = static_cast<size_t>(segment_of(r.score));
        if (q.filter && !row_matches(filter_store, *q.filter, i)) continue;
        follow_up_row row{i, book.groups()[i], follow_up_status::todo, nullptr};
        if (auto it = marks.find(r.id); it != marks.end()) {
            row.mark = &it->second;
            row.status = it->second.status;
        }
        if (counts) {  // every segment's, for the tabs
            ++counts->listed[seg];
            if (row.status == follow_up_status::todo) ++counts->open[seg];
        }
        if (!(q.segments & (1u << seg))) continue;
        if (!(q.statuses & (1u << static_cast<unsigned>(row.status)))) continue;
        rows.push_back(row);
    }
    // The book is settled in (group, newest first) order already; sorting keeps it explicit.
    std::stable_sort(rows.begin(), rows.end(), [&](const follow_up_row& a, const follow_up_row& b) {
        if (a.group != b.group) return a.group < b.group;
        return records[a.record].ts_ms > records[b.record].ts_ms;
    });
    return rows;
}

std::string follow_up_csv(const follow_up_book& book, const std::vector<follow_up_row>& rows) {
    const std::vector<response>& records = book.records();
    std::vector<std::string> keys;
    for (const follow_up_row& row : rows)
        for (const auto& [k, v] : records[row.record].attributes)
            if (std::find(keys.begin(), keys.end(), k) == keys.end()) keys.push_back(k);
    std::string out =
        "\"group\",\"status\",\"by\",\"marked_at\",\"note\",\"id\",\"ts\",\"score\",\"segment\",\"survey\",\"contact_ok\",\"email\","
        "\"comment\"";
    for (const std::string& k : keys) (out += ',') += csv_cell(k);
    out += "\r\n";
    for (const follow_up_row& row : rows) {
        const response& r = records[row.record];
        const follow_up_mark* m = row.mark;
        out += csv_cell(follow_up_group_name(row.group));
        for (const std::string& cell :
             {std::string(follow_up_status_name(row.status)), m ? m->by : std::string(),
              m && m->at_ms ? format_timestamp(m->at_ms) : std::string(), m ? m->note : std::string(), r.id, format_timestamp(r.ts_ms),
              std::to_string(r.score), std::string(segment_name(segment_of(r.score))), r.survey,
              r.contact_ok ? std::string(*r.contact_ok ? "true" : "false") : std::string(), r.email.value_or(""), r.comment.value_or("")})
            (out += ',') += csv_cell(cell);
        for (const std::string& k : keys) {
            auto a = std::find_if(r.attributes.begin(), r.attributes.end(), [&](const auto& p) { return p.first == k; });
            (out += ',') += csv_cell(a == r.attributes.end() ? std::string_view() : std::string_view(a->second));
        }
        out += "\r\n";
    }
    return out;
}

bool follow_up_is_open(const response& r, const follow_up_marks& marks) {
    follow_up_group g;
    if (!follow_up_group_of(r, g)) return false;
    auto m = marks.find(r.id);
    return m == marks.end() || m->second.status == follow_up_status::todo;
}

uint64_t follow_up_open_count(follow_up_book& book, const follow_up_marks& marks) {
    book.settle();
    uint64_t n = 0;
    for (const response& r : book.records()) n += follow_up_is_open(r, marks) ? 1 : 0;
    return n;
}

}  // namespace npskit
