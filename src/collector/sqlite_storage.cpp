// npskit collector: the SQLite backend (see sqlite_storage.h).
//
// [SECTION] Small RAII wrappers over sqlite3
// [SECTION] sqlite_storage
#include "sqlite_storage.h"

#include <sqlite3.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <mutex>

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
    ~db_handle() { if (db) sqlite3_close_v2(db); }
};

struct statement {
    sqlite3_stmt* s = nullptr;
    statement() = default;
    statement(const statement&) = delete;
    statement& operator=(const statement&) = delete;
    ~statement() { if (s) sqlite3_finalize(s); }
    bool prepare(sqlite3* db, const char* sql) { return sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &s, nullptr) == SQLITE_OK; }
    void reset() { sqlite3_reset(s); sqlite3_clear_bindings(s); }
    void bind(int i, int64_t v) { sqlite3_bind_int64(s, i, v); }
    void bind(int i, const std::string& v) { sqlite3_bind_text(s, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT); }
    void bind_null(int i) { sqlite3_bind_null(s, i); }
    std::string text(int col) const {
        auto p = reinterpret_cast<const char*>(sqlite3_column_text(s, col));
        return p ? std::string(p, static_cast<size_t>(sqlite3_column_bytes(s, col))) : std::string();
    }
};

bool exec(sqlite3* db, const char* sql, std::string& error) {
    char* msg = nullptr;
    if (sqlite3_exec(db, sql, nullptr, nullptr, &msg) == SQLITE_OK) return true;
    error = msg ? msg : sqlite3_errmsg(db);
    sqlite3_free(msg);
    return false;
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
INSERT OR IGNORE INTO meta (key, value) VALUES ('schema_version', '1');
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
        if (!exec(writer_.db, "PRAGMA journal_mode=WAL;", error) || !exec(writer_.db, sync.c_str(), error) ||
            !exec(writer_.db, schema_sql, error))
            return false;
        if (!select_.prepare(writer_.db, "SELECT body, cursor FROM responses WHERE id = ?1") ||
            !insert_.prepare(writer_.db,
                             "INSERT INTO responses (id, cursor, type, survey, score, ts_ms, body) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)") ||
            !update_.prepare(writer_.db,
                             "UPDATE responses SET cursor = ?2, type = ?3, survey = ?4, score = ?5, ts_ms = ?6, body = ?7 WHERE id = ?1") ||
            !begin_.prepare(writer_.db, "BEGIN IMMEDIATE") || !commit_.prepare(writer_.db, "COMMIT") ||
            !rollback_.prepare(writer_.db, "ROLLBACK") ||
            !max_cursor_.prepare(writer_.db, "SELECT COALESCE(MAX(cursor), 0) FROM responses")) {
            error = sqlite3_errmsg(writer_.db);
            return false;
        }
        statement max;
        if (!max.prepare(writer_.db, "SELECT COALESCE(MAX(cursor), 0) FROM responses") || sqlite3_step(max.s) != SQLITE_ROW) {
            error = sqlite3_errmsg(writer_.db);
            return false;
        }
        last_cursor_ = static_cast<uint64_t>(sqlite3_column_int64(max.s, 0));
        return true;
    }

    bool write(const std::vector<response>& batch, std::vector<write_result>& results, std::string& error) override {
        results.assign(batch.size(), {});
        if (batch.empty()) return true;
        if (!step_done(begin_, error)) return false;
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
                results[i] = {write_outcome::updated, cursor, {}};
            } else if (rc == SQLITE_DONE) {
                select_.reset();
                if (!bind_and_step(insert_, incoming, response_to_json(incoming), ++cursor, error)) return abort(error);
                results[i] = {write_outcome::inserted, cursor, {}};
            } else {
                error = sqlite3_errmsg(writer_.db);
                select_.reset();
                return abort(error);
            }
        }
        if (!step_done(commit_, error)) return abort(error);
        last_cursor_ = cursor;
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
        while ((rc = sqlite3_step(s.s)) == SQLITE_ROW)
            out.push_back({static_cast<uint64_t>(sqlite3_column_int64(s.s, 0)), s.text(1)});
        bool ok = rc == SQLITE_DONE;
        if (!ok) error = sqlite3_errmsg(r->conn.db);
        s.reset();
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

private:
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
        sqlite3_busy_timeout(h.db, desc_.busy_timeout_ms);
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
        if (r.type == event_type::response && r.score >= 0) s.bind(5, static_cast<int64_t>(r.score));
        else s.bind_null(5);
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
        return false;
    }

    sqlite_storage_desc desc_;
    db_handle writer_;
    statement select_, insert_, update_, begin_, commit_, rollback_, max_cursor_;
    std::atomic<uint64_t> last_cursor_{0};
    std::mutex readers_mutex_;
    std::vector<std::unique_ptr<reader>> readers_;
};

}  // namespace

std::unique_ptr<response_storage> open_sqlite_storage(const sqlite_storage_desc& desc, std::string& error) {
    auto s = std::make_unique<sqlite_storage>();
    if (!s->open(desc, error)) return nullptr;
    return s;
}

}  // namespace npskit
