// npskit widget: the libc functions the bundle links, smaller (the 16 KB budget).
// - memcpy, memmove, memset as byte loops: libc's copy a word at a time with unrolled head and
//   tail loops; the prompt only ever moves a few kilobytes (queue text, record JSON).
// - abort (libc++'s bounds checks without exceptions) as a trap: the same end (a RuntimeError
//   caught by pre.js's guard), without a JS import whose only job is to throw.
// Compiled with -fno-builtin and without LTO (CMakeLists.txt): otherwise the compiler turns
// these loops back into calls to themselves.
#include <cstddef>

extern "C" {

void* memmove(void* dest, const void* src, size_t n) {
    unsigned char* d = static_cast<unsigned char*>(dest);
    const unsigned char* s = static_cast<const unsigned char*>(src);
    if (d < s)
        for (size_t k = 0; k < n; ++k) d[k] = s[k];
    else
        while (n--) d[n] = s[n];
    return dest;
}

void* memcpy(void* dest, const void* src, size_t n) { return memmove(dest, src, n); }

[[noreturn]] void abort() { __builtin_trap(); }

void* memset(void* dest, int c, size_t n) {
    unsigned char* d = static_cast<unsigned char*>(dest);
    while (n--) d[n] = static_cast<unsigned char>(c);
    return dest;
}
}
