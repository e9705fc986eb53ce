#include "small_text.h"

#include <cstdlib>
#include <cstring>

namespace npskit {

small_text::~small_text() { std::free(p_); }

// Grows to hold n bytes and the NUL; the size is the caller's to set. Out of memory keeps the
// old text (the widget then sends less, it never writes out of bounds).
static bool reserve(char*& p, uint32_t& cap, size_t n) {
    if (n < cap) return true;
    size_t want = n + 1 > 2 * size_t{cap} ? n + 1 : 2 * size_t{cap};
    if (want > 0x7fffffff) return false;
    char* q = static_cast<char*>(std::realloc(p, want));
    if (!q) return false;
    p = q;
    cap = static_cast<uint32_t>(want);
    return true;
}

small_text& small_text::append(const char* s, size_t n) {
    if (!n) return *this;
    // `s` may point into this text: keep its offset across the realloc.
    size_t from = p_ && s >= p_ && s < p_ + n_ ? static_cast<size_t>(s - p_) : SIZE_MAX;
    if (!reserve(p_, cap_, size_t{n_} + n)) return *this;
    std::memmove(p_ + n_, from != SIZE_MAX ? p_ + from : s, n);
    n_ += static_cast<uint32_t>(n);
    p_[n_] = 0;
    return *this;
}

small_text& small_text::assign(std::string_view s) {
    if (p_ && s.data() >= p_ && s.data() <= p_ + n_) {  // a part of itself: move it to the front
        std::memmove(p_, s.data(), s.size());
        n_ = static_cast<uint32_t>(s.size());
        p_[n_] = 0;
        return *this;
    }
    n_ = 0;
    if (p_) p_[0] = 0;
    return append(s.data(), s.size());
}

void small_text::resize(size_t n) {
    if (n > n_ && !reserve(p_, cap_, n)) return;
    if (n > n_) std::memset(p_ + n_, 0, n - n_);
    n_ = static_cast<uint32_t>(n);
    if (p_) p_[n_] = 0;
}

void small_text::swap(small_text& o) noexcept {
    char* p = p_;
    uint32_t n = n_, cap = cap_;
    p_ = o.p_, n_ = o.n_, cap_ = o.cap_;
    o.p_ = p, o.n_ = n, o.cap_ = cap;
}

}  // namespace npskit
