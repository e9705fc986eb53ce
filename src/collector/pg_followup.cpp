// npskit collector: follow-up statuses in PostgreSQL (storage.h, "Follow-up statuses"). Table
// follow_ups (migration 2 in pg_storage.cpp), keyed by response id, beside responses.
#include <libpq-fe.h>

#include <algorithm>
#include <cstdlib>

#include "pg_storage.h"

namespace npskit {

namespace {
struct pg_result {
    PGresult* r;
    ~pg_result() {
        if (r) PQclear(r);
    }
    bool ok() const {
        ExecStatusType s = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
        return s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK;
    }
    std::string text(int row, int col) const { return std::string(PQgetvalue(r, row, col), static_cast<size_t>(PQgetlength(r, row, col))); }
};
bool fail(PGconn* c, std::string& error) {
    error = c ? PQerrorMessage(c) : "no connection";
    while (!error.empty() && (error.back() == '\n' || error.back() == ' ')) error.pop_back();
    return false;
}
}  // namespace

bool pg_follow_up_set(PGconn* c, const follow_up_mark& mark, bool& found, std::string& error) {
    found = false;
    std::string at = std::to_string(mark.at_ms);
    const char* values[] = {mark.response_id.c_str(), follow_up_status_name(mark.status), mark.by.c_str(), at.c_str(), mark.note.c_str()};
    // One statement: the answer's existence and the upsert in one transaction. Parameters bound.
    pg_result r{PQexecParams(c,
                             "INSERT INTO follow_ups (response_id, status, by_name, at_ms, note) "
                             "SELECT $1::text, $2::text, $3::text, $4::bigint, $5::text "
                             "WHERE EXISTS (SELECT 1 FROM responses WHERE id = $1::text AND type = 'response') "
                             "ON CONFLICT (response_id) DO UPDATE SET status = EXCLUDED.status, by_name = EXCLUDED.by_name, "
                             "at_ms = EXCLUDED.at_ms, note = EXCLUDED.note RETURNING response_id",
                             5, nullptr, values, nullptr, nullptr, 0)};
    if (!r.ok()) return fail(c, error);
    found = PQntuples(r.r) > 0;
    return true;
}

bool pg_follow_up_list(PGconn* c, int64_t since_ms, int status, size_t limit, std::vector<follow_up_mark>& out, std::string& error) {
    std::string since = std::to_string(since_ms), count = std::to_string(std::min<size_t>(limit, INT64_MAX));
    std::string wanted = status >= 0 ? follow_up_status_name(static_cast<follow_up_status>(status)) : "";
    const char* values[] = {since.c_str(), wanted.c_str(), count.c_str()};
    pg_result r{
        PQexecParams(c,
                     "SELECT response_id, status, by_name, at_ms, note FROM follow_ups "
                     "WHERE at_ms >= $1::bigint AND ($2::text = '' OR status = $2::text) ORDER BY at_ms, response_id LIMIT $3::bigint",
                     3, nullptr, values, nullptr, nullptr, 0)};
    if (!r.ok()) return fail(c, error);
    for (int i = 0; i < PQntuples(r.r); ++i) {
        follow_up_mark m;
        m.response_id = r.text(i, 0);
        parse_follow_up_status(r.text(i, 1), m.status);
        m.by = r.text(i, 2);
        m.at_ms = std::strtoll(PQgetvalue(r.r, i, 3), nullptr, 10);
        m.note = r.text(i, 4);
        out.push_back(std::move(m));
    }
    return true;
}

}  // namespace npskit
