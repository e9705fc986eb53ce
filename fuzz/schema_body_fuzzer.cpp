// libFuzzer: a collector request body → the core schema (the exact call the collector makes
// on POST /v1/responses). Checks beyond "no crash, no sanitizer report":
//   - every rejection carries at least one error, and errors_to_json is valid JSON
//   - an accepted record serialises to canonical JSON that parses back to the same record
//     (the collector stores that text and serves it as is)
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include <nlohmann/json.hpp>

#include "schema.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view body(reinterpret_cast<const char*>(data), size);
    npskit::parse_result r = npskit::parse_response(body);
    if (!r.ok()) {
        std::string errors = npskit::errors_to_json(r.errors);
        auto j = nlohmann::json::parse(errors, nullptr, false);
        if (j.is_discarded() || !j["errors"].is_array() || j["errors"].empty()) std::abort();
        return 0;
    }
    std::string canonical = npskit::response_to_json(r.value);
    npskit::parse_result again = npskit::parse_response(std::string_view(canonical));
    if (!again.ok()) std::abort();
    if (npskit::response_to_json(again.value) != canonical) std::abort();
    return 0;
}
