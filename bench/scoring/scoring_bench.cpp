// Scoring throughput of the core: NPS + 11-bin histogram + weekly trend over N responses.
// Built natively and with em++ (run under node and in Chromium) from the same source; the
// JavaScript baselines in scoring.mjs fill the same data with the same generator, and every
// variant must print the same checksum.
//   usage: scoring_bench N [repetitions]   → one JSON line on stdout
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "query.h"
#include "score.h"
#include "store.h"

using namespace npskit;

// xorshift32: cheap, and identical in JavaScript (see scoring.mjs).
static uint32_t next_random(uint32_t& state) {
    state ^= state << 13;
    state ^= state >> 17;
    state ^= state << 5;
    return state;
}

// Copy bandwidth in bytes per nanosecond: the physical limit of a pass that reads each byte once.
static double copy_bandwidth() {
    const size_t bytes = 256u << 20;
    std::vector<uint8_t> a(bytes, 1), b(bytes);
    double best = 1e300;
    for (int r = 0; r < 5; ++r) {
        auto t0 = std::chrono::steady_clock::now();
        std::memcpy(b.data(), a.data(), bytes);
        auto t1 = std::chrono::steady_clock::now();
        best = std::min(best, std::chrono::duration<double, std::nano>(t1 - t0).count());
    }
    volatile uint8_t sink = b[bytes / 2];
    (void)sink;
    return 2.0 * bytes / best;  // read + write
}

int main(int argc, char** argv) {
    if (argc > 1 && std::strcmp(argv[1], "--bandwidth") == 0) {
        std::printf("{\"copy_bytes_per_ns\":%.3f}\n", copy_bandwidth());
        return 0;
    }
    const size_t n = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 1'000'000;
    const int reps = argc > 2 ? std::atoi(argv[2]) : 5;
    const int64_t start_ms = 1'735'689'600'000;  // 2025-01-01
    const int64_t span_ms = 365LL * 86'400'000;

    response_store store(store_desc{.index_ids = false});
    store.reserve(n);
    // Fill the columns directly: this measures scoring, not ingestion.
    uint32_t state = 2463534242u;
    for (size_t i = 0; i < n; ++i) {
        store.slots.push_back(static_cast<uint8_t>(next_random(state) % 11));
        store.times_ms.push_back(start_ms + static_cast<int64_t>(static_cast<double>(i) / n * span_ms));
        store.comment_offsets.push_back(0);
        store.comment_lengths.push_back(0);
    }
    store.min_time_ms = start_ms;
    store.max_time_ms = store.times_ms.empty() ? start_ms : store.times_ms.back();

    double best_total = 1e300, best_aggregate = 1e300, best_trend = 1e300;
    double nps = 0;
    uint64_t checksum = 0;
    size_t weeks = 0;
    for (int r = 0; r < reps; ++r) {
        auto t0 = std::chrono::steady_clock::now();
        group_stats all = aggregate(store, {});
        nps_result score = score_nps(all.histogram);
        auto t1 = std::chrono::steady_clock::now();
        std::vector<group_stats> trend = group_by_time(store, {}, time_bucket::week);
        auto t2 = std::chrono::steady_clock::now();
        double a = std::chrono::duration<double, std::nano>(t1 - t0).count();
        double t = std::chrono::duration<double, std::nano>(t2 - t1).count();
        best_aggregate = std::min(best_aggregate, a);
        best_trend = std::min(best_trend, t);
        best_total = std::min(best_total, a + t);
        nps = score.nps;
        weeks = trend.size();
        checksum = 0;
        for (const auto& w : trend)
            for (int s = 0; s <= 10; ++s) checksum = checksum * 31 + w.histogram.bins[s];
    }
    std::printf("{\"n\":%zu,\"reps\":%d,\"ns_per_response\":%.3f,\"ns_aggregate\":%.3f,\"ns_trend\":%.3f,"
                "\"nps\":%.6f,\"weeks\":%zu,\"checksum\":\"%llu\",\"bytes_per_response\":%.1f}\n",
                n, reps, best_total / n, best_aggregate / n, best_trend / n, nps, weeks,
                static_cast<unsigned long long>(checksum), static_cast<double>(store.memory_bytes()) / n);
    return 0;
}
