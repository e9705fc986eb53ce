// npskit collector: the SQLite backend of response_storage (the embedded default).
// [X] WAL journal, synchronous=FULL: a committed transaction survives kill -9 and power loss
// [X] one writer connection (the group-commit thread), a pool of reader connections
// [X] upsert by id with merge_update; cursor = max(cursor) + 1, recovered on open
// [X] webhook outbox: deliveries in the row's transaction (storage.h), state on its own connection
// [ ] online schema migrations (v1 only so far)
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "storage.h"

struct sqlite3;

namespace npskit {

struct sqlite_storage_desc {
    std::string path = "./data/npskit.db";  // parent folders are created
    bool synchronous_full = true;           // = true; false: NORMAL (survives kill -9, not power loss)
    int busy_timeout_ms = 5000;
};

// nullptr and a sentence in `error` when the database cannot be opened or created.
std::unique_ptr<response_storage> open_sqlite_storage(const sqlite_storage_desc& desc, std::string& error);

// Runs constant SQL (no parameters) on `db`; false and SQLite's message in `error` on failure.
// Shared by the storage and `npskit-collector backup` (sqlite_backup.cpp).
bool sqlite_exec(sqlite3* db, const char* sql, std::string& error);

// GET /v1/comments on one reader connection (sqlite_comments.cpp).
bool sqlite_read_comments(sqlite3* db, const response_storage::comment_query& q, std::vector<response_storage::comment_row>& out,
                          std::string& error);
// Follow-up statuses (sqlite_followup.cpp): the table (migration to schema version 2), and the
// storage's follow_up_set / follow_up_list on a connection of its own.
bool sqlite_follow_up_migrate(sqlite3* db, std::string& error);
bool sqlite_follow_up_set(sqlite3* db, const follow_up_mark& mark, bool& found, std::string& error);
bool sqlite_follow_up_list(sqlite3* db, int64_t since_ms, int status, size_t limit, std::vector<follow_up_mark>& out, std::string& error);

}  // namespace npskit
