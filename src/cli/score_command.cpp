// `npskit score` and `npskit validate`: files → the core importer → store → query → report.
//
// [SECTION] Options
// [SECTION] Reading files (streamed in 1 MB chunks)
// [SECTION] Report: JSON and table
#include <sys/stat.h>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "calendar.h"
#include "cli_commands.h"
#include "import.h"
#include "params.h"
#include "progress.h"
#include "query.h"
#include "score.h"
#include "score_json.h"
#include "store.h"

namespace npskit::cli {

using json = nlohmann::ordered_json;

//-----------------------------------------------------------------------------
// [SECTION] Options
//-----------------------------------------------------------------------------
namespace {

struct score_options {
    std::vector<std::string> files;
    query_params query;  // --by, --since, --until, --where, --segment, --tz (params.h)
    double confidence = 0.95;
    bool table = false;
    bool help = false;
};

const char* score_usage =
    "usage: npskit score FILE... [options]\n"
    "  FILE               JSON array, NDJSON or CSV (header row); '-' reads stdin\n"
    "  --by KEY           group by day | week | month | an attribute (plan, country, survey, ...)\n"
    "  --since DATE       keep responses at or after DATE (2026-01-31 or RFC 3339)\n"
    "  --until DATE       keep responses before DATE (a bare date includes that whole day)\n"
    "  --where KEY=VALUE  keep rows whose attribute KEY is VALUE (KEY=v1|v2, or repeat: any of)\n"
    "  --where KEY!=VALUE drop rows whose attribute KEY is VALUE\n"
    "  --segment LIST     detractor,passive,promoter (default all)\n"
    "  --confidence P     confidence level of the intervals (default 0.95)\n"
    "  --tz OFFSET        UTC offset for day/week/month buckets: +01:00, +0100, +01, Z (default Z)\n"
    "  (the grammar of these options: docs/parameters.md)\n"
    "  --format json|table  (default json)\n";

// Returns an error message, or "" when the options are fine.
std::string parse_score_options(int argc, char** argv, score_options& o) {
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        auto value = [&](std::string& out) -> bool {
            if (i + 1 >= argc) return false;
            out = argv[++i];
            return true;
        };
        std::string v;
        if (a == "--help" || a == "-h")
            o.help = true;
        else if (a == "--by" || a == "--since" || a == "--until" || a == "--where" || a == "--segment" || a == "--tz") {
            if (!value(v) || (a == "--by" && v.empty()))
                return a + " needs " + (a == "--by" ? "day, week, month or an attribute name" : "a value");
            param_problem p = apply_param(o.query, std::string_view(a).substr(2), v);
            if (!p.ok()) return "--" + p.message();
        } else if (a == "--confidence") {
            if (!value(v)) return "--confidence needs a level such as 0.95";
            char* end = nullptr;
            o.confidence = std::strtod(v.c_str(), &end);
            if (*end || !(o.confidence > 0 && o.confidence < 1)) return "--confidence must be between 0 and 1, e.g. 0.90";
        } else if (a == "--format") {
            if (!value(v) || (v != "json" && v != "table")) return "--format must be json or table";
            o.table = v == "table";
        } else if (a.size() > 1 && a[0] == '-' && a != "-") {
            return "unknown option '" + a + "'";
        } else {
            o.files.push_back(a);
        }
    }
    if (!o.help && o.files.empty()) return "no input file";
    return "";
}

//-----------------------------------------------------------------------------
// [SECTION] Reading files
//-----------------------------------------------------------------------------
// The bytes of every regular file named (stdin and pipes count 0: no percentage for them).
uint64_t total_file_bytes(const std::vector<std::string>& paths) {
    uint64_t total = 0;
    struct stat st;
    for (const auto& p : paths)
        if (p != "-" && ::stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode)) total += static_cast<uint64_t>(st.st_size);
    return total;
}

// Streams one file through the importer, showing progress on a terminal (src/cli/progress.h).
// Returns false when the file cannot be read.
bool read_file(const std::string& path, response_importer& importer, progress& shown, uint64_t& bytes_read, uint64_t rows_before) {
    FILE* f = path == "-" ? stdin : std::fopen(path.c_str(), "rb");
    if (!f) return false;
    std::vector<char> buffer(1 << 20);
    size_t got;
    while ((got = std::fread(buffer.data(), 1, buffer.size(), f)) > 0) {
        importer.feed(std::string_view(buffer.data(), got));
        bytes_read += got;
        shown.update_chunk(bytes_read, rows_before + importer.stats().records);
    }
    bool ok = !std::ferror(f);
    if (f != stdin) std::fclose(f);
    importer.finish();
    return ok;
}

void report_problems(const std::string& path, const import_stats& stats) {
    for (const auto& p : stats.examples)
        std::fprintf(stderr, "%s:%llu: skipped: %s\n", path.c_str(), static_cast<unsigned long long>(p.line), p.reason.c_str());
    if (stats.skipped > stats.examples.size())
        std::fprintf(stderr, "%s: ... and %llu more skipped rows\n", path.c_str(),
                     static_cast<unsigned long long>(stats.skipped - stats.examples.size()));
}

//-----------------------------------------------------------------------------
// [SECTION] Report
//-----------------------------------------------------------------------------
json figures(const group_stats& g, double confidence) {
    nps_result r = score_nps(g.histogram, confidence);
    json j;
    put_nps_figures(j, r);
    j["histogram"] = g.histogram.bins;
    j["shown"] = g.shown;
    j["dismissed"] = g.dismissed;
    if (!r.has_score) j["no_score"] = "no answered responses";
    return j;
}

void print_table(const json& report, const std::string& by) {
    auto cell = [](const json& v, int decimals) { return v.is_null() ? std::string("-") : format_rounded(v.get<double>(), decimals); };
    std::printf("%-22s %8s %6s %16s %7s %5s %5s %5s\n", by.empty() ? "" : by.c_str(), "n", "NPS", "95% CI", "±", "prom", "pass", "detr");
    auto row = [&](const std::string& label, const json& g) {
        std::string ci = g["nps"].is_null() ? "-" : "[" + cell(g["ci_low"], 1) + ", " + cell(g["ci_high"], 1) + "]";
        std::printf("%-22s %8llu %6s %16s %7s %5llu %5llu %5llu\n", label.c_str(), static_cast<unsigned long long>(g["n"].get<uint64_t>()),
                    cell(g["nps"], 0).c_str(), ci.c_str(), cell(g["margin"], 1).c_str(),
                    static_cast<unsigned long long>(g["promoters"].get<uint64_t>()),
                    static_cast<unsigned long long>(g["passives"].get<uint64_t>()),
                    static_cast<unsigned long long>(g["detractors"].get<uint64_t>()));
    };
    if (report.contains("groups"))
        for (const auto& g : report["groups"]) row(g["key"].get<std::string>().empty() ? "(none)" : g["key"].get<std::string>(), g);
    row("all", report);
    std::printf("skipped rows: %llu\n", static_cast<unsigned long long>(report["skipped_rows"].get<uint64_t>()));
}

}  // namespace

int run_score(int argc, char** argv) {
    score_options o;
    std::string error = parse_score_options(argc, argv, o);
    if (o.help) {
        std::fputs(score_usage, stdout);
        return 0;
    }
    if (!error.empty()) {
        std::fprintf(stderr, "npskit score: %s\n\n%s", error.c_str(), score_usage);
        return 2;
    }
    response_store store;
    store.begin_bulk();  // repeated ids (within and across files) are settled once, at the end
    uint64_t skipped = 0, records = 0, bytes_read = 0;
    progress shown({.what = "npskit score", .total_bytes = total_file_bytes(o.files)});
    for (size_t i = 0; i < o.files.size(); ++i) {
        importer_desc desc;
        desc.id_prefix = o.files.size() > 1 ? "f" + std::to_string(i + 1) + "-row" : "row";
        desc.max_examples = 1000;
        response_importer importer(desc, [&](const response_view& r) { store.add(r); });
        if (!read_file(o.files[i], importer, shown, bytes_read, records)) {
            shown.finish();
            std::fprintf(stderr, "npskit score: cannot read '%s': %s\n", o.files[i].c_str(), std::strerror(errno));
            return 1;
        }
        if (importer.needs_mapping())
            std::fprintf(stderr, "%s: no score column in the header (%zu columns)\n", o.files[i].c_str(), importer.header().size());
        report_problems(o.files[i], importer.stats());
        skipped += importer.stats().skipped;
        records += importer.stats().records;
    }
    shown.finish();
    store.end_bulk();
    // The store's caps (keys indexed, values per key) keep a file of fresh keys from taking the
    // memory: say what they left out, as the dashboard does.
    if (std::string note = store.limits_note(); !note.empty()) std::fprintf(stderr, "npskit score: note: %s\n", note.c_str());
    const query_params& q = o.query;
    group_stats total = aggregate(store, q.filter);
    json report = figures(total, o.confidence);
    report["confidence"] = o.confidence;
    report["skipped_rows"] = skipped;
    report["rows"] = records;
    if (!q.by.empty()) {
        std::vector<group_stats> groups =
            q.by_time ? group_by_time(store, q.filter, q.bucket, q.utc_offset_minutes) : group_by_attribute(store, q.filter, q.by);
        report["by"] = q.by;
        json list = json::array();
        for (const auto& g : groups) {
            json item;
            item["key"] = g.key;
            if (q.by_time) item["start"] = format_timestamp(g.start_ms);
            json values = figures(g, o.confidence);  // named: items() of a temporary dangles
            for (auto& [k, v] : values.items()) item[k] = v;
            list.push_back(std::move(item));
        }
        report["groups"] = std::move(list);
    }
    if (o.table)
        print_table(report, q.by);
    else
        std::printf("%s\n", report.dump(2, ' ', false, json::error_handler_t::replace).c_str());
    if (store.size() == 0) {
        std::fprintf(stderr, "npskit score: no valid row in the input\n");
        return 1;
    }
    return 0;
}

int run_validate(int argc, char** argv) {
    std::vector<std::string> files;
    for (int i = 1; i < argc; ++i) {
        if (!std::strcmp(argv[i], "--help") || !std::strcmp(argv[i], "-h")) {
            std::puts(
                "usage: npskit validate FILE...   (NDJSON or a JSON array of schema v1 records; '-' = stdin)\n"
                "Prints one line per invalid record and a JSON summary; exit 1 when any record is invalid.");
            return 0;
        }
        files.push_back(argv[i]);
    }
    if (files.empty()) {
        std::fputs("npskit validate: no input file\n", stderr);
        return 2;
    }
    uint64_t valid = 0, invalid = 0, bytes_read = 0;
    progress shown({.what = "npskit validate", .total_bytes = total_file_bytes(files)});
    for (const auto& path : files) {
        // Strict: every record must be schema v1 as it is (no mapping of peers' fields).
        importer_desc desc;
        desc.max_examples = 1000;
        desc.strict_schema = true;
        response_importer importer(desc, [&](const response&) { ++valid; });
        if (!read_file(path, importer, shown, bytes_read, valid + invalid)) {
            shown.finish();
            std::fprintf(stderr, "npskit validate: cannot read '%s': %s\n", path.c_str(), std::strerror(errno));
            return 1;
        }
        if (importer.format() == input_format::csv) {
            std::fprintf(stderr, "npskit validate: '%s' is CSV; validate takes schema v1 JSON or NDJSON\n", path.c_str());
            return 2;
        }
        report_problems(path, importer.stats());
        invalid += importer.stats().skipped;
    }
    std::printf("{\"valid\":%llu,\"invalid\":%llu}\n", static_cast<unsigned long long>(valid), static_cast<unsigned long long>(invalid));
    return invalid == 0 && valid > 0 ? 0 : 1;
}

}  // namespace npskit::cli
