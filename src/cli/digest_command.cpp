// `npskit digest`: files → the core importer → store → build_digest (src/core/view/digest.h),
// the text the collector sends and the dashboard copies, or its JSON.
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "cli_commands.h"
#include "digest.h"
#include "import.h"
#include "load_files.h"
#include "params.h"
#include "store.h"

namespace npskit::cli {

namespace {

const char* digest_usage =
    "usage: npskit digest FILE... [options]\n"
    "  FILE                 JSON array, NDJSON or CSV (header row); '-' reads stdin\n"
    "  --period day|week    the period against the one before it (default week: Monday to Sunday)\n"
    "  --end DATE           the period's end: a bare date ends with that day, a timestamp is itself\n"
    "                       (default: the end of the day or week that holds the newest answer)\n"
    "  --tz OFFSET          UTC offset of days and weeks: +01:00, +0100, +01, Z (default Z)\n"
    "  --follow-ups N       the follow-up list's open count, said as 'N to follow up' (default: unknown)\n"
    "  --format text|json   (default text)\n";

struct digest_options {
    std::vector<std::string> files;
    digest_period period = digest_period::week;
    std::string end;
    int utc_offset_minutes = 0;
    std::optional<uint64_t> follow_ups;
    bool json = false, help = false;
};

std::string parse_digest_options(int argc, char** argv, digest_options& o) {
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i], v;
        auto value = [&]() -> bool { return i + 1 < argc ? (v = argv[++i], true) : false; };
        if (a == "--help" || a == "-h") {
            o.help = true;
        } else if (a == "--period") {
            std::optional<digest_period> p;
            if (!value() || !(p = parse_digest_period(v))) return "--period must be day or week";
            o.period = *p;
        } else if (a == "--end") {
            if (!value() || !parse_digest_end(v, 0)) return "--end must be a date (2026-11-29) or an RFC 3339 timestamp";
            o.end = v;
        } else if (a == "--tz") {
            if (!value() || !parse_utc_offset(v, o.utc_offset_minutes)) return "--tz must be a UTC offset: Z, +01:00, +0100 or +01";
        } else if (a == "--follow-ups") {
            char* end = nullptr;
            if (!value() || v.empty() || v[0] == '-') return "--follow-ups needs a count";
            o.follow_ups = std::strtoull(v.c_str(), &end, 10);
            if (*end) return "--follow-ups needs a count";
        } else if (a == "--format") {
            if (!value() || (v != "json" && v != "text")) return "--format must be text or json";
            o.json = v == "json";
        } else if (a.size() > 1 && a[0] == '-') {
            return "unknown option '" + a + "'";
        } else {
            o.files.push_back(a);
        }
    }
    if (!o.help && o.files.empty()) return "no input file";
    return "";
}

}  // namespace

int run_digest(int argc, char** argv) {
    digest_options o;
    std::string error = parse_digest_options(argc, argv, o);
    if (o.help) {
        std::fputs(digest_usage, stdout);
        return 0;
    }
    if (!error.empty()) {
        std::fprintf(stderr, "npskit digest: %s\n\n%s", error.c_str(), digest_usage);
        return 2;
    }
    response_store store;
    if (!load_files("digest", o.files, store)) return 1;
    if (store.size() == 0) {
        std::fprintf(stderr, "npskit digest: no valid row in the input\n");
        return 1;
    }
    digest_desc desc;
    desc.period = o.period;
    desc.utc_offset_minutes = o.utc_offset_minutes;
    desc.open_follow_ups = o.follow_ups;
    // A file's newest answer may be months old: its period, not today's, is the default.
    desc.end_ms = o.end.empty() ? digest_boundary_after(o.period, store.max_time_ms, o.utc_offset_minutes)
                                : *parse_digest_end(o.end, o.utc_offset_minutes);
    digest d = build_digest(store, desc);
    if (o.json)
        std::printf("%s\n", digest_to_json(d, 2).c_str());
    else
        std::fputs(digest_text(d).c_str(), stdout);
    return 0;
}

}  // namespace npskit::cli
