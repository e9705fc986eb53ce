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
//   - Follow-up statuses (the follow-up list, optional like the outbox): one row per response
//     id in a table of their own; setting one never changes the response row, its cursor, the
//     stream or the outbox. Durable when follow_up_set() returns.
//   - Outbox (webhooks, optional: a backend without it keeps the defaults, which refuse): once
//     set_outbox_router() is given a router, write() asks it, for every row of type response it
//     inserts or really updates (not unchanged, not conflict), which endpoints want it, and inserts
//     one pending delivery per endpoint in the same transaction as the row (event
//     response.created / response.updated; webhook_id "<id>.created" / "<id>.updated.<cursor>";
//     the merged record's JSON as stored). So a committed answer always has its deliveries and a
//     rolled-back one has none. (SQLite writes them as one row owing them and makes the delivery
//     rows before any outbox read: the same to every outbox call.) The other outbox calls may run
//     on any thread at any time.
//
// [SECTION] Rows and results
// [SECTION] Outbox rows
// [SECTION] Survey definitions
// [SECTION] The interface
// [SECTION] Merge rule (shared by every backend)
#pragma once
#include <climits>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "follow_up_status.h"
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
    uint64_t cursor = 0;                 // the row's cursor after the write (the stored row's on conflict)
    std::vector<std::string> conflicts;  // on conflict: the wire names of the refused fields
};

//-----------------------------------------------------------------------------
// [SECTION] Outbox rows
//-----------------------------------------------------------------------------
enum class delivery_state : uint8_t { pending, delivered, failed };  // failed: retries used up
inline const char* delivery_state_name(delivery_state s) {
    return s == delivery_state::pending ? "pending" : s == delivery_state::delivered ? "delivered" : "failed";
}

struct outbox_delivery {
    uint64_t id = 0;         // the delivery's number, unique in the database (replay names it)
    std::string endpoint;    // the endpoint's key (webhooks.h: endpoint_key of its URL)
    std::string webhook_id;  // "<response id>.created" | "<response id>.updated.<cursor>"
    std::string event;       // "response.created" | "response.updated"
    std::string response_id;
    uint64_t cursor = 0;      // the row's cursor when the delivery was made
    int64_t created_ms = 0;   // when the row was committed (the payload's timestamp)
    std::string record_json;  // the record as stored then (canonical schema v1)
    delivery_state state = delivery_state::pending;
    int attempts = 0;     // made so far
    int64_t next_ms = 0;  // when pending: not before this instant
    int64_t last_attempt_ms = 0;
    int last_status = 0;     // HTTP status of the last attempt, 0 = none or no answer
    std::string last_error;  // "" or why the last attempt failed
};

// The result of one attempt (or of one message that carried several deliveries).
struct outbox_attempt {
    uint64_t id = 0;
    int64_t at_ms = 0;
    int status = 0;
    std::string error;
    delivery_state state = delivery_state::pending;  // pending: retry at next_ms
    int64_t next_ms = 0;
};

struct outbox_endpoint_state {
    bool disabled = false;
    std::string reason;  // why it was disabled ("the receiver answered 410 Gone")
    int64_t changed_ms = 0;
    uint64_t pending = 0, delivered = 0, failed = 0;
};

// Called inside write(), on the writer thread: the keys of the endpoints that want `row` (the
// merged record). Must be quick and must not call the storage.
using outbox_router = std::function<void(const response& row, std::vector<std::string>& endpoint_keys)>;

//-----------------------------------------------------------------------------
// [SECTION] Survey definitions (GET/PUT/DELETE /v1/surveys/{id})
//-----------------------------------------------------------------------------
// Every change is a new version, kept: a PUT stores the body as sent, a DELETE a version with
// deleted = true. The current definition is the latest version unless it is a deletion.
struct survey_version {
    std::string id;
    uint64_t version = 0;  // 1, 2, … per survey id
    std::string body;      // the definition JSON as PUT, byte for byte ("" for a deletion)
    std::string actor;     // who (X-Npskit-Actor or the body's "by"; "" = not said)
    int64_t at_ms = 0;     // when, by the collector's clock
    bool deleted = false;
};
enum class survey_write : uint8_t { done, unchanged, not_found, precondition_failed };

class survey_store {
public:
    virtual ~survey_store() = default;
    // The current definition; found = false when never stored or deleted. Thread-safe.
    virtual bool get(const std::string& id, survey_version& out, bool& found, std::string& error) = 0;
    // Appends `v` (id, body, actor, at_ms, deleted) as the next version in one transaction, and
    // sets v.version. expect_version != 0: only if the current version is that one (If-Match),
    // else precondition_failed. A deletion of nothing current: not_found. A PUT of the current
    // body: unchanged (no new version, v.version is the current one).
    virtual bool put(survey_version& v, uint64_t expect_version, survey_write& outcome, std::string& error) = 0;
    // The current definitions (deleted ones left out), by id.
    virtual bool list(std::vector<survey_version>& out, std::string& error) = 0;
    // Every version of `id` (deletions too), newest first.
    virtual bool versions(const std::string& id, std::vector<survey_version>& out, std::string& error) = 0;
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
    // The stored rows of these ids (the ones that exist), in no set order: what the digest's
    // open count needs of the few answers a follow-up status closed.
    virtual bool read_ids(const std::vector<std::string>& ids, std::vector<stored_response>& out, std::string& error) {
        (void)ids, (void)out;
        error = "this storage backend cannot read rows by id";
        return false;
    }
    virtual uint64_t last_cursor() const = 0;  // 0 when empty
    virtual uint64_t row_count() = 0;
    virtual std::string describe() const = 0;  // "sqlite:/path/to/db (WAL, synchronous=FULL)"
    // Commits by other processes on the same database (several collectors on PostgreSQL):
    // `committed(cursor)` runs on the backend's own thread when last_cursor() grows through
    // one of them. An empty function stops watching (before what `committed` uses goes away).
    // SQLite: nothing to watch, one process owns the file.
    virtual void watch(std::function<void(uint64_t cursor)> committed) { (void)committed; }

    // Outbox. Defaults: not supported (false, error says so). Set the router before the first
    // write(); nullptr: no deliveries are made.
    virtual bool set_outbox_router(outbox_router router, std::string& error) {
        (void)router;
        return unsupported(error);
    }
    // Pending deliveries of `endpoint` with next_ms <= now_ms, oldest first, at most `limit`;
    // next_ms_out: the earliest next_ms of its pending ones left after those (0 = none).
    virtual bool outbox_due(const std::string& endpoint, int64_t now_ms, size_t limit, std::vector<outbox_delivery>& out,
                            int64_t& next_ms_out, std::string& error) {
        (void)endpoint, (void)now_ms, (void)limit, (void)out, (void)next_ms_out;
        return unsupported(error);
    }
    // Records attempts (attempts + 1, state, next_ms, status, error) in one transaction.
    virtual bool outbox_record(const std::vector<outbox_attempt>& attempts, std::string& error) {
        (void)attempts;
        return unsupported(error);
    }
    // The endpoint's latest deliveries, newest first, at most `limit`.
    virtual bool outbox_recent(const std::string& endpoint, size_t limit, std::vector<outbox_delivery>& out, std::string& error) {
        (void)endpoint, (void)limit, (void)out;
        return unsupported(error);
    }
    // Its state (active unless disabled) and counts; a never-seen endpoint is active with zeros.
    virtual bool outbox_endpoint(const std::string& endpoint, outbox_endpoint_state& out, std::string& error) {
        (void)endpoint, (void)out;
        return unsupported(error);
    }
    // Disables (reason given) or re-enables (reason empty) an endpoint; kept across restarts.
    virtual bool outbox_set_endpoint(const std::string& endpoint, bool disabled, const std::string& reason, int64_t now_ms,
                                     std::string& error) {
        (void)endpoint, (void)disabled, (void)reason, (void)now_ms;
        return unsupported(error);
    }
    // Makes delivery `id` pending again, due now, attempts reset to 0 (same webhook_id and body).
    // found = false when there is no such delivery; endpoint_out: its endpoint key.
    virtual bool outbox_replay(uint64_t id, int64_t now_ms, bool& found, std::string& endpoint_out, std::string& error) {
        (void)id, (void)now_ms, (void)found, (void)endpoint_out;
        return unsupported(error);
    }

    // Pruning (webhooks.h, --webhook-keep / --webhook-keep-days): deletes the endpoint's finished
    // answer deliveries (delivered or failed; never pending ones, never digests, which
    // outbox_enqueue keeps to queue a period once) that are older than before_ms (last attempt)
    // or not among its `keep` newest finished ones; at most `max_rows` in small transactions so
    // the writer never waits long. deleted: how many went.
    virtual bool outbox_prune(const std::string& endpoint, int64_t before_ms, uint64_t keep, uint64_t max_rows, uint64_t& deleted,
                              std::string& error) {
        (void)endpoint, (void)before_ms, (void)keep, (void)max_rows;
        deleted = 0;
        return unsupported(error);
    }

    // Digest (webhooks.h digest targets): inserts `d` (endpoint, webhook_id, event, created_ms,
    // record_json; pending, due now) unless that endpoint already has a delivery with that
    // webhook_id, atomically, so a restart or a second collector queues a period once.
    // inserted: whether it was new; id_out: the delivery's id (new or the one already there).
    virtual bool outbox_enqueue(const outbox_delivery& d, int64_t now_ms, bool& inserted, uint64_t& id_out, std::string& error) {
        (void)d, (void)now_ms, (void)inserted, (void)id_out;
        return unsupported(error);
    }

    // Comments (GET /v1/comments, dashboard at scale). Answers with a non-empty comment, newest
    // first by (ts_ms, id), strictly before (before_ts_ms, before_id), matching the query's time
    // range, survey, segments and text; at most `limit`. The text search runs in the database:
    // PostgreSQL full-text search with the row's locale (french for fr*, else english), SQLite
    // an ASCII case-insensitive substring. Attribute conditions are the caller's (the core's
    // matcher on the rows returned). Default: not supported.
    struct comment_query {
        int64_t since_ms = INT64_MIN, until_ms = INT64_MAX;  // [since, until)
        int64_t before_ts_ms = INT64_MAX;                    // the page starts below this key
        std::string before_id;
        std::string survey;    // "" = any
        uint8_t segments = 7;  // bit (1 << segment): detractor 1, passive 2, promoter 4
        std::string text;      // "" = any
        size_t limit = 50;
    };
    struct comment_row {
        int64_t ts_ms = 0;
        std::string id, json;  // the stored record (canonical schema v1)
    };
    virtual bool read_comments(const comment_query& q, std::vector<comment_row>& out, std::string& error) {
        (void)q, (void)out;
        error = "this storage backend cannot list comments";
        return false;
    }

    // Follow-up statuses (issue 15's follow-up list; sqlite_followup.cpp, pg_followup.cpp).
    // Sets (or replaces) the status of response `mark.response_id`; found = false and nothing
    // written when no response (type response) has that id.
    virtual bool follow_up_set(const follow_up_mark& mark, bool& found, std::string& error) {
        (void)mark, (void)found;
        error = "this storage backend keeps no follow-up statuses";
        return false;
    }
    // Statuses set at or after since_ms, `status` only when >= 0 (a follow_up_status), in the
    // order they were set (at_ms, then id), at most `limit`.
    virtual bool follow_up_list(int64_t since_ms, int status, size_t limit, std::vector<follow_up_mark>& out, std::string& error) {
        (void)since_ms, (void)status, (void)limit, (void)out;
        error = "this storage backend keeps no follow-up statuses";
        return false;
    }

    // Histogram rollups (rollups.h; issue 14 item 3): the counts /v1/aggregate sums by SQL.
    // Default: not supported (false), the caller scans rows instead.
    struct rollup_query {
        std::string attribute;                         // "": the survey-level tables; else the attribute tables' key
        bool group_by_value = false;                   // by the attribute's value (else "" for all)
        bool group_by_survey = false;                  // by survey (else "" for all)
        std::vector<std::string> values;               // non-empty: the attribute's value is one of these
        std::vector<std::string> surveys;              // non-empty: the survey is one of these
        int64_t since = INT64_MIN, until = INT64_MAX;  // [since, until) in half hours (rollups.h), or days
        // Summed in SQL into buckets of this many half hours, starting `offset` half hours past a
        // UTC midnight (48 and the zone's offset: local days); 0: over the whole range.
        int bucket = 1, offset = 0;
        // The daily tables (UTC days): since/until and the bucket are then in days.
        bool days = false;
    };
    struct rollup_count {
        std::string group;  // the value or the survey, "" when not grouped
        int64_t at = 0;     // the bucket: floor((cell + offset) / bucket); 0 when not bucketed
        uint8_t slot = 0;   // score 0..10, 11 shown, 12 dismissed
        uint64_t n = 0;
    };
    // complete = false: a survey stopped rolling up new keys (past its 64) before seeing this
    // attribute, so its rows with it are not all counted: the caller scans instead.
    virtual bool rollup_counts(const rollup_query& q, std::vector<rollup_count>& out, bool& complete, std::string& error) {
        (void)q, (void)out, (void)complete;
        error = "this storage backend has no rollups";
        return false;
    }

    // Several queries that differ only in their range and bucket (the parts of one aggregate):
    // out[i] for qs[i]. A backend may send them at once (PostgreSQL: one round trip).
    virtual bool rollup_counts_each(const std::vector<rollup_query>& qs, std::vector<std::vector<rollup_count>>& out, bool& complete,
                                    std::string& error) {
        out.assign(qs.size(), {});
        complete = true;
        for (size_t i = 0; i < qs.size(); ++i) {
            bool whole = false;
            if (!rollup_counts(qs[i], out[i], whole, error)) return false;
            complete = complete && whole;
        }
        return true;
    }

    // A bounded scan of rows (what no rollup answers: /v1/aggregate's fallback, the digest):
    // rows with since_ms <= ts_ms < until_ms of one of `surveys` (empty: any), in no set order,
    // at most `limit`, each given to `row` (the stored canonical JSON). The caller reads one more
    // than it accepts to know that the bound was reached. `row` may be called again from the
    // first row when a backend retries on a fresh connection: `restart` runs before each try.
    struct scan_query {
        int64_t since_ms = INT64_MIN, until_ms = INT64_MAX;  // [since, until)
        std::vector<std::string> surveys;
        size_t limit = 0;
    };
    virtual bool scan_rows(const scan_query& q, const std::function<void()>& restart, const std::function<void(std::string_view)>& row,
                           std::string& error) {
        (void)q, (void)restart, (void)row;
        error = "this storage backend cannot scan rows";
        return false;
    }

    // Survey definitions; nullptr: this backend has none (the routes answer 503).
    virtual survey_store* surveys() { return nullptr; }

protected:
    static bool unsupported(std::string& error) {
        error = "this storage backend has no webhook outbox";
        return false;
    }
};

//-----------------------------------------------------------------------------
// [SECTION] Merge rule
//-----------------------------------------------------------------------------
// After the first write of an id, the record list's `update` rule (schema.h) decides what a
// later write may change: fixed fields never (repeating or omitting them is fine), first_wins
// (ts) is ignored, update_wins (the follow-up: comment, contact_ok, email, cta_clicked, attributes) only
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

// The backend a --db value names: a postgresql:// (or postgres://) URL opens PostgreSQL, anything
// else a SQLite file (synchronous_full: its commits' fsync). `named`: the database as a log may
// print it, a URL's password hidden. nullptr and a sentence in `error` when it cannot open.
std::unique_ptr<response_storage> open_storage(const std::string& db, bool synchronous_full, std::string& named, std::string& error);

}  // namespace npskit
