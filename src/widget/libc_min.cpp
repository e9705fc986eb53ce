// npskit widget: the libc functions the bundle links, smaller (the 16 KB budget).
// - memcpy, memmove, memset as one memory.copy / memory.fill each (-mbulk-memory): libc's, built
//   without bulk memory, copy a word at a time with unrolled head and tail loops.
// - abort (libc++'s bounds checks without exceptions) as a trap: the same end (a RuntimeError
//   caught by pre.js's guard), without a JS import whose only job is to throw.
// Compiled with -fno-builtin and without LTO (CMakeLists.txt): the builtins below are lowered to
// the instructions, never to calls to these functions.
#include <cstddef>

extern "C" {

void* memmove(void* dest, const void* src, size_t n) { return __builtin_memmove(dest, src, n); }

void* memcpy(void* dest, const void* src, size_t n) { return memmove(dest, src, n); }

[[noreturn]] void abort() { __builtin_trap(); }

void* memset(void* dest, int c, size_t n) { return __builtin_memset(dest, c, n); }
}
