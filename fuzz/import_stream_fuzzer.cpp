// libFuzzer: the streaming importer (JSON array / NDJSON / CSV) the CLI and the dashboard
// share. The first byte chooses a chunk size, so record boundaries land anywhere; the result
// must not depend on how the input was split.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "import.h"
#include "schema.h"

namespace {
struct outcome {
    std::vector<std::string> records;
    npskit::import_stats stats;
};
outcome run(std::string_view text, size_t chunk) {
    outcome o;
    npskit::importer_desc desc;
    npskit::response_importer importer(desc, [&](const npskit::response& r) { o.records.push_back(npskit::response_to_json(r)); });
    for (size_t i = 0; i < text.size(); i += chunk) importer.feed(text.substr(i, chunk));
    importer.finish();
    o.stats = importer.stats();
    return o;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size < 1) return 0;
    size_t chunk = 1 + data[0] % 17;
    std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
    outcome whole = run(text, text.size() + 1);
    outcome split = run(text, chunk);
    if (whole.records != split.records) std::abort();
    if (whole.stats.accepted != split.stats.accepted || whole.stats.skipped != split.stats.skipped) std::abort();
    if (whole.stats.accepted != whole.records.size()) std::abort();
    return 0;
}
