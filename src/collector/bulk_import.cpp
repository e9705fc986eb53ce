// npskit collector: the bulk load path (see bulk_import.h).
//
// Records arrive from a file instead of HTTP, with no group-commit queue, in transactions of
// `batch_rows` records instead of at most 1,000: the per-transaction costs (fsync, the advisory
// lock, the rollup upserts, which collapse to few cells for time-ordered data) are paid 20
// times less often. Each backend keeps storage.h's contract for those batches: SQLite through
// its write() (prepared statements, rollup moves summed per transaction: already the bulk
// shape), PostgreSQL through pg_bulk.cpp (COPY into a staging table, one upsert, write()'s own
// lock, cursor and rollup statements).
#include "bulk_import.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "pg_storage.h"
#include "schema.h"
#include "sqlite_storage.h"
#include "storage.h"

namespace npskit {

namespace {

struct line_source {
    FILE* f = nullptr;
    bool owned = false;
    ~line_source() {
        if (owned && f) std::fclose(f);
    }
};

}  // namespace

int run_bulk_import(const bulk_import_desc& desc, bulk_import_stats& stats) {
    stats = {};
    const auto started = std::chrono::steady_clock::now();
    line_source in;
    if (desc.source == "-") {
        in.f = stdin;
    } else {
        in.f = std::fopen(desc.source.c_str(), "rb");
        in.owned = true;
        if (!in.f) {
            std::fprintf(stderr, "npskit-collector: cannot read %s\n", desc.source.c_str());
            return 2;
        }
    }

    std::string error;
    std::unique_ptr<response_storage> storage;
    if (is_postgres_url(desc.db)) {
        storage = open_pg_storage(pg_storage_desc{.url = desc.db}, error);
    } else {
        sqlite_storage_desc sd;
        sd.path = desc.db;
        sd.synchronous_full = desc.synchronous_full;
        storage = open_sqlite_storage(sd, error);
    }
    if (!storage) {
        std::string db = is_postgres_url(desc.db) ? redact_postgres_url(desc.db) : desc.db;
        std::fprintf(stderr, "npskit-collector: cannot open the database %s: %s\n", db.c_str(), error.c_str());
        return 1;
    }

    // PostgreSQL: COPY into a staging table (pg_bulk.cpp); SQLite: write() itself, whose one
    // transaction per call with prepared statements and rollup moves summed per transaction is
    // already the bulk shape.
    std::unique_ptr<pg_bulk_writer> pg_bulk;
    if (is_postgres_url(desc.db) && !(pg_bulk = open_pg_bulk_writer(pg_storage_desc{.url = desc.db}, error))) {
        std::fprintf(stderr, "npskit-collector: cannot open the database %s: %s\n", redact_postgres_url(desc.db).c_str(), error.c_str());
        return 1;
    }
    uint64_t last_cursor = storage->last_cursor();

    uint64_t reported = 0;
    auto report = [&](uint64_t line, const std::string& what) {
        if (reported++ < desc.max_reported)
            std::fprintf(stderr, "npskit-collector: line %llu: %s\n", (unsigned long long)line, what.c_str());
    };
    const schema_limits limits;  // the HTTP write path's (POST /v1/responses)
    std::vector<response> batch;
    std::vector<uint64_t> batch_lines;  // each record's line number, for conflicts
    std::vector<write_result> results;
    batch.reserve(desc.batch_rows);
    bool failed = false;
    auto flush = [&] {
        if (batch.empty() || failed) return;
        uint64_t batch_last = 0;
        bool ok = pg_bulk ? pg_bulk->write(batch, results, batch_last, error) : storage->write(batch, results, error);
        if (ok && !pg_bulk) batch_last = storage->last_cursor();
        if (ok) last_cursor = std::max(last_cursor, batch_last);
        if (!ok) {
            std::fprintf(stderr, "npskit-collector: the database refused the batch ending at line %llu: %s\n",
                         (unsigned long long)batch_lines.back(), error.c_str());
            failed = true;
            return;
        }
        ++stats.batches;
        for (size_t i = 0; i < results.size(); ++i) {
            switch (results[i].outcome) {
                case write_outcome::inserted: ++stats.inserted; break;
                case write_outcome::updated: ++stats.updated; break;
                case write_outcome::unchanged: ++stats.unchanged; break;
                case write_outcome::conflict: {
                    ++stats.conflicts;
                    std::string fields;
                    for (const std::string& f : results[i].conflicts) fields += (fields.empty() ? "" : ", ") + f;
                    report(batch_lines[i], "id " + batch[i].id + ": conflict: " + fields + " cannot change (the stored answer is kept)");
                    break;
                }
            }
        }
        batch.clear();
        batch_lines.clear();
    };

    char* buffer = nullptr;
    size_t capacity = 0;
    ssize_t got;
    while (!failed && (got = ::getline(&buffer, &capacity, in.f)) >= 0) {
        ++stats.lines;
        std::string_view line(buffer, static_cast<size_t>(got));
        while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
        if (line.find_first_not_of(" \t") == std::string_view::npos) continue;  // blank lines, as the CLI reads NDJSON
        if (line.size() > limits.max_body_bytes) {
            ++stats.invalid;
            report(stats.lines, "larger than " + std::to_string(limits.max_body_bytes) + " bytes (POST /v1/responses answers 413)");
            continue;
        }
        parse_result parsed = parse_response(line, limits);
        if (!parsed.ok()) {
            ++stats.invalid;
            std::string what;
            for (const schema_error& e : parsed.errors) what += (what.empty() ? "" : "; ") + e.message();
            report(stats.lines, what);
            continue;
        }
        ++stats.records;
        batch.push_back(std::move(parsed.value));
        batch_lines.push_back(stats.lines);
        if (batch.size() >= desc.batch_rows) flush();
    }
    std::free(buffer);
    const bool read_error = std::ferror(in.f) != 0;
    if (read_error)
        std::fprintf(stderr, "npskit-collector: reading %s failed after line %llu\n", desc.source.c_str(), (unsigned long long)stats.lines);
    flush();
    if (reported > desc.max_reported)
        std::fprintf(stderr, "npskit-collector: … and %llu more refused lines\n", (unsigned long long)(reported - desc.max_reported));
    stats.last_cursor = last_cursor;
    stats.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    nlohmann::json summary = {{"msg", failed ? "import stopped" : "imported"},
                              {"lines", stats.lines},
                              {"records", stats.records},
                              {"inserted", stats.inserted},
                              {"updated", stats.updated},
                              {"unchanged", stats.unchanged},
                              {"conflicts", stats.conflicts},
                              {"invalid", stats.invalid},
                              {"batches", stats.batches},
                              {"last_cursor", stats.last_cursor},
                              {"seconds", stats.seconds},
                              {"records_per_second", stats.seconds > 0 ? static_cast<double>(stats.records) / stats.seconds : 0.0},
                              {"db", storage->describe()}};
    std::printf("%s\n", summary.dump().c_str());
    std::fflush(stdout);
    return failed || read_error || stats.invalid > 0 || stats.conflicts > 0 ? 1 : 0;
}

}  // namespace npskit
