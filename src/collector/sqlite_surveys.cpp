// npskit collector: survey definitions on SQLite (sqlite_surveys.h). One connection, one mutex:
// definitions change rarely and are read once a minute per browser at most (Cache-Control).
#include "sqlite_surveys.h"

#include <sqlite3.h>

#include <mutex>

#include "sqlite_storage.h"

namespace npskit {
namespace {

// Migration 2 (after the responses, meta, outbox and webhook tables of version 1).
const char* const surveys_sql = R"sql(
CREATE TABLE IF NOT EXISTS survey_versions (
  id      TEXT NOT NULL,
  version INTEGER NOT NULL,
  body    TEXT NOT NULL,     -- the definition as PUT ('' for a deletion)
  actor   TEXT NOT NULL,
  at_ms   INTEGER NOT NULL,
  deleted INTEGER NOT NULL,
  PRIMARY KEY (id, version)
);
UPDATE meta SET value = '3' WHERE key = 'schema_version' AND value IN ('1', '2');
)sql";

class sqlite_surveys final : public survey_store {
public:
    ~sqlite_surveys() override {
        if (db_) sqlite3_close_v2(db_);
    }
    bool open(const std::string& path, int busy_timeout_ms, std::string& error) {
        if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr) != SQLITE_OK) {
            error = db_ ? sqlite3_errmsg(db_) : "cannot open " + path;
            return false;
        }
        sqlite3_busy_timeout(db_, busy_timeout_ms);
        return sqlite_exec(db_, "PRAGMA synchronous=FULL;", error) && sqlite_exec(db_, surveys_sql, error);
    }

    bool get(const std::string& id, survey_version& out, bool& found, std::string& error) override {
        std::lock_guard<std::mutex> lock(mutex_);
        return latest(id, out, found, error) && (found = found && !out.deleted, true);
    }

    bool put(survey_version& v, uint64_t expect_version, survey_write& outcome, std::string& error) override {
        std::lock_guard<std::mutex> lock(mutex_);
        if (!sqlite_exec(db_, "BEGIN IMMEDIATE", error)) return false;
        survey_version cur;
        bool found = false;
        bool ok = latest(v.id, cur, found, error);
        bool live = ok && found && !cur.deleted;
        if (!ok) {
        } else if (expect_version != 0 && (!live || cur.version != expect_version)) {
            outcome = survey_write::precondition_failed;
        } else if (v.deleted && !live) {
            outcome = survey_write::not_found;
        } else if (!v.deleted && live && cur.body == v.body) {
            outcome = survey_write::unchanged;
            v = cur;
        } else {
            v.version = found ? cur.version + 1 : 1;
            sqlite3_stmt* s = nullptr;
            ok = sqlite3_prepare_v2(
                     db_, "INSERT INTO survey_versions (id, version, body, actor, at_ms, deleted) VALUES (?1, ?2, ?3, ?4, ?5, ?6)", -1, &s,
                     nullptr) == SQLITE_OK;
            if (ok) {
                sqlite3_bind_text(s, 1, v.id.data(), static_cast<int>(v.id.size()), SQLITE_TRANSIENT);
                sqlite3_bind_int64(s, 2, static_cast<int64_t>(v.version));
                sqlite3_bind_text(s, 3, v.body.data(), static_cast<int>(v.body.size()), SQLITE_TRANSIENT);
                sqlite3_bind_text(s, 4, v.actor.data(), static_cast<int>(v.actor.size()), SQLITE_TRANSIENT);
                sqlite3_bind_int64(s, 5, v.at_ms);
                sqlite3_bind_int(s, 6, v.deleted ? 1 : 0);
                ok = sqlite3_step(s) == SQLITE_DONE;
            }
            if (!ok) error = sqlite3_errmsg(db_);
            sqlite3_finalize(s);
            outcome = survey_write::done;
        }
        std::string ignored;
        if (!ok) return sqlite_exec(db_, "ROLLBACK", ignored), false;
        return sqlite_exec(db_, "COMMIT", error);
    }

    bool list(std::vector<survey_version>& out, std::string& error) override {
        std::lock_guard<std::mutex> lock(mutex_);
        return select(
            "SELECT id, version, body, actor, at_ms, deleted FROM survey_versions v WHERE deleted = 0 AND version = "
            "(SELECT MAX(version) FROM survey_versions w WHERE w.id = v.id) ORDER BY id",
            nullptr, out, error);
    }

    bool versions(const std::string& id, std::vector<survey_version>& out, std::string& error) override {
        std::lock_guard<std::mutex> lock(mutex_);
        return select("SELECT id, version, body, actor, at_ms, deleted FROM survey_versions WHERE id = ?1 ORDER BY version DESC", &id, out,
                      error);
    }

private:
    // Under mutex_.
    bool latest(const std::string& id, survey_version& out, bool& found, std::string& error) {
        std::vector<survey_version> rows;
        if (!select("SELECT id, version, body, actor, at_ms, deleted FROM survey_versions WHERE id = ?1 ORDER BY version DESC LIMIT 1", &id,
                    rows, error))
            return false;
        found = !rows.empty();
        if (found) out = std::move(rows[0]);
        return true;
    }
    bool select(const char* sql, const std::string* id, std::vector<survey_version>& out, std::string& error) {
        out.clear();
        sqlite3_stmt* s = nullptr;
        if (sqlite3_prepare_v2(db_, sql, -1, &s, nullptr) != SQLITE_OK) {
            error = sqlite3_errmsg(db_);
            return false;
        }
        if (id) sqlite3_bind_text(s, 1, id->data(), static_cast<int>(id->size()), SQLITE_TRANSIENT);
        auto text = [s](int col) {
            auto p = reinterpret_cast<const char*>(sqlite3_column_text(s, col));
            return p ? std::string(p, static_cast<size_t>(sqlite3_column_bytes(s, col))) : std::string();
        };
        int rc;
        while ((rc = sqlite3_step(s)) == SQLITE_ROW)
            out.push_back({text(0), static_cast<uint64_t>(sqlite3_column_int64(s, 1)), text(2), text(3), sqlite3_column_int64(s, 4),
                           sqlite3_column_int(s, 5) != 0});
        if (rc != SQLITE_DONE) error = sqlite3_errmsg(db_);
        sqlite3_finalize(s);
        return rc == SQLITE_DONE;
    }

    sqlite3* db_ = nullptr;
    std::mutex mutex_;
};

}  // namespace

std::unique_ptr<survey_store> open_sqlite_surveys(const std::string& path, int busy_timeout_ms, std::string& error) {
    auto s = std::make_unique<sqlite_surveys>();
    if (!s->open(path, busy_timeout_ms, error)) return nullptr;
    return s;
}

}  // namespace npskit
