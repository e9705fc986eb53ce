// npskit core: the CSV importer (RFC 4180): the byte stream, column detection, rows onto
// schema v1.
#include <algorithm>

#include <nlohmann/json.hpp>

#include "calendar.h"
#include "import.h"
#include "import_peers.h"

namespace npskit {

using json = nlohmann::json;
using namespace import_peers;

void response_importer::feed_csv(std::string_view chunk) {
    const auto none = import_error_code::invalid_record;
    auto keep = [&](char c) {  // one byte into the cell, within the cell's and the row's caps
        if (cell_.size() >= desc_.max_record_bytes)
            oversized_ = true;
        else if (row_bytes_ >= desc_.max_csv_row_bytes) {
            if (row_over_ == none) row_over_ = import_error_code::row_too_large;
        } else {
            cell_ += c;
            ++row_bytes_;
        }
    };
    auto end_cell = [&] {
        if (cells_.size() < desc_.max_csv_cells)
            cells_.push_back(std::move(cell_));
        else if (row_over_ == none)
            row_over_ = import_error_code::row_too_many_cells;
        cell_.clear();
    };
    for (char c : chunk) {
        if (in_quotes_) {
            if (escaped_) {  // a quote seen inside quotes: "" is a literal quote
                escaped_ = false;
                if (c == '"') {
                    keep('"');
                    continue;
                }
                in_quotes_ = false;  // the quote closed the field; fall through with c
            } else {
                if (c == '"')
                    escaped_ = true;
                else {
                    if (c == '\n') ++line_;
                    keep(c);
                }
                continue;
            }
        }
        if (c == '"' && cell_.empty()) {
            in_quotes_ = true;
        } else if (c == ',') {
            end_cell();
        } else if (c == '\n') {
            end_cell();
            uint64_t start = record_line_;
            record_line_ = ++line_;
            if (oversized_) {
                too_large(start);
                oversized_ = false;
            } else if (row_over_ != none) {
                row_too_big(start);
            } else {
                on_csv_row(cells_, start);
            }
            cells_.clear();
            row_bytes_ = 0;
            row_over_ = none;
        } else if (c != '\r') {
            keep(c);
        }
    }
}

void response_importer::row_too_big(uint64_t line) {
    ++stats_.records;
    const bool cells = row_over_ == import_error_code::row_too_many_cells;
    problem(line, row_over_, std::to_string(cells ? desc_.max_csv_cells : desc_.max_csv_row_bytes));
}

void response_importer::finish_csv() {
    if (in_quotes_ && !escaped_) {
        ++stats_.records;
        problem(record_line_, import_error_code::quote_not_closed);
    } else if (!cell_.empty() || !cells_.empty()) {
        if (cells_.size() < desc_.max_csv_cells)
            cells_.push_back(std::move(cell_));
        else if (row_over_ == import_error_code::invalid_record)
            row_over_ = import_error_code::row_too_many_cells;
        if (row_over_ != import_error_code::invalid_record)
            row_too_big(record_line_);
        else
            on_csv_row(cells_, record_line_);
    }
    if (needs_mapping_) {
        for (auto& held : held_rows_) {
            ++stats_.records;
            problem(held.first, import_error_code::no_score_column);
        }
        held_rows_.clear();
    }
}

column_mapping detect_columns(const std::vector<std::string>& header) {
    column_mapping m;
    std::vector<std::string> names;
    for (const auto& h : header) names.push_back(lower(trim(skip_bom(h))));
    auto take = [&](int& slot, std::initializer_list<const char*> exact) {
        for (size_t i = 0; i < names.size() && slot < 0; ++i)
            if (one_of(names[i], exact)) slot = static_cast<int>(i);
    };
    take(m.score, score_names);
    take(m.ts, ts_names);
    take(m.comment, comment_names);
    take(m.id, id_names);
    take(m.survey, survey_names);
    take(m.user, user_names);
    take(m.type, {"type", "event"});
    // Formbricks and others export questions by their wording.
    for (size_t i = 0; i < names.size() && m.score < 0; ++i)
        if (names[i].find("recommend") != std::string::npos || names[i].find("how likely") != std::string::npos)
            m.score = static_cast<int>(i);
    for (size_t i = 0; i < names.size() && m.comment < 0; ++i) {
        const std::string& n = names[i];
        bool question = n.rfind("what", 0) == 0 || n.rfind("why", 0) == 0 || n.find("comment") != std::string::npos ||
                        n.find("feedback") != std::string::npos || n.find("reason") != std::string::npos;
        if (question && static_cast<int>(i) != m.score) m.comment = static_cast<int>(i);
    }
    for (size_t i = 0; i < names.size(); ++i)
        if (one_of(names[i], ignored_names)) m.ignored.push_back(static_cast<int>(i));
    return m;
}

void response_importer::on_csv_row(std::vector<std::string>& cells, uint64_t line) {
    if (header_.empty()) {
        header_ = cells;
        if (!desc_.mapping) mapping_ = detect_columns(header_);
        needs_mapping_ = !mapping_.complete();
        return;
    }
    if (cells.size() == 1 && trim(cells[0]).empty()) return;  // blank line
    if (needs_mapping_) {
        held_rows_.emplace_back(line, cells);
        return;
    }
    ++stats_.records;
    if (cells.size() > header_.size()) return problem(line, import_error_code::too_many_cells);
    auto cell = [&](int index) -> std::string_view {
        return index >= 0 && static_cast<size_t>(index) < cells.size() ? trim(cells[index]) : std::string_view();
    };
    json obj = json::object();
    std::string_view score = cell(mapping_.score);
    if (!score.empty()) {
        // A CSV cell is text: "9" is the integer 9; "6.5", "nine", "11" are rejected by validation.
        bool digits = score.size() <= 3 && std::all_of(score.begin(), score.end(), [](char c) { return c >= '0' && c <= '9'; });
        if (digits)
            obj["score"] = std::stoi(std::string(score));
        else if (score.find_first_not_of("0123456789.-+eE") == std::string_view::npos)
            obj["score"] = 0.5;  // non-integer number
        else
            obj["score"] = std::string(score);
    }
    std::string_view type = cell(mapping_.type);
    if (type == "shown" || type == "dismissed" || type == "response") obj["type"] = std::string(type);
    if (mapping_.ts >= 0) {
        std::string_view ts = cell(mapping_.ts);
        if (!ts.empty()) {
            auto ms = timestamp_from_text(ts);
            if (!ms)
                return problem(line, import_error_code::not_a_timestamp, header_[mapping_.ts],
                               ": \"" + std::string(ts.substr(0, 40)) + "\"");
            obj["ts"] = format_timestamp(*ms);
        }
    }
    if (!cell(mapping_.comment).empty()) obj["comment"] = std::string(cell(mapping_.comment));
    if (!cell(mapping_.id).empty()) set_id(obj, cell(mapping_.id), desc_);
    std::string_view survey = cell(mapping_.survey);
    if (!survey.empty() && is_valid_survey(survey)) obj["survey"] = std::string(survey);
    if (!cell(mapping_.user).empty()) obj["user"] = std::string(cell(mapping_.user));
    json attrs = json::object();
    for (size_t i = 0; i < cells.size(); ++i) {
        int col = static_cast<int>(i);
        if (col == mapping_.score || col == mapping_.ts || col == mapping_.comment || col == mapping_.id || col == mapping_.survey ||
            col == mapping_.user || col == mapping_.type ||
            std::find(mapping_.ignored.begin(), mapping_.ignored.end(), col) != mapping_.ignored.end())
            continue;
        std::string_view value = cell(col);
        std::string key = attribute_key_from(header_[i]);
        // Wide exports (one column per question) keep the first 32 short attributes.
        if (value.empty() || key.empty() || attrs.size() >= 32 || utf8_length(value) > 256 || attrs.contains(key)) continue;
        attrs[key] = std::string(value);
    }
    if (!attrs.empty()) obj["attributes"] = std::move(attrs);
    if (obj.contains("score") && obj["score"].is_number_float())  // what the schema says of 6.5
        return problem(line, {{schema_error_code::score_not_integer, "score"}});
    parse_result r = finish_record(obj, desc_, line, stats_.records);
    if (!r.ok()) return problem(line, std::move(r.errors));
    ++stats_.accepted;
    sink_(r.value);
}

}  // namespace npskit
