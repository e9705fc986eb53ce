// The dashboard's re-score: the whole core report (every panel, the themes and drivers, the
// selected theme's filter and share) after a filter change, over N synthetic answers (the demo
// generator, as `npskit generate --no-display`: the dashboard bench's file). Built natively and
// with em++ (run under node) from the same source, like scoring_bench.
//   usage: rescore_bench N [reps] [HASH…]  → one JSON line: per view hash (the dashboard's URL
//          hash grammar, view_settings.h), min and median ms of `reps` re-scores after one
//          untimed warm-up. HASH "@top" is replaced by mention=KEY of the top driver (the theme a
//          user would click first), "@phrase" by the first multi-word distinctive theme. With a
//          theme, also the best of its parts: rows_mentioning, and the commented answers by period;
//          and "select_ms": the first re-score after choosing the theme (its rows found in full,
//          theme_row_cache as the dashboard keeps it), while min_ms/median_ms re-score with the
//          cache warm (another filter changed, the same data and theme); both with the theme_index
//          the dashboard builds in slices once a load is done ("index_ms" in all,
//          "index_slice_max_ms" the longest slice of 1,024 rows, "index_bytes"; "index_rows_ms": its
//          rows_mentioning, checked to be the plain scan's rows, "theme_rows_ms"). Every re-score uses one
//          theme_corpus kept for the whole run, as the dashboard keeps one (its word and term
//          dictionaries found again, report_desc::corpus); "fresh_ms": the best re-score with a
//          fresh corpus instead (the first after a load).
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "report.h"
#include "report_counts.h"
#include "store.h"
#include "synthetic.h"
#include "view_settings.h"

using namespace npskit;

int main(int argc, char** argv) {
    const size_t n = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 1'000'000;
    const int reps = argc > 2 ? std::atoi(argv[2]) : 7;
    std::vector<std::string> hashes(argv + std::min(argc, 3), argv + argc);
    if (hashes.empty()) hashes = {"", "a.plan=pro", "seg=dp", "q=slow", "@top", "@top&a.plan=pro", "@top&q=slow", "@phrase"};
    response_store store(store_desc{.index_ids = false});
    store.reserve(n);
    synthetic_desc desc;
    desc.responses = n;
    desc.display_events = false;
    generate_synthetic(desc, [&](const response& r) { store.add(r); });
    store.shrink_to_fit();
    // The dashboard's theme index, built in slices of 1,024 rows once a load is done (app_pump):
    // all of them, and the longest (what one frame pays).
    theme_index index;
    double index_ms = 0, index_slice_ms = 0;
    for (bool done = false; !done;) {
        auto i0 = std::chrono::steady_clock::now();
        done = index.extend(store, 1024);
        const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - i0).count();
        index_ms += ms;
        index_slice_ms = std::max(index_slice_ms, ms);
    }
    const int64_t now_ms = store.max_time_ms;
    auto desc_of = [&](const std::string& hash) {
        view_settings v = decode_view_hash(hash);
        report_desc d;
        d.filter = filter_for(v, now_ms);
        d.bucket = v.bucket;
        d.breakdown_key = v.breakdown;
        d.theme_key = v.theme;
        return d;
    };
    // The keys a user would click, from the unfiltered report.
    report first = build_report(store, desc_of(""));
    theme_corpus kept;  // the dashboard's app_state::theme_words
    std::string top = first.theme_drivers.empty() ? "" : first.theme_drivers.front().key, phrase;
    for (const auto& seg : first.distinctive_themes)
        for (const auto& t : seg)
            if (phrase.empty() && t.words > 1) phrase = t.key;
    size_t comments = 0;
    for (size_t row = 0; row < store.size(); ++row) comments += store.comment_lengths[row] != 0;
    std::printf(
        "{\"n\":%zu,\"comments\":%zu,\"pool_bytes\":%zu,\"index_ms\":%.1f,\"index_slice_max_ms\":%.2f,\"index_bytes\":%zu,\"reps\":%d,"
        "\"rescore\":[",
        n, comments, store.comment_pool.size(), index_ms, index_slice_ms, index.memory_bytes(), reps);
    for (size_t h = 0; h < hashes.size(); ++h) {
        std::string hash = hashes[h];
        for (auto [macro, key] : {std::pair<std::string, std::string>{"@top", top}, {"@phrase", phrase}}) {
            size_t at = hash.find(macro);
            if (at != std::string::npos) hash.replace(at, macro.size(), "mention=" + percent_encode(key));
        }
        report_desc d = desc_of(hash);
        double fresh_ms = 1e300;
        theme_row_cache fresh_rows;
        for (int r = 0; r < reps; ++r) {
            if (!d.theme_key.empty()) d.theme_rows = &fresh_rows.rows(store, d.theme_key);  // found once, untimed
            auto t0 = std::chrono::steady_clock::now();
            report rep = build_report(store, d);
            auto t1 = std::chrono::steady_clock::now();
            fresh_ms = std::min(fresh_ms, std::chrono::duration<double, std::milli>(t1 - t0).count());
        }
        d.corpus = &kept;
        std::vector<double> times;
        uint64_t answered = 0;
        theme_row_cache cache;
        double select_ms = 1e300;
        if (!d.theme_key.empty())
            for (int r = -1; r < reps; ++r) {
                cache.clear();
                auto t0 = std::chrono::steady_clock::now();
                d.theme_rows = &cache.rows(store, d.theme_key, &index);
                report rep = build_report(store, d);
                auto t1 = std::chrono::steady_clock::now();
                if (r >= 0) select_ms = std::min(select_ms, std::chrono::duration<double, std::milli>(t1 - t0).count());
            }
        for (int r = -1; r < reps; ++r) {
            auto t0 = std::chrono::steady_clock::now();
            if (!d.theme_key.empty()) d.theme_rows = &cache.rows(store, d.theme_key, &index);
            report rep = build_report(store, d);
            auto t1 = std::chrono::steady_clock::now();
            answered = rep.headline.histogram.n();
            if (r >= 0) times.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
        }
        std::sort(times.begin(), times.end());
        // Parts of a theme's re-score: finding its rows, and the commented answers by period.
        double rows_ms = 1e300, share_ms = 1e300, index_rows_ms = 1e300;
        size_t theme_rows = 0;
        if (!d.theme_key.empty())
            for (int r = 0; r < reps; ++r) {
                auto t0 = std::chrono::steady_clock::now();
                const std::vector<uint32_t> plain = rows_mentioning(store, d.theme_key);
                theme_rows = plain.size();
                auto t1 = std::chrono::steady_clock::now();
                theme_matcher m(d.theme_key);
                if (index.rows_mentioning(store, m) != plain) {
                    std::fprintf(stderr, "theme index: %s: not rows_mentioning's rows\n", d.theme_key.c_str());
                    return 1;
                }
                index_rows_ms =
                    std::min(index_rows_ms, std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t1).count());
                t1 = std::chrono::steady_clock::now();
                response_filter commented = d.filter;
                commented.with_comment = true;
                report_counts all = count_for_report(store, commented, d.bucket, 0, "", 0, 0);
                auto t2 = std::chrono::steady_clock::now();
                (void)all;
                rows_ms = std::min(rows_ms, std::chrono::duration<double, std::milli>(t1 - t0).count());
                share_ms = std::min(share_ms, std::chrono::duration<double, std::milli>(t2 - t1).count());
            }
        std::printf("%s{\"hash\":\"%s\",\"n\":%llu,\"min_ms\":%.3f,\"median_ms\":%.3f,\"fresh_ms\":%.3f", h ? "," : "", hash.c_str(),
                    static_cast<unsigned long long>(answered), times.front(), times[times.size() / 2], fresh_ms);
        if (!d.theme_key.empty())
            std::printf(
                ",\"select_ms\":%.3f,\"theme_rows\":%zu,\"theme_rows_ms\":%.3f,\"index_rows_ms\":%.3f,\"commented_by_period_ms\":%.3f",
                select_ms, theme_rows, rows_ms, index_rows_ms, share_ms);
        std::printf("}");
    }
    std::printf("]}\n");
    return 0;
}
