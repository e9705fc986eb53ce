// npskit collector: the backend a --db value names (storage.h open_storage).
#include "pg_storage.h"
#include "sqlite_storage.h"
#include "storage.h"

namespace npskit {

std::unique_ptr<response_storage> open_storage(const std::string& db, bool synchronous_full, std::string& named, std::string& error) {
    const bool pg = is_postgres_url(db);
    named = pg ? redact_postgres_url(db) : db;  // the URL may hold a password
    if (pg) return open_pg_storage(pg_storage_desc{.url = db}, error);
    sqlite_storage_desc sd;
    sd.path = db;
    sd.synchronous_full = synchronous_full;
    return open_sqlite_storage(sd, error);
}

}  // namespace npskit
