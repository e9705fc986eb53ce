// npskit core: CSV export of responses (RFC 4180), safe to open in a spreadsheet.
// A cell that starts with = + - @ (or a tab or carriage return) would run as a formula in
// Excel, LibreOffice or Google Sheets (OWASP "CSV injection"): it gets a leading apostrophe.
// Every cell is quoted: a spreadsheet set to another separator (';' in many locales) would
// otherwise split "x;=1+1" into a cell "=1+1" that the apostrophe never saw.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "report.h"
#include "store.h"

namespace npskit {

// One cell: injection-escaped, then always quoted (inner quotes doubled); "" when empty.
std::string csv_cell(std::string_view text);

// Header: ts, type, score, segment, comment, then every attribute column of the store in
// store order. Rows in the order given (e.g. matching_responses()). Lines end with CRLF.
std::string export_csv(const response_store& store, const std::vector<uint32_t>& rows);

// The report's figures when there are no rows to export (the dashboard's aggregate path, a
// collector past its row limit): one line for the whole filter ("total"), one per trend bucket
// ("trend", its key and start) and one per breakdown group ("breakdown", the attribute's value),
// with n, the segment counts, NPS and its interval, and shown/dismissed where the report has
// them. The numbers are the report's (the core's scoring), written with full precision.
std::string export_figures_csv(const report& r);

}  // namespace npskit
