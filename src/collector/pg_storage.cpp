// npskit collector: the PostgreSQL backend (see pg_storage.h).
//
// Cursor order. Every write transaction first takes one transaction-scoped advisory lock
// (pg_advisory_xact_lock(write_lock_key)), then reads, merges, takes its cursors from the
// sequence npskit_cursor and commits. PostgreSQL makes a transaction visible before it releases
// its locks, so the next writer (on any collector) gets its cursors only after every lower
// cursor is committed and visible: cursors become visible in order, and a reader paging with
// `cursor > since` can never skip a row that commits late with a lower cursor. A transaction
// that rolls back leaves a gap in the sequence, which readers do not mind. The price: writes are
// serialised across collectors (one batch at a time in the whole cluster); each batch is one
// group commit of up to 1,000 answers, so that stays far above the target (docs/deploy.md).
// Holding the lock for the whole transaction also makes the merge race-free: the stored rows
// read at the start are the latest (SELECT … FOR UPDATE guards against writers outside npskit).
//
// [SECTION] libpq wrappers: connections, results, array parameters
// [SECTION] Schema and migrations
// [SECTION] pg_storage
#include "pg_storage.h"

#include "pg_surveys.h"

#include <libpq-fe.h>
#include <poll.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <unordered_map>
#include <unordered_set>

#include "pg_util.h"
#include "rollups.h"

namespace npskit {

bool is_postgres_url(const std::string& db) { return db.rfind("postgresql://", 0) == 0 || db.rfind("postgres://", 0) == 0; }

std::string redact_postgres_url(const std::string& url) {
    size_t scheme = url.find("://");
    if (scheme == std::string::npos) return url;
    size_t start = scheme + 3;
    size_t at = url.find('@', start);
    size_t end = url.find_first_of("/?", start);
    if (at == std::string::npos || (end != std::string::npos && end < at)) return url;
    size_t colon = url.find(':', start);
    if (colon == std::string::npos || colon > at) return url;
    return url.substr(0, colon + 1) + "***" + url.substr(at);
}

bool check_postgres_url(const std::string& url, std::string& error) {
    char* message = nullptr;
    PQconninfoOption* options = PQconninfoParse(url.c_str(), &message);
    if (!options) {
        error = message ? message : "out of memory";
        while (!error.empty() && (error.back() == '\n' || error.back() == ' ')) error.pop_back();
        PQfreemem(message);
        // libpq quotes the URL in some messages: never its password.
        if (std::string redacted = redact_postgres_url(url); redacted != url)
            for (size_t at; (at = error.find(url)) != std::string::npos;) error.replace(at, url.size(), redacted);
        return false;
    }
    PQconninfoFree(options);
    return true;
}

namespace {
using pg::append_array_item;
using pg::message_of;
using pg::result;
using pg::rollup_arrays;

int64_t wall_clock_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

//-----------------------------------------------------------------------------
// [SECTION] libpq wrappers
//-----------------------------------------------------------------------------
// Every statement this backend runs, prepared by name on each connection.
struct named_sql {
    const char* name;
    const char* sql;
};
// read_comments' to_tsvector(…) is, word for word, the expression migration 2 GIN-indexes (the
// planner uses the index only for the same text); written out in both, as the tables hold only
// literals (tests/integration/security.test.mjs).
constexpr named_sql statements[] = {
    {"begin", "BEGIN"},
    {"commit", "COMMIT"},
    {"rollback", "ROLLBACK"},
    {"write_lock", "SELECT pg_advisory_xact_lock(1853058923)"},
    // Run once per connection (prepare_all): plan every execution for the values bound. A generic
    // plan is made on the sixth execution from the statistics of that moment: on a new database
    // that is an empty table, and "stored_rows" then seq-scanned every row on every batch (5-25 ms
    // at 13,000 rows, growing) until autovacuum's first ANALYZE. Planning costs ~0.1 ms a statement.
    {"custom_plans", "SELECT set_config('plan_cache_mode', 'force_custom_plan', false)"},
    {"stored_rows", "SELECT id, body, cursor FROM responses WHERE id = ANY($1::text[]) FOR UPDATE"},
    // Reserves $1 cursors under the write lock: returns the last one.
    {"take_cursors", "SELECT setval('npskit_cursor', nextval('npskit_cursor') + $1::bigint - 1)"},
    // The batch's final state per id (merged in C++), one multi-row statement.
    {"upsert",
     "INSERT INTO responses (id, cursor, type, survey, score, ts_ms, body) "
     "SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::int[], $6::bigint[], $7::text[]) "
     "ON CONFLICT (id) DO UPDATE SET cursor = EXCLUDED.cursor, type = EXCLUDED.type, survey = EXCLUDED.survey, "
     "score = EXCLUDED.score, ts_ms = EXCLUDED.ts_ms, body = EXCLUDED.body"},
    {"notify", "SELECT pg_notify('npskit_responses', $1::text)"},
    // The one-round-trip path for batches of new ids (write_new): every entry inserted at
    // cursor last - $7 + its 1-based position, last = currval (take_cursors just set it). If an
    // id already exists its row is not inserted and the count is short: the cast fails the
    // statement (the server logs "invalid input syntax for type bigint: "npskit: …""), the
    // pipeline stops before COMMIT, and the batch goes the merge path. (The message is built from
    // count(*) so that the planner cannot fold the cast, which it would do to a constant.)
    {"insert_new",
     "WITH ins AS (INSERT INTO responses (id, cursor, type, survey, score, ts_ms, body) "
     "SELECT u.id, currval('npskit_cursor') - $7::bigint + u.k, u.type, u.survey, u.score, u.ts_ms, u.body "
     "FROM unnest($1::text[], $2::text[], $3::text[], $4::int[], $5::bigint[], $6::text[]) WITH ORDINALITY "
     "AS u(id, type, survey, score, ts_ms, body, k) ON CONFLICT (id) DO NOTHING RETURNING 1) "
     "SELECT CASE WHEN count(*) = $7::bigint THEN count(*) "
     "ELSE ('npskit: an id of the batch is stored, it takes the merge path; inserted ' || count(*))::bigint END FROM ins"},
    {"outbox_add_new",
     "INSERT INTO outbox (endpoint, webhook_id, event, response_id, cursor, created_ms, body, next_ms) "
     "SELECT e, w, v, r, currval('npskit_cursor') - $8::bigint + k, t, b, t "
     "FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::bigint[], $7::text[]) "
     "AS u(e, w, v, r, k, t, b)"},
    {"notify_last", "SELECT pg_notify('npskit_responses', currval('npskit_cursor')::text)"},
    {"read_since", "SELECT cursor, body FROM responses WHERE cursor > $1::bigint ORDER BY cursor LIMIT $2::bigint"},
    {"read_ids", "SELECT cursor, body FROM responses WHERE id = ANY($1::text[])"},
    {"max_cursor", "SELECT COALESCE(MAX(cursor), 0) FROM responses"},
    {"row_count", "SELECT COUNT(*) FROM responses"},
    {"listen", "LISTEN npskit_responses"},
    // GET /v1/comments: full-text search in the row's language (french for fr*, else english).
    {"read_comments",
     "SELECT ts_ms, id, body FROM responses "
     "WHERE score IS NOT NULL AND ts_ms >= $1::bigint AND ts_ms < $2::bigint AND (ts_ms, id) < ($3::bigint, $4::text) "
     "AND ($5::text = '' OR survey = $5::text) "
     "AND ((($6::int & 1) <> 0 AND score <= 6) OR (($6::int & 2) <> 0 AND score BETWEEN 7 AND 8) OR (($6::int & 4) <> 0 AND score >= 9)) "
     "AND coalesce(body::jsonb->>'comment', '') <> '' "
     "AND ($7::text = '' OR ((body::jsonb->>'locale') ILIKE 'fr%' AND "
     "to_tsvector(CASE WHEN (body::jsonb->>'locale') ILIKE 'fr%' THEN 'french'::regconfig ELSE 'english'::regconfig END, "
     "coalesce(body::jsonb->>'comment', ''))"
     " @@ plainto_tsquery('french', $7::text)) "
     "OR (coalesce(body::jsonb->>'locale', '') NOT ILIKE 'fr%' AND "
     "to_tsvector(CASE WHEN (body::jsonb->>'locale') ILIKE 'fr%' THEN 'french'::regconfig ELSE 'english'::regconfig END, "
     "coalesce(body::jsonb->>'comment', ''))"
     " @@ plainto_tsquery('english', $7::text))) "
     "ORDER BY ts_ms DESC, id DESC LIMIT $8::bigint"},
    // Histogram rollups (rollups.h): the batch's net moves, sorted, one statement per table.
    {"rollup_keys", "SELECT survey, key FROM rollup_keys WHERE survey = ANY($1::text[])"},
    {"rollup_half_scores_add",
     "INSERT INTO rollup_half_scores AS t (survey, half, slot, n) "
     "SELECT * FROM unnest($1::text[], $2::bigint[], $3::int[], $4::bigint[]) "
     "ON CONFLICT (survey, half, slot) DO UPDATE SET n = t.n + EXCLUDED.n"},
    {"rollup_half_attributes_add",
     "INSERT INTO rollup_half_attributes AS t (survey, key, value, half, slot, n) "
     "SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::int[], $6::bigint[]) "
     "ON CONFLICT (survey, key, value, half, slot) DO UPDATE SET n = t.n + EXCLUDED.n"},
    {"rollup_day_scores_add",
     "INSERT INTO rollup_day_scores AS t (survey, day, slot, n) "
     "SELECT * FROM unnest($1::text[], $2::bigint[], $3::int[], $4::bigint[]) "
     "ON CONFLICT (survey, day, slot) DO UPDATE SET n = t.n + EXCLUDED.n"},
    {"rollup_day_attributes_add",
     "INSERT INTO rollup_day_attributes AS t (survey, key, value, day, slot, n) "
     "SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::int[], $6::bigint[]) "
     "ON CONFLICT (survey, key, value, day, slot) DO UPDATE SET n = t.n + EXCLUDED.n"},
    // The daily tables' sums: as rollup_attribute_counts / rollup_score_counts in days.
    {"rollup_day_attribute_counts",
     "SELECT CASE $1::text WHEN 'value' THEN value WHEN 'survey' THEN survey ELSE '' END, "
     "CASE WHEN $7::bigint = 0 THEN 0 ELSE div(day + $8::bigint, greatest($7::bigint, 1)) END, slot, SUM(n) "
     "FROM rollup_day_attributes WHERE survey = ANY($6::text[]) AND key = $2::text AND day >= $3::bigint AND day < $4::bigint "
     "AND (cardinality($5::text[]) = 0 OR value = ANY($5::text[])) GROUP BY 1, 2, 3 HAVING SUM(n) <> 0"},
    {"rollup_day_score_counts",
     "SELECT CASE $1::text WHEN 'survey' THEN survey ELSE '' END, "
     "CASE WHEN $5::bigint = 0 THEN 0 ELSE div(day + $6::bigint, greatest($5::bigint, 1)) END, slot, SUM(n) "
     "FROM rollup_day_scores WHERE survey = ANY($4::text[]) AND day >= $2::bigint AND day < $3::bigint "
     "GROUP BY 1, 2, 3 HAVING SUM(n) <> 0"},
    // $1 group ('value' | 'survey' | ''), $2 key, [$3, $4) half hours, $5 values (empty: any), $6 surveys (every one, from
    // rollup_surveys when none is asked: the survey column leads the primary key), $7 bucket half hours (0: none),
    // $8 offset half hours.
    {"rollup_half_attribute_counts",
     "SELECT CASE $1::text WHEN 'value' THEN value WHEN 'survey' THEN survey ELSE '' END, "
     "CASE WHEN $7::bigint = 0 THEN 0 ELSE div(half + $8::bigint, greatest($7::bigint, 1)) END, slot, SUM(n) "
     "FROM rollup_half_attributes WHERE survey = ANY($6::text[]) AND key = $2::text AND half >= $3::bigint AND half < $4::bigint "
     "AND (cardinality($5::text[]) = 0 OR value = ANY($5::text[])) GROUP BY 1, 2, 3 HAVING SUM(n) <> 0"},
    {"rollup_half_score_counts",
     "SELECT CASE $1::text WHEN 'survey' THEN survey ELSE '' END, "
     "CASE WHEN $5::bigint = 0 THEN 0 ELSE div(half + $6::bigint, greatest($5::bigint, 1)) END, slot, SUM(n) "
     "FROM rollup_half_scores WHERE survey = ANY($4::text[]) AND half >= $2::bigint AND half < $3::bigint "
     "GROUP BY 1, 2, 3 HAVING SUM(n) <> 0"},
    // Every survey with counts: a loose index scan of rollup_day_scores' primary key.
    {"rollup_surveys",
     "WITH RECURSIVE s(x) AS (SELECT min(survey) FROM rollup_day_scores UNION ALL "
     "SELECT (SELECT min(survey) FROM rollup_day_scores WHERE survey > s.x) FROM s WHERE s.x IS NOT NULL) "
     "SELECT x FROM s WHERE x IS NOT NULL"},
    // Surveys whose rolled-up keys are full ($1) without key $2: their rows with it are uncounted.
    {"rollup_key_missing",
     "SELECT COUNT(*) FROM (SELECT survey FROM rollup_keys GROUP BY survey "
     "HAVING COUNT(*) >= $1::bigint AND NOT bool_or(key = $2::text)) s"},
    // A bounded row scan (storage.h scan_rows): [$1, $2) by the ts_ms index, $3 surveys (empty: any), $4 rows at most.
    {"scan_rows",
     "SELECT body FROM responses WHERE ts_ms >= $1::bigint AND ts_ms < $2::bigint "
     "AND (cardinality($3::text[]) = 0 OR survey = ANY($3::text[])) LIMIT $4::bigint"},
    {"rollup_keys_add", "INSERT INTO rollup_keys (survey, key) SELECT * FROM unnest($1::text[], $2::text[]) ON CONFLICT DO NOTHING"},
    // Webhook outbox (storage.h, migration 6): the batch's deliveries in its transaction, next_ms = created_ms.
    {"outbox_add",
     "INSERT INTO outbox (endpoint, webhook_id, event, response_id, cursor, created_ms, body, next_ms) "
     "SELECT e, w, v, r, c, t, b, t FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::bigint[], $7::text[]) "
     "AS u(e, w, v, r, c, t, b)"},
    // Claimed by one collector at a time: due rows nobody holds, skipping rows another claim has
    // locked, leased until $4 (a collector that dies holding them frees them when it expires).
    {"outbox_claim",
     "UPDATE outbox SET lease_ms = $4::bigint WHERE id IN (SELECT id FROM outbox WHERE endpoint = $1::text AND state = 0 "
     "AND next_ms <= $2::bigint AND lease_ms <= $2::bigint ORDER BY next_ms, id LIMIT $3::bigint FOR UPDATE SKIP LOCKED) "
     "RETURNING id, endpoint, webhook_id, event, response_id, cursor, created_ms, body, state, attempts, next_ms, "
     "last_attempt_ms, last_status, last_error"},
    {"outbox_next",
     "SELECT COALESCE(MIN(GREATEST(next_ms, lease_ms)), 0) FROM outbox WHERE endpoint = $1::text AND state = 0 "
     "AND GREATEST(next_ms, lease_ms) > $2::bigint"},
    {"outbox_record",
     "UPDATE outbox o SET attempts = o.attempts + 1, state = u.s, next_ms = u.n, last_attempt_ms = u.a, last_status = u.st, "
     "last_error = u.e, lease_ms = 0 FROM unnest($1::bigint[], $2::int[], $3::bigint[], $4::bigint[], $5::int[], $6::text[]) "
     "AS u(id, s, n, a, st, e) WHERE o.id = u.id"},
    {"outbox_recent",
     "SELECT id, endpoint, webhook_id, event, response_id, cursor, created_ms, body, state, attempts, next_ms, "
     "last_attempt_ms, last_status, last_error FROM outbox WHERE endpoint = $1::text ORDER BY id DESC LIMIT $2::bigint"},
    {"outbox_endpoint", "SELECT disabled, reason, changed_ms FROM webhook_endpoints WHERE endpoint = $1::text"},
    {"outbox_counts", "SELECT state, COUNT(*) FROM outbox WHERE endpoint = $1::text GROUP BY state"},
    {"outbox_set_endpoint",
     "INSERT INTO webhook_endpoints (endpoint, disabled, reason, changed_ms) VALUES ($1::text, $2::boolean, $3::text, $4::bigint) "
     "ON CONFLICT (endpoint) DO UPDATE SET disabled = EXCLUDED.disabled, reason = EXCLUDED.reason, changed_ms = EXCLUDED.changed_ms"},
    {"outbox_replay",
     "UPDATE outbox SET state = 0, attempts = 0, next_ms = $2::bigint, lease_ms = 0 WHERE id = $1::bigint RETURNING endpoint"},
    {"outbox_enqueue",
     "INSERT INTO outbox (endpoint, webhook_id, event, response_id, cursor, created_ms, body, next_ms) "
     "VALUES ($1::text, $2::text, $3::text, '', 0, $4::bigint, $5::text, $6::bigint) "
     "ON CONFLICT (endpoint, webhook_id) DO NOTHING RETURNING id"},
    {"outbox_find", "SELECT id FROM outbox WHERE endpoint = $1::text AND webhook_id = $2::text"},
    {"outbox_prune_edge",
     "SELECT id FROM outbox WHERE endpoint = $1::text AND state IN (1, 2) AND response_id <> '' ORDER BY id DESC LIMIT 1 OFFSET "
     "$2::bigint"},
    {"outbox_prune",
     "DELETE FROM outbox WHERE id IN (SELECT id FROM outbox WHERE endpoint = $1::text AND state IN (1, 2) AND response_id <> '' "
     "AND (id <= $2::bigint OR last_attempt_ms < $3::bigint) LIMIT $4::bigint)"},
};

struct connection {
    PGconn* c = nullptr;
    connection() = default;
    connection(const connection&) = delete;
    connection& operator=(const connection&) = delete;
    ~connection() { drop(); }
    void drop() {
        if (c) PQfinish(c);
        c = nullptr;
    }
    bool healthy() const { return c && PQstatus(c) == CONNECTION_OK; }

    bool open(const pg_storage_desc& desc, std::string& error) {
        drop();
        std::string timeout = std::to_string(desc.connect_timeout_s);
        // Earlier keywords are defaults: what the URL (expanded from dbname) says wins.
        const char* keys[] = {"connect_timeout", "application_name", "keepalives_idle", "dbname", nullptr};
        const char* values[] = {timeout.c_str(), "npskit-collector", "30", desc.url.c_str(), nullptr};
        c = PQconnectdbParams(keys, values, 1);
        if (!healthy()) {
            error = "cannot connect to PostgreSQL: " + message_of(c);
            drop();
            return false;
        }
        PQsetNoticeProcessor(
            c, [](void*, const char*) {}, nullptr);  // "relation exists, skipping"
        return true;
    }
    bool prepare_all(std::string& error) {
        for (const named_sql& s : statements) {
            result r(PQprepare(c, s.name, s.sql, 0, nullptr));
            if (!r.ok()) {
                error = std::string("cannot prepare ") + s.name + ": " + message_of(c);
                return false;
            }
        }
        if (!result(run("custom_plans")).ok()) {
            error = "cannot set plan_cache_mode: " + message_of(c);
            return false;
        }
        return true;
    }
    // Sends every call at once and reads the results in order (libpq pipeline mode: one round
    // trip for the lot). The server skips the calls after a failed one; false then.
    struct call {
        const char* name;
        std::vector<const std::string*> params;
    };
    // On failure out ends with the failed call's result (when the server answered it).
    bool pipeline(const std::vector<call>& calls, std::vector<std::unique_ptr<result>>& out, std::string& error) {
        out.clear();
        if (!PQenterPipelineMode(c)) {
            error = message_of(c);
            return false;
        }
        bool ok = true;
        for (const call& k : calls) {
            const char* values[8] = {};
            int n = 0;
            for (const std::string* p : k.params) values[n++] = p ? p->c_str() : nullptr;
            if (!PQsendQueryPrepared(c, k.name, n, values, nullptr, nullptr, 0)) ok = false;
            if (!ok) break;
        }
        if (ok && !PQpipelineSync(c)) ok = false;
        if (!ok) error = message_of(c);
        for (size_t i = 0; ok && i < calls.size(); ++i) {
            PGresult* r = PQgetResult(c);
            if (!r) {
                ok = false;
                error = message_of(c);
                break;
            }
            auto res = std::make_unique<result>(r);
            if (!res->ok()) {
                ok = false;
                const char* m = PQresultErrorMessage(r);
                error = m && *m ? m : message_of(c);
                while (!error.empty() && (error.back() == '\n' || error.back() == ' ')) error.pop_back();
            }
            out.push_back(std::move(res));
            while (PGresult* end = PQgetResult(c)) PQclear(end);  // each call's results end with NULL
            for (; !ok && i + 1 < calls.size(); ++i) {            // the skipped ones: PGRES_PIPELINE_ABORTED
                if (PGresult* skipped = PQgetResult(c)) PQclear(skipped);
                while (PGresult* end = PQgetResult(c)) PQclear(end);
            }
        }
        if (PGresult* sync = PQgetResult(c)) PQclear(sync);
        // Anything left unread (a broken connection) makes this call fail: start afresh.
        if (!PQexitPipelineMode(c)) {
            if (ok) error = message_of(c);
            drop();
            return false;
        }
        return ok;
    }

    // Runs a prepared statement with text parameters (nullptr = SQL NULL).
    PGresult* run(const char* name, std::initializer_list<const std::string*> params = {}) {
        const char* values[8] = {};
        int n = 0;
        for (const std::string* p : params) values[n++] = p ? p->c_str() : nullptr;
        return PQexecPrepared(c, name, n, values, nullptr, nullptr, 0);
    }
};

//-----------------------------------------------------------------------------
// [SECTION] Schema and migrations
//-----------------------------------------------------------------------------
// Applied in order, each in its own transaction with its row in npskit_migrations, under a
// session advisory lock so that collectors starting together migrate once. Never edit one
// that has shipped: add the next.
struct migration {
    int version;
    const char* name;
    const char* sql;
};
constexpr migration migrations[] = {
    {1, "responses table, cursor sequence",
     "CREATE SEQUENCE IF NOT EXISTS npskit_cursor;"
     "CREATE TABLE IF NOT EXISTS responses ("
     "  id      text PRIMARY KEY,"
     "  cursor  bigint NOT NULL UNIQUE,"  // assigned on every insert and every real update
     "  type    text NOT NULL,"
     "  survey  text NOT NULL,"
     "  score   integer,"  // NULL for display events
     "  ts_ms   bigint NOT NULL,"
     "  body    text NOT NULL"  // canonical schema v1 JSON of the merged record
     ");"
     "CREATE INDEX IF NOT EXISTS responses_ts ON responses (ts_ms);"},
    // GET /v1/comments' text search: a GIN index over each comment's words in its own language
    // ("read_comments" asks french rows with a french query and the others with an english one,
    // each side the indexed expression @@ a constant query, so the planner can use it).
    {2, "comments full-text index",
     "CREATE INDEX IF NOT EXISTS responses_comment_words ON responses USING gin ("
     "to_tsvector(CASE WHEN (body::jsonb->>'locale') ILIKE 'fr%' THEN 'french'::regconfig ELSE 'english'::regconfig END, "
     "coalesce(body::jsonb->>'comment', ''))"
     ") "
     "WHERE score IS NOT NULL;"},
    // The follow-up list's statuses (pg_followup.cpp), beside the answers: never their rows.
    {3, "follow-up statuses",
     "CREATE TABLE IF NOT EXISTS follow_ups ("
     "  response_id text PRIMARY KEY,"  // responses.id
     "  status      text NOT NULL,"     // todo | contacted | resolved
     "  by_name     text NOT NULL,"
     "  at_ms       bigint NOT NULL,"  // the collector's clock
     "  note        text NOT NULL"
     ");"
     "CREATE INDEX IF NOT EXISTS follow_ups_at ON follow_ups (at_ms);"},
    // Histogram rollups (rollups.h), backfilled from the rows: the same cells as the write path
    // (slot = score, 11 shown, 12 dismissed; built-in keys always; host keys: the first 64 per
    // survey by the cursor of the first row holding them, then by key).
    {4, "histogram rollups",
     "CREATE TABLE rollup_scores (survey text NOT NULL, hour bigint NOT NULL, slot integer NOT NULL, n bigint NOT NULL,"
     "  PRIMARY KEY (survey, hour, slot));"
     "CREATE TABLE rollup_attributes (survey text NOT NULL, key text NOT NULL, value text NOT NULL, hour bigint NOT NULL,"
     "  slot integer NOT NULL, n bigint NOT NULL, PRIMARY KEY (survey, key, value, hour, slot));"
     "CREATE TABLE rollup_keys (survey text NOT NULL, key text NOT NULL, PRIMARY KEY (survey, key));"
     "CREATE TEMP TABLE rollup_rows ON COMMIT DROP AS SELECT survey, cursor, div(ts_ms, 3600000) AS hour,"
     "  CASE type WHEN 'shown' THEN 11 WHEN 'dismissed' THEN 12 ELSE score END AS slot, body::jsonb AS b FROM responses;"
     "INSERT INTO rollup_scores SELECT survey, hour, slot, count(*) FROM rollup_rows GROUP BY 1, 2, 3;"
     "INSERT INTO rollup_keys SELECT survey, key FROM (SELECT survey, key,"
     "  row_number() OVER (PARTITION BY survey ORDER BY min(cursor), key) AS rank"
     "  FROM rollup_rows, jsonb_object_keys(CASE jsonb_typeof(b->'attributes') WHEN 'object' THEN b->'attributes' END) AS key"
     "  GROUP BY survey, key) k WHERE rank <= 64;"
     "INSERT INTO rollup_attributes SELECT r.survey, a.key, a.value, r.hour, r.slot, count(*) FROM rollup_rows r,"
     "  LATERAL (SELECT e.key, e.value FROM jsonb_each_text(CASE jsonb_typeof(r.b->'attributes') WHEN 'object'"
     "      THEN r.b->'attributes' END) e JOIN rollup_keys k ON k.survey = r.survey AND k.key = e.key"
     "    UNION ALL SELECT f, r.b->>f FROM unnest(ARRAY['trigger', 'page', 'locale', 'contact_ok']) f WHERE r.b ? f) a"
     "  GROUP BY 1, 2, 3, 4, 5;"},
    // Survey definitions (pg_surveys.cpp): every version kept.
    {5, "survey_versions table",
     "CREATE TABLE IF NOT EXISTS survey_versions ("
     "  id text NOT NULL, version bigint NOT NULL, body text NOT NULL, actor text NOT NULL,"
     "  at_ms bigint NOT NULL, deleted boolean NOT NULL, PRIMARY KEY (id, version))"},
    // Webhook outbox (storage.h): the SQLite tables plus lease_ms, the claim of one collector.
    {6, "webhook outbox",
     "CREATE TABLE outbox ("
     "  id bigserial PRIMARY KEY, endpoint text NOT NULL, webhook_id text NOT NULL, event text NOT NULL,"
     "  response_id text NOT NULL, cursor bigint NOT NULL, created_ms bigint NOT NULL, body text NOT NULL,"
     "  state integer NOT NULL DEFAULT 0,"  // 0 pending, 1 delivered, 2 failed
     "  attempts integer NOT NULL DEFAULT 0, next_ms bigint NOT NULL, last_attempt_ms bigint NOT NULL DEFAULT 0,"
     "  last_status integer NOT NULL DEFAULT 0, last_error text NOT NULL DEFAULT '',"
     "  lease_ms bigint NOT NULL DEFAULT 0,"  // claimed by a collector's sender until then
     "  UNIQUE (endpoint, webhook_id));"
     "CREATE INDEX outbox_due ON outbox (endpoint, state, next_ms);"
     "CREATE INDEX outbox_recent ON outbox (endpoint, id);"
     "CREATE TABLE webhook_endpoints (endpoint text PRIMARY KEY, disabled boolean NOT NULL, reason text NOT NULL,"
     "  changed_ms bigint NOT NULL);"},
    // The same rollups by UTC day (hour / 24; hours are >= 0), summed from the hourly ones: a
    // whole-day range reads 24 times fewer cells.
    {7, "daily rollups",
     "CREATE TABLE rollup_day_scores (survey text NOT NULL, day bigint NOT NULL, slot integer NOT NULL, n bigint NOT NULL,"
     "  PRIMARY KEY (survey, day, slot));"
     "CREATE TABLE rollup_day_attributes (survey text NOT NULL, key text NOT NULL, value text NOT NULL, day bigint NOT NULL,"
     "  slot integer NOT NULL, n bigint NOT NULL, PRIMARY KEY (survey, key, value, day, slot));"
     "INSERT INTO rollup_day_scores SELECT survey, div(hour, 24), slot, sum(n) FROM rollup_scores GROUP BY 1, 2, 3;"
     "INSERT INTO rollup_day_attributes SELECT survey, key, value, div(hour, 24), slot, sum(n) FROM rollup_attributes"
     "  GROUP BY 1, 2, 3, 4, 5;"},
    // Half-hour cells instead of hourly ones (rollups.h: a zone of half an hour starts its days
    // on a half hour), and the follow-up list's candidates in the daily cells: every cell is
    // rebuilt from the rows by the core (rebuild_rollups below, in this migration's transaction;
    // an hour's counts cannot be split). The key registry stays as it is.
    {8, "half-hour rollups, follow-up cells",
     "CREATE TABLE rollup_half_scores (survey text NOT NULL, half bigint NOT NULL, slot integer NOT NULL, n bigint NOT NULL,"
     "  PRIMARY KEY (survey, half, slot));"
     "CREATE TABLE rollup_half_attributes (survey text NOT NULL, key text NOT NULL, value text NOT NULL, half bigint NOT NULL,"
     "  slot integer NOT NULL, n bigint NOT NULL, PRIMARY KEY (survey, key, value, half, slot));"
     "DROP TABLE rollup_scores;"
     "DROP TABLE rollup_attributes;"
     "DELETE FROM rollup_day_scores;"
     "DELETE FROM rollup_day_attributes;"},
};
constexpr const char* migrations_table_sql =
    "CREATE TABLE IF NOT EXISTS npskit_migrations ("
    "  version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())";

bool exec_ok(PGconn* c, const char* sql, std::string& error) {
    result r(PQexec(c, sql));
    if (r.ok()) return true;
    error = message_of(c);
    return false;
}

PGresult* exec_named(PGconn* c, const char* name, const std::vector<const std::string*>& params) {
    const char* values[8] = {};
    int n = 0;
    for (const std::string* p : params) values[n++] = p ? p->c_str() : nullptr;
    return PQexecPrepared(c, name, n, values, nullptr, nullptr, 0);
}

// Migration 8's second step: every rollup cell from the rows, by the core's rollup_cells (the
// write path's cells, not a copy in SQL), read in cursor order 20,000 rows a fetch and applied
// with the write path's "…_add" statements. Host keys: the registry's (complete since migration
// 4: the write path registers each new key in the row's transaction).
bool rebuild_rollups(PGconn* c, std::string& error) {
    if (!pg_prepare_shared(
            c, {"rollup_half_scores_add", "rollup_half_attributes_add", "rollup_day_scores_add", "rollup_day_attributes_add"}, error))
        return false;
    std::map<std::string, std::set<std::string>> keys;
    {
        result r(PQexec(c, "SELECT survey, key FROM rollup_keys"));
        if (!r.ok()) return error = message_of(c), false;
        for (int i = 0; i < r.rows(); ++i) keys[r.text(i, 0)].insert(r.text(i, 1));
    }
    const rollup_key_allowed allowed = [&](const std::string& survey, const std::string& key) {
        auto k = keys.find(survey);
        return k != keys.end() && k->second.count(key) > 0;
    };
    if (!exec_ok(c, "DECLARE npskit_rebuild NO SCROLL CURSOR FOR SELECT body FROM responses ORDER BY cursor", error)) return false;
    for (;;) {
        result r(PQexec(c, "FETCH 20000 FROM npskit_rebuild"));
        if (!r.ok()) return error = message_of(c), false;
        std::vector<rollup_move> moves;
        for (int i = 0; i < r.rows(); ++i)
            if (parse_result p = parse_response(std::string_view(r.text(i, 0))); p.ok()) add_rollup_moves(p.value, +1, allowed, moves);
        net_moves(moves);
        const rollup_arrays ra(moves);
        bool added = true;
        ra.each_call([&](const char* name, const std::vector<const std::string*>& params) {
            result done(exec_named(c, name, params));
            if (added && !done.ok()) added = false, error = message_of(c);
        });
        if (!added) return false;
        if (r.rows() < 20000) break;
    }
    // prepare_all prepares every statement afterwards, these included.
    return exec_ok(c, "CLOSE npskit_rebuild", error) && exec_ok(c, "DEALLOCATE ALL", error);
}

bool migrate(PGconn* c, std::string& error) {
    if (!exec_ok(c, "SELECT pg_advisory_lock(1853058924)", error)) return false;
    auto unlock = [&] {
        std::string ignored;
        exec_ok(c, "SELECT pg_advisory_unlock(1853058924)", ignored);
    };
    if (!exec_ok(c, migrations_table_sql, error)) return unlock(), false;
    int current = 0;
    {
        result r(PQexec(c, "SELECT COALESCE(MAX(version), 0) FROM npskit_migrations"));
        if (!r.ok()) {
            error = message_of(c);
            return unlock(), false;
        }
        current = std::atoi(PQgetvalue(r.r, 0, 0));
    }
    for (const migration& m : migrations) {
        if (m.version <= current) continue;
        std::string version = std::to_string(m.version);
        const char* values[] = {version.c_str(), m.name};
        bool ok = exec_ok(c, "BEGIN", error) && exec_ok(c, m.sql, error) && (m.version != 8 || rebuild_rollups(c, error));
        if (ok) {
            result r(PQexecParams(c, "INSERT INTO npskit_migrations (version, name) VALUES ($1::integer, $2::text)", 2, nullptr, values,
                                  nullptr, nullptr, 0));
            ok = r.ok();
            if (!ok) error = message_of(c);
        }
        ok = ok && exec_ok(c, "COMMIT", error);
        if (!ok) {
            std::string ignored;
            exec_ok(c, "ROLLBACK", ignored);
            error = "migration " + version + " (" + m.name + ") failed: " + error;
            return unlock(), false;
        }
    }
    unlock();
    return true;
}

//-----------------------------------------------------------------------------
// [SECTION] pg_storage
//-----------------------------------------------------------------------------
class pg_storage final : public response_storage {
public:
    ~pg_storage() override { watch({}); }

    bool open(const pg_storage_desc& desc, std::string& error) {
        desc_ = desc;
        if (!check_postgres_url(desc.url, error)) return false;
        if (!writer_.open(desc_, error)) return false;
        if (!migrate(writer_.c, error) || !writer_.prepare_all(error)) return false;
        result r(writer_.run("max_cursor"));
        if (!r.ok()) {
            error = message_of(writer_.c);
            return false;
        }
        raise_cursor(r.number(0, 0));
        surveys_ = open_pg_surveys(desc.url, desc.connect_timeout_s, error);  // survey definitions
        return surveys_ != nullptr;
    }
    survey_store* surveys() override { return surveys_.get(); }

    bool write(const std::vector<response>& batch, std::vector<write_result>& results, std::string& error) override {
        results.assign(batch.size(), {});
        if (batch.empty()) return true;
        if (!writer_.healthy() && !(writer_.open(desc_, error) && writer_.prepare_all(error))) {
            writer_.drop();
            return false;
        }
        if (write_new(batch, results, error)) return true;
        error.clear();
        // The merge path. Round trip 1: begin, the write lock, cursors for every entry (the unused ones are a gap),
        // and the stored rows of the batch's ids, locked.
        std::string ids = "{";
        for (const response& r : batch) append_array_item(ids, &r.id);
        ids += '}';
        std::string count = std::to_string(batch.size());
        std::string surveys_seen = "{";  // the batch's surveys, for their rolled-up keys
        {
            std::unordered_set<std::string> seen;
            for (const response& r : batch)
                if (seen.insert(r.survey).second) append_array_item(surveys_seen, &r.survey);
            surveys_seen += '}';
        }
        std::vector<std::unique_ptr<result>> got;
        auto first_trip = [&] {
            return writer_.pipeline(
                {{"begin", {}}, {"write_lock", {}}, {"take_cursors", {&count}}, {"stored_rows", {&ids}}, {"rollup_keys", {&surveys_seen}}},
                got, error);
        };
        if (!first_trip()) {
            // A connection the database dropped while idle (a restart): nothing of this batch
            // ran, so reconnect once and send it again.
            if (writer_.healthy() || !writer_.open(desc_, error) || !writer_.prepare_all(error) || !first_trip()) return abort();
        }
        const uint64_t last_reserved = got[2]->number(0, 0);
        const uint64_t first = last_reserved - batch.size() + 1;

        // Each entry merged in input order against the row as this transaction leaves it (an
        // id may come twice).
        struct row_state {
            std::string json;
            uint64_t cursor = 0;
            bool stored = false;  // exists (before or by this batch)
            long change = -1;     // >= 0: written by this batch, at its change number `change`
            response value;       // the row to write when changed
        };
        std::unordered_map<std::string, row_state> rows;
        std::unordered_map<std::string, std::string> before;  // id -> the row as stored before the batch
        {
            const result& r = *got[3];
            for (int i = 0; i < r.rows(); ++i) {
                rows[r.text(i, 0)] = {r.text(i, 1), r.number(i, 2), true, -1, {}};
                before[r.text(i, 0)] = r.text(i, 1);
            }
        }
        // The rolled-up keys as committed (read under the write lock: right across collectors).
        std::unordered_map<std::string, std::unordered_set<std::string>> rollup_keys;
        std::vector<std::pair<std::string, std::string>> new_keys;
        {
            const result& r = *got[4];
            for (int i = 0; i < r.rows(); ++i) rollup_keys[r.text(i, 0)].insert(r.text(i, 1));
            for (const auto& [survey, keys] : rollup_keys) known_keys_[survey].insert(keys.begin(), keys.end());  // committed
        }
        const rollup_key_allowed allowed = rollup_registry(rollup_keys, new_keys);
        std::vector<rollup_move> moves;
        std::vector<size_t> changed;  // entries that take a cursor, in order
        std::vector<row_state*> changed_rows;
        std::vector<std::pair<size_t, long>> later;  // unchanged / conflict on a row this batch wrote
        int64_t now = wall_clock_ms();
        std::vector<std::string> keys;  // the outbox's deliveries (storage.h), as arrays for "outbox_add"
        std::string o_endpoint = "{", o_webhook_id = "{", o_event = "{", o_response = "{", o_cursor = "{", o_created = "{", o_body = "{";
        for (size_t i = 0; i < batch.size(); ++i) {
            const response& incoming = batch[i];
            row_state& row = rows[incoming.id];
            if (!row.stored) {
                row = {response_to_json(incoming), 0, true, -1, incoming};
                results[i].outcome = write_outcome::inserted;
            } else {
                parse_result old = parse_response(std::string_view(row.json));
                response merged = old.ok() ? merge_update(old.value, incoming) : incoming;
                std::string json = response_to_json(merged);
                if (json == row.json) {
                    results[i] = {write_outcome::unchanged, row.cursor, {}};
                    if (row.change >= 0) later.emplace_back(i, row.change);
                    continue;
                }
                if (old.ok()) {
                    std::vector<std::string> conflicts = update_conflicts(old.value, incoming, now);
                    if (!conflicts.empty()) {
                        results[i] = {write_outcome::conflict, row.cursor, std::move(conflicts)};
                        if (row.change >= 0) later.emplace_back(i, row.change);
                        continue;
                    }
                }
                row.json = std::move(json);
                row.value = std::move(merged);
                results[i].outcome = write_outcome::updated;
            }
            row.change = static_cast<long>(changed.size());
            if (router_ && row.value.type == event_type::response) {
                // One delivery per endpoint that wants the record as this change leaves it.
                keys.clear();
                router_(row.value, keys);
                const bool created = results[i].outcome == write_outcome::inserted;
                const std::string cursor = std::to_string(first + changed.size()), at = std::to_string(now);
                const std::string webhook_id = incoming.id + (created ? ".created" : ".updated." + cursor);
                const std::string event = created ? "response.created" : "response.updated";
                for (const std::string& key : keys) {
                    append_array_item(o_endpoint, &key);
                    append_array_item(o_webhook_id, &webhook_id);
                    append_array_item(o_event, &event);
                    append_array_item(o_response, &incoming.id);
                    append_array_item(o_cursor, &cursor);
                    append_array_item(o_created, &at);
                    append_array_item(o_body, &row.json);
                }
            }
            changed.push_back(i);
            changed_rows.push_back(&row);
        }
        for (std::string* a : {&o_endpoint, &o_webhook_id, &o_event, &o_response, &o_cursor, &o_created, &o_body}) *a += '}';
        if (changed.empty()) return step("commit", {}, error) || abort();
        const uint64_t last = first + changed.size() - 1;
        // Each change gets the next cursor; a row changed twice is written once, at its latest.
        for (auto [i, change] : later) results[i].cursor = first + static_cast<uint64_t>(change);
        ids = "{";
        std::string cursors = "{", types = "{", surveys = "{", scores = "{", ts = "{", bodies = "{";
        for (size_t k = 0; k < changed.size(); ++k) {
            results[changed[k]].cursor = first + k;
            row_state& row = *changed_rows[k];
            if (row.change != static_cast<long>(k)) continue;  // a later entry of the batch rewrites it
            const response& r = row.value;
            std::string cursor = std::to_string(first + k), type = event_type_name(r.type), t = std::to_string(r.ts_ms);
            std::string score = std::to_string(r.score);
            bool has_score = r.type == event_type::response && r.score >= 0;
            append_array_item(ids, &r.id);
            append_array_item(cursors, &cursor);
            append_array_item(types, &type);
            append_array_item(surveys, &r.survey);
            append_array_item(scores, has_score ? &score : nullptr);
            append_array_item(ts, &t);
            append_array_item(bodies, &row.json);
            // The row's counts move from what was stored before the batch to its final state.
            if (auto b = before.find(r.id); b != before.end())
                if (parse_result old = parse_response(std::string_view(b->second)); old.ok())
                    add_rollup_moves(old.value, -1, allowed, moves);
            add_rollup_moves(r, +1, allowed, moves);
        }
        for (std::string* a : {&ids, &cursors, &types, &surveys, &scores, &ts, &bodies}) *a += '}';
        net_moves(moves);
        const rollup_arrays rollups(moves);
        const pg::key_arrays key_lists(new_keys);
        std::string last_text = std::to_string(last);
        // Round trip 2: the rows, the wake-up for other collectors (sent at commit), the commit.
        std::vector<connection::call> calls = {{"upsert", {&ids, &cursors, &types, &surveys, &scores, &ts, &bodies}}};
        rollups.each_call([&](const char* name, std::vector<const std::string*> params) { calls.push_back({name, std::move(params)}); });
        calls.push_back({"rollup_keys_add", {&key_lists.survey, &key_lists.key}});
        calls.push_back({"outbox_add", {&o_endpoint, &o_webhook_id, &o_event, &o_response, &o_cursor, &o_created, &o_body}});
        calls.push_back({"notify", {&last_text}});
        calls.push_back({"commit", {}});
        if (!writer_.pipeline(calls, got, error)) return abort();
        for (const auto& [survey, key] : new_keys) known_keys_[survey].insert(key);
        raise_cursor(last);
        return true;
    }

    // One round trip for a batch whose ids are all new (answers are mostly posted once): begin,
    // the write lock, the cursors, the rows ("insert_new", which fails if any id exists), the
    // rollups, the outbox, the wake-up and the commit, sent at once (pipeline mode), so nothing
    // waits on the collector while the lock is held. Taken only when no id comes twice in the
    // batch and every attribute key is known to be rolled up or not (known_keys_: keys are only
    // ever added, at most rollup_max_keys a survey, so a full set is final). false: not taken or
    // rolled back (an id existed, the connection broke, …); the merge path then runs the batch,
    // and a batch that did commit before the connection broke merges as unchanged there.
    bool write_new(const std::vector<response>& batch, std::vector<write_result>& results, std::string& error) {
        {
            std::unordered_set<std::string_view> seen;
            for (const response& r : batch)
                if (!seen.insert(r.id).second) return false;
        }
        bool unknown = false;
        const rollup_key_allowed allowed = [&](const std::string& survey, const std::string& key) {
            auto known = known_keys_.find(survey);
            if (known != known_keys_.end() && known->second.count(key)) return true;
            if (known != known_keys_.end() && known->second.size() >= rollup_max_keys) return false;
            unknown = true;
            return false;
        };
        std::vector<rollup_move> moves;
        for (const response& r : batch) {
            add_rollup_moves(r, +1, allowed, moves);
            if (unknown) return false;
        }
        net_moves(moves);
        const rollup_arrays rollups(moves);
        const std::string count = std::to_string(batch.size()), now = std::to_string(wall_clock_ms());
        std::string ids = "{", types = "{", surveys = "{", scores = "{", ts = "{", bodies = "{";
        std::string o_endpoint = "{", o_webhook_id = "{", o_event = "{", o_response = "{", o_k = "{", o_created = "{", o_body = "{";
        const std::string event = "response.created";
        std::vector<std::string> keys;
        bool deliveries = false;
        for (size_t i = 0; i < batch.size(); ++i) {
            const response& r = batch[i];
            std::string type = event_type_name(r.type), t = std::to_string(r.ts_ms), score = std::to_string(r.score);
            std::string json = response_to_json(r);
            append_array_item(ids, &r.id);
            append_array_item(types, &type);
            append_array_item(surveys, &r.survey);
            append_array_item(scores, r.type == event_type::response && r.score >= 0 ? &score : nullptr);
            append_array_item(ts, &t);
            append_array_item(bodies, &json);
            if (!router_ || r.type != event_type::response) continue;
            keys.clear();
            router_(r, keys);
            const std::string webhook_id = r.id + ".created", k = std::to_string(i + 1);
            for (const std::string& key : keys) {
                deliveries = true;
                append_array_item(o_endpoint, &key);
                append_array_item(o_webhook_id, &webhook_id);
                append_array_item(o_event, &event);
                append_array_item(o_response, &r.id);
                append_array_item(o_k, &k);
                append_array_item(o_created, &now);
                append_array_item(o_body, &json);
            }
        }
        for (std::string* a :
             {&ids, &types, &surveys, &scores, &ts, &bodies, &o_endpoint, &o_webhook_id, &o_event, &o_response, &o_k, &o_created, &o_body})
            *a += '}';
        std::vector<connection::call> calls = {{"begin", {}},
                                               {"write_lock", {}},
                                               {"take_cursors", {&count}},
                                               {"insert_new", {&ids, &types, &surveys, &scores, &ts, &bodies, &count}}};
        rollups.each_call([&](const char* name, std::vector<const std::string*> params) { calls.push_back({name, std::move(params)}); });
        if (deliveries)
            calls.push_back({"outbox_add_new", {&o_endpoint, &o_webhook_id, &o_event, &o_response, &o_k, &o_created, &o_body, &count}});
        calls.push_back({"notify_last", {}});
        calls.push_back({"commit", {}});
        std::vector<std::unique_ptr<result>> got;
        if (!writer_.pipeline(calls, got, error)) {
            abort();  // an id existed ("insert_new" failed) or anything else
            return false;
        }
        const uint64_t last = got[2]->number(0, 0), first = last - batch.size() + 1;
        for (size_t i = 0; i < batch.size(); ++i) results[i] = {write_outcome::inserted, first + i, {}};
        raise_cursor(last);
        return true;
    }

    bool read_since(uint64_t since, size_t limit, std::vector<stored_response>& out, std::string& error) override {
        std::string from = std::to_string(since), count = std::to_string(std::min<size_t>(limit, INT64_MAX));
        return with_reader(error, [&](connection& c) {
            result r(c.run("read_since", {&from, &count}));
            if (!r.ok()) return false;
            for (int i = 0; i < r.rows(); ++i) out.push_back({r.number(i, 0), r.text(i, 1)});
            return true;
        });
    }

    bool read_ids(const std::vector<std::string>& ids, std::vector<stored_response>& out, std::string& error) override {
        const size_t first = out.size();
        return with_reader(error, [&](connection& c) {
            out.resize(first);                               // a retry on a fresh connection starts over
            for (size_t i = 0; i < ids.size(); i += 1000) {  // a bounded parameter per statement
                std::string list = "{";
                for (size_t j = i; j < std::min(ids.size(), i + 1000); ++j) append_array_item(list, &ids[j]);
                list += '}';
                result r(c.run("read_ids", {&list}));
                if (!r.ok()) return false;
                for (int k = 0; k < r.rows(); ++k) out.push_back({r.number(k, 0), r.text(k, 1)});
            }
            return true;
        });
    }

    // GET /v1/comments ("read_comments" above).
    bool read_comments(const comment_query& q, std::vector<comment_row>& out, std::string& error) override {
        std::string p[8] = {std::to_string(q.since_ms),
                            std::to_string(q.until_ms),
                            std::to_string(q.before_ts_ms),
                            q.before_id,
                            q.survey,
                            std::to_string(q.segments),
                            q.text,
                            std::to_string(q.limit)};
        return with_reader(error, [&](connection& c) {
            result r(c.run("read_comments", {&p[0], &p[1], &p[2], &p[3], &p[4], &p[5], &p[6], &p[7]}));
            if (!r.ok()) return false;
            for (int i = 0; i < r.rows(); ++i)
                out.push_back({static_cast<int64_t>(std::strtoll(PQgetvalue(r.r, i, 0), nullptr, 10)), r.text(i, 1), r.text(i, 2)});
            return true;
        });
    }

    uint64_t last_cursor() const override { return last_cursor_; }

    uint64_t row_count() override {
        std::string error;
        uint64_t n = 0;
        with_reader(error, [&](connection& c) {
            result r(c.run("row_count"));
            if (r.ok()) n = r.number(0, 0);
            return r.ok();
        });
        return n;
    }

    bool scan_rows(const scan_query& q, const std::function<void()>& restart, const std::function<void(std::string_view)>& row,
                   std::string& error) override {
        std::string surveys = "{";
        for (const std::string& v : q.surveys) append_array_item(surveys, &v);
        surveys += '}';
        std::string since = std::to_string(q.since_ms), until = std::to_string(q.until_ms), limit = std::to_string(q.limit);
        return with_reader(error, [&](connection& c) {
            result r(c.run("scan_rows", {&since, &until, &surveys, &limit}));
            if (!r.ok()) return false;
            if (restart) restart();
            for (int i = 0; i < r.rows(); ++i) row(std::string_view(PQgetvalue(r.r, i, 0), static_cast<size_t>(PQgetlength(r.r, i, 0))));
            return true;
        });
    }

    bool rollup_counts(const rollup_query& q, std::vector<rollup_count>& out, bool& complete, std::string& error) override {
        auto array = [](const std::vector<std::string>& items) {
            std::string a = "{";
            for (const std::string& v : items) append_array_item(a, &v);
            return a + '}';
        };
        const bool attr = !q.attribute.empty();
        std::string group = q.group_by_value && attr ? "value" : q.group_by_survey ? "survey" : "";
        std::string since = std::to_string(q.since), until = std::to_string(q.until);
        std::string values = array(q.values), surveys = array(q.surveys), cap = std::to_string(rollup_max_keys);
        const bool builtin = !attr || rollup_key_always(q.attribute);
        std::string bucket = std::to_string(q.bucket), offset = std::to_string(q.offset);
        return with_reader(error, [&](connection& c) {
            out.clear();  // a retry on a fresh connection starts over
            if (q.surveys.empty()) {
                result s(c.run("rollup_surveys"));
                if (!s.ok()) return false;
                std::vector<std::string> all;
                for (int i = 0; i < s.rows(); ++i) all.push_back(s.text(i, 0));
                surveys = array(all);
            }
            PGresult* ran = nullptr;
            if (attr && q.days)
                ran = c.run("rollup_day_attribute_counts", {&group, &q.attribute, &since, &until, &values, &surveys, &bucket, &offset});
            else if (attr)
                ran = c.run("rollup_half_attribute_counts", {&group, &q.attribute, &since, &until, &values, &surveys, &bucket, &offset});
            else if (q.days)
                ran = c.run("rollup_day_score_counts", {&group, &since, &until, &surveys, &bucket, &offset});
            else
                ran = c.run("rollup_half_score_counts", {&group, &since, &until, &surveys, &bucket, &offset});
            result r(ran);
            if (!r.ok()) return false;
            for (int i = 0; i < r.rows(); ++i)
                out.push_back(
                    {r.text(i, 0), std::strtoll(PQgetvalue(r.r, i, 1), nullptr, 10), static_cast<uint8_t>(r.number(i, 2)), r.number(i, 3)});
            complete = true;
            if (builtin) return true;
            result m(c.run("rollup_key_missing", {&cap, &q.attribute}));
            if (!m.ok()) return false;
            complete = m.number(0, 0) == 0;
            return true;
        });
    }

    // The parts of one aggregate in one pipeline: the survey list and the key check once.
    bool rollup_counts_each(const std::vector<rollup_query>& qs, std::vector<std::vector<rollup_count>>& out, bool& complete,
                            std::string& error) override {
        out.assign(qs.size(), {});
        complete = true;
        if (qs.empty()) return true;
        auto array = [](const std::vector<std::string>& items) {
            std::string a = "{";
            for (const std::string& v : items) append_array_item(a, &v);
            return a + '}';
        };
        const rollup_query& q0 = qs.front();
        const bool attr = !q0.attribute.empty();
        std::string group = q0.group_by_value && attr ? "value" : q0.group_by_survey ? "survey" : "";
        std::string values = array(q0.values), surveys = array(q0.surveys), cap = std::to_string(rollup_max_keys);
        std::vector<std::array<std::string, 4>> ranges;  // since, until, bucket, offset: stable for the calls
        ranges.reserve(qs.size());
        for (const rollup_query& q : qs)
            ranges.push_back({std::to_string(q.since), std::to_string(q.until), std::to_string(q.bucket), std::to_string(q.offset)});
        return with_reader(error, [&](connection& c) {
            for (auto& o : out) o.clear();  // a retry on a fresh connection starts over
            if (q0.surveys.empty()) {
                result s(c.run("rollup_surveys"));
                if (!s.ok()) return false;
                std::vector<std::string> all;
                for (int i = 0; i < s.rows(); ++i) all.push_back(s.text(i, 0));
                surveys = array(all);
            }
            std::vector<connection::call> calls;
            for (size_t i = 0; i < qs.size(); ++i) {
                auto& [since, until, bucket, offset] = ranges[i];
                if (attr)
                    calls.push_back({qs[i].days ? "rollup_day_attribute_counts" : "rollup_half_attribute_counts",
                                     {&group, &q0.attribute, &since, &until, &values, &surveys, &bucket, &offset}});
                else
                    calls.push_back({qs[i].days ? "rollup_day_score_counts" : "rollup_half_score_counts",
                                     {&group, &since, &until, &surveys, &bucket, &offset}});
            }
            if (!rollup_key_always(q0.attribute) && attr) calls.push_back({"rollup_key_missing", {&cap, &q0.attribute}});
            std::vector<std::unique_ptr<result>> got;
            if (!c.pipeline(calls, got, error)) return false;
            for (size_t i = 0; i < qs.size(); ++i) {
                const result& r = *got[i];
                for (int k = 0; k < r.rows(); ++k)
                    out[i].push_back({r.text(k, 0), std::strtoll(PQgetvalue(r.r, k, 1), nullptr, 10), static_cast<uint8_t>(r.number(k, 2)),
                                      r.number(k, 3)});
            }
            if (got.size() > qs.size()) complete = got.back()->number(0, 0) == 0;
            return true;
        });
    }

    std::string describe() const override {
        // Never the password: host, port, database, user from the parsed URL.
        std::string host, port, db, user, ignored;
        if (PQconninfoOption* o = PQconninfoParse(desc_.url.c_str(), nullptr)) {
            for (PQconninfoOption* p = o; p->keyword; ++p) {
                std::string k = p->keyword, v = p->val ? p->val : "";
                if (k == "host")
                    host = v;
                else if (k == "port")
                    port = v;
                else if (k == "dbname")
                    db = v;
                else if (k == "user")
                    user = v;
            }
            PQconninfoFree(o);
        }
        return "postgresql://" + (user.empty() ? "" : user + "@") + host + (port.empty() ? "" : ":" + port) + "/" + db +
               " (advisory-locked cursor order, LISTEN/NOTIFY)";
    }

    // A thread LISTENs on npskit_responses (and polls every 500 ms as a safety net, e.g. after
    // a reconnect): commits by other collectors raise last_cursor() and call `committed`.
    void watch(std::function<void(uint64_t)> committed) override {
        {
            std::lock_guard<std::mutex> lock(watch_mutex_);
            stop_watching_ = true;
        }
        watch_cv_.notify_all();
        if (watcher_.joinable()) watcher_.join();
        if (!committed) return;
        stop_watching_ = false;
        watcher_ = std::thread([this, committed = std::move(committed)] { listen_loop(committed); });
    }

    // Follow-up statuses (pg_followup.cpp) on a pooled reader: one autocommit statement each.
    bool follow_up_set(const follow_up_mark& mark, bool& found, std::string& error) override {
        return with_reader(error, [&](connection& c) { return pg_follow_up_set(c.c, mark, found, error); });
    }
    bool follow_up_list(int64_t since_ms, int status, size_t limit, std::vector<follow_up_mark>& out, std::string& error) override {
        return with_reader(error, [&](connection& c) {
            out.clear();
            return pg_follow_up_list(c.c, since_ms, status, limit, out, error);
        });
    }

    //-------------------------------------------------------------------------
    // Outbox: written in write()'s transaction ("outbox_add"); the rest on pooled connections.
    // Several collectors on one database share it: a sender claims due rows with a lease
    // ("outbox_claim", FOR UPDATE SKIP LOCKED), so each delivery is sent by one collector at a
    // time; the lease ends when the attempt is recorded, or after outbox_lease_ms (a collector
    // that died holding it: those deliveries wait that long, then another sends them).
    //-------------------------------------------------------------------------
    static constexpr int64_t outbox_lease_ms = 10 * 60 * 1000;  // > a claim of 50 attempts at 15 s would be rare

    bool set_outbox_router(outbox_router router, std::string& error) override {
        (void)error;
        router_ = std::move(router);
        return true;
    }

    bool outbox_due(const std::string& endpoint, int64_t now_ms, size_t limit, std::vector<outbox_delivery>& out, int64_t& next_ms_out,
                    std::string& error) override {
        std::string now = std::to_string(now_ms), count = std::to_string(std::min<size_t>(limit, INT64_MAX));
        std::string lease = std::to_string(now_ms + outbox_lease_ms);
        return with_reader(error, [&](connection& c) {
            size_t from = out.size();
            result r(c.run("outbox_claim", {&endpoint, &now, &count, &lease}));
            if (!r.ok()) return false;
            read_deliveries(r, out);
            std::sort(out.begin() + static_cast<long>(from), out.end(), [](const outbox_delivery& a, const outbox_delivery& b) {
                return a.next_ms != b.next_ms ? a.next_ms < b.next_ms : a.id < b.id;
            });
            result n(c.run("outbox_next", {&endpoint, &now}));
            if (!n.ok()) return false;
            next_ms_out = std::strtoll(PQgetvalue(n.r, 0, 0), nullptr, 10);
            return true;
        });
    }

    bool outbox_record(const std::vector<outbox_attempt>& attempts, std::string& error) override {
        if (attempts.empty()) return true;
        std::string ids = "{", states = "{", next = "{", at = "{", statuses = "{", errors = "{";
        for (const outbox_attempt& a : attempts) {
            std::string id = std::to_string(a.id), st = std::to_string(static_cast<int>(a.state)), n = std::to_string(a.next_ms);
            std::string t = std::to_string(a.at_ms), code = std::to_string(a.status);
            append_array_item(ids, &id);
            append_array_item(states, &st);
            append_array_item(next, &n);
            append_array_item(at, &t);
            append_array_item(statuses, &code);
            append_array_item(errors, &a.error);
        }
        for (std::string* a : {&ids, &states, &next, &at, &statuses, &errors}) *a += '}';
        return with_reader(error, [&](connection& c) {
            return result(c.run("outbox_record", {&ids, &states, &next, &at, &statuses, &errors})).ok();
        });
    }

    bool outbox_recent(const std::string& endpoint, size_t limit, std::vector<outbox_delivery>& out, std::string& error) override {
        std::string count = std::to_string(std::min<size_t>(limit, INT64_MAX));
        return with_reader(error, [&](connection& c) {
            result r(c.run("outbox_recent", {&endpoint, &count}));
            if (!r.ok()) return false;
            read_deliveries(r, out);
            return true;
        });
    }

    bool outbox_endpoint(const std::string& endpoint, outbox_endpoint_state& out, std::string& error) override {
        return with_reader(error, [&](connection& c) {
            out = {};
            result st(c.run("outbox_endpoint", {&endpoint}));
            if (!st.ok()) return false;
            if (st.rows() > 0) {
                out.disabled = st.text(0, 0) == "t";
                out.reason = st.text(0, 1);
                out.changed_ms = std::strtoll(PQgetvalue(st.r, 0, 2), nullptr, 10);
            }
            result counts(c.run("outbox_counts", {&endpoint}));
            if (!counts.ok()) return false;
            for (int i = 0; i < counts.rows(); ++i) {
                uint64_t n = counts.number(i, 1);
                switch (counts.number(i, 0)) {
                    case 0: out.pending = n; break;
                    case 1: out.delivered = n; break;
                    default: out.failed += n; break;
                }
            }
            return true;
        });
    }

    bool outbox_set_endpoint(const std::string& endpoint, bool disabled, const std::string& reason, int64_t now_ms,
                             std::string& error) override {
        std::string flag = disabled ? "true" : "false", why = disabled ? reason : "", at = std::to_string(now_ms);
        return with_reader(error, [&](connection& c) { return result(c.run("outbox_set_endpoint", {&endpoint, &flag, &why, &at})).ok(); });
    }

    bool outbox_replay(uint64_t id, int64_t now_ms, bool& found, std::string& endpoint_out, std::string& error) override {
        std::string which = std::to_string(id), at = std::to_string(now_ms);
        found = false;
        return with_reader(error, [&](connection& c) {
            result r(c.run("outbox_replay", {&which, &at}));
            if (!r.ok()) return false;
            found = r.rows() > 0;
            if (found) endpoint_out = r.text(0, 0);
            return true;
        });
    }

    // Digest: the unique (endpoint, webhook_id) makes "insert unless there" one step for every collector.
    bool outbox_enqueue(const outbox_delivery& d, int64_t now_ms, bool& inserted, uint64_t& id_out, std::string& error) override {
        std::string created = std::to_string(d.created_ms), at = std::to_string(now_ms);
        inserted = false;
        return with_reader(error, [&](connection& c) {
            result r(c.run("outbox_enqueue", {&d.endpoint, &d.webhook_id, &d.event, &created, &d.record_json, &at}));
            if (!r.ok()) return false;
            if (r.rows() > 0) {
                inserted = true;
                id_out = r.number(0, 0);
                return true;
            }
            result f(c.run("outbox_find", {&d.endpoint, &d.webhook_id}));
            if (!f.ok() || f.rows() == 0) return false;
            id_out = f.number(0, 0);
            return true;
        });
    }

    bool outbox_prune(const std::string& endpoint, int64_t before_ms, uint64_t keep, uint64_t max_rows, uint64_t& deleted,
                      std::string& error) override {
        deleted = 0;
        std::string offset = std::to_string(std::min<uint64_t>(keep, INT64_MAX)), before = std::to_string(before_ms);
        return with_reader(error, [&](connection& c) {
            result edge(c.run("outbox_prune_edge", {&endpoint, &offset}));
            if (!edge.ok()) return false;
            std::string below = edge.rows() > 0 ? edge.text(0, 0) : "0";
            constexpr uint64_t chunk = 500;
            while (deleted < max_rows) {
                std::string n = std::to_string(std::min(chunk, max_rows - deleted));
                result d(c.run("outbox_prune", {&endpoint, &below, &before, &n}));
                if (!d.ok()) return false;
                uint64_t gone = std::strtoull(PQcmdTuples(d.r), nullptr, 10);
                deleted += gone;
                if (gone < chunk) break;
            }
            return true;
        });
    }

private:
    // The columns of "outbox_claim" and "outbox_recent", in their order.
    static void read_deliveries(const result& r, std::vector<outbox_delivery>& out) {
        for (int i = 0; i < r.rows(); ++i) {
            outbox_delivery d;
            d.id = r.number(i, 0);
            d.endpoint = r.text(i, 1);
            d.webhook_id = r.text(i, 2);
            d.event = r.text(i, 3);
            d.response_id = r.text(i, 4);
            d.cursor = r.number(i, 5);
            d.created_ms = std::strtoll(PQgetvalue(r.r, i, 6), nullptr, 10);
            d.record_json = r.text(i, 7);
            uint64_t state = r.number(i, 8);
            d.state = state == 0 ? delivery_state::pending : state == 1 ? delivery_state::delivered : delivery_state::failed;
            d.attempts = static_cast<int>(r.number(i, 9));
            d.next_ms = std::strtoll(PQgetvalue(r.r, i, 10), nullptr, 10);
            d.last_attempt_ms = std::strtoll(PQgetvalue(r.r, i, 11), nullptr, 10);
            d.last_status = static_cast<int>(r.number(i, 12));
            d.last_error = r.text(i, 13);
            out.push_back(std::move(d));
        }
    }

    void raise_cursor(uint64_t c) {
        uint64_t seen = last_cursor_.load();
        while (c > seen && !last_cursor_.compare_exchange_weak(seen, c)) {}
    }

    // Waits up to `ms` or until watch() stops the thread; false when stopping.
    bool pause(int ms) {
        std::unique_lock<std::mutex> lock(watch_mutex_);
        return !watch_cv_.wait_for(lock, std::chrono::milliseconds(ms), [&] { return stop_watching_; });
    }
    bool stopping() {
        std::lock_guard<std::mutex> lock(watch_mutex_);
        return stop_watching_;
    }

    void listen_loop(const std::function<void(uint64_t)>& committed) {
        connection c;
        std::string error;
        auto polled = std::chrono::steady_clock::time_point{};
        while (!stopping()) {
            if (!c.healthy()) {
                if (!c.open(desc_, error) || !c.prepare_all(error) || !result(c.run("listen")).ok()) {
                    c.drop();
                    if (!pause(500)) return;
                    continue;
                }
            }
            // The safety net (a NOTIFY lost while reconnecting): the table's own maximum.
            if (auto now = std::chrono::steady_clock::now(); now - polled >= std::chrono::milliseconds(500)) {
                polled = now;
                if (result r(c.run("max_cursor")); r.ok()) {
                    uint64_t m = r.number(0, 0);
                    if (m > last_cursor_) {
                        raise_cursor(m);
                        committed(m);
                    }
                }
            }
            // Sleep on the socket: a NOTIFY wakes it at once; 500 ms at most, to see stop().
            pollfd p{PQsocket(c.c), POLLIN, 0};
            if (p.fd < 0) {
                c.drop();
                continue;
            }
            ::poll(&p, 1, 500);
            if (!PQconsumeInput(c.c)) {
                c.drop();
                continue;
            }
            // The payload is the batch's last cursor; commits are in cursor order, so every
            // lower one is visible too: no query needed.
            while (PGnotify* n = PQnotifies(c.c)) {
                uint64_t m = std::strtoull(n->extra, nullptr, 10);
                PQfreemem(n);
                if (m > last_cursor_) {
                    raise_cursor(m);
                    committed(m);
                }
            }
        }
    }

    bool step(const char* name, std::initializer_list<const std::string*> params, std::string& error) {
        result r(writer_.run(name, params));
        if (r.ok()) return true;
        error = message_of(writer_.c);
        return false;
    }
    // Rolls back what is open; a broken connection is dropped and reopened by the next write.
    bool abort() {
        if (writer_.healthy() && PQtransactionStatus(writer_.c) != PQTRANS_IDLE) {
            std::string ignored;
            step("rollback", {}, ignored);
        }
        if (!writer_.healthy()) writer_.drop();
        return false;
    }

    // Runs `use` on a pooled reader. When the connection turns out dead (the database
    // restarted since it was pooled) the pool is emptied and `use` runs once more on a new one.
    template <typename F>
    bool with_reader(std::string& error, F&& use) {
        for (int attempt = 0; attempt < 2; ++attempt) {
            std::unique_ptr<connection> c = take_reader(error);
            if (!c) return false;
            if (use(*c)) {
                give_back(std::move(c));
                return true;
            }
            error = message_of(c->c);
            if (c->healthy()) {
                give_back(std::move(c));
                return false;
            }
            std::lock_guard<std::mutex> lock(readers_mutex_);
            readers_.clear();
        }
        return false;
    }

    std::unique_ptr<connection> take_reader(std::string& error) {
        {
            std::lock_guard<std::mutex> lock(readers_mutex_);
            while (!readers_.empty()) {
                auto c = std::move(readers_.back());
                readers_.pop_back();
                if (c->healthy()) return c;
            }
        }
        auto c = std::make_unique<connection>();
        if (!c->open(desc_, error) || !c->prepare_all(error)) return nullptr;
        return c;
    }
    void give_back(std::unique_ptr<connection> c) {
        if (!c->healthy()) return;
        std::lock_guard<std::mutex> lock(readers_mutex_);
        if (readers_.size() < desc_.max_readers) readers_.push_back(std::move(c));
    }

    pg_storage_desc desc_;
    connection writer_;
    std::atomic<uint64_t> last_cursor_{0};
    std::mutex readers_mutex_;
    std::vector<std::unique_ptr<connection>> readers_;
    std::mutex watch_mutex_;
    std::condition_variable watch_cv_;
    bool stop_watching_ = false;
    std::thread watcher_;
    std::unique_ptr<survey_store> surveys_;  // pg_surveys.cpp
    outbox_router router_;                   // set before the first write (storage.h)
    // Each survey's rolled-up attribute keys known to be committed (write_new), writer only.
    std::unordered_map<std::string, std::unordered_set<std::string>> known_keys_;
};

}  // namespace

std::unique_ptr<response_storage> open_pg_storage(const pg_storage_desc& desc, std::string& error) {
    auto s = std::make_unique<pg_storage>();
    if (!s->open(desc, error)) return nullptr;
    return s;
}

bool pg_prepare_shared(pg_conn* c, std::initializer_list<const char*> names, std::string& error) {
    for (const char* name : names) {
        bool found = false;
        for (const named_sql& s : statements) {
            if (std::string_view(s.name) != name) continue;
            found = true;
            result r(PQprepare(c, s.name, s.sql, 0, nullptr));
            if (!r.ok()) {
                error = std::string("cannot prepare ") + name + ": " + message_of(c);
                return false;
            }
        }
        if (!found) {
            error = std::string("no statement named ") + name;
            return false;
        }
    }
    return true;
}

}  // namespace npskit
