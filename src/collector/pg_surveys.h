// npskit collector: survey definitions in PostgreSQL (storage.h, survey_store; the table is
// pg_storage.cpp's migration 2), on a connection of their own.
#pragma once
#include <memory>
#include <string>

#include "storage.h"

namespace npskit {

// nullptr and `error` when the database cannot be reached.
std::unique_ptr<survey_store> open_pg_surveys(const std::string& url, int connect_timeout_s, std::string& error);

}  // namespace npskit
