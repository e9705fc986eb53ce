// Reading the CLI's input files into one store, as `npskit themes` and `npskit digest` do.
#pragma once

#include <string>
#include <vector>

#include "store.h"

namespace npskit::cli {
// Files ("-" = stdin) into `store` (begin_bulk … end_bulk), ids prefixed per file when there are
// several; skipped rows are counted on stderr. false (the error said, as "npskit COMMAND: …") when a
// file cannot be read.
bool load_files(const char* command, const std::vector<std::string>& files, response_store& store);
}  // namespace npskit::cli
