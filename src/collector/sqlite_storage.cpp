// npskit collector: the SQLite backend (see sqlite_storage.h).
//
// [SECTION] Small RAII wrappers over sqlite3
// [SECTION] sqlite_storage
#include "sqlite_storage.h"

#include "sqlite_surveys.h"

#include <sqlite3.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "rollups.h"

namespace npskit {

//-----------------------------------------------------------------------------
// [SECTION] RAII wrappers
//-----------------------------------------------------------------------------
namespace {

int64_t wall_clock_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

struct db_handle {
    sqlite3* db = nullptr;
    db_handle() = default;
    db_handle(const db_handle&) = delete;
    db_handle& operator=(const db_handle&) = delete;
    ~db_handle() {
        if (db) sqlite3_close_v2(db);
    }
};

struct statement {
    sqlite3_stmt* s = nullptr;
    statement() = default;
    statement(const statement&) = delete;
    statement& operator=(const statement&) = delete;
    ~statement() {
        if (s) sqlite3_finalize(s);
    }
    bool prepare(sqlite3* db, const char* sql) {
        return sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &s, nullptr) == SQLITE_OK;
    }
    void reset() {
        sqlite3_reset(s);
        sqlite3_clear_bindings(s);
    }
    void bind(int i, int64_t v) { sqlite3_bind_int64(s, i, v); }
    void bind(int i, const std::string& v) { sqlite3_bind_text(s, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT); }
    void bind_null(int i) { sqlite3_bind_null(s, i); }
    std::string text(int col) const {
        auto p = reinterpret_cast<const char*>(sqlite3_column_text(s, col));
        return p ? std::string(p, static_cast<size_t>(sqlite3_column_bytes(s, col))) : std::string();
    }
};

// The writer and the outbox connection take turns at the WAL write lock. SQLite's own busy
// handler sleeps 1, 2, 5, 10 ... ms; the outbox's transactions hold the lock for tens of µs
// (synchronous=NORMAL), so a writer that waited the first millisecond each time would lose
// throughput. This one sleeps 50 µs at a time, then 1 ms, until the timeout.
struct busy_wait {
    int timeout_ms = 5000;
};
int wait_briefly(void* arg, int count) {
    const busy_wait* w = static_cast<const busy_wait*>(arg);
    int64_t waited_us = count < 40 ? count * 50 : 2000 + (count - 40) * 1000;
    if (waited_us >= int64_t{w->timeout_ms} * 1000) return 0;
    std::this_thread::sleep_for(std::chrono::microseconds(count < 40 ? 50 : 1000));
    return 1;
}

const char* const schema_sql = R"sql(
CREATE TABLE IF NOT EXISTS responses (
  id      TEXT PRIMARY KEY,
  cursor  INTEGER NOT NULL UNIQUE,  -- assigned on every insert and every real update
  type    TEXT NOT NULL,
  survey  TEXT NOT NULL,
  score   INTEGER,                  -- NULL for display events
  ts_ms   INTEGER NOT NULL,
  body    TEXT NOT NULL             -- canonical schema v1 JSON of the merged record
);
CREATE INDEX IF NOT EXISTS responses_ts ON responses (ts_ms);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
-- Webhook deliveries, inserted in the transaction of the row they announce (storage.h).
CREATE TABLE IF NOT EXISTS outbox (
  id              INTEGER PRIMARY KEY,  -- the delivery's number (POST /v1/webhooks/{id}/replay)
  endpoint        TEXT NOT NULL,        -- endpoint key (hash of its URL)
  webhook_id      TEXT NOT NULL,        -- stable across retries
  event           TEXT NOT NULL,        -- response.created | response.updated
  response_id     TEXT NOT NULL,
  cursor          INTEGER NOT NULL,
  created_ms      INTEGER NOT NULL,
  body            TEXT NOT NULL,        -- the record as stored then
  state           INTEGER NOT NULL DEFAULT 0,  -- 0 pending, 1 delivered, 2 failed (retries used up)
  attempts        INTEGER NOT NULL DEFAULT 0,
  next_ms         INTEGER NOT NULL,
  last_attempt_ms INTEGER NOT NULL DEFAULT 0,
  last_status     INTEGER NOT NULL DEFAULT 0,
  last_error      TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS outbox_due ON outbox (endpoint, state, next_ms);
-- One copy of a record that deliveries carry (outbox.body_id; their body is then ''). Written in
-- the answer's transaction as one row whatever the number of endpoints: `endpoints` (a JSON list
-- of endpoint keys, '' in rows from before) names the deliveries it owes; fan_out() turns it into
-- outbox rows later on the outbox connection, off the acknowledgement's path. meta
-- 'outbox_fanned_out' is the last id fanned out (rows above it owe their deliveries still).
CREATE TABLE IF NOT EXISTS outbox_bodies (
  id          INTEGER PRIMARY KEY,
  body        TEXT NOT NULL,
  endpoints   TEXT NOT NULL DEFAULT '',
  webhook_id  TEXT NOT NULL DEFAULT '',
  event       TEXT NOT NULL DEFAULT '',
  response_id TEXT NOT NULL DEFAULT '',
  cursor      INTEGER NOT NULL DEFAULT 0,
  created_ms  INTEGER NOT NULL DEFAULT 0
);
INSERT OR IGNORE INTO meta (key, value) VALUES ('outbox_fanned_out', '0');
CREATE TABLE IF NOT EXISTS webhook_endpoints (
  endpoint   TEXT PRIMARY KEY,
  disabled   INTEGER NOT NULL,
  reason     TEXT NOT NULL,
  changed_ms INTEGER NOT NULL
);
INSERT OR IGNORE INTO meta (key, value) VALUES ('schema_version', '1');
)sql";

// Histogram rollups (rollups.h), kept in the rows' transaction. Its own meta key
// ('rollup_halves') rather than a schema_version step: an older database (no rollups, or the
// hourly ones of before) gets the tables and a rebuild from its rows on open, whatever other
// migrations ran before.
const char* const rollups_schema_sql = R"sql(
CREATE TABLE IF NOT EXISTS rollup_half_scores (
  survey TEXT NOT NULL, half INTEGER NOT NULL, slot INTEGER NOT NULL, n INTEGER NOT NULL,
  PRIMARY KEY (survey, half, slot)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS rollup_half_attributes (
  survey TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, half INTEGER NOT NULL, slot INTEGER NOT NULL,
  n INTEGER NOT NULL,
  PRIMARY KEY (survey, key, value, half, slot)
) WITHOUT ROWID;
-- The same counts by UTC day (half / 48): a whole-day range reads 48 times fewer cells.
CREATE TABLE IF NOT EXISTS rollup_day_scores (
  survey TEXT NOT NULL, day INTEGER NOT NULL, slot INTEGER NOT NULL, n INTEGER NOT NULL,
  PRIMARY KEY (survey, day, slot)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS rollup_day_attributes (
  survey TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, day INTEGER NOT NULL, slot INTEGER NOT NULL,
  n INTEGER NOT NULL,
  PRIMARY KEY (survey, key, value, day, slot)
) WITHOUT ROWID;
-- The host attribute keys rolled up per survey: the first rollup_max_keys seen, in cursor order.
CREATE TABLE IF NOT EXISTS rollup_keys (survey TEXT NOT NULL, key TEXT NOT NULL, PRIMARY KEY (survey, key)) WITHOUT ROWID;
)sql";

// A database without half-hour rollups (the hourly ones of before): every cell is dropped, to be
// rebuilt from the rows (an hour's counts cannot be split into half hours). Run inside the
// rebuild's transaction.
const char* const rollup_hours_drop_sql = R"sql(
DROP TABLE IF EXISTS rollup_scores;
DROP TABLE IF EXISTS rollup_attributes;
DELETE FROM rollup_half_scores;
DELETE FROM rollup_half_attributes;
DELETE FROM rollup_day_scores;
DELETE FROM rollup_day_attributes;
DELETE FROM meta WHERE key IN ('rollups', 'rollup_days');
)sql";

//-----------------------------------------------------------------------------
// [SECTION] sqlite_storage
//-----------------------------------------------------------------------------
class sqlite_storage final : public response_storage {
public:
    bool open(const sqlite_storage_desc& desc, std::string& error) {
        desc_ = desc;
        std::error_code ec;
        std::filesystem::path p(desc.path);
        if (p.has_parent_path()) std::filesystem::create_directories(p.parent_path(), ec);
        if (ec) {
            error = "cannot create the folder " + p.parent_path().string() + ": " + ec.message();
            return false;
        }
        if (!open_connection(writer_, error)) return false;
        std::string sync = desc.synchronous_full ? "PRAGMA synchronous=FULL;" : "PRAGMA synchronous=NORMAL;";
        if (!sqlite_exec(writer_.db, "PRAGMA journal_mode=WAL;", error) || !sqlite_exec(writer_.db, sync.c_str(), error) ||
            !sqlite_exec(writer_.db, schema_sql, error) || !add_body_id(error) || !sqlite_follow_up_migrate(writer_.db, error) ||
            !sqlite_exec(writer_.db, rollups_schema_sql, error))
            return false;
        if (!select_.prepare(writer_.db, "SELECT body, cursor FROM responses WHERE id = ?1") ||
            !insert_.prepare(writer_.db,
                             "INSERT INTO responses (id, cursor, type, survey, score, ts_ms, body) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)") ||
            !update_.prepare(writer_.db,
                             "UPDATE responses SET cursor = ?2, type = ?3, survey = ?4, score = ?5, ts_ms = ?6, body = ?7 WHERE id = ?1") ||
            !begin_.prepare(writer_.db, "BEGIN IMMEDIATE") || !commit_.prepare(writer_.db, "COMMIT") ||
            !rollback_.prepare(writer_.db, "ROLLBACK") ||
            !max_cursor_.prepare(writer_.db, "SELECT COALESCE(MAX(cursor), 0) FROM responses") ||
            !body_insert_.prepare(writer_.db,
                                  "INSERT INTO outbox_bodies (body, endpoints, webhook_id, event, response_id, cursor, created_ms) "
                                  "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)")) {
            error = sqlite3_errmsg(writer_.db);
            return false;
        }
        statement max;
        if (!max.prepare(writer_.db, "SELECT COALESCE(MAX(cursor), 0) FROM responses") || sqlite3_step(max.s) != SQLITE_ROW) {
            error = sqlite3_errmsg(writer_.db);
            return false;
        }
        last_cursor_ = static_cast<uint64_t>(sqlite3_column_int64(max.s, 0));
        max.reset();       // ends its read before another connection writes (survey definitions, rollups' backfill)
        statement bodies;  // deliveries a crash left to fan out are found by fan_out()
        if (!bodies.prepare(writer_.db, "SELECT COALESCE(MAX(id), 0) FROM outbox_bodies") || sqlite3_step(bodies.s) != SQLITE_ROW) {
            error = sqlite3_errmsg(writer_.db);
            return false;
        }
        last_body_id_ = sqlite3_column_int64(bodies.s, 0);
        bodies.reset();
        surveys_ = open_sqlite_surveys(desc.path, desc.busy_timeout_ms, error);  // survey definitions
        return surveys_ != nullptr && open_rollups(error);
    }
    survey_store* surveys() override { return surveys_.get(); }

    bool write(const std::vector<response>& batch, std::vector<write_result>& results, std::string& error) override {
        results.assign(batch.size(), {});
        if (batch.empty()) return true;
        if (!step_done(begin_, error)) return false;
        moves_.clear();
        batch_body_id_ = 0;
        // Read inside the write transaction: right even if another process wrote since.
        uint64_t cursor = 0;
        if (sqlite3_step(max_cursor_.s) == SQLITE_ROW) cursor = static_cast<uint64_t>(sqlite3_column_int64(max_cursor_.s, 0));
        sqlite3_reset(max_cursor_.s);
        for (size_t i = 0; i < batch.size(); ++i) {
            const response& incoming = batch[i];
            select_.reset();
            select_.bind(1, incoming.id);
            int rc = sqlite3_step(select_.s);
            if (rc == SQLITE_ROW) {
                std::string old_json = select_.text(0);
                uint64_t old_cursor = static_cast<uint64_t>(sqlite3_column_int64(select_.s, 1));
                select_.reset();
                parse_result old = parse_response(std::string_view(old_json));
                response merged = old.ok() ? merge_update(old.value, incoming) : incoming;
                std::string json = response_to_json(merged);
                if (json == old_json) {
                    results[i] = {write_outcome::unchanged, old_cursor, {}};
                    continue;
                }
                // Checked here, against the row as stored in this transaction (also when an
                // earlier entry of the same batch wrote it).
                if (old.ok()) {
                    std::vector<std::string> conflicts = update_conflicts(old.value, incoming, wall_clock_ms());
                    if (!conflicts.empty()) {
                        results[i] = {write_outcome::conflict, old_cursor, std::move(conflicts)};
                        continue;
                    }
                }
                if (!bind_and_step(update_, merged, json, ++cursor, error)) return abort(error);
                if (!add_deliveries(merged, json, cursor, false, error)) return abort(error);
                // The old row's counts move to the merged row's (score, half hour, attributes).
                if (old.ok()) add_rollup_moves(old.value, -1, allowed_, moves_);
                add_rollup_moves(merged, +1, allowed_, moves_);
                results[i] = {write_outcome::updated, cursor, {}};
            } else if (rc == SQLITE_DONE) {
                select_.reset();
                std::string json = response_to_json(incoming);
                if (!bind_and_step(insert_, incoming, json, ++cursor, error)) return abort(error);
                if (!add_deliveries(incoming, json, cursor, true, error)) return abort(error);
                add_rollup_moves(incoming, +1, allowed_, moves_);
                results[i] = {write_outcome::inserted, cursor, {}};
            } else {
                error = sqlite3_errmsg(writer_.db);
                select_.reset();
                return abort(error);
            }
        }
        if (!apply_rollups(error)) return abort(error);
        if (!step_done(commit_, error)) return abort(error);
        new_keys_.clear();
        last_cursor_ = cursor;
        if (batch_body_id_ > 0) last_body_id_ = batch_body_id_;
        return true;
    }

    bool read_since(uint64_t since, size_t limit, std::vector<stored_response>& out, std::string& error) override {
        std::unique_ptr<reader> r = take_reader(error);
        if (!r) return false;
        statement& s = r->since;
        s.reset();
        s.bind(1, static_cast<int64_t>(since));
        s.bind(2, static_cast<int64_t>(std::min<size_t>(limit, INT64_MAX)));
        int rc;
        while ((rc = sqlite3_step(s.s)) == SQLITE_ROW) out.push_back({static_cast<uint64_t>(sqlite3_column_int64(s.s, 0)), s.text(1)});
        bool ok = rc == SQLITE_DONE;
        if (!ok) error = sqlite3_errmsg(r->conn.db);
        s.reset();
        give_back(std::move(r));
        return ok;
    }

    bool read_ids(const std::vector<std::string>& ids, std::vector<stored_response>& out, std::string& error) override {
        std::unique_ptr<reader> r = take_reader(error);
        if (!r) return false;
        bool ok = false;
        {
            statement st;
            ok = st.prepare(r->conn.db, "SELECT cursor, body FROM responses WHERE id IN (SELECT value FROM json_each(?1) j)");
            for (size_t i = 0; ok && i < ids.size(); i += 1000) {  // a bounded parameter per statement
                st.reset();
                st.bind(1,
                        nlohmann::json(std::vector<std::string>(ids.begin() + static_cast<std::ptrdiff_t>(i),
                                                                ids.begin() + static_cast<std::ptrdiff_t>(std::min(ids.size(), i + 1000))))
                            .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
                int rc;
                while ((rc = sqlite3_step(st.s)) == SQLITE_ROW)
                    out.push_back({static_cast<uint64_t>(sqlite3_column_int64(st.s, 0)), st.text(1)});
                ok = rc == SQLITE_DONE;
            }
            if (!ok) error = sqlite3_errmsg(r->conn.db);
        }
        give_back(std::move(r));
        return ok;
    }

    // GET /v1/comments (sqlite_comments.cpp), on a pooled reader.
    bool read_comments(const comment_query& q, std::vector<comment_row>& out, std::string& error) override {
        std::unique_ptr<reader> r = take_reader(error);
        if (!r) return false;
        bool ok = sqlite_read_comments(r->conn.db, q, out, error);
        give_back(std::move(r));
        return ok;
    }

    uint64_t last_cursor() const override { return last_cursor_; }

    uint64_t row_count() override {
        std::string error;
        std::unique_ptr<reader> r = take_reader(error);
        if (!r) return 0;
        statement count;
        uint64_t n = 0;
        if (count.prepare(r->conn.db, "SELECT COUNT(*) FROM responses") && sqlite3_step(count.s) == SQLITE_ROW)
            n = static_cast<uint64_t>(sqlite3_column_int64(count.s, 0));
        give_back(std::move(r));
        return n;
    }

    std::string describe() const override {
        return "sqlite:" + desc_.path + " (WAL, synchronous=" + (desc_.synchronous_full ? "FULL" : "NORMAL") + ")";
    }

    // Histogram rollups: sums by (group, half hour or day, slot), on a reader connection (rollups.h).
    bool rollup_counts(const rollup_query& q, std::vector<rollup_count>& out, bool& complete, std::string& error) override {
        std::unique_ptr<reader> r = take_reader(error);
        if (!r) return false;
        const bool attr = !q.attribute.empty();
        // Constant SQL (no statement is built from strings): the group is chosen by ?4 and the
        // value / survey lists are bound as JSON arrays (?5, ?6; "[]" = any).
        const char* group = q.group_by_value && attr ? "value" : q.group_by_survey ? "survey" : "";
        nlohmann::json values = attr ? nlohmann::json(q.values) : nlohmann::json::array(), surveys = nlohmann::json(q.surveys);
        bool ok = true;  // (false here sent every query naming a survey to the rows)
        {                // the statements finalize before the connection goes back to the pool
            statement st, cap, all;
            // Every survey when none is asked (a loose index scan of the primary key): bound as
            // a list, the survey column leads the primary key's range instead of a full scan.
            if (q.surveys.empty()) {
                ok = all.prepare(r->conn.db,
                                 "WITH RECURSIVE s(x) AS (SELECT MIN(survey) FROM rollup_day_scores UNION ALL "
                                 "SELECT (SELECT MIN(survey) FROM rollup_day_scores WHERE survey > x) FROM s WHERE x IS NOT NULL) "
                                 "SELECT x FROM s WHERE x IS NOT NULL");
                if (ok) {
                    surveys = nlohmann::json::array();
                    while (sqlite3_step(all.s) == SQLITE_ROW) surveys.push_back(all.text(0));
                }
            }
            // ?7 bucket half hours (0: none), ?8 offset half hours: half hours fold into days in
            // SQL. The daily tables: the same in days.
            if (attr && q.days)
                ok = ok && st.prepare(r->conn.db,
                                      "SELECT CASE ?4 WHEN 'value' THEN value WHEN 'survey' THEN survey ELSE '' END, "
                                      "CASE WHEN ?7 = 0 THEN 0 ELSE (day + ?8) / ?7 END, slot, SUM(n) "
                                      "FROM rollup_day_attributes WHERE survey IN (SELECT value FROM json_each(?6) j) AND key = ?1 "
                                      "AND day >= ?2 AND day < ?3 AND (value IN (SELECT value FROM json_each(?5) j) OR ?5 = '[]') "
                                      "GROUP BY 1, 2, 3 HAVING SUM(n) != 0");
            else if (q.days)
                ok = ok && st.prepare(r->conn.db,
                                      "SELECT CASE ?4 WHEN 'survey' THEN survey ELSE '' END, "
                                      "CASE WHEN ?7 = 0 THEN 0 ELSE (day + ?8) / ?7 END, slot, SUM(n) "
                                      "FROM rollup_day_scores WHERE survey IN (SELECT value FROM json_each(?6) j) AND ?1 = '' "
                                      "AND day >= ?2 AND day < ?3 AND ?5 = '[]' GROUP BY 1, 2, 3 HAVING SUM(n) != 0");
            else if (attr)
                ok = ok && st.prepare(r->conn.db,
                                      "SELECT CASE ?4 WHEN 'value' THEN value WHEN 'survey' THEN survey ELSE '' END, "
                                      "CASE WHEN ?7 = 0 THEN 0 ELSE (half + ?8) / ?7 END, slot, SUM(n) "
                                      "FROM rollup_half_attributes WHERE survey IN (SELECT value FROM json_each(?6) j) AND key = ?1 "
                                      "AND half >= ?2 AND half < ?3 AND (value IN (SELECT value FROM json_each(?5) j) OR ?5 = '[]') "
                                      "GROUP BY 1, 2, 3 HAVING SUM(n) != 0");
            else
                ok = ok && st.prepare(r->conn.db,
                                      "SELECT CASE ?4 WHEN 'survey' THEN survey ELSE '' END, "
                                      "CASE WHEN ?7 = 0 THEN 0 ELSE (half + ?8) / ?7 END, slot, SUM(n) "
                                      "FROM rollup_half_scores WHERE survey IN (SELECT value FROM json_each(?6) j) AND ?1 = '' "
                                      "AND half >= ?2 AND half < ?3 AND ?5 = '[]' GROUP BY 1, 2, 3 HAVING SUM(n) != 0");
            ok = ok && cap.prepare(r->conn.db,
                                   "SELECT COUNT(*) FROM (SELECT survey FROM rollup_keys GROUP BY survey "
                                   "HAVING COUNT(*) >= ?1 AND SUM(key = ?2) = 0)");
            if (ok) {
                st.bind(1, q.attribute);
                st.bind(2, q.since);
                st.bind(3, q.until);
                st.bind(4, std::string(group));
                st.bind(5, values.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));  // a stored value is valid UTF-8
                st.bind(6, surveys.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
                st.bind(7, static_cast<int64_t>(q.bucket));
                st.bind(8, static_cast<int64_t>(q.offset));
                int rc;
                while ((rc = sqlite3_step(st.s)) == SQLITE_ROW)
                    out.push_back({st.text(0), sqlite3_column_int64(st.s, 1), static_cast<uint8_t>(sqlite3_column_int(st.s, 2)),
                                   static_cast<uint64_t>(sqlite3_column_int64(st.s, 3))});
                ok = rc == SQLITE_DONE;
                complete = true;
                bool builtin = !attr || rollup_key_always(q.attribute);
                if (ok && !builtin) {
                    cap.bind(1, static_cast<int64_t>(rollup_max_keys));
                    cap.bind(2, q.attribute);
                    ok = sqlite3_step(cap.s) == SQLITE_ROW;
                    if (ok) complete = sqlite3_column_int64(cap.s, 0) == 0;
                }
            }
            if (!ok) error = sqlite3_errmsg(r->conn.db);
        }
        give_back(std::move(r));
        return ok;
    }

    // A bounded row scan on a reader connection, by the ts_ms index (storage.h).
    bool scan_rows(const scan_query& q, const std::function<void()>& restart, const std::function<void(std::string_view)>& row,
                   std::string& error) override {
        std::unique_ptr<reader> r = take_reader(error);
        if (!r) return false;
        bool ok = false;
        {
            statement st;
            ok = st.prepare(r->conn.db,
                            "SELECT body FROM responses WHERE ts_ms >= ?1 AND ts_ms < ?2 "
                            "AND (survey IN (SELECT value FROM json_each(?3) j) OR ?3 = '[]') LIMIT ?4");
            if (ok) {
                st.bind(1, q.since_ms);
                st.bind(2, q.until_ms);
                st.bind(3, nlohmann::json(q.surveys).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
                st.bind(4, static_cast<int64_t>(std::min<size_t>(q.limit, INT64_MAX)));
                if (restart) restart();
                int rc;
                while ((rc = sqlite3_step(st.s)) == SQLITE_ROW)
                    row(std::string_view(reinterpret_cast<const char*>(sqlite3_column_text(st.s, 0)),
                                         static_cast<size_t>(sqlite3_column_bytes(st.s, 0))));
                ok = rc == SQLITE_DONE;
            }
            if (!ok) error = sqlite3_errmsg(r->conn.db);
        }
        give_back(std::move(r));
        return ok;
    }

    //-------------------------------------------------------------------------
    // Outbox: the router runs in write(); everything else on its own connection (outbox_)
    // with synchronous=NORMAL: a delivery mark lost to a power cut only means one more send,
    // which at-least-once delivery allows, and ingestion keeps its fsyncs to itself.
    //-------------------------------------------------------------------------
    bool set_outbox_router(outbox_router router, std::string& error) override {
        std::lock_guard<std::mutex> lock(outbox_mutex_);
        if (!outbox_.db) {
            if (!open_connection(outbox_, error) || !sqlite_exec(outbox_.db, "PRAGMA synchronous=NORMAL;", error)) return false;
        }
        router_ = std::move(router);
        return true;
    }

    bool outbox_due(const std::string& endpoint, int64_t now_ms, size_t limit, std::vector<outbox_delivery>& out, int64_t& next_ms_out,
                    std::string& error) override {
        std::lock_guard<std::mutex> lock(outbox_mutex_);
        if (!outbox_ready(error)) return false;
        if (!fan_out(false, error, static_cast<int64_t>(std::clamp<size_t>(limit, 1, 500)))) return false;
        statement& q = due_;
        if (!q.s &&
            !q.prepare(outbox_.db,
                       "SELECT o.id, o.endpoint, o.webhook_id, o.event, o.response_id, o.cursor, o.created_ms, COALESCE(b.body, o.body), "
                       "o.state, o.attempts, o.next_ms, o.last_attempt_ms, o.last_status, o.last_error FROM outbox o "
                       "LEFT JOIN outbox_bodies b ON b.id = o.body_id WHERE o.endpoint = ?1 AND o.state = 0 AND o.next_ms <= ?2 "
                       "ORDER BY o.next_ms, o.id LIMIT ?3"))
            return fail_outbox(error);
        q.bind(1, endpoint);
        q.bind(2, now_ms);
        q.bind(3, static_cast<int64_t>(std::min<size_t>(limit, INT64_MAX)));
        bool read = read_deliveries(q, out, error);
        q.reset();  // a kept statement must not hold its read transaction open
        if (!read) return false;
        statement& next = due_next_;
        if (!next.s &&
            !next.prepare(outbox_.db, "SELECT COALESCE(MIN(next_ms), 0) FROM outbox WHERE endpoint = ?1 AND state = 0 AND next_ms > ?2"))
            return fail_outbox(error);
        next.bind(1, endpoint);
        next.bind(2, now_ms);
        bool found = sqlite3_step(next.s) == SQLITE_ROW;
        next_ms_out = found ? sqlite3_column_int64(next.s, 0) : 0;
        next.reset();
        return found || fail_outbox(error);
    }

    bool outbox_record(const std::vector<outbox_attempt>& attempts, std::string& error) override {
        if (attempts.empty()) return true;
        std::lock_guard<std::mutex> lock(outbox_mutex_);
        if (!outbox_ready(error)) return false;
        if (!sqlite_exec(outbox_.db, "BEGIN IMMEDIATE", error)) return false;
        statement& u = record_;
        if (!u.s && !u.prepare(outbox_.db,
                               "UPDATE outbox SET attempts = attempts + 1, state = ?2, next_ms = ?3, last_attempt_ms = ?4, "
                               "last_status = ?5, last_error = ?6 WHERE id = ?1")) {
            fail_outbox(error);
            return rollback_outbox();
        }
        for (const outbox_attempt& a : attempts) {
            u.reset();
            u.bind(1, static_cast<int64_t>(a.id));
            u.bind(2, static_cast<int64_t>(a.state));
            u.bind(3, a.next_ms);
            u.bind(4, a.at_ms);
            u.bind(5, static_cast<int64_t>(a.status));
            u.bind(6, a.error);
            if (sqlite3_step(u.s) != SQLITE_DONE) {
                fail_outbox(error);
                u.reset();
                return rollback_outbox();
            }
        }
        u.reset();
        if (!sqlite_exec(outbox_.db, "COMMIT", error)) return rollback_outbox();
        return true;
    }

    bool outbox_recent(const std::string& endpoint, size_t limit, std::vector<outbox_delivery>& out, std::string& error) override {
        std::lock_guard<std::mutex> lock(outbox_mutex_);
        if (!outbox_ready(error)) return false;
        if (!fan_out(true, error)) return false;
        statement q;
        if (!q.prepare(outbox_.db,
                       "SELECT o.id, o.endpoint, o.webhook_id, o.event, o.response_id, o.cursor, o.created_ms, COALESCE(b.body, o.body), "
                       "o.state, o.attempts, o.next_ms, o.last_attempt_ms, o.last_status, o.last_error FROM outbox o "
                       "LEFT JOIN outbox_bodies b ON b.id = o.body_id WHERE o.endpoint = ?1 ORDER BY o.id DESC LIMIT ?2"))
            return fail_outbox(error);
        q.bind(1, endpoint);
        q.bind(2, static_cast<int64_t>(std::min<size_t>(limit, INT64_MAX)));
        return read_deliveries(q, out, error);
    }

    bool outbox_endpoint(const std::string& endpoint, outbox_endpoint_state& out, std::string& error) override {
        std::lock_guard<std::mutex> lock(outbox_mutex_);
        if (!outbox_ready(error)) return false;
        if (!fan_out(true, error)) return false;
        out = {};
        statement st;
        if (!st.prepare(outbox_.db, "SELECT disabled, reason, changed_ms FROM webhook_endpoints WHERE endpoint = ?1"))
            return fail_outbox(error);
        st.bind(1, endpoint);
        if (sqlite3_step(st.s) == SQLITE_ROW) {
            out.disabled = sqlite3_column_int64(st.s, 0) != 0;
            out.reason = st.text(1);
            out.changed_ms = sqlite3_column_int64(st.s, 2);
        }
        statement counts;
        if (!counts.prepare(outbox_.db, "SELECT state, COUNT(*) FROM outbox WHERE endpoint = ?1 GROUP BY state")) return fail_outbox(error);
        counts.bind(1, endpoint);
        int rc;
        while ((rc = sqlite3_step(counts.s)) == SQLITE_ROW) {
            auto n = static_cast<uint64_t>(sqlite3_column_int64(counts.s, 1));
            switch (sqlite3_column_int64(counts.s, 0)) {
                case 0: out.pending = n; break;
                case 1: out.delivered = n; break;
                default: out.failed += n; break;
            }
        }
        return rc == SQLITE_DONE || fail_outbox(error);
    }

    bool outbox_set_endpoint(const std::string& endpoint, bool disabled, const std::string& reason, int64_t now_ms,
                             std::string& error) override {
        std::lock_guard<std::mutex> lock(outbox_mutex_);
        if (!outbox_ready(error)) return false;
        statement st;
        if (!st.prepare(outbox_.db,
                        "INSERT INTO webhook_endpoints (endpoint, disabled, reason, changed_ms) VALUES (?1, ?2, ?3, ?4) "
                        "ON CONFLICT (endpoint) DO UPDATE SET disabled = ?2, reason = ?3, changed_ms = ?4"))
            return fail_outbox(error);
        st.bind(1, endpoint);
        st.bind(2, static_cast<int64_t>(disabled ? 1 : 0));
        st.bind(3, disabled ? reason : std::string());
        st.bind(4, now_ms);
        return sqlite3_step(st.s) == SQLITE_DONE || fail_outbox(error);
    }

    bool outbox_replay(uint64_t id, int64_t now_ms, bool& found, std::string& endpoint_out, std::string& error) override {
        std::lock_guard<std::mutex> lock(outbox_mutex_);
        found = false;
        if (!outbox_ready(error)) return false;
        if (!fan_out(true, error)) return false;
        statement st;
        if (!st.prepare(outbox_.db, "UPDATE outbox SET state = 0, attempts = 0, next_ms = ?2 WHERE id = ?1 RETURNING endpoint"))
            return fail_outbox(error);
        st.bind(1, static_cast<int64_t>(id));
        st.bind(2, now_ms);
        int rc = sqlite3_step(st.s);
        if (rc == SQLITE_ROW) {
            found = true;
            endpoint_out = st.text(0);
            rc = sqlite3_step(st.s);
        }
        return rc == SQLITE_DONE || fail_outbox(error);
    }

    // Two steps: the keep-th newest finished delivery's id (a scan down the rowids that stops
    // after `keep` of them: `+` keeps SQLite off the due index, which would sort them all), then
    // deletes in chunks of 500 (one short autocommit each: the writer waits at most that long).
    bool outbox_prune(const std::string& endpoint, int64_t before_ms, uint64_t keep, uint64_t max_rows, uint64_t& deleted,
                      std::string& error) override {
        std::lock_guard<std::mutex> lock(outbox_mutex_);
        deleted = 0;
        if (!outbox_ready(error)) return false;
        if (!fan_out(true, error)) return false;
        statement edge, del;
        if (!edge.prepare(outbox_.db,
                          "SELECT id FROM outbox WHERE +endpoint = ?1 AND +state IN (1, 2) AND response_id <> '' "
                          "ORDER BY id DESC LIMIT 1 OFFSET ?2") ||
            !del.prepare(outbox_.db,
                         "DELETE FROM outbox WHERE id IN (SELECT id FROM outbox WHERE endpoint = ?1 AND state IN (1, 2) "
                         "AND response_id <> '' AND (id <= ?2 OR last_attempt_ms < ?3) LIMIT ?4)"))
            return fail_outbox(error);
        edge.bind(1, endpoint);
        edge.bind(2, static_cast<int64_t>(std::min<uint64_t>(keep, INT64_MAX)));
        int rc = sqlite3_step(edge.s);
        int64_t below = rc == SQLITE_ROW ? sqlite3_column_int64(edge.s, 0) : 0;  // 0: fewer than keep+1 finished
        if (rc != SQLITE_ROW && rc != SQLITE_DONE) return fail_outbox(error);
        edge.reset();
        constexpr uint64_t chunk = 500;
        while (deleted < max_rows) {
            del.reset();
            del.bind(1, endpoint);
            del.bind(2, below);
            del.bind(3, before_ms);
            del.bind(4, static_cast<int64_t>(std::min(chunk, max_rows - deleted)));
            if (sqlite3_step(del.s) != SQLITE_DONE) return fail_outbox(error);
            auto n = static_cast<uint64_t>(sqlite3_changes(outbox_.db));
            deleted += n;
            if (n < chunk) break;
        }
        // Bodies below the lowest one a kept delivery names (bodies only grow with the deliveries)
        // and below the fan-out mark: never the one at the mark, so that a new body's rowid
        // (the largest + 1) is always above it.
        statement orphans;
        if (deleted > 0 && (!orphans.prepare(outbox_.db,
                                             "DELETE FROM outbox_bodies WHERE id < "
                                             "(SELECT COALESCE(MIN(body_id), 9223372036854775807) FROM outbox) AND id < "
                                             "(SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'outbox_fanned_out')") ||
                            sqlite3_step(orphans.s) != SQLITE_DONE))
            return fail_outbox(error);
        return true;
    }

    // Digest: BEGIN IMMEDIATE makes the look-up and the insert one step against every writer.
    bool outbox_enqueue(const outbox_delivery& d, int64_t now_ms, bool& inserted, uint64_t& id_out, std::string& error) override {
        std::lock_guard<std::mutex> lock(outbox_mutex_);
        inserted = false;
        if (!outbox_ready(error) || !sqlite_exec(outbox_.db, "BEGIN IMMEDIATE", error)) return false;
        statement find, add;
        if (!find.prepare(outbox_.db, "SELECT id FROM outbox WHERE endpoint = ?1 AND webhook_id = ?2") ||
            !add.prepare(outbox_.db,
                         "INSERT INTO outbox (endpoint, webhook_id, event, response_id, cursor, created_ms, body, next_ms) "
                         "VALUES (?1, ?2, ?3, '', 0, ?4, ?5, ?6) RETURNING id")) {
            fail_outbox(error);
            return rollback_outbox();
        }
        find.bind(1, d.endpoint);
        find.bind(2, d.webhook_id);
        int rc = sqlite3_step(find.s);
        if (rc == SQLITE_ROW) {
            id_out = static_cast<uint64_t>(sqlite3_column_int64(find.s, 0));
        } else {
            add.bind(1, d.endpoint);
            add.bind(2, d.webhook_id);
            add.bind(3, d.event);
            add.bind(4, d.created_ms);
            add.bind(5, d.record_json);
            add.bind(6, now_ms);
            if (rc != SQLITE_DONE || sqlite3_step(add.s) != SQLITE_ROW) {
                fail_outbox(error);
                return rollback_outbox();
            }
            id_out = static_cast<uint64_t>(sqlite3_column_int64(add.s, 0));
            inserted = true;
            sqlite3_step(add.s);
        }
        find.reset();
        add.reset();
        return sqlite_exec(outbox_.db, "COMMIT", error) || rollback_outbox();
    }

    //-------------------------------------------------------------------------
    // Follow-up statuses (sqlite_followup.cpp): their own connection, as durable as the answers.
    //-------------------------------------------------------------------------
    bool follow_up_set(const follow_up_mark& mark, bool& found, std::string& error) override {
        std::lock_guard<std::mutex> lock(follow_up_mutex_);
        return follow_up_ready(error) && sqlite_follow_up_set(follow_up_.db, mark, found, error);
    }
    bool follow_up_list(int64_t since_ms, int status, size_t limit, std::vector<follow_up_mark>& out, std::string& error) override {
        std::lock_guard<std::mutex> lock(follow_up_mutex_);
        return follow_up_ready(error) && sqlite_follow_up_list(follow_up_.db, since_ms, status, limit, out, error);
    }

private:
    bool follow_up_ready(std::string& error) {
        if (follow_up_.db) return true;
        return open_connection(follow_up_, error) &&
               sqlite_exec(follow_up_.db, desc_.synchronous_full ? "PRAGMA synchronous=FULL;" : "PRAGMA synchronous=NORMAL;", error);
    }
    // The columns of the two SELECTs above, in their order.
    bool read_deliveries(statement& q, std::vector<outbox_delivery>& out, std::string& error) {
        int rc;
        while ((rc = sqlite3_step(q.s)) == SQLITE_ROW) {
            outbox_delivery d;
            d.id = static_cast<uint64_t>(sqlite3_column_int64(q.s, 0));
            d.endpoint = q.text(1);
            d.webhook_id = q.text(2);
            d.event = q.text(3);
            d.response_id = q.text(4);
            d.cursor = static_cast<uint64_t>(sqlite3_column_int64(q.s, 5));
            d.created_ms = sqlite3_column_int64(q.s, 6);
            d.record_json = q.text(7);
            int64_t state = sqlite3_column_int64(q.s, 8);
            d.state = state == 0 ? delivery_state::pending : state == 1 ? delivery_state::delivered : delivery_state::failed;
            d.attempts = static_cast<int>(sqlite3_column_int64(q.s, 9));
            d.next_ms = sqlite3_column_int64(q.s, 10);
            d.last_attempt_ms = sqlite3_column_int64(q.s, 11);
            d.last_status = static_cast<int>(sqlite3_column_int64(q.s, 12));
            d.last_error = q.text(13);
            out.push_back(std::move(d));
        }
        return rc == SQLITE_DONE || fail_outbox(error);
    }
    bool outbox_ready(std::string& error) {
        if (outbox_.db) return true;
        error = "the outbox is not set up (set_outbox_router first)";
        return false;
    }
    bool fail_outbox(std::string& error) {
        error = sqlite3_errmsg(outbox_.db);
        return false;
    }
    bool rollback_outbox() {
        std::string ignored;
        if (sqlite3_get_autocommit(outbox_.db) == 0) sqlite_exec(outbox_.db, "ROLLBACK", ignored);
        return false;
    }
    // In write()'s transaction: one outbox_bodies row owing a pending delivery to each endpoint
    // the router names (fan_out() makes them outbox rows). One insert whatever the number of
    // endpoints: a row and an index entry per delivery here were a third of ingestion's CPU with
    // three endpoints (BENCHMARKS.md, webhooks).
    bool add_deliveries(const response& row, const std::string& json, uint64_t cursor, bool created, std::string& error) {
        if (!router_ || row.type != event_type::response) return true;
        endpoint_keys_.clear();
        router_(row, endpoint_keys_);
        if (endpoint_keys_.empty()) return true;
        // Endpoint keys are hex digits (endpoint_key()): nothing to escape.
        endpoints_json_.assign("[");
        for (const std::string& key : endpoint_keys_) {
            if (endpoints_json_.size() > 1) endpoints_json_ += ',';
            endpoints_json_.append("\"").append(key).append("\"");
        }
        endpoints_json_ += ']';
        statement& s = body_insert_;
        s.reset();
        s.bind(1, json);
        s.bind(2, endpoints_json_);
        s.bind(3, row.id + (created ? ".created" : ".updated." + std::to_string(cursor)));
        s.bind(4, std::string(created ? "response.created" : "response.updated"));
        s.bind(5, row.id);
        s.bind(6, static_cast<int64_t>(cursor));
        s.bind(7, wall_clock_ms());
        int rc = sqlite3_step(s.s);
        s.reset();
        if (rc != SQLITE_DONE) {
            error = sqlite3_errmsg(writer_.db);
            return false;
        }
        batch_body_id_ = sqlite3_last_insert_rowid(writer_.db);
        return true;
    }

    // On the outbox connection, under outbox_mutex_: makes the deliveries that outbox_bodies rows
    // above the 'outbox_fanned_out' mark owe into outbox rows (next_ms = created_ms, body_id), at
    // most a chunk of bodies per transaction, and moves the mark, in the same transaction (a
    // crash repeats none and loses none). all = false: one chunk of `some` bodies (a sender's
    // read, as many as it asks for: 64 while ingestion is saturated, so that the write lock a
    // thread at nice 10 holds is short; the rest follows on its next read); true: until none is
    // left (counts and listings are then exact).
    bool fan_out(bool all, std::string& error, int64_t some = 64) {
        const int64_t chunk = all ? 500 : some;
        while (fanned_out_ < last_body_id_.load()) {
            if (!sqlite_exec(outbox_.db, "BEGIN IMMEDIATE", error)) return false;
            statement &mark = fan_mark_, &top = fan_top_, &add = fan_add_, &move = fan_move_;
            if ((!mark.s && !mark.prepare(outbox_.db, "SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'outbox_fanned_out'")) ||
                (!top.s && !top.prepare(outbox_.db, "SELECT COALESCE(MAX(id), 0) FROM outbox_bodies")) ||
                (!add.s &&
                 !add.prepare(outbox_.db,
                              "INSERT INTO outbox (endpoint, webhook_id, event, response_id, cursor, created_ms, body, next_ms, body_id) "
                              "SELECT j.value, b.webhook_id, b.event, b.response_id, b.cursor, b.created_ms, '', b.created_ms, b.id "
                              "FROM outbox_bodies b, json_each(b.endpoints) j WHERE b.id > ?1 AND b.id <= ?2 AND b.endpoints <> '' "
                              "ORDER BY b.id, j.key")) ||
                (!move.s && !move.prepare(outbox_.db, "UPDATE meta SET value = ?1 WHERE key = 'outbox_fanned_out'")) ||
                sqlite3_step(mark.s) != SQLITE_ROW || sqlite3_step(top.s) != SQLITE_ROW) {
                fail_outbox(error);
                mark.reset(), top.reset();
                return rollback_outbox();
            }
            int64_t from = sqlite3_column_int64(mark.s, 0), highest = sqlite3_column_int64(top.s, 0);
            int64_t to = std::min(highest, from + chunk);
            add.bind(1, from);
            add.bind(2, to);
            move.bind(1, std::to_string(to));
            if (to > from && (sqlite3_step(add.s) != SQLITE_DONE || sqlite3_step(move.s) != SQLITE_DONE)) {
                fail_outbox(error);
                mark.reset(), top.reset(), add.reset(), move.reset();
                return rollback_outbox();
            }
            mark.reset(), top.reset(), add.reset(), move.reset();
            if (!sqlite_exec(outbox_.db, "COMMIT", error)) return rollback_outbox();
            fanned_out_ = to;
            if (!all) break;
        }
        return true;
    }

    // Databases made before outbox_bodies: their outbox gains body_id (NULL: the body is in the
    // row); before the fan-out, outbox_bodies gains the columns of the deliveries it owes (its
    // rows then owe none: endpoints '').
    bool add_body_id(std::string& error) {
        statement has, fan;
        if (!has.prepare(writer_.db, "SELECT COUNT(*) FROM pragma_table_info('outbox') WHERE name = 'body_id'") ||
            !fan.prepare(writer_.db, "SELECT COUNT(*) FROM pragma_table_info('outbox_bodies') WHERE name = 'endpoints'") ||
            sqlite3_step(has.s) != SQLITE_ROW || sqlite3_step(fan.s) != SQLITE_ROW) {
            error = sqlite3_errmsg(writer_.db);
            return false;
        }
        bool present = sqlite3_column_int64(has.s, 0) > 0, fans = sqlite3_column_int64(fan.s, 0) > 0;
        has.reset(), fan.reset();
        return (present || sqlite_exec(writer_.db, "ALTER TABLE outbox ADD COLUMN body_id INTEGER", error)) &&
               (fans || sqlite_exec(writer_.db,
                                    "BEGIN IMMEDIATE;"
                                    "ALTER TABLE outbox_bodies ADD COLUMN endpoints TEXT NOT NULL DEFAULT '';"
                                    "ALTER TABLE outbox_bodies ADD COLUMN webhook_id TEXT NOT NULL DEFAULT '';"
                                    "ALTER TABLE outbox_bodies ADD COLUMN event TEXT NOT NULL DEFAULT '';"
                                    "ALTER TABLE outbox_bodies ADD COLUMN response_id TEXT NOT NULL DEFAULT '';"
                                    "ALTER TABLE outbox_bodies ADD COLUMN cursor INTEGER NOT NULL DEFAULT 0;"
                                    "ALTER TABLE outbox_bodies ADD COLUMN created_ms INTEGER NOT NULL DEFAULT 0;"
                                    "COMMIT;",
                                    error));
    }

    struct reader {
        db_handle conn;
        statement since;
    };

    bool open_connection(db_handle& h, std::string& error) {
        int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
        if (sqlite3_open_v2(desc_.path.c_str(), &h.db, flags, nullptr) != SQLITE_OK) {
            error = "cannot open " + desc_.path + ": " + (h.db ? sqlite3_errmsg(h.db) : "out of memory");
            return false;
        }
        busy_.timeout_ms = desc_.busy_timeout_ms;
        sqlite3_busy_handler(h.db, wait_briefly, &busy_);
        return true;
    }

    std::unique_ptr<reader> take_reader(std::string& error) {
        {
            std::lock_guard<std::mutex> lock(readers_mutex_);
            if (!readers_.empty()) {
                auto r = std::move(readers_.back());
                readers_.pop_back();
                return r;
            }
        }
        auto r = std::make_unique<reader>();
        if (!open_connection(r->conn, error)) return nullptr;
        if (!r->since.prepare(r->conn.db, "SELECT cursor, body FROM responses WHERE cursor > ?1 ORDER BY cursor LIMIT ?2")) {
            error = sqlite3_errmsg(r->conn.db);
            return nullptr;
        }
        return r;
    }
    void give_back(std::unique_ptr<reader> r) {
        std::lock_guard<std::mutex> lock(readers_mutex_);
        if (readers_.size() < 16) readers_.push_back(std::move(r));
    }

    bool step_done(statement& s, std::string& error) {
        int rc = sqlite3_step(s.s);
        sqlite3_reset(s.s);
        if (rc == SQLITE_DONE) return true;
        error = sqlite3_errmsg(writer_.db);
        return false;
    }
    bool bind_and_step(statement& s, const response& r, const std::string& json, uint64_t cursor, std::string& error) {
        s.reset();
        s.bind(1, r.id);
        s.bind(2, static_cast<int64_t>(cursor));
        s.bind(3, std::string(event_type_name(r.type)));
        s.bind(4, r.survey);
        if (r.type == event_type::response && r.score >= 0)
            s.bind(5, static_cast<int64_t>(r.score));
        else
            s.bind_null(5);
        s.bind(6, r.ts_ms);
        s.bind(7, json);
        int rc = sqlite3_step(s.s);
        s.reset();
        if (rc == SQLITE_DONE) return true;
        error = sqlite3_errmsg(writer_.db);
        return false;
    }
    bool abort(const std::string&) {
        std::string ignored;
        if (sqlite3_get_autocommit(writer_.db) == 0) step_done(rollback_, ignored);
        forget_new_keys();
        return false;
    }

    //-------------------------------------------------------------------------
    // Histogram rollups (rollups.h): moves gathered during write(), applied before COMMIT.
    //-------------------------------------------------------------------------
    bool open_rollups(std::string& error) {
        if (!score_upsert_.prepare(writer_.db,
                                   "INSERT INTO rollup_half_scores (survey, half, slot, n) VALUES (?1, ?2, ?3, ?4) "
                                   "ON CONFLICT (survey, half, slot) DO UPDATE SET n = n + excluded.n") ||
            !attribute_upsert_.prepare(
                writer_.db,
                "INSERT INTO rollup_half_attributes (survey, key, value, half, slot, n) VALUES (?1, ?2, ?3, ?4, ?5, ?6) "
                "ON CONFLICT (survey, key, value, half, slot) DO UPDATE SET n = n + excluded.n") ||
            !day_score_upsert_.prepare(writer_.db,
                                       "INSERT INTO rollup_day_scores (survey, day, slot, n) VALUES (?1, ?2, ?3, ?4) "
                                       "ON CONFLICT (survey, day, slot) DO UPDATE SET n = n + excluded.n") ||
            !day_attribute_upsert_.prepare(writer_.db,
                                           "INSERT INTO rollup_day_attributes (survey, key, value, day, slot, n) "
                                           "VALUES (?1, ?2, ?3, ?4, ?5, ?6) "
                                           "ON CONFLICT (survey, key, value, day, slot) DO UPDATE SET n = n + excluded.n") ||
            !key_insert_.prepare(writer_.db, "INSERT OR IGNORE INTO rollup_keys (survey, key) VALUES (?1, ?2)")) {
            error = sqlite3_errmsg(writer_.db);
            return false;
        }
        allowed_ = rollup_registry(keys_, new_keys_);
        statement q;
        if (!q.prepare(writer_.db, "SELECT survey, key FROM rollup_keys")) {
            error = sqlite3_errmsg(writer_.db);
            return false;
        }
        while (sqlite3_step(q.s) == SQLITE_ROW) keys_[q.text(0)].insert(q.text(1));
        return backfill_rollups(error);
    }

    // An older database (no rollups, or hourly ones): every row's cells, in cursor order (the key
    // registry's order), in one transaction; flushed every 20,000 rows so memory stays bounded.
    bool backfill_rollups(std::string& error) {
        statement done;
        if (!done.prepare(writer_.db, "SELECT 1 FROM meta WHERE key = 'rollup_halves'")) {
            error = sqlite3_errmsg(writer_.db);
            return false;
        }
        if (sqlite3_step(done.s) == SQLITE_ROW) return true;
        done.reset();
        if (!step_done(begin_, error)) return false;
        if (!sqlite_exec(writer_.db, rollup_hours_drop_sql, error)) return abort(error);
        moves_.clear();
        batch_body_id_ = 0;
        statement rows;
        if (!rows.prepare(writer_.db, "SELECT body FROM responses ORDER BY cursor")) {
            error = sqlite3_errmsg(writer_.db);
            return abort(error);
        }
        size_t n = 0;
        int rc;
        while ((rc = sqlite3_step(rows.s)) == SQLITE_ROW) {
            parse_result p = parse_response(std::string_view(rows.text(0)));
            if (p.ok()) add_rollup_moves(p.value, +1, allowed_, moves_);
            if (++n % 20000 == 0 && !apply_rollups(error)) return abort(error);
        }
        if (rc != SQLITE_DONE) {
            error = sqlite3_errmsg(writer_.db);
            return abort(error);
        }
        if (!apply_rollups(error) || !sqlite_exec(writer_.db, "INSERT INTO meta (key, value) VALUES ('rollup_halves', '1')", error) ||
            !step_done(commit_, error))
            return abort(error);
        new_keys_.clear();
        return true;
    }

    bool apply_rollups(std::string& error) {
        net_moves(moves_);
        for (const rollup_move& m : moves_) {
            const bool day = m.cell.unit == rollup_unit::day;
            statement& s =
                m.cell.key.empty() ? (day ? day_score_upsert_ : score_upsert_) : (day ? day_attribute_upsert_ : attribute_upsert_);
            s.reset();
            int i = 1;
            s.bind(i++, m.cell.survey);
            if (!m.cell.key.empty()) {
                s.bind(i++, m.cell.key);
                s.bind(i++, m.cell.value);
            }
            s.bind(i++, m.cell.at);
            s.bind(i++, static_cast<int64_t>(m.cell.slot));
            s.bind(i++, m.delta);
            if (sqlite3_step(s.s) != SQLITE_DONE) {
                error = sqlite3_errmsg(writer_.db);
                s.reset();
                return false;
            }
        }
        moves_.clear();
        for (const auto& [survey, key] : new_keys_) {
            key_insert_.reset();
            key_insert_.bind(1, survey);
            key_insert_.bind(2, key);
            if (sqlite3_step(key_insert_.s) != SQLITE_DONE) {
                error = sqlite3_errmsg(writer_.db);
                return false;
            }
        }
        return true;
    }

    // A rolled-back transaction did not register its keys.
    void forget_new_keys() {
        for (const auto& [survey, key] : new_keys_) keys_[survey].erase(key);
        new_keys_.clear();
        moves_.clear();
    }

    sqlite_storage_desc desc_;
    busy_wait busy_;  // every connection's busy handler reads it
    db_handle writer_;
    statement select_, insert_, update_, begin_, commit_, rollback_, max_cursor_, body_insert_;
    // Rollups: the writer thread's only.
    statement score_upsert_, attribute_upsert_, day_score_upsert_, day_attribute_upsert_, key_insert_;
    std::map<std::string, std::set<std::string>> keys_;          // survey -> rolled-up host keys
    std::vector<std::pair<std::string, std::string>> new_keys_;  // registered in this transaction
    std::vector<rollup_move> moves_;
    rollup_key_allowed allowed_;
    outbox_router router_;                    // set before the first write
    std::vector<std::string> endpoint_keys_;  // the router's answer, reused
    std::string endpoints_json_;              // the same as a JSON list, reused
    int64_t batch_body_id_ = 0;               // the batch's last outbox_bodies row (writer only)
    std::atomic<int64_t> last_body_id_{0};    // the last committed one
    int64_t fanned_out_ = 0;                  // fan_out()'s mark as last read (outbox_mutex_)
    std::mutex outbox_mutex_;                 // guards outbox_
    db_handle outbox_;                        // the outbox connection, opened by set_outbox_router
    // The sender's statements on outbox_, prepared on first use and kept (under outbox_mutex_);
    // reset after each use, so none holds a read transaction open. Declared after outbox_:
    // finalized before it closes.
    statement due_, due_next_, record_, fan_mark_, fan_top_, fan_add_, fan_move_;
    std::atomic<uint64_t> last_cursor_{0};
    std::mutex readers_mutex_;
    std::vector<std::unique_ptr<reader>> readers_;
    std::mutex follow_up_mutex_;             // guards follow_up_
    db_handle follow_up_;                    // follow-up statuses' connection, opened on first use
    std::unique_ptr<survey_store> surveys_;  // sqlite_surveys.cpp
};

}  // namespace

std::unique_ptr<response_storage> open_sqlite_storage(const sqlite_storage_desc& desc, std::string& error) {
    auto s = std::make_unique<sqlite_storage>();
    if (!s->open(desc, error)) return nullptr;
    return s;
}

bool sqlite_exec(sqlite3* db, const char* sql, std::string& error) {
    char* msg = nullptr;
    if (sqlite3_exec(db, sql, nullptr, nullptr, &msg) == SQLITE_OK) return true;
    error = msg ? msg : sqlite3_errmsg(db);
    sqlite3_free(msg);
    return false;
}

}  // namespace npskit
