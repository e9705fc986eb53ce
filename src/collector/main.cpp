// npskit-collector: the reference collector. Flags override environment variables.
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "bulk_import.h"
#include "calendar.h"
#include "params.h"
#include "pg_storage.h"
#include "server.h"
#include "sqlite_backup.h"

namespace {

const char* const usage = R"(usage: npskit-collector [options]
       npskit-collector backup PATH [--db PATH]

  --db PATH|URL      SQLite database file, or a PostgreSQL URL postgresql://user:pass@host:port/db
                     (several collectors may share one) (env NPSKIT_DB; default ./data/npskit.db,
                     folder created)
  --bind ADDR        address to listen on (env NPSKIT_BIND; default 127.0.0.1)
  --port N           port, 0 = any free port (env NPSKIT_PORT; default 8080)
  --origins LIST     comma-separated origins allowed to write cross-origin, * = any
                     (env NPSKIT_ORIGINS; same origin is always allowed)
  --read-key KEY     key for GET /v1/*, at least 16 characters (env NPSKIT_READ_KEY;
                     default: a random key, printed)
  --rate N           writes per second per client (IPv4 address, IPv6 /64), 0 = unlimited
                     (env NPSKIT_RATE; default 20)
  --max-read-failures N  wrong read keys per minute from one client before its reads get
                     429 until the minute ends (default 10; 0 = no slow-down)
  --trusted-proxy CIDR  a reverse proxy whose X-Forwarded-For / Forwarded names the client
                     for rate limits, e.g. 127.0.0.1/32 (repeatable; env NPSKIT_TRUSTED_PROXY,
                     comma-separated)
  --burst N          token bucket size (env NPSKIT_BURST; default 100)
  --seed-demo N      when the database is empty, seed N generated demo answers
  --seed-end DATE    last day of the demo data, exclusive (default: today, UTC)
  --import FILE      bulk-load schema v1 NDJSON (- = stdin) into --db, print a summary, exit:
                     validated as POST /v1/responses, upserted with its merge rule (a re-import
                     changes nothing); a bad line is named on stderr, skipped, the rest loaded,
                     exit status 1. SQLite: stop the collector serving the file first
  --import-batch N   records per transaction of --import (default 20000)
  --web DIR          serve DIR at / (repeatable; first match wins) (env NPSKIT_WEB)
  --examples DIR     serve DIR at /examples/ (env NPSKIT_EXAMPLES)
  --threads N        worker threads for storage reads (default 4; when given, streams are
                     also capped at N - 16, as when each stream held a thread)
  --timeout S        idle keep-alive limit in seconds (default 5)
  --request-timeout S  deadline for a whole request, headers and body (default 10)
  --max-connections N  open connections in total (default 16384, and what RLIMIT_NOFILE allows)
  --max-connections-per-ip N  open connections from one address (default 4096)
  --max-streams N    open /v1/stream listeners in total (default 16384)
  --max-streams-per-ip N  open /v1/stream listeners from one address (default 4096)
  --max-attribute-keys N  distinct attribute keys a bounded scan's store indexes, per survey
                     (default 64; the rollups keep each survey's first 64 keys, a later key is
                     counted by a bounded scan, see --aggregate-scan-rows)
  --aggregate-scan-rows N  rows /v1/aggregate may scan when no rollup answers its filter
                     (default 200000; past it the answer is 422 scan_too_large, never a part
                     count; 0: only rollups)
  --io-threads N     threads that read and answer requests (default 2)
  --sync full|normal SQLite synchronous mode (default full: a 2xx survives power loss)
  --admin-key KEY    key for admin routes (webhook replay, re-enable), at least 16 characters,
                     not the read key (env NPSKIT_ADMIN_KEY; default: none, admin routes off)
  --webhook URL      send each stored answer to URL, signed (Standard Webhooks; repeatable);
                     the next three flags apply to the --webhook before them:
    --webhook-secret whsec_…  its signing secret (required unless --webhook-format slack)
    --webhook-when COND       only answers matching COND, e.g. 'segment=detractor',
                     'score=0-6&comment=yes', 'where=plan=pro' (repeatable: all must hold)
    --webhook-format standard|slack  slack: {"text"} for a Slack incoming webhook,
                     at most one message a second
  --webhooks FILE    more endpoints from a JSON list of {"url","secret","format","when"}
  --dashboard-url URL  dashboard address in slack messages (default: this collector's /dashboard/)
  --webhook-keep-days D  keep delivered and failed deliveries D days after their last
                     attempt (default 7; decimals allowed); pending ones always stay
  --webhook-keep N   and at most the N newest of them per endpoint (default 10000)
  --webhook-yield S  while ingestion is saturated (its writer busy 80 % of the time),
                     deliveries wait up to S seconds, then go out as usual (default 10;
                     0: never wait). Bursts then cost ingestion only the outbox write
  --webhook-retry-scale X  for tests only: multiplies every retry wait (default 1)
  --digest daily|weekly  send the digest (NPS, change, response rate, themes) at 09:00 after
                     each day, or Monday 09:00 after each week (repeatable); the next flags
                     apply to the --digest before them:
    --digest-url URL          where (required)
    --digest-format json|slack  json (default): Standard Webhooks, signed; slack: {"text"}
    --digest-secret whsec_…   its signing secret (required unless --digest-format slack)
    --digest-tz OFFSET        days start at midnight in this UTC offset (default Z)
  --quiet            no per-request log lines
  -h, --help         this text

Logs are JSON lines on stderr; the first one ("msg":"listening") has the port and URL.
GET /metrics (with the read key) serves Prometheus metrics.

backup PATH: copies the database (--db, env NPSKIT_DB) to PATH, a new file, with SQLite's
online backup API while a collector keeps serving it: one consistent snapshot holding every
answer acknowledged before the backup began, checked (integrity_check) before it is named
PATH. Exit status 0 when done, 1 when the copy failed, 2 for a bad path or option.
)";

int bad(const std::string& message) {
    std::fprintf(stderr, "npskit-collector: %s\nRun npskit-collector --help for the options.\n", message.c_str());
    return 2;
}

// npskit-collector backup PATH [--db PATH]: prints one line on stdout when done.
int backup_command(int argc, char** argv) {
    npskit::sqlite_backup_desc bd;
    bd.source = "./data/npskit.db";
    if (const char* v = std::getenv("NPSKIT_DB"); v && *v) bd.source = v;
    for (int i = 2; i < argc; ++i) {
        std::string arg = argv[i];
        if (arg == "-h" || arg == "--help") {
            std::fputs(usage, stdout);
            return 0;
        }
        if (arg == "--db" || arg.rfind("--db=", 0) == 0) {
            if (arg == "--db" && i + 1 >= argc) return bad("--db needs a value");
            bd.source = arg == "--db" ? argv[++i] : arg.substr(5);
            if (bd.source.empty()) return bad("--db needs a path");
        } else if (arg.rfind("-", 0) == 0) {
            return bad("backup: unknown option '" + arg + "' (backup takes PATH and --db)");
        } else if (!bd.destination.empty()) {
            return bad("backup takes one PATH, not '" + arg + "' as well");
        } else {
            bd.destination = arg;
        }
    }
    if (bd.destination.empty()) return bad("backup needs the PATH of the copy to write, e.g. backup /var/backups/npskit.db");
    npskit::sqlite_backup_result r = npskit::backup_sqlite(bd);
    if (!r.ok) {
        std::fprintf(stderr, "npskit-collector backup: %s\n", r.error.c_str());
        return r.exit_code;
    }
    std::printf("backed up %s to %s: %llu rows, last cursor %llu, %.1f MB in %.2f s (%d steps)\n", bd.source.c_str(),
                bd.destination.c_str(), static_cast<unsigned long long>(r.rows), static_cast<unsigned long long>(r.cursor),
                static_cast<double>(r.bytes) / 1e6, r.seconds, r.steps);
    return 0;
}

bool parse_int(const std::string& text, long long lo, long long hi, long long& out) {
    if (text.empty()) return false;
    char* end = nullptr;
    errno = 0;
    long long v = std::strtoll(text.c_str(), &end, 10);
    if (errno || *end || v < lo || v > hi) return false;
    out = v;
    return true;
}
bool parse_number(const std::string& text, double lo, double hi, double& out) {
    if (text.empty()) return false;
    char* end = nullptr;
    double v = std::strtod(text.c_str(), &end);
    if (*end || !(v >= lo && v <= hi)) return false;
    out = v;
    return true;
}

std::vector<std::string> split_list(const std::string& text) {
    std::vector<std::string> out;
    size_t start = 0;
    while (start <= text.size()) {
        size_t comma = text.find(',', start);
        if (comma == std::string::npos) comma = text.size();
        std::string item = text.substr(start, comma - start);
        while (!item.empty() && item.front() == ' ') item.erase(item.begin());
        while (!item.empty() && (item.back() == ' ' || item.back() == '/')) item.pop_back();
        if (!item.empty()) out.push_back(item);
        start = comma + 1;
    }
    return out;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc > 1 && std::string(argv[1]) == "backup") return backup_command(argc, argv);
    npskit::collector_desc desc;
    // Option name → its value, from the environment first, then the command line.
    struct option {
        const char* flag;
        const char* env;
    };
    const option options[] = {{"--db", "NPSKIT_DB"},
                              {"--bind", "NPSKIT_BIND"},
                              {"--port", "NPSKIT_PORT"},
                              {"--origins", "NPSKIT_ORIGINS"},
                              {"--read-key", "NPSKIT_READ_KEY"},
                              {"--rate", "NPSKIT_RATE"},
                              {"--burst", "NPSKIT_BURST"},
                              {"--seed-demo", nullptr},
                              {"--seed-end", nullptr},
                              {"--import", nullptr},
                              {"--import-batch", nullptr},
                              {"--web", "NPSKIT_WEB"},
                              {"--examples", "NPSKIT_EXAMPLES"},
                              {"--threads", nullptr},
                              {"--timeout", nullptr},
                              {"--sync", nullptr},
                              {"--request-timeout", nullptr},
                              {"--max-connections", nullptr},
                              {"--max-connections-per-ip", nullptr},
                              {"--max-streams", nullptr},
                              {"--max-streams-per-ip", nullptr},
                              {"--trusted-proxy", "NPSKIT_TRUSTED_PROXY"},
                              {"--max-read-failures", nullptr},
                              {"--max-attribute-keys", nullptr},
                              {"--aggregate-scan-rows", nullptr},
                              {"--io-threads", nullptr},
                              // Webhooks and the admin key (webhooks.h, docs/http-api.md).
                              {"--admin-key", "NPSKIT_ADMIN_KEY"},
                              {"--webhook", nullptr},
                              {"--webhook-secret", nullptr},
                              {"--webhook-when", nullptr},
                              {"--webhook-format", nullptr},
                              {"--webhooks", nullptr},
                              {"--dashboard-url", nullptr},
                              {"--webhook-retry-scale", nullptr},
                              {"--webhook-keep-days", nullptr},
                              {"--webhook-keep", nullptr},
                              {"--webhook-yield", nullptr},
                              // Digest targets (src/core/view/digest.h, docs/http-api.md).
                              {"--digest", nullptr},
                              {"--digest-url", nullptr},
                              {"--digest-format", nullptr},
                              {"--digest-secret", nullptr},
                              {"--digest-tz", nullptr}};
    std::vector<std::pair<std::string, std::string>> settings;
    for (const option& o : options)
        if (o.env)
            if (const char* v = std::getenv(o.env); v && *v) settings.emplace_back(o.flag, v);
    bool web_from_flags = false;
    npskit::bulk_import_desc import;  // --import: a one-shot load instead of serving
    for (int i = 1; i < argc; ++i) {
        std::string arg = argv[i];
        if (arg == "-h" || arg == "--help") {
            std::fputs(usage, stdout);
            return 0;
        }
        if (arg == "--quiet") {
            desc.log_requests = false;
            continue;
        }
        std::string name = arg, value;
        bool has_value = false;
        if (size_t eq = arg.find('='); arg.rfind("--", 0) == 0 && eq != std::string::npos) {
            name = arg.substr(0, eq);
            value = arg.substr(eq + 1);
            has_value = true;
        }
        bool known = false;
        for (const option& o : options) known = known || name == o.flag;
        if (!known) return bad("unknown option '" + arg + "'");
        if (!has_value) {
            if (i + 1 >= argc) return bad(name + " needs a value");
            value = argv[++i];
        }
        if (name == "--web" && !web_from_flags) {
            // Flags replace the environment's folder list instead of adding to it.
            web_from_flags = true;
            std::erase_if(settings, [](const auto& s) { return s.first == "--web"; });
        }
        settings.emplace_back(name, value);
    }

    for (const auto& [name, value] : settings) {
        long long n = 0;
        double x = 0;
        if (name == "--db") {
            if (value.empty()) return bad("--db needs a path");
            std::string problem;
            if (npskit::is_postgres_url(value) && !npskit::check_postgres_url(value, problem))
                return bad("--db is not a valid PostgreSQL URL (postgresql://user:password@host:port/dbname): " + problem);
            desc.db_path = value;
        } else if (name == "--bind") {
            desc.bind = value;
        } else if (name == "--port") {
            if (!parse_int(value, 0, 65535, n)) return bad("--port must be a number from 0 to 65535, not '" + value + "'");
            desc.port = static_cast<int>(n);
        } else if (name == "--origins") {
            desc.origins = split_list(value);
            for (const std::string& o : desc.origins)
                if (o != "*" && o.find("://") == std::string::npos)
                    return bad("--origins entries look like https://app.example.com (scheme and host), not '" + o + "'");
        } else if (name == "--read-key") {
            // The key guards every answer; a short one falls to guessing even at 10 tries a minute.
            if (value.size() < 16)
                return bad("--read-key must be at least 16 characters (it is " + std::to_string(value.size()) +
                           "); leave it out to get a random 32-character key");
            desc.read_key = value;
        } else if (name == "--rate") {
            if (!parse_number(value, 0, 1e9, x)) return bad("--rate must be a number of writes per second (0 = unlimited)");
            desc.rate = x;
        } else if (name == "--burst") {
            if (!parse_number(value, 1, 1e9, x)) return bad("--burst must be a number ≥ 1");
            desc.burst = x;
        } else if (name == "--seed-demo") {
            if (!parse_int(value, 0, 100000000, n)) return bad("--seed-demo must be a number of responses (0 to 100000000)");
            desc.seed_demo = static_cast<uint64_t>(n);
        } else if (name == "--import") {
            if (value.empty()) return bad("--import needs a file (or - for stdin)");
            import.source = value;
        } else if (name == "--import-batch") {
            if (!parse_int(value, 1, 1000000, n)) return bad("--import-batch must be from 1 to 1000000 records");
            import.batch_rows = static_cast<size_t>(n);
        } else if (name == "--seed-end") {
            auto ms = npskit::parse_timestamp(value, true);
            if (!ms) return bad("--seed-end must be a date such as 2026-01-01");
            desc.seed_end_ms = *ms;
        } else if (name == "--web") {
            desc.web_dirs.push_back(value);
        } else if (name == "--examples") {
            desc.examples_dir = value;
        } else if (name == "--threads") {
            if (!parse_int(value, 4, 4096, n)) return bad("--threads must be from 4 to 4096");
            desc.threads = static_cast<int>(n);
        } else if (name == "--io-threads") {
            if (!parse_int(value, 1, 64, n)) return bad("--io-threads must be from 1 to 64");
            desc.io_threads = static_cast<int>(n);
        } else if (name == "--max-attribute-keys") {
            if (!parse_int(value, 1, 65534, n)) return bad("--max-attribute-keys must be from 1 to 65534");
            desc.max_attribute_keys = static_cast<size_t>(n);
        } else if (name == "--aggregate-scan-rows") {
            if (!parse_int(value, 0, 100000000, n)) return bad("--aggregate-scan-rows must be from 0 to 100000000");
            desc.aggregate_scan_rows = static_cast<size_t>(n);
        } else if (name == "--timeout") {
            if (!parse_int(value, 1, 3600, n)) return bad("--timeout must be from 1 to 3600 seconds");
            desc.timeout_seconds = static_cast<int>(n);
        } else if (name == "--request-timeout") {
            if (!parse_int(value, 1, 3600, n)) return bad("--request-timeout must be from 1 to 3600 seconds");
            desc.limits.request_ms = static_cast<int>(n * 1000);
        } else if (name == "--max-connections" || name == "--max-connections-per-ip" || name == "--max-streams" ||
                   name == "--max-streams-per-ip") {
            if (!parse_int(value, 1, 10000000, n)) return bad(name + " must be a number from 1 to 10000000");
            size_t v = static_cast<size_t>(n);
            if (name == "--max-connections")
                desc.limits.connections = v;
            else if (name == "--max-connections-per-ip")
                desc.limits.connections_per_address = v;
            else if (name == "--max-streams")
                desc.max_streams = static_cast<int>(n);
            else
                desc.limits.streams_per_address = v;
        } else if (name == "--max-read-failures") {
            if (!parse_int(value, 0, 1000000, n)) return bad("--max-read-failures must be a number from 0 to 1000000");
            desc.max_read_failures = static_cast<int>(n);
        } else if (name == "--trusted-proxy") {
            for (const std::string& item : split_list(value)) {
                auto network = npskit::parse_network(item);
                if (!network) return bad("--trusted-proxy must be an address or CIDR such as 127.0.0.1/32 or fd00::/8, not '" + item + "'");
                desc.trusted_proxies.push_back(*network);
            }
        } else if (name == "--sync") {
            if (value != "full" && value != "normal") return bad("--sync must be full or normal");
            desc.synchronous_full = value == "full";
        } else if (name == "--admin-key") {
            if (value.size() < 16) return bad("--admin-key must be at least 16 characters (it is " + std::to_string(value.size()) + ")");
            desc.admin_key = value;
        } else if (name == "--webhook") {
            desc.webhooks.push_back({});
            desc.webhooks.back().url = value;
        } else if (name == "--webhook-secret" || name == "--webhook-when" || name == "--webhook-format") {
            if (desc.webhooks.empty()) return bad(name + " applies to the --webhook before it: give --webhook URL first");
            npskit::webhook_endpoint_desc& e = desc.webhooks.back();
            if (name == "--webhook-secret")
                e.secret = value;
            else if (name == "--webhook-when")
                e.when += (e.when.empty() ? "" : "&") + value;
            else if (value == "standard" || value == "slack")
                e.format = value == "slack" ? npskit::webhook_format::slack : npskit::webhook_format::standard;
            else
                return bad("--webhook-format must be standard or slack");
        } else if (name == "--webhooks") {
            std::string error;
            if (!npskit::read_webhooks_file(value, desc.webhooks, error)) return bad("--webhooks: " + error);
        } else if (name == "--dashboard-url") {
            if (value.rfind("http://", 0) != 0 && value.rfind("https://", 0) != 0)
                return bad("--dashboard-url must start with http:// or https://");
            desc.dashboard_url = value;
        } else if (name == "--webhook-keep-days") {
            if (!parse_number(value, 0.00001, 3650, x)) return bad("--webhook-keep-days must be a number of days in (0, 3650]");
            desc.webhook_keep_ms = static_cast<int64_t>(x * 86400000.0);
        } else if (name == "--webhook-keep") {
            if (!parse_number(value, 1, 1e9, x) || x != static_cast<double>(static_cast<uint64_t>(x)))
                return bad("--webhook-keep must be a whole number of deliveries, at least 1");
            desc.webhook_keep = static_cast<uint64_t>(x);
        } else if (name == "--webhook-yield") {
            if (!parse_number(value, 0, 3600, x)) return bad("--webhook-yield must be a number of seconds in [0, 3600]");
            desc.webhook_yield_ms = static_cast<int64_t>(x * 1000.0);
        } else if (name == "--webhook-retry-scale") {
            if (!parse_number(value, 0.000001, 1, x)) return bad("--webhook-retry-scale must be a number in (0, 1] (tests only)");
            desc.webhook_retry_scale = x;
        } else if (name == "--digest") {
            // A webhook endpoint that takes the digest only (webhooks.h).
            if (value != "daily" && value != "weekly") return bad("--digest must be daily or weekly");
            desc.webhooks.push_back({});
            desc.webhooks.back().digest = value;
        } else if (name.rfind("--digest-", 0) == 0) {
            if (desc.webhooks.empty() || desc.webhooks.back().digest.empty())
                return bad(name + " applies to the --digest before it: give --digest daily|weekly first");
            npskit::webhook_endpoint_desc& e = desc.webhooks.back();
            if (name == "--digest-url")
                e.url = value;
            else if (name == "--digest-secret")
                e.secret = value;
            else if (name == "--digest-format" && (value == "json" || value == "standard" || value == "slack"))
                e.format = value == "slack" ? npskit::webhook_format::slack : npskit::webhook_format::standard;
            else if (name == "--digest-format")
                return bad("--digest-format must be json or slack");
            else if (!npskit::parse_utc_offset(value, e.digest_offset_minutes))
                return bad("--digest-tz must be a UTC offset: Z, +01:00, +0100 or +01");
        }
    }
    if (!desc.admin_key.empty() && desc.admin_key == desc.read_key)
        return bad("--admin-key must differ from --read-key (whoever reads answers must not be able to replay or re-enable)");
    for (size_t i = 0; i < desc.webhooks.size(); ++i) {
        npskit::webhook_endpoint_desc& e = desc.webhooks[i];
        std::string error;
        if (!npskit::parse_webhook_filter(e.when, e.filter, error)) return bad("--webhook-when: " + error);
        if (!e.digest.empty() && e.url.empty()) return bad("--digest " + e.digest + " needs --digest-url URL");
        if (!e.digest.empty() && e.secret.empty() && e.format == npskit::webhook_format::standard)
            return bad("--digest " + e.digest + " needs --digest-secret whsec_… (or --digest-format slack)");
        if (std::string problem = npskit::check_endpoint(e); !problem.empty()) return bad(problem);
        for (size_t j = 0; j < i; ++j)
            if (desc.webhooks[j].url == e.url && desc.webhooks[j].digest == e.digest)
                return bad("the webhook " + npskit::redact_url(e.url) + " is given twice");
    }
    if (!import.source.empty()) {
        import.db = desc.db_path;
        import.synchronous_full = desc.synchronous_full;
        npskit::bulk_import_stats stats;
        return npskit::run_bulk_import(import, stats);
    }
    return npskit::run_collector(desc);
}
