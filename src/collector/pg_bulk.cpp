// npskit collector: the PostgreSQL bulk load path (pg_storage.h, pg_bulk_writer; --import).
//
// write()'s contract (storage.h) for batches of tens of thousands of records, without the
// per-row costs of the group commit: one transaction per batch that
//   1. takes write()'s advisory lock ("write_lock"): cursor order across every collector is
//      kept exactly as in "Cursor order" of pg_storage.cpp, so a collector's readers and live
//      streams see each imported row once, in cursor order, while the import runs;
//   2. reads the batch's stored rows ("stored_rows", FOR UPDATE) and rolled-up keys, and
//      merges in C++ with merge_update / update_conflicts as write() does (a re-import is
//      unchanged, an overlapping file updates);
//   3. takes one cursor per changed row from the sequence ("take_cursors"), in the order of
//      each row's last change in the batch;
//   4. sends the rows with COPY … FROM STDIN (array literals of 20,000 bodies cost the server
//      more to parse than COPY's text rows): ids not stored before straight into responses
//      (no other npskit writer can insert them: they wait for the lock; a writer outside npskit
//      that did would fail the COPY on the primary key and roll the batch back, nothing
//      half-written), the updated ones into a session staging table, then one
//      INSERT … SELECT … ON CONFLICT (id) DO UPDATE;
//   5. adds the batch's rollup moves (rollups.h, summed in memory) with write()'s own "…_add"
//      statements, NOTIFYs the last cursor, commits.
// Outbox deliveries are not made (imported rows announce nothing, as --seed-demo's).
#include <libpq-fe.h>

#include <chrono>
#include <cstdlib>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "pg_storage.h"
#include "pg_util.h"
#include "rollups.h"

namespace npskit {

namespace {
using pg::append_array_item;
using pg::message_of;
using pg::result;

// Statements of this file only (write()'s are prepared from pg_storage.cpp's table).
struct named_sql {
    const char* name;
    const char* sql;
};
constexpr named_sql bulk_statements[] = {
    {"bulk_upsert",
     "INSERT INTO responses (id, cursor, type, survey, score, ts_ms, body) "
     "SELECT id, cursor, type, survey, score, ts_ms, body FROM npskit_bulk_rows "
     "ON CONFLICT (id) DO UPDATE SET cursor = EXCLUDED.cursor, type = EXCLUDED.type, survey = EXCLUDED.survey, "
     "score = EXCLUDED.score, ts_ms = EXCLUDED.ts_ms, body = EXCLUDED.body"},
};
// Session-local staging table, emptied by every commit.
constexpr const char* staging_sql =
    "CREATE TEMP TABLE IF NOT EXISTS npskit_bulk_rows (id text NOT NULL, cursor bigint NOT NULL, type text NOT NULL, "
    "survey text NOT NULL, score integer, ts_ms bigint NOT NULL, body text NOT NULL) ON COMMIT DELETE ROWS";
constexpr const char* copy_sql = "COPY npskit_bulk_rows (id, cursor, type, survey, score, ts_ms, body) FROM STDIN";
constexpr const char* copy_new_sql = "COPY responses (id, cursor, type, survey, score, ts_ms, body) FROM STDIN";

int64_t wall_clock_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// One column of COPY's text format: backslash, tab, newline and carriage return escaped.
void append_copy_field(std::string& out, std::string_view v) {
    for (char ch : v) {
        switch (ch) {
            case '\\': out += "\\\\"; break;
            case '\t': out += "\\t"; break;
            case '\n': out += "\\n"; break;
            case '\r': out += "\\r"; break;
            default: out += ch;
        }
    }
}

class pg_bulk final : public pg_bulk_writer {
public:
    ~pg_bulk() override {
        if (c_) PQfinish(c_);
    }

    bool open(const pg_storage_desc& desc, std::string& error) {
        std::string timeout = std::to_string(desc.connect_timeout_s);
        const char* keys[] = {"connect_timeout", "application_name", "dbname", nullptr};
        const char* values[] = {timeout.c_str(), "npskit-collector import", desc.url.c_str(), nullptr};
        c_ = PQconnectdbParams(keys, values, 1);
        if (!c_ || PQstatus(c_) != CONNECTION_OK) {
            error = "cannot connect to PostgreSQL: " + message_of(c_);
            return false;
        }
        PQsetNoticeProcessor(
            c_, [](void*, const char*) {}, nullptr);
        if (!exec(staging_sql, error)) return false;
        if (!pg_prepare_shared(
                c_,
                {"begin", "commit", "rollback", "write_lock", "stored_rows", "rollup_keys", "take_cursors", "rollup_half_scores_add",
                 "rollup_half_attributes_add", "rollup_day_scores_add", "rollup_day_attributes_add", "rollup_keys_add", "notify"},
                error))
            return false;
        for (const named_sql& s : bulk_statements) {
            result r(PQprepare(c_, s.name, s.sql, 0, nullptr));
            if (!r.ok()) {
                error = std::string("cannot prepare ") + s.name + ": " + message_of(c_);
                return false;
            }
        }
        return true;
    }

    bool write(const std::vector<response>& batch, std::vector<write_result>& results, uint64_t& last_cursor, std::string& error) override {
        results.assign(batch.size(), {});
        last_cursor = 0;
        if (batch.empty()) return true;
        std::string ids = "{", surveys_seen = "{";
        {
            std::unordered_set<std::string> seen_ids, seen_surveys;
            for (const response& r : batch) {
                if (seen_ids.insert(r.id).second) append_array_item(ids, &r.id);
                if (seen_surveys.insert(r.survey).second) append_array_item(surveys_seen, &r.survey);
            }
        }
        ids += '}';
        surveys_seen += '}';
        if (!step("begin", {}, error) || !step("write_lock", {}, error)) return abort();

        // The stored rows (locked) and rolled-up keys, as committed: read under the write lock.
        struct row_state {
            std::string json;
            uint64_t cursor = 0;
            bool stored = false;  // exists (before or by this batch)
            bool changed = false;
            long last_change = -1;  // the entry (input position) of its last change
            response value;
        };
        std::unordered_map<std::string, row_state> rows;
        std::unordered_map<std::string, std::string> before;  // id -> the row as stored before the batch
        {
            result r(run("stored_rows", {&ids}));
            if (!r.ok()) return fail(error);
            rows.reserve(batch.size());
            for (int i = 0; i < r.rows(); ++i) {
                rows[r.text(i, 0)] = {r.text(i, 1), r.number(i, 2), true, false, -1, {}};
                before[r.text(i, 0)] = r.text(i, 1);
            }
        }
        std::unordered_map<std::string, std::unordered_set<std::string>> rollup_keys;
        std::vector<std::pair<std::string, std::string>> new_keys;
        {
            result r(run("rollup_keys", {&surveys_seen}));
            if (!r.ok()) return fail(error);
            for (int i = 0; i < r.rows(); ++i) rollup_keys[r.text(i, 0)].insert(r.text(i, 1));
        }
        const rollup_key_allowed allowed = rollup_registry(rollup_keys, new_keys);

        // Merged in input order against the row as this transaction leaves it (write()'s rule).
        const int64_t now = wall_clock_ms();
        std::vector<size_t> touched;                      // entries that changed a row (inserted / updated)
        std::vector<std::pair<size_t, row_state*>> same;  // unchanged / conflict on a row: its cursor after the batch
        for (size_t i = 0; i < batch.size(); ++i) {
            const response& incoming = batch[i];
            row_state& row = rows[incoming.id];
            if (!row.stored) {
                row = {response_to_json(incoming), 0, true, true, static_cast<long>(i), incoming};
                results[i].outcome = write_outcome::inserted;
                touched.push_back(i);
                continue;
            }
            parse_result old = parse_response(std::string_view(row.json));
            response merged = old.ok() ? merge_update(old.value, incoming) : incoming;
            std::string json = response_to_json(merged);
            if (json == row.json) {
                results[i].outcome = write_outcome::unchanged;
                same.emplace_back(i, &row);
                continue;
            }
            if (old.ok()) {
                std::vector<std::string> conflicts = update_conflicts(old.value, incoming, now);
                if (!conflicts.empty()) {
                    results[i] = {write_outcome::conflict, 0, std::move(conflicts)};
                    same.emplace_back(i, &row);
                    continue;
                }
            }
            row.json = std::move(json);
            row.value = std::move(merged);
            row.changed = true;
            row.last_change = static_cast<long>(i);
            results[i].outcome = write_outcome::updated;
            touched.push_back(i);
        }
        // One cursor per changed row, in the order of their last changes.
        std::vector<row_state*> order;
        for (size_t i : touched)
            if (row_state& row = rows[batch[i].id]; row.last_change == static_cast<long>(i)) order.push_back(&row);
        if (order.empty()) {
            for (auto [i, row] : same) results[i].cursor = row->cursor;
            return step("commit", {}, error) || abort();
        }
        std::string count = std::to_string(order.size());
        uint64_t first = 0;
        {
            result r(run("take_cursors", {&count}));
            if (!r.ok()) return fail(error);
            first = r.number(0, 0) - order.size() + 1;
        }
        std::vector<rollup_move> moves;
        std::string fresh, updated;  // COPY text: rows new to the table, rows stored before
        fresh.reserve(order.size() * 512);
        for (size_t k = 0; k < order.size(); ++k) {
            row_state& row = *order[k];
            row.cursor = first + k;
            const response& r = row.value;
            const auto b = before.find(r.id);
            std::string& copy = b == before.end() ? fresh : updated;
            append_copy_field(copy, r.id);
            copy += '\t';
            copy += std::to_string(row.cursor);
            copy += '\t';
            copy += event_type_name(r.type);
            copy += '\t';
            append_copy_field(copy, r.survey);
            copy += '\t';
            if (r.type == event_type::response && r.score >= 0)
                copy += std::to_string(r.score);
            else
                copy += "\\N";
            copy += '\t';
            copy += std::to_string(r.ts_ms);
            copy += '\t';
            append_copy_field(copy, row.json);
            copy += '\n';
            // The row's counts move from what was stored before the batch to its final state.
            if (b != before.end())
                if (parse_result old = parse_response(std::string_view(b->second)); old.ok())
                    add_rollup_moves(old.value, -1, allowed, moves);
            add_rollup_moves(r, +1, allowed, moves);
        }
        for (size_t i : touched) results[i].cursor = rows[batch[i].id].cursor;
        for (auto [i, row] : same) results[i].cursor = row->cursor;
        last_cursor = first + order.size() - 1;
        if (!fresh.empty() && !copy_rows(copy_new_sql, fresh, error)) return abort();
        if (!updated.empty()) {
            if (!copy_rows(copy_sql, updated, error)) return abort();
            result r(run("bulk_upsert"));
            if (!r.ok()) return fail(error);
        }
        net_moves(moves);
        if (!add_rollups(moves, new_keys, error)) return abort();
        std::string last_text = std::to_string(last_cursor);
        if (!step("notify", {&last_text}, error) || !step("commit", {}, error)) return abort();
        return true;
    }

private:
    PGresult* run(const char* name, std::initializer_list<const std::string*> params = {}) {
        return run_list(name, std::vector<const std::string*>(params));
    }
    PGresult* run_list(const char* name, const std::vector<const std::string*>& params) {
        const char* values[8] = {};
        int n = 0;
        for (const std::string* p : params) values[n++] = p ? p->c_str() : nullptr;
        return PQexecPrepared(c_, name, n, values, nullptr, nullptr, 0);
    }
    bool step(const char* name, std::initializer_list<const std::string*> params, std::string& error) {
        result r(run(name, params));
        if (r.ok()) return true;
        error = message_of(c_);
        return false;
    }
    bool exec(const char* sql, std::string& error) {
        result r(PQexec(c_, sql));
        if (r.ok()) return true;
        error = message_of(c_);
        return false;
    }
    bool fail(std::string& error) {
        error = message_of(c_);
        return abort();
    }
    bool abort() {
        if (c_ && PQstatus(c_) == CONNECTION_OK && PQtransactionStatus(c_) != PQTRANS_IDLE) {
            std::string ignored;
            step("rollback", {}, ignored);
        }
        return false;
    }

    // sql: copy_sql or copy_new_sql.
    bool copy_rows(const char* sql, const std::string& data, std::string& error) {
        {
            result r(PQexec(c_, sql));
            if (!r.r || PQresultStatus(r.r) != PGRES_COPY_IN) {
                error = message_of(c_);
                return false;
            }
        }
        constexpr size_t chunk = 1 << 20;
        bool sent = true;
        for (size_t at = 0; sent && at < data.size(); at += chunk) {
            size_t n = std::min(chunk, data.size() - at);
            sent = PQputCopyData(c_, data.data() + at, static_cast<int>(n)) == 1;
        }
        if (PQputCopyEnd(c_, sent ? nullptr : "send failed") != 1) sent = false;
        bool ok = sent;
        while (PGresult* r = PQgetResult(c_)) {
            if (PQresultStatus(r) != PGRES_COMMAND_OK) ok = false;
            PQclear(r);
        }
        if (!ok) error = message_of(c_);
        return ok;
    }

    // The batch's net moves, one statement per table (write()'s "…_add" statements).
    bool add_rollups(const std::vector<rollup_move>& moves, const std::vector<std::pair<std::string, std::string>>& new_keys,
                     std::string& error) {
        const pg::rollup_arrays ra(moves);
        bool ok = true;
        ra.each_call([&](const char* name, const std::vector<const std::string*>& params) {
            if (!ok) return;
            result r(run_list(name, params));
            if (!r.ok()) ok = false, error = message_of(c_);
        });
        if (!ok) return false;
        const pg::key_arrays key_lists(new_keys);
        return step("rollup_keys_add", {&key_lists.survey, &key_lists.key}, error);
    }

    PGconn* c_ = nullptr;
};

}  // namespace

std::unique_ptr<pg_bulk_writer> open_pg_bulk_writer(const pg_storage_desc& desc, std::string& error) {
    auto w = std::make_unique<pg_bulk>();
    if (!w->open(desc, error)) return nullptr;
    return w;
}

}  // namespace npskit
