// npskit CLI: progress on stderr for long work (`score`, `generate`). Shown only when stderr is a
// terminal and the work has lasted over a second; redrawn in place at most 5 times a second;
// cleared at the end, so a finished command leaves only its own output. Nothing when piped.
#pragma once
#include <chrono>
#include <cstdint>
#include <string>

namespace npskit {

struct progress_desc {
    const char* what = "npskit";  // the line's prefix: "npskit score"
    uint64_t total_bytes = 0;     // = 0: unknown (no percentage or ETA by bytes)
    uint64_t total_rows = 0;      // = 0: unknown (no percentage or ETA by rows)
    int enabled = -1;             // = -1: when stderr is a terminal; 0 never; 1 always (tests)
};

class progress {
public:
    explicit progress(progress_desc desc);
    ~progress() { finish(); }
    // Cheap enough to call per row: it reads the clock once every 4,096 calls.
    void update(uint64_t bytes, uint64_t rows) {
        bytes_ = bytes, rows_ = rows;
        if (enabled_ && (++calls_ & 4095) == 0) tick();
    }
    // The same for work done in chunks (a 1 MB read): reads the clock at every call.
    void update_chunk(uint64_t bytes, uint64_t rows) {
        bytes_ = bytes, rows_ = rows;
        if (enabled_) tick();
    }
    void finish();  // clears the line if one was drawn

    // The line for these figures (tests): "412 MB of 1.0 GB (41 %), 1,503,201 rows, 180 MB/s, ETA 3 s".
    static std::string line(const progress_desc& desc, uint64_t bytes, uint64_t rows, double seconds);

private:
    void tick();
    progress_desc desc_;
    bool enabled_ = false, drawn_ = false;
    uint64_t bytes_ = 0, rows_ = 0, calls_ = 0;
    std::chrono::steady_clock::time_point start_, last_draw_;
};

}  // namespace npskit
