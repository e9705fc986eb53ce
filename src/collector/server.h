// npskit collector: the HTTP server (routes in server.cpp on http_server.h). docs/http-api.md is its contract.
// [X] POST /v1/responses: schema v1 via the core, upsert by id, group commit, 202/400/413/415/429
// [X] GET /v1/responses (JSON, NDJSON), /v1/stream (SSE, resumable), /v1/aggregate (rollups, else a bounded scan)
// [X] CORS allowlist + preflight, read key (Bearer or ?access_token=), per-IP token bucket
// [X] static files: --web at /, --examples at /examples/, /dashboard/
// [X] one JSON log line per request on stderr; startup line with the chosen port
// [X] GET /metrics (Prometheus, metrics.h); `npskit-collector backup` (sqlite_backup.h); docs/openapi.yaml
// [X] signed webhooks from the outbox: GET /v1/webhooks, replay and re-enable (admin key)
// [ ] TLS (run it behind a reverse proxy), PostgreSQL storage (interface ready: storage.h)
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "client_address.h"
#include "http_server.h"
#include "webhooks.h"

namespace npskit {

struct collector_desc {
    std::string db_path = "./data/npskit.db";
    std::string bind = "127.0.0.1";
    int port = 8080;                          // 0: any free port (printed in the startup log line)
    std::vector<std::string> origins;         // allowed cross-origin writers ("*" = any); same origin always
    std::string read_key;                     // empty: a random key is made and printed at startup
    double rate = 20;                         // = 20 writes per second per IP; 0 = no limit
    double burst = 100;                       // = 100; bucket size
    int max_read_failures = 10;               // wrong read keys a minute per client, then 429; 0 = off
    std::vector<ip_network> trusted_proxies;  // peers whose X-Forwarded-For / Forwarded name the client
    uint64_t seed_demo = 0;                   // > 0: seed this many generated answers when the DB is empty
    int64_t seed_end_ms = 0;                  // = 0: the demo data ends today (UTC midnight)
    std::vector<std::string> web_dirs;        // served at /, first match wins
    std::string examples_dir;                 // served at /examples/
    int threads = 0;                          // = 0: 4 workers for storage reads; when set, streams ≤ threads − 16
    int max_streams = 0;                      // = 0: limits.streams (or threads − 16 when threads is set)
    int timeout_seconds = 5;                  // idle keep-alive
    http_limits limits;                       // the HTTP layer's limits (zero = default, see http_server.h)
    bool synchronous_full = true;             // SQLite synchronous=FULL (else NORMAL)
    bool log_requests = true;
    int io_threads = 2;              // HTTP I/O threads (http_server_desc::io_threads)
    size_t max_attribute_keys = 64;  // distinct attribute keys a bounded scan indexes (store_desc)
    // /v1/aggregate: rows a filter no rollup answers may scan; past it 422 scan_too_large.
    size_t aggregate_scan_rows = 200000;
    // Webhooks (webhooks.h) and the admin key that guards replay and re-enable.
    std::string admin_key;  // empty: admin routes answer 403 admin_disabled
    std::vector<webhook_endpoint_desc> webhooks;
    std::string dashboard_url;       // = "": this collector's /dashboard/ (slack links)
    double webhook_retry_scale = 1;  // tests only: multiplies every retry wait
    // Finished deliveries kept per endpoint (webhook_sender_desc): --webhook-keep-days, --webhook-keep.
    int64_t webhook_keep_ms = 7LL * 24 * 3600 * 1000;
    uint64_t webhook_keep = 10000;
    int64_t webhook_yield_ms = 10000;  // --webhook-yield: deliveries wait while ingestion is saturated
};

// Runs until SIGINT or SIGTERM; returns the process exit code.
int run_collector(const collector_desc& desc);

}  // namespace npskit
