// npskit widget: a tiny allocator (-sMALLOC=none). emmalloc is ~2 KB of wasm; the prompt needs
// only small, short-lived blocks: power-of-two size classes with one free list each, carved from
// the top of the heap, grown with memory.grow. Never returns memory to the system (a prompt's
// session allocates a few hundred kilobytes at most).
#include <cstddef>
#include <cstdint>
#include <cstring>

extern "C" {
extern unsigned char __heap_base;

static uintptr_t heap_top = 0;
static void* free_lists[32];

static int size_class(size_t n) {
    int c = 4;  // 16 bytes minimum, including the 8-byte header
    while ((size_t{1} << c) < n + 8) ++c;
    return c;
}

void* malloc(size_t n) {
    if (n > (size_t{1} << 30)) return nullptr;
    int c = size_class(n);
    unsigned char* block = static_cast<unsigned char*>(free_lists[c]);
    if (block) {
        std::memcpy(&free_lists[c], block + 8, sizeof(void*));
    } else {
        if (!heap_top) heap_top = (reinterpret_cast<uintptr_t>(&__heap_base) + 15) & ~uintptr_t{15};
        size_t size = size_t{1} << c;
        uintptr_t end = heap_top + size;
        size_t have = __builtin_wasm_memory_size(0) * 65536;
        if (end > have && __builtin_wasm_memory_grow(0, (end - have + 65535) / 65536) == static_cast<size_t>(-1)) return nullptr;
        block = reinterpret_cast<unsigned char*>(heap_top);
        heap_top = end;
    }
    block[0] = static_cast<unsigned char>(c);
    return block + 8;  // 8-byte aligned (blocks are 16-aligned)
}

void free(void* p) {
    if (!p) return;
    unsigned char* block = static_cast<unsigned char*>(p) - 8;
    int c = block[0];
    std::memcpy(block + 8, &free_lists[c], sizeof(void*));
    free_lists[c] = block;
}

void* calloc(size_t count, size_t n) {
    if (n && count > (size_t{1} << 30) / n) return nullptr;
    void* p = malloc(count * n);
    if (p) std::memset(p, 0, count * n);
    return p;
}

void* realloc(void* p, size_t n) {
    if (!p) return malloc(n);
    size_t have = (size_t{1} << static_cast<unsigned char*>(p)[-8]) - 8;
    if (n <= have) return p;
    void* q = malloc(n);
    if (q) {
        std::memcpy(q, p, have);
        free(p);
    }
    return q;
}

void* aligned_alloc(size_t alignment, size_t n) { return alignment <= 8 ? malloc(n) : nullptr; }
}
