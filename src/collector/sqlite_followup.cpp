// npskit collector: follow-up statuses in SQLite (storage.h, "Follow-up statuses"). A table
// beside responses, keyed by response id: a status never touches the answer's row or cursor.
#include <sqlite3.h>

#include <algorithm>
#include <cstdint>

#include "sqlite_storage.h"

namespace npskit {

namespace {
// Schema version 2 (version 1: responses, meta, outbox, webhook_endpoints in sqlite_storage.cpp).
const char* const follow_up_schema_sql = R"sql(
CREATE TABLE IF NOT EXISTS follow_ups (
  response_id TEXT PRIMARY KEY,   -- responses.id (no foreign key: a status never blocks the answer's upsert)
  status      TEXT NOT NULL,      -- todo | contacted | resolved
  by_name     TEXT NOT NULL,      -- who, as given (<= 64 code points, checked by the route)
  at_ms       INTEGER NOT NULL,   -- when, by the collector's clock
  note        TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS follow_ups_at ON follow_ups (at_ms);
UPDATE meta SET value = '2' WHERE key = 'schema_version' AND value = '1';
)sql";

struct stmt {
    sqlite3_stmt* s = nullptr;
    ~stmt() {
        if (s) sqlite3_finalize(s);
    }
    void bind(int i, const std::string& v) { sqlite3_bind_text(s, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT); }
    std::string text(int col) const {
        auto p = reinterpret_cast<const char*>(sqlite3_column_text(s, col));
        return p ? std::string(p, static_cast<size_t>(sqlite3_column_bytes(s, col))) : std::string();
    }
};

bool fail(sqlite3* db, std::string& error) {
    error = sqlite3_errmsg(db);
    return false;
}
}  // namespace

bool sqlite_follow_up_migrate(sqlite3* db, std::string& error) { return sqlite_exec(db, follow_up_schema_sql, error); }

bool sqlite_follow_up_set(sqlite3* db, const follow_up_mark& mark, bool& found, std::string& error) {
    found = false;
    // One statement: the check that the answer exists and the upsert commit together.
    stmt q;
    if (sqlite3_prepare_v2(db,
                           "INSERT INTO follow_ups (response_id, status, by_name, at_ms, note) "
                           "SELECT ?1, ?2, ?3, ?4, ?5 WHERE EXISTS (SELECT 1 FROM responses WHERE id = ?1 AND type = 'response') "
                           "ON CONFLICT (response_id) DO UPDATE SET status = excluded.status, by_name = excluded.by_name, "
                           "at_ms = excluded.at_ms, note = excluded.note",
                           -1, &q.s, nullptr) != SQLITE_OK)
        return fail(db, error);
    q.bind(1, mark.response_id);
    q.bind(2, follow_up_status_name(mark.status));
    q.bind(3, mark.by);
    sqlite3_bind_int64(q.s, 4, mark.at_ms);
    q.bind(5, mark.note);
    if (sqlite3_step(q.s) != SQLITE_DONE) return fail(db, error);
    found = sqlite3_changes(db) > 0;
    return true;
}

bool sqlite_follow_up_list(sqlite3* db, int64_t since_ms, int status, size_t limit, std::vector<follow_up_mark>& out, std::string& error) {
    stmt q;
    if (sqlite3_prepare_v2(db,
                           "SELECT response_id, status, by_name, at_ms, note FROM follow_ups "
                           "WHERE at_ms >= ?1 AND (?2 = '' OR status = ?2) ORDER BY at_ms, response_id LIMIT ?3",
                           -1, &q.s, nullptr) != SQLITE_OK)
        return fail(db, error);
    sqlite3_bind_int64(q.s, 1, since_ms);
    q.bind(2, status >= 0 ? follow_up_status_name(static_cast<follow_up_status>(status)) : "");
    sqlite3_bind_int64(q.s, 3, static_cast<int64_t>(std::min<size_t>(limit, INT64_MAX)));
    int rc;
    while ((rc = sqlite3_step(q.s)) == SQLITE_ROW) {
        follow_up_mark m;
        m.response_id = q.text(0);
        parse_follow_up_status(q.text(1), m.status);
        m.by = q.text(2);
        m.at_ms = sqlite3_column_int64(q.s, 3);
        m.note = q.text(4);
        out.push_back(std::move(m));
    }
    return rc == SQLITE_DONE || fail(db, error);
}

}  // namespace npskit
