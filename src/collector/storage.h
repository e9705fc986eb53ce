// npskit collector: where responses live. One small interface so that a second backend
// (PostgreSQL, for several stateless collectors on one database) can sit beside SQLite.
//
// Contract every backend keeps:
//   - write() is one durable transaction: when it returns true every row in the batch is on
//     disk (the collector acknowledges only then); when it returns false none is.
//   - Upsert by id: a new id is inserted; a known id is merged with merge_update(); when the
//     merged row equals the stored one nothing changes (a replay is a no-op).
//   - Every insert and every real update assigns the next cursor, a number that only grows;
//     read_since() returns rows in cursor order, each row once, at its latest cursor.
//   - Cursors become visible in order: once a reader has seen cursor c, no row with a cursor
//     below c commits later (readers page with `cursor > since` and would skip it). SQLite has
//     one writer; PostgreSQL serialises write transactions with an advisory lock taken before
//     the cursors (pg_storage.cpp, "Cursor order").
//
// [SECTION] Rows and results
// [SECTION] The interface
// [SECTION] Merge rule (shared by every backend)
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "schema.h"

namespace npskit {

//-----------------------------------------------------------------------------
// [SECTION] Rows and results
//-----------------------------------------------------------------------------
struct stored_response {
    uint64_t cursor = 0;
    std::string json;  // canonical schema v1 (response_to_json), ready to send as is
};

// conflict: the write would change what only the first write may set (or a follow-up field
// after the window); nothing was written for that record, the rest of the batch was.
enum class write_outcome : uint8_t { inserted, updated, unchanged, conflict };
const char* write_outcome_name(write_outcome o);

struct write_result {
    write_outcome outcome = write_outcome::unchanged;
    uint64_t cursor = 0;  // the row's cursor after the write (the stored row's on conflict)
    std::vector<std::string> conflicts;  // on conflict: the wire names of the refused fields
};

//-----------------------------------------------------------------------------
// [SECTION] The interface
//-----------------------------------------------------------------------------
class response_storage {
public:
    virtual ~response_storage() = default;
    // Upserts the batch in one durable transaction; results in input order (a batch may hold
    // one id twice: later entries merge into earlier ones). Thread-compatible: one writer.
    virtual bool write(const std::vector<response>& batch, std::vector<write_result>& results, std::string& error) = 0;
    // Rows with cursor > since, in cursor order, at most `limit`. Thread-safe: many readers.
    virtual bool read_since(uint64_t since, size_t limit, std::vector<stored_response>& out, std::string& error) = 0;
    virtual uint64_t last_cursor() const = 0;  // 0 when empty
    virtual uint64_t row_count() = 0;
    virtual std::string describe() const = 0;  // "sqlite:/path/to/db (WAL, synchronous=FULL)"
    // Commits by other processes on the same database (several collectors on PostgreSQL):
    // `committed(cursor)` runs on the backend's own thread when last_cursor() grows through
    // one of them. An empty function stops watching (before what `committed` uses goes away).
    // SQLite: nothing to watch, one process owns the file.
    virtual void watch(std::function<void(uint64_t cursor)> committed) { (void)committed; }
};

//-----------------------------------------------------------------------------
// [SECTION] Merge rule
//-----------------------------------------------------------------------------
// After the first write of an id, the record list's `update` rule (schema.h) decides what a
// later write may change: fixed fields never (repeating or omitting them is fine), first_wins
// (ts) is ignored, update_wins (the follow-up: comment, contact_ok, email, attributes) only
// within follow_up_window_ms of the stored ts by the collector's clock. A display event for an
// id stored as a response is a conflict on type.
inline constexpr int64_t follow_up_window_ms = 24LL * 3600 * 1000;

// The fields (wire names, in list order) whose stored value merging `update` would change and
// may not: a fixed field, or an update_wins field when now_ms is past the window. Empty: merge.
std::vector<std::string> update_conflicts(const response& stored, const response& update, int64_t now_ms);

// `update` arrives for an id already stored as `stored`. The widget sends the score first
// and the comment / contact opt-in later under the same id, each time the whole record as it
// knows it. Fields present in the update win; fields it leaves out keep their stored value;
// attributes merge key by key (stored ones beyond the schema's 32 are dropped, the update's
// never); the timestamp stays the first one (when it was answered). The result is valid v1.
// Which fields an update may change is the `update` rule of the record's list (schema.h).
response merge_update(const response& stored, const response& update);

}  // namespace npskit
