#include "csv_export.h"

#include "calendar.h"
#include "score.h"

namespace npskit {

std::string csv_cell(std::string_view text) {
    std::string cell;
    cell.reserve(text.size() + 2);
    if (!text.empty()) {
        char c = text[0];
        if (c == '=' || c == '+' || c == '-' || c == '@' || c == '\t' || c == '\r') cell.push_back('\'');
    }
    cell.append(text);
    if (cell.find_first_of(",\"\r\n") == std::string::npos) return cell;
    std::string quoted = "\"";
    for (char c : cell) {
        if (c == '"') quoted.push_back('"');
        quoted.push_back(c);
    }
    quoted.push_back('"');
    return quoted;
}

std::string export_csv(const response_store& store, const std::vector<uint32_t>& rows) {
    std::string out = "ts,type,score,segment,comment";
    for (const auto& column : store.attributes) {
        out.push_back(',');
        out += csv_cell(column.key);
    }
    out += "\r\n";
    for (uint32_t row : rows) {
        if (row >= store.size()) continue;
        uint8_t slot = store.slots[row];
        out += format_timestamp(store.times_ms[row]);
        if (slot <= 10) {
            out += ",response,";
            out += std::to_string(slot);
            out.push_back(',');
            out += segment_name(segment_of(slot));
        } else {
            out += slot == slot_shown ? ",shown,," : ",dismissed,,";
        }
        out.push_back(',');
        out += csv_cell(store.comment(row));
        for (const auto& column : store.attributes) {
            out.push_back(',');
            if (row < column.codes.size()) out += csv_cell(column.value_of(column.codes[row]));
        }
        out += "\r\n";
    }
    return out;
}

}  // namespace npskit
