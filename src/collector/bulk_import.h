// npskit collector: the bulk load path (`npskit-collector --db DB --import FILE.ndjson`).
// [X] one-shot: reads schema v1 NDJSON (a file or - for stdin), loads it, prints a summary, exits
// [X] every line parsed and validated by the core as POST /v1/responses does (same limits)
// [X] storage.h's contract (merge rule, rollup cells, cursors, NOTIFY) in large batches:
//     a re-import changes nothing, an overlapping file moves counts as the updates would
// [X] a bad line: "line N: …" on stderr, skipped; the rest is loaded; exit status 1
// [ ] webhooks: imported rows announce nothing (as --seed-demo; no outbox router is set)
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

namespace npskit {

struct bulk_import_desc {
    std::string db = "./data/npskit.db";  // SQLite path or postgresql:// URL (pg_storage.h)
    std::string source;                   // FILE.ndjson, or "-" for stdin
    size_t batch_rows = 20000;            // = 20000 records per transaction
    bool synchronous_full = true;         // SQLite synchronous=FULL (else NORMAL)
    size_t max_reported = 20;             // = 20 bad lines named on stderr, then only counted
};

struct bulk_import_stats {
    uint64_t lines = 0;  // read, blank ones included
    uint64_t records = 0, inserted = 0, updated = 0, unchanged = 0, conflicts = 0, invalid = 0;
    uint64_t batches = 0, last_cursor = 0;
    double seconds = 0;
};

// Exit status: 0 every line loaded, 1 some lines refused (invalid or a conflict: the rest is
// loaded) or the database failed (the batches before stay; a re-run is safe), 2 unreadable source.
// The summary is one JSON line on stdout; problems are lines on stderr.
int run_bulk_import(const bulk_import_desc& desc, bulk_import_stats& stats);

}  // namespace npskit
