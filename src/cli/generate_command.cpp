// `npskit generate`: src/core/synthetic as schema v1 NDJSON lines on stdout.
#include "generate_command.h"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "calendar.h"
#include "progress.h"
#include "schema.h"
#include "synthetic.h"

namespace {

const char* const generate_usage =
    "usage: npskit generate [options] > FILE.ndjson\n"
    "  --rows N        answered responses (default 20000); display events come on top\n"
    "  --seed S        random seed (default 42); the same options give the same bytes\n"
    "  --months M      length of the range, 1 to 120 (default 12)\n"
    "  --end DATE      the data ends before this day (default 2026-01-01)\n"
    "  --no-display    answered responses only, no 'shown' / 'dismissed' events\n"
    "A summary goes to stderr.\n";

bool parse_u64(const char* text, unsigned long long max, unsigned long long& out) {
    if (!text || !*text || *text == '-') return false;
    char* end = nullptr;
    errno = 0;
    unsigned long long v = std::strtoull(text, &end, 10);
    if (errno || *end || v > max) return false;
    out = v;
    return true;
}

int fail(const std::string& message) {
    std::fprintf(stderr, "npskit generate: %s\n\n%s", message.c_str(), generate_usage);
    return 2;
}

}  // namespace

int run_generate_command(int argc, char** argv) {
    npskit::synthetic_desc desc;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        const char* value = i + 1 < argc ? argv[i + 1] : nullptr;
        unsigned long long n = 0;
        if (a == "-h" || a == "--help") {
            std::fputs(generate_usage, stdout);
            return 0;
        } else if (a == "--no-display") {
            desc.display_events = false;
        } else if (a == "--rows") {
            if (!parse_u64(value, 1000000000ULL, n)) return fail("--rows needs a number of responses (0 to 1000000000)");
            desc.responses = n, ++i;
        } else if (a == "--seed") {
            if (!parse_u64(value, ~0ULL, n)) return fail("--seed needs a whole number");
            desc.seed = n, ++i;
        } else if (a == "--months") {
            if (!parse_u64(value, 120, n) || n < 1) return fail("--months must be from 1 to 120");
            desc.months = static_cast<int>(n), ++i;
        } else if (a == "--end") {
            auto ms = value ? npskit::parse_timestamp(value, true) : std::nullopt;
            if (!ms) return fail("--end needs a date such as 2026-01-01");
            desc.end_ms = *ms, ++i;
        } else {
            return fail("unknown option '" + a + "'");
        }
    }
    std::string line;
    uint64_t bytes = 0, rows = 0;
    npskit::progress shown({.what = "npskit generate", .total_rows = desc.responses});
    npskit::synthetic_stats stats = npskit::generate_synthetic(desc, [&](const npskit::response& r) {
        line = npskit::response_to_json(r);
        line += '\n';
        std::fwrite(line.data(), 1, line.size(), stdout);
        bytes += line.size();
        rows += r.type == npskit::event_type::response;
        shown.update(bytes, rows);
    });
    shown.finish();
    if (std::fflush(stdout) != 0) {
        std::fprintf(stderr, "npskit generate: cannot write the output\n");
        return 1;
    }
    std::fprintf(stderr, "npskit generate: %llu responses, %llu shown, %llu dismissed, %llu comments, %s .. %s\n",
                 static_cast<unsigned long long>(stats.responses), static_cast<unsigned long long>(stats.shown),
                 static_cast<unsigned long long>(stats.dismissed), static_cast<unsigned long long>(stats.comments),
                 npskit::format_timestamp(stats.first_ms).c_str(), npskit::format_timestamp(stats.last_ms).c_str());
    return 0;
}
