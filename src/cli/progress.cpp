#include "progress.h"

#include <unistd.h>
#include <cstdio>

namespace npskit {

namespace {
std::string bytes_text(double b) {
    char buf[32];
    if (b >= 1e9)
        std::snprintf(buf, sizeof buf, "%.1f GB", b / 1e9);
    else if (b >= 1e6)
        std::snprintf(buf, sizeof buf, "%.0f MB", b / 1e6);
    else
        std::snprintf(buf, sizeof buf, "%.0f kB", b / 1e3);
    return buf;
}
std::string count_text(uint64_t n) {  // 1,503,201
    std::string digits = std::to_string(n), out;
    for (size_t i = 0; i < digits.size(); ++i) {
        if (i && (digits.size() - i) % 3 == 0) out += ',';
        out += digits[i];
    }
    return out;
}
}  // namespace

progress::progress(progress_desc desc) : desc_(desc) {
    enabled_ = desc.enabled == -1 ? isatty(STDERR_FILENO) == 1 : desc.enabled == 1;
    start_ = last_draw_ = std::chrono::steady_clock::now();
}

std::string progress::line(const progress_desc& d, uint64_t bytes, uint64_t rows, double seconds) {
    std::string out = std::string(d.what) + ": ";
    double done = -1;  // fraction of the work, when a total is known
    if (d.total_bytes) {
        out += bytes_text(double(bytes)) + " of " + bytes_text(double(d.total_bytes));
        done = double(bytes) / double(d.total_bytes);
    } else if (bytes) {
        out += bytes_text(double(bytes));
    }
    if (d.total_rows) {
        if (!d.total_bytes) done = double(rows) / double(d.total_rows);
        out += (out.back() == ' ' ? "" : ", ") + count_text(rows) + " of " + count_text(d.total_rows) + " rows";
    } else {
        out += (out.back() == ' ' ? "" : ", ") + count_text(rows) + " rows";
    }
    if (done >= 0) out += " (" + std::to_string(int(done * 100 + 0.5 > 100 ? 100 : done * 100)) + " %)";
    if (seconds > 0) {
        if (bytes)
            out += ", " + bytes_text(double(bytes) / seconds) + "/s";
        else
            out += ", " + count_text(uint64_t(double(rows) / seconds)) + " rows/s";
        if (done > 0 && done < 1) out += ", ETA " + std::to_string(int(seconds * (1 - done) / done + 0.5)) + " s";
    }
    return out;
}

void progress::tick() {
    auto now = std::chrono::steady_clock::now();
    double seconds = std::chrono::duration<double>(now - start_).count();
    if (seconds < 1.0 || now - last_draw_ < std::chrono::milliseconds(200)) return;
    last_draw_ = now;
    std::string text = "\r" + line(desc_, bytes_, rows_, seconds) + "\x1b[K";  // erase the rest of the old line
    std::fputs(text.c_str(), stderr);
    std::fflush(stderr);
    drawn_ = true;
}

void progress::finish() {
    if (!drawn_) return;
    std::fputs("\r\x1b[K", stderr);
    std::fflush(stderr);
    drawn_ = false;
}

}  // namespace npskit
