// npskit collector: `npskit-collector backup PATH`, a consistent copy of a live SQLite database
// with SQLite's online backup API, while a collector keeps serving (and writing) the file.
// The copy is one snapshot: a read transaction is held on the source for the whole copy, so
// every row committed (and so acknowledged) before the backup began is in it and no later
// half-batch is. In WAL mode a reader never blocks the writer; the copy goes in steps of
// `pages_per_step` with a pause between them so it does not hog the disk.
#pragma once
#include <cstdint>
#include <functional>
#include <string>

namespace npskit {

struct sqlite_backup_desc {
    std::string source;         // the collector's --db
    std::string destination;    // must not exist; written as DEST.partial, renamed when checked
    int pages_per_step = 1024;  // = 4 MB of 4 KB pages per step
    int pause_ms = 2;           // between steps
    int busy_timeout_ms = 10000;
};

struct sqlite_backup_result {
    bool ok = false;
    int exit_code = 1;  // 0 ok; 1 the copy failed (error says why); 2 a bad destination or source path
    std::string error;
    uint64_t rows = 0;    // rows in the copy's responses table
    uint64_t cursor = 0;  // its last cursor
    uint64_t bytes = 0;   // size of the copy
    int steps = 0;
    double seconds = 0;
};

sqlite_backup_result backup_sqlite(const sqlite_backup_desc& desc);

}  // namespace npskit
