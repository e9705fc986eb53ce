#include "csv_export.h"

#include <cstdio>

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

namespace {
std::string number_cell(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.17g", v);
    return std::string("\"") + buf + "\"";
}
void figures_line(std::string& out, std::string_view section, std::string_view key, int64_t start_ms, const nps_result& s,
                  const uint64_t* shown, const uint64_t* dismissed) {
    out += csv_cell(section);
    out += ',';
    out += csv_cell(key);
    out += ',';
    out += csv_cell(start_ms ? format_timestamp(start_ms) : std::string());
    for (uint64_t v : {s.n, s.promoters, s.passives, s.detractors}) {
        out += ",\"";
        out += std::to_string(v);
        out += '"';
    }
    for (double v : {s.nps, s.ci_low, s.ci_high}) {
        out += ',';
        out += s.has_score ? number_cell(v) : std::string("\"\"");
    }
    out += ',';
    out += shown ? "\"" + std::to_string(*shown) + "\"" : std::string("\"\"");
    out += ',';
    out += dismissed ? "\"" + std::to_string(*dismissed) + "\"" : std::string("\"\"");
    out += "\r\n";
}
}  // namespace

std::string export_figures_csv(const report& r) {
    std::string out =
        "\"section\",\"key\",\"start\",\"n\",\"promoters\",\"passives\",\"detractors\",\"nps\",\"ci_low\",\"ci_high\",\"shown\","
        "\"dismissed\"\r\n";
    figures_line(out, "total", "", 0, r.headline.score, &r.rate.shown, &r.rate.dismissed);
    for (const trend_point& p : r.trend) figures_line(out, "trend", p.key, p.start_ms, p.score, &p.shown, &p.dismissed);
    for (const breakdown_row& b : r.breakdown) figures_line(out, "breakdown", b.value, 0, b.score, nullptr, nullptr);
    return out;
}

}  // namespace npskit
