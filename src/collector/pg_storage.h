// npskit collector: the PostgreSQL backend of response_storage, for several stateless
// collectors on one database (`--db postgresql://…`).
// [X] libpq, every statement prepared once per connection, parameters bound (no SQL from strings)
// [X] a batch = one transaction: rows locked, merged in C++ (merge.cpp), one multi-row upsert
// [X] cursors from a sequence, in commit order (see "Cursor order" in pg_storage.cpp)
// [X] LISTEN/NOTIFY: a commit on any collector wakes the streams of every other
// [X] reconnects: a database that goes away fails writes (503) until it is back
// [X] schema created and migrated by the collector (table npskit_migrations)
// [X] webhook outbox shared by every collector: claimed with a lease, FOR UPDATE SKIP LOCKED
// [ ] monthly partitions: not used (reason in docs/architecture.md, "PostgreSQL")
#pragma once
#include <initializer_list>
#include <memory>
#include <string>
#include <vector>

#include "storage.h"

struct pg_conn;  // libpq's PGconn

namespace npskit {

struct pg_storage_desc {
    std::string url;            // postgresql://user:password@host:port/dbname?… (libpq URI)
    int connect_timeout_s = 3;  // = 3; the URL's own connect_timeout wins
    size_t max_readers = 16;    // idle reader connections kept
};

// true for the --db values that name a PostgreSQL database rather than a SQLite file.
bool is_postgres_url(const std::string& db);
// false and a sentence in `error` when libpq cannot parse the URL (checked before connecting).
// The sentence never holds the URL's password.
bool check_postgres_url(const std::string& url, std::string& error);
// The URL with its password replaced by ***, for logs and messages.
std::string redact_postgres_url(const std::string& url);

// nullptr and a sentence in `error` when the database cannot be reached or migrated.
std::unique_ptr<response_storage> open_pg_storage(const pg_storage_desc& desc, std::string& error);

// Prepares, on `c`, the statements of pg_storage.cpp's table with these names (the bulk path,
// pg_bulk.cpp, runs write()'s own statements for locks, cursors and rollups: one definition).
bool pg_prepare_shared(pg_conn* c, std::initializer_list<const char*> names, std::string& error);

// The bulk load path (pg_bulk.cpp, --import): write()'s contract for a large batch, the rows
// through COPY into a staging table and one INSERT … ON CONFLICT; no outbox deliveries.
// Call after open_pg_storage (which migrates). last_cursor: the batch's last cursor (0: none).
class pg_bulk_writer {
public:
    virtual ~pg_bulk_writer() = default;
    virtual bool write(const std::vector<response>& batch, std::vector<write_result>& results, uint64_t& last_cursor,
                       std::string& error) = 0;
};
std::unique_ptr<pg_bulk_writer> open_pg_bulk_writer(const pg_storage_desc& desc, std::string& error);

// Follow-up statuses (pg_followup.cpp): the storage's follow_up_set / follow_up_list on one of
// its connections (table follow_ups, migration 2).
bool pg_follow_up_set(pg_conn* c, const follow_up_mark& mark, bool& found, std::string& error);
bool pg_follow_up_list(pg_conn* c, int64_t since_ms, int status, size_t limit, std::vector<follow_up_mark>& out, std::string& error);

}  // namespace npskit
