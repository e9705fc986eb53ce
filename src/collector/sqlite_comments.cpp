// npskit collector: GET /v1/comments on SQLite (storage.h, read_comments).
//
// Text search is a substring test (instr over lower()): ASCII case-insensitive, the same rule as
// the core's text filter (query.h), so the CLI, the dashboard's row path and this route agree.
// Why not FTS5: the table keeps each record as one JSON body (no comment column), and an FTS5
// index would need a migration plus triggers on the write path; the scan walks the ts index
// newest first and stops as soon as a page is full, which is quick for the volumes SQLite
// serves (one collector). PostgreSQL, the backend for large volumes, uses full-text search.
#include <sqlite3.h>

#include <algorithm>

#include "sqlite_storage.h"

namespace npskit {

bool sqlite_read_comments(sqlite3* db, const response_storage::comment_query& q, std::vector<response_storage::comment_row>& out,
                          std::string& error) {
    static const char* const sql =
        "SELECT ts_ms, id, body FROM responses "
        "WHERE score IS NOT NULL AND ts_ms >= ?1 AND ts_ms < ?2 AND (ts_ms < ?3 OR (ts_ms = ?3 AND id < ?4)) "
        "AND (?5 = '' OR survey = ?5) "
        "AND (((?6 & 1) AND score <= 6) OR ((?6 & 2) AND score BETWEEN 7 AND 8) OR ((?6 & 4) AND score >= 9)) "
        "AND instr(body, '\"comment\":') > 0 AND coalesce(json_extract(body, '$.comment'), '') <> '' "
        "AND (?9 = '' OR instr(lower(body), ?9) > 0) "
        "AND (?7 = '' OR instr(lower(json_extract(body, '$.comment')), lower(?7)) > 0) "
        "ORDER BY ts_ms DESC, id DESC LIMIT ?8";
    sqlite3_stmt* s = nullptr;
    if (sqlite3_prepare_v2(db, sql, -1, &s, nullptr) != SQLITE_OK) {
        error = sqlite3_errmsg(db);
        sqlite3_finalize(s);
        return false;
    }
    auto text = [&](int i, const std::string& v) { sqlite3_bind_text(s, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT); };
    sqlite3_bind_int64(s, 1, q.since_ms);
    sqlite3_bind_int64(s, 2, q.until_ms);
    sqlite3_bind_int64(s, 3, q.before_ts_ms);
    text(4, q.before_id);
    text(5, q.survey);
    sqlite3_bind_int(s, 6, q.segments);
    text(7, q.text);
    sqlite3_bind_int64(s, 8, static_cast<int64_t>(q.limit));
    // A cheap first test on the raw body (no JSON parsing) for text that the body spells as is:
    // a row whose body lacks the words cannot have them in its comment. Text JSON would escape
    // (quotes, backslashes, control characters) skips it and relies on the exact test alone.
    std::string raw;
    if (q.text.find_first_of("\"\\") == std::string::npos &&
        std::none_of(q.text.begin(), q.text.end(), [](char c) { return static_cast<unsigned char>(c) < 0x20; }))
        for (char c : q.text) raw += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    text(9, raw);
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        auto col = [&](int c) {
            auto p = reinterpret_cast<const char*>(sqlite3_column_text(s, c));
            return p ? std::string(p, static_cast<size_t>(sqlite3_column_bytes(s, c))) : std::string();
        };
        out.push_back({sqlite3_column_int64(s, 0), col(1), col(2)});
    }
    bool ok = rc == SQLITE_DONE;
    if (!ok) error = sqlite3_errmsg(db);
    sqlite3_finalize(s);
    return ok;
}

}  // namespace npskit
