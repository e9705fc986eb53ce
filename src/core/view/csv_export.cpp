#include "csv_export.h"

#include "calendar.h"
#include "score.h"

namespace npskit {

std::string csv_cell(std::string_view text) {
    std::string cell = "\"";
    cell.reserve(text.size() + 4);
    if (!text.empty()) {
        char c = text[0];
        if (c == '=' || c == '+' || c == '-' || c == '@' || c == '\t' || c == '\r') cell.push_back('\'');
    }
    for (char c : text) {
        if (c == '"') cell.push_back('"');
        cell.push_back(c);
    }
    cell.push_back('"');
    return cell;
}

std::string export_csv(const response_store& store, const std::vector<uint32_t>& rows) {
    std::string out = "\"ts\",\"type\",\"score\",\"segment\",\"comment\"";
    for (const auto& column : store.attributes) {
        out.push_back(',');
        out += csv_cell(column.key);
    }
    out += "\r\n";
    for (uint32_t row : rows) {
        if (row >= store.size()) continue;
        uint8_t slot = store.slots[row];
        out.push_back('"');
        out += format_timestamp(store.times_ms[row]);
        if (slot <= 10) {
            out += "\",\"response\",\"";
            out += std::to_string(slot);
            out += "\",\"";
            out += segment_name(segment_of(slot));
            out += "\",";
        } else {
            out += slot == slot_shown ? "\",\"shown\",\"\",\"\"," : "\",\"dismissed\",\"\",\"\",";
        }
        out += csv_cell(store.comment(row));
        for (const auto& column : store.attributes) {
            out.push_back(',');
            out += csv_cell(column.value_of(column.code_at(row)));
        }
        out += "\r\n";
    }
    return out;
}

}  // namespace npskit
