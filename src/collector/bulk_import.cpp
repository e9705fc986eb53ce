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
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
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
    std::string db;
    std::unique_ptr<response_storage> storage = open_storage(desc.db, desc.synchronous_full, db, error);
    if (!storage) {
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

    // Two threads, so that parsing (this process's CPU) overlaps the database's work on the
    // previous batch (the server's CPU): a reader parses lines into batches, at most two
    // waiting; this thread writes them in order.
    std::mutex report_mutex;
    uint64_t reported = 0;
    auto report = [&](uint64_t line, const std::string& what) {
        std::lock_guard<std::mutex> lock(report_mutex);
        if (reported++ < desc.max_reported)
            std::fprintf(stderr, "npskit-collector: line %llu: %s\n", (unsigned long long)line, what.c_str());
    };
    struct pending {
        std::vector<response> records;
        std::vector<uint64_t> lines;  // each record's line number, for conflicts
    };
    std::mutex queue_mutex;
    std::condition_variable queue_cv;
    std::deque<pending> queue;
    bool reading_done = false, failed = false, read_error = false;
    std::thread reader([&] {
        const schema_limits limits;  // the HTTP write path's (POST /v1/responses)
        pending next;
        next.records.reserve(desc.batch_rows);
        auto hand_over = [&] {
            std::unique_lock<std::mutex> lock(queue_mutex);
            queue_cv.wait(lock, [&] { return queue.size() < 2 || failed; });
            if (!failed) queue.push_back(std::move(next));
            next = {};
            next.records.reserve(desc.batch_rows);
            queue_cv.notify_all();
            return !failed;
        };
        char* buffer = nullptr;
        size_t capacity = 0;
        ssize_t got;
        uint64_t lines = 0, invalid = 0;
        while ((got = ::getline(&buffer, &capacity, in.f)) >= 0) {
            ++lines;
            std::string_view line(buffer, static_cast<size_t>(got));
            while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
            if (line.find_first_not_of(" \t") == std::string_view::npos) continue;  // blank lines, as the CLI reads NDJSON
            if (line.size() > limits.max_body_bytes) {
                ++invalid;
                report(lines, "larger than " + std::to_string(limits.max_body_bytes) + " bytes (POST /v1/responses answers 413)");
                continue;
            }
            parse_result parsed = parse_response(line, limits);
            if (!parsed.ok()) {
                ++invalid;
                std::string what;
                for (const schema_error& e : parsed.errors) what += (what.empty() ? "" : "; ") + e.message();
                report(lines, what);
                continue;
            }
            next.records.push_back(std::move(parsed.value));
            next.lines.push_back(lines);
            if (next.records.size() >= desc.batch_rows && !hand_over()) break;
        }
        std::free(buffer);
        const bool bad_read = std::ferror(in.f) != 0;
        if (bad_read)
            std::fprintf(stderr, "npskit-collector: reading %s failed after line %llu\n", desc.source.c_str(), (unsigned long long)lines);
        if (!next.records.empty()) hand_over();
        std::lock_guard<std::mutex> lock(queue_mutex);
        stats.lines = lines;
        stats.invalid = invalid;
        read_error = bad_read;
        reading_done = true;
        queue_cv.notify_all();
    });

    std::vector<write_result> results;
    for (;;) {
        pending batch;
        {
            std::unique_lock<std::mutex> lock(queue_mutex);
            queue_cv.wait(lock, [&] { return !queue.empty() || reading_done; });
            if (queue.empty()) break;
            batch = std::move(queue.front());
            queue.pop_front();
            queue_cv.notify_all();
        }
        stats.records += batch.records.size();
        uint64_t batch_last = 0;
        bool ok = pg_bulk ? pg_bulk->write(batch.records, results, batch_last, error) : storage->write(batch.records, results, error);
        if (ok && !pg_bulk) batch_last = storage->last_cursor();
        if (!ok) {
            std::fprintf(stderr, "npskit-collector: the database refused the batch ending at line %llu: %s\n",
                         (unsigned long long)batch.lines.back(), error.c_str());
            std::lock_guard<std::mutex> lock(queue_mutex);
            failed = true;
            queue_cv.notify_all();
            break;
        }
        last_cursor = std::max(last_cursor, batch_last);
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
                    report(batch.lines[i],
                           "id " + batch.records[i].id + ": conflict: " + fields + " cannot change (the stored answer is kept)");
                    break;
                }
            }
        }
    }
    reader.join();
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
