// npskit view: the follow-up list (issue 15): who to call, who to ask for a review, and where
// each stands. Pure logic: the dashboard feeds it the records it loads and the statuses it gets
// (from the collector, or kept in the page for file sources) and draws what it returns.
//
// Order, per segment: detractors who agreed to be contacted (email, score, comment, date,
// attributes), then other detractors with a comment, passives with their comment (what would
// make them a 10), promoters with a comment, then the other promoters (review or referral
// candidates); newest first within each group. Detractors and passives without a comment or an
// opt-in are not on the list: there is nothing to act on.
//
// The columnar store keeps neither ids nor emails (27 B a response), so the book keeps its own
// copy of the candidates, at most `per_group` newest of each group: the list is for people,
// who read the newest first. The dashboard's filters apply through a small store of the book's
// records (the same query code as every panel).
//
// [SECTION] Groups
// [SECTION] The book of candidates
// [SECTION] The list and its CSV
#pragma once
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "follow_up_status.h"
#include "query.h"
#include "schema.h"
#include "store.h"

namespace npskit {

//-----------------------------------------------------------------------------
// [SECTION] Groups
//-----------------------------------------------------------------------------
#define NPSKIT_FOLLOW_UP_GROUPS(X) \
    X(detractor_contact)           \
    X(detractor_comment)           \
    X(passive_comment)             \
    X(promoter_comment)            \
    X(promoter)

enum class follow_up_group : uint8_t {
#define NPSKIT_X(name) name,
    NPSKIT_FOLLOW_UP_GROUPS(NPSKIT_X)
#undef NPSKIT_X
};
constexpr int follow_up_group_count = 5;
const char* follow_up_group_name(follow_up_group g);
// The group of an answer, false when it is not on the list (a display event, a detractor or
// passive with neither a comment nor an opt-in).
bool follow_up_group_of(const response& r, follow_up_group& out);

//-----------------------------------------------------------------------------
// [SECTION] The book of candidates
//-----------------------------------------------------------------------------
class follow_up_book {
public:
    explicit follow_up_book(size_t per_group = 2000) : per_group_(per_group) {}
    void clear();
    // A record as it arrives (load, live update): a later record of an id updates the earlier
    // one as the collector's merge does (fields it carries win).
    void note(const response& r);
    void note(const response_view& r);
    // Settles repeated ids and trims each group to its newest `per_group`. Cheap when nothing
    // changed; the list calls it.
    void settle();
    const std::vector<response>& records() const { return records_; }       // settled: one per id
    const std::vector<follow_up_group>& groups() const { return groups_; }  // parallel to records()
    const response_store& store();                                          // the same rows, for the view's filters (built when asked)
    size_t dropped() const { return dropped_; }                             // candidates trimmed away (older than the kept ones)
    uint64_t version() const { return version_; }                           // grows with every change

private:
    size_t per_group_;
    std::vector<response> records_;
    std::vector<follow_up_group> groups_;
    size_t settled_ = 0;  // records_[0, settled_) are settled
    size_t dropped_ = 0;
    uint64_t version_ = 0;
    response_store store_{store_desc{.index_ids = false}};
    bool store_stale_ = true;
    // After a settle: a full group's oldest kept time. An older record would be trimmed at once,
    // so note() does not copy it (a large time-sorted load still copies each newer candidate).
    int64_t oldest_kept_[follow_up_group_count] = {};
    bool group_full_[follow_up_group_count] = {};
    response scratch_;
    void add(response&& r, follow_up_group g);
};

//-----------------------------------------------------------------------------
// [SECTION] The list and its CSV
//-----------------------------------------------------------------------------
using follow_up_marks = std::unordered_map<std::string, follow_up_mark>;  // by response id

struct follow_up_query {
    uint8_t segments = 0b111;                 // bit (1 << segment)
    uint8_t statuses = 0b111;                 // bit (1 << follow_up_status)
    const response_filter* filter = nullptr;  // the dashboard's filters; nullptr = all
};

struct follow_up_row {
    size_t record = 0;  // index in book.records()
    follow_up_group group = follow_up_group::promoter;
    follow_up_status status = follow_up_status::todo;  // todo when no mark
    const follow_up_mark* mark = nullptr;              // nullptr: never marked
};

struct follow_up_counts {
    size_t listed[3] = {};  // by segment, after the view's filters, before the segment and status ones
    size_t open[3] = {};    // of them, to do
};

// Settles the book, then the rows in list order.
std::vector<follow_up_row> follow_up_list(follow_up_book& book, const follow_up_marks& marks, const follow_up_query& q,
                                          follow_up_counts* counts = nullptr);

// The digest's "to follow up" count (digest.h): answers on the list, every group, whose status is
// to do (never marked, or marked todo). One record at a time (the collector streams its rows:
// one per id, as stored), or over a book's settled records (the dashboard's list, unfiltered).
bool follow_up_is_open(const response& r, const follow_up_marks& marks);
uint64_t follow_up_open_count(follow_up_book& book, const follow_up_marks& marks);

// Header: group, status, by, marked_at, note, id, ts, score, segment, contact_ok, email,
// comment, then every attribute key of the rows in first-seen order. Cells as csv_cell (quoted,
// formula-safe); CRLF lines.
std::string follow_up_csv(const follow_up_book& book, const std::vector<follow_up_row>& rows);

}  // namespace npskit
