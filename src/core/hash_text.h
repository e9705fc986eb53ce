// npskit core: one stable text hash for every audience (the store's id index, the importer's
// synthesised ids, the send queue's finished ids).
#pragma once
#include <cstdint>
#include <string_view>

namespace npskit {

uint64_t hash_text(std::string_view text);  // FNV-1a 64, stable across platforms (ids, index keys)

}  // namespace npskit
