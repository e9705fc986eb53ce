// npskit collector: the online backup (sqlite_backup.h).
#include "sqlite_backup.h"
#include "sqlite_storage.h"  // sqlite_exec

#include <fcntl.h>
#include <sqlite3.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <thread>

namespace npskit {

namespace {

struct connection {
    sqlite3* db = nullptr;
    connection() = default;
    connection(const connection&) = delete;
    connection& operator=(const connection&) = delete;
    ~connection() { close(); }
    void close() {
        if (db) sqlite3_close_v2(db);
        db = nullptr;
    }
};

// The first column of the first row, as text ("" and error set when the query fails).
std::string scalar(sqlite3* db, const char* sql, std::string& error) {
    sqlite3_stmt* s = nullptr;
    std::string out;
    if (sqlite3_prepare_v2(db, sql, -1, &s, nullptr) != SQLITE_OK) {
        error = sqlite3_errmsg(db);
        return out;
    }
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        if (auto p = reinterpret_cast<const char*>(sqlite3_column_text(s, 0))) out = p;
    } else if (rc != SQLITE_DONE) {
        error = sqlite3_errmsg(db);
    }
    sqlite3_finalize(s);
    return out;
}

// The rename is durable only once the folder's entry is on disk.
void sync_folder(const std::filesystem::path& folder) {
    int fd = ::open(folder.empty() ? "." : folder.c_str(), O_RDONLY | O_DIRECTORY);
    if (fd < 0) return;
    ::fsync(fd);
    ::close(fd);
}

}  // namespace

sqlite_backup_result backup_sqlite(const sqlite_backup_desc& desc) {
    namespace fs = std::filesystem;
    sqlite_backup_result r;
    auto started = std::chrono::steady_clock::now();
    auto fail = [&](int code, std::string message) {
        r.exit_code = code;
        r.error = std::move(message);
        return r;
    };
    std::error_code ec;
    if (!fs::is_regular_file(desc.source, ec)) return fail(2, "no database at " + desc.source + " (give the collector's --db)");
    if (fs::exists(desc.destination, ec))
        return fail(2, desc.destination + " exists; choose a new name (a backup never overwrites a file)");
    fs::path dest(desc.destination);
    fs::path folder = dest.parent_path();
    if (!folder.empty() && !fs::is_directory(folder, ec)) return fail(2, "no folder " + folder.string() + " for the backup");
    std::string partial = desc.destination + ".partial";
    fs::remove(partial, ec);  // a previous run that was killed

    connection src, out;
    // Read-only and never created: a typo in --db must not make an empty database to copy.
    if (sqlite3_open_v2(desc.source.c_str(), &src.db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK)
        return fail(1, "cannot open " + desc.source + ": " + sqlite3_errmsg(src.db));
    sqlite3_busy_timeout(src.db, desc.busy_timeout_ms);
    std::string error;
    // One snapshot for the whole copy: with the read transaction held across steps, another
    // process's commits neither restart the copy nor appear half in it.
    if (!sqlite_exec(src.db, "BEGIN", error)) return fail(1, "cannot read " + desc.source + ": " + error);
    std::string source_rows = scalar(src.db, "SELECT COUNT(*) FROM responses", error);
    if (!error.empty()) return fail(1, desc.source + " is not an npskit database: " + error);

    if (sqlite3_open_v2(partial.c_str(), &out.db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) != SQLITE_OK)
        return fail(1, "cannot create " + partial + ": " + sqlite3_errmsg(out.db));
    sqlite3_busy_timeout(out.db, desc.busy_timeout_ms);
    sqlite3_backup* b = sqlite3_backup_init(out.db, "main", src.db, "main");
    if (!b) {
        std::string message = sqlite3_errmsg(out.db);
        out.close();
        fs::remove(partial, ec);
        return fail(1, "cannot start the backup: " + message);
    }
    int rc = SQLITE_OK;
    auto busy_since = std::chrono::steady_clock::now();
    for (;;) {
        rc = sqlite3_backup_step(b, desc.pages_per_step);
        ++r.steps;
        if (rc == SQLITE_DONE) break;
        if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) {
            if (std::chrono::steady_clock::now() - busy_since > std::chrono::milliseconds(desc.busy_timeout_ms)) break;
        } else if (rc != SQLITE_OK) {
            break;
        } else {
            busy_since = std::chrono::steady_clock::now();
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(desc.pause_ms));
    }
    sqlite3_backup_finish(b);
    sqlite_exec(src.db, "COMMIT", error);
    src.close();
    if (rc != SQLITE_DONE) {
        std::string message = sqlite3_errstr(rc);
        out.close();
        fs::remove(partial, ec);
        return fail(1, "the backup stopped: " + message);
    }
    // One self-contained file (no -wal beside it); the collector turns WAL back on when it opens it.
    error.clear();
    sqlite_exec(out.db, "PRAGMA journal_mode=DELETE", error);
    // The copy is checked before it gets its name: a file called PATH is always a good one.
    std::string check = scalar(out.db, "PRAGMA integrity_check", error);
    std::string rows = scalar(out.db, "SELECT COUNT(*) FROM responses", error);
    std::string cursor = scalar(out.db, "SELECT COALESCE(MAX(cursor), 0) FROM responses", error);
    out.close();
    if (!error.empty() || check != "ok" || rows != source_rows) {
        fs::remove(partial, ec);
        return fail(1, "the copy did not check out (integrity_check: " + (check.empty() ? error : check) + ", rows " + rows + " of " +
                           source_rows + ")");
    }
    fs::rename(partial, dest, ec);
    if (ec) {
        fs::remove(partial, ec);
        return fail(1, "cannot rename the copy to " + desc.destination + ": " + ec.message());
    }
    sync_folder(folder);
    r.ok = true;
    r.exit_code = 0;
    r.rows = std::stoull(rows);
    r.cursor = std::stoull(cursor);
    r.bytes = fs::file_size(dest, ec);
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    return r;
}

}  // namespace npskit
