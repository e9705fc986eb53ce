#include "load_files.h"

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "import.h"

namespace npskit::cli {
namespace {
bool read_into(const std::string& path, response_importer& importer) {
    FILE* f = path == "-" ? stdin : std::fopen(path.c_str(), "rb");
    if (!f) return false;
    std::vector<char> buffer(1 << 20);
    size_t got;
    while ((got = std::fread(buffer.data(), 1, buffer.size(), f)) > 0) importer.feed(std::string_view(buffer.data(), got));
    bool ok = !std::ferror(f);
    if (f != stdin) std::fclose(f);
    importer.finish();
    return ok;
}
}  // namespace

bool load_files(const char* command, const std::vector<std::string>& files, response_store& store) {
    store.begin_bulk();
    for (size_t i = 0; i < files.size(); ++i) {
        importer_desc desc;
        desc.id_prefix = files.size() > 1 ? "f" + std::to_string(i + 1) + "-row" : "row";
        response_importer importer(desc, [&](const response_view& r) { store.add(r); });
        if (!read_into(files[i], importer)) {
            std::fprintf(stderr, "npskit %s: cannot read '%s': %s\n", command, files[i].c_str(), std::strerror(errno));
            return false;
        }
        if (importer.stats().skipped)
            std::fprintf(stderr, "%s: %llu rows skipped (npskit score shows why)\n", files[i].c_str(),
                         static_cast<unsigned long long>(importer.stats().skipped));
    }
    store.end_bulk();
    return true;
}
}  // namespace npskit::cli
