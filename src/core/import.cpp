#include "import.h"
#include "code_list.h"

#include <cstring>

#include "import_peers.h"

namespace npskit {

using namespace import_peers;

const char* input_format_name(input_format f) {
    switch (f) {
        case input_format::unknown: return "unknown";
        case input_format::json_array: return "json";
        case input_format::ndjson: return "ndjson";
        case input_format::csv: return "csv";
    }
    return "?";
}

input_format detect_format(std::string_view bytes) {
    bytes = trim(skip_bom(bytes));
    if (bytes.empty()) return input_format::unknown;
    if (bytes.front() == '[') return input_format::json_array;
    if (bytes.front() == '{') return input_format::ndjson;
    return input_format::csv;
}

NPSKIT_CODE_LIST_LOOKUPS(import_error_code, NPSKIT_IMPORT_ERRORS, import_error_name, import_error_text)

//-----------------------------------------------------------------------------
// The streaming importer
//-----------------------------------------------------------------------------
response_importer::response_importer(importer_desc desc, sink on_response) : desc_(std::move(desc)), sink_(std::move(on_response)) {
    if (desc_.mapping) mapping_ = *desc_.mapping;
}

response_importer::response_importer(importer_desc desc, view_sink on_response) : response_importer(std::move(desc), sink()) {
    view_sink_ = std::move(on_response);
    // Records the fast path does not read (peers' formats, CSV, odd JSON) arrive as a response.
    sink_ = [this](const response& r) { view_sink_(view_of(r, fast_attributes_)); };
}

void response_importer::problem(uint64_t line, import_error_code code, std::string_view arg, std::string_view detail) {
    ++stats_.skipped;
    if (stats_.examples.size() >= desc_.max_examples) return;
    std::string_view text = import_error_text(code);
    const size_t at = text.find("%s");
    std::string reason(text.substr(0, at));
    if (at != std::string_view::npos) reason.append(arg).append(text.substr(at + 2));
    reason.append(detail);
    stats_.examples.push_back({line, code, std::move(reason), {}});
}

void response_importer::problem(uint64_t line, std::vector<schema_error> errors) {
    ++stats_.skipped;
    if (stats_.examples.size() >= desc_.max_examples) return;
    std::string reason;  // invalid_record's sentence is the schema's sentences, joined
    for (const auto& e : errors) reason += (reason.empty() ? "" : "; ") + e.message();
    stats_.examples.push_back({line, import_error_code::invalid_record, std::move(reason), std::move(errors)});
}

void response_importer::too_large(uint64_t line) {
    ++stats_.records;
    problem(line, import_error_code::too_large, std::to_string(desc_.max_record_bytes));
}

void response_importer::set_mapping(const column_mapping& m) {
    mapping_ = m;
    needs_mapping_ = false;
    auto held = std::move(held_rows_);
    held_rows_.clear();
    for (auto& [line, cells] : held) on_csv_row(cells, line);
}

void response_importer::feed(std::string_view chunk) {
    if (!started_) {
        // Detection needs the first non-blank byte; keep blanks until it arrives.
        pending_.append(chunk);
        // Skip every leading blank and byte-order mark; when what is left could still be the start
        // of a mark split across chunks, wait for more bytes, so that detection never depends on
        // where the input was split (found by fuzz/import_stream).
        std::string_view head = pending_;
        for (;;) {
            while (!head.empty() && is_blank(head.front())) head.remove_prefix(1);
            if (head.size() >= 3 && head.substr(0, 3) == "\xEF\xBB\xBF") {
                head.remove_prefix(3);
                continue;
            }
            if (!head.empty() && head.size() < 3 && std::string_view("\xEF\xBB\xBF").substr(0, head.size()) == head) return;
            break;
        }
        if (head.empty()) return;
        if (desc_.format == input_format::unknown) desc_.format = detect_format(head);
        started_ = true;
        // Start at the first real byte (a CSV header may follow blank lines); lines still count.
        const size_t skipped = static_cast<size_t>(head.data() - pending_.data());
        std::string all = std::move(pending_);
        pending_.clear();
        for (size_t i = 0; i < skipped; ++i) line_ += all[i] == '\n';
        record_line_ = line_;
        feed(std::string_view(all).substr(skipped));
        return;
    }
    switch (desc_.format) {
        case input_format::ndjson: return feed_ndjson(chunk);
        case input_format::json_array: return feed_json_array(chunk);
        case input_format::csv: return feed_csv(chunk);
        case input_format::unknown: break;
    }
}

void response_importer::finish() {
    if (!started_) return;
    if (desc_.format == input_format::csv)
        finish_csv();
    else if (desc_.format != input_format::unknown)
        finish_json();
    pending_.clear();
    cells_.clear();
    cell_.clear();
    row_bytes_ = 0;
    row_over_ = import_error_code::invalid_record;
}

import_stats import_text(std::string_view text, const importer_desc& desc, const response_importer::sink& on_response) {
    response_importer importer(desc, on_response);
    importer.feed(text);
    importer.finish();
    return importer.stats();
}

}  // namespace npskit
