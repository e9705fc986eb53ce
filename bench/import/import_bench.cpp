// The dashboard's load path without the browser: a file fed in 1 MB chunks through the core
// importer into a response store, as app_pump does. Built natively and as wasm (node).
//   import_bench FILE [ROUNDS]   prints one JSON line per round: ms, MB/s, records, rows
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#ifdef __EMSCRIPTEN__
#include <emscripten/heap.h>
#endif

#include "import.h"
#include "store.h"

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: import_bench FILE [ROUNDS]\n");
        return 2;
    }
    const int rounds = argc > 2 ? std::atoi(argv[2]) : 3;
    std::FILE* f = std::fopen(argv[1], "rb");
    if (!f) {
        std::perror(argv[1]);
        return 1;
    }
    // The whole file in memory first: the figure is the importer's, not the disk's.
    std::vector<std::string> chunks;
    for (;;) {
        std::string chunk(1 << 20, '\0');
        size_t n = std::fread(chunk.data(), 1, chunk.size(), f);
        if (n == 0) break;
        chunk.resize(n);
        chunks.push_back(std::move(chunk));
    }
    std::fclose(f);
    double total = 0;
    for (const auto& c : chunks) total += static_cast<double>(c.size());
    for (int round = 0; round < rounds; ++round) {
        auto start = std::chrono::steady_clock::now();
        npskit::response_store store;
        npskit::importer_desc d;
        d.id_prefix = "row";
        npskit::response_importer importer(d, [&store](const npskit::response_view& r) { store.add(r); });
        store.begin_bulk();
        double fed = 0;
        bool reserved = false;
        for (const auto& c : chunks) {
            importer.feed(c);
            fed += static_cast<double>(c.size());
            if (!reserved && store.size() > 0) {  // as the dashboard does
                store.reserve_like(fed, total);
                reserved = true;
            }
        }
        importer.finish();
        store.end_bulk();
        store.release_id_index();
        store.shrink_to_fit();
        double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
        double heap_mb = 0;
#ifdef __EMSCRIPTEN__
        heap_mb = static_cast<double>(emscripten_get_heap_size()) / 1e6;  // the wasm memory, all of it
#endif
        std::printf(
            "{\"heap_mb\":%.0f,\"store_mb\":%.1f,\"ms\":%.1f,\"mb_per_s\":%.1f,\"records\":%llu,\"rows\":%zu,\"bytes_per_row\":%.1f}\n",
            heap_mb, static_cast<double>(store.memory_bytes()) / 1e6, ms, total / 1e6 / (ms / 1000),
            static_cast<unsigned long long>(importer.stats().records), store.size(),
            static_cast<double>(store.memory_bytes() - store.comment_pool.capacity()) / static_cast<double>(store.size()));
    }
    return 0;
}
