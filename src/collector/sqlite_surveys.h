// npskit collector: survey definitions in the SQLite database (storage.h, survey_store), on a
// connection of their own so that a PUT never waits behind the group commit's batch.
#pragma once
#include <memory>
#include <string>

#include "storage.h"

namespace npskit {

// Creates the table if needed (migration 2: survey_versions). nullptr and `error` on failure.
std::unique_ptr<survey_store> open_sqlite_surveys(const std::string& path, int busy_timeout_ms, std::string& error);

}  // namespace npskit
