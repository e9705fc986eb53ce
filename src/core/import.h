// npskit core: streaming importers, the one parser the CLI and the dashboard share.
// Formats: JSON array, NDJSON, CSV (RFC 4180). Input arrives in chunks of any size; each
// complete record is turned into a `response` and handed to the sink; bad records are
// counted and reported with their line number and reason, never fatal.
//
// Record shapes understood (JSON and NDJSON):
//   - schema v1 objects (docs/schema.md), validated strictly
//   - peers' exports: Delighted (`score`, `comment`, `created_at` Unix seconds,
//     `person_properties`), and plain objects with score / ts|date|created_at|timestamp /
//     comment|feedback|text; other scalar fields become attributes.
// CSV: a header row; columns are recognised by name (see detect_columns), including a
// Formbricks export (the question containing "recommend" is the score); unknown layouts
// need a column_mapping (the dashboard shows a mapping step).
//
// Sources: import.cpp (detection, the stream, problems), import_json.cpp (JSON array, NDJSON,
// the schema v1 fast path), import_csv.cpp, import_peers.cpp (peers' fields onto schema v1).
#pragma once
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "schema.h"

namespace npskit {

enum class input_format : uint8_t { unknown, json_array, ndjson, csv };
const char* input_format_name(input_format f);
// From the first non-blank bytes: '[' JSON array, '{' NDJSON, anything else CSV.
input_format detect_format(std::string_view first_bytes);

// Which CSV column holds what; -1 = absent. Every column not named here is an attribute.
struct column_mapping {
    int score = -1, ts = -1, comment = -1, id = -1, survey = -1, user = -1, type = -1;
    std::vector<int> ignored;                     // columns dropped entirely (e.g. Formbricks' internal ids)
    bool complete() const { return score >= 0; }  // a timestamp is optional (rows get the import time)
};
column_mapping detect_columns(const std::vector<std::string>& header);

// Why a record was skipped (enumerable: tests assert on codes, people read the sentence; a
// %s is filled in: a field or column name, a size, the schema's own sentences).
#define NPSKIT_IMPORT_ERRORS(X)                                                \
    X(invalid_record, "%s") /* the schema's sentences, joined by "; " */       \
    X(not_json, "not valid JSON")                                              \
    X(not_object, "not a JSON object")                                         \
    X(not_a_timestamp, "%s is not a timestamp")                                \
    X(too_many_cells, "more cells than header columns")                        \
    X(too_large, "record is larger than %s bytes")                             \
    X(array_not_closed, "the JSON array is not closed (file truncated?)")      \
    X(quote_not_closed, "a quoted field is not closed")                        \
    X(no_score_column, "no score column found in the header: map the columns") \
    X(row_too_many_cells, "CSV row has more than %s cells")                    \
    X(row_too_large, "CSV row is larger than %s bytes")

enum class import_error_code : uint8_t {
#define NPSKIT_X(name, text) name,
    NPSKIT_IMPORT_ERRORS(NPSKIT_X)
#undef NPSKIT_X
};
const char* import_error_name(import_error_code code);  // "not_json"
const char* import_error_text(import_error_code code);  // "not valid JSON", "%s is not a timestamp"

struct import_problem {
    uint64_t line = 0;  // 1-based line where the record starts
    import_error_code code = import_error_code::invalid_record;
    std::string reason;                       // the sentence: "score must be an integer from 0 to 10"
    std::vector<schema_error> schema_errors;  // invalid_record: each of the schema's errors
};

struct import_stats {
    uint64_t records = 0, accepted = 0, skipped = 0;
    std::vector<import_problem> examples;  // the first few problems (max_examples)
};

struct importer_desc {
    input_format format = input_format::unknown;  // unknown: detect from the first bytes
    std::string id_prefix = "row";                // records without an id get "<prefix>-<line>"
    std::string default_survey = "imported";
    int64_t default_ts_ms = 0;              // for records without a timestamp
    std::optional<column_mapping> mapping;  // CSV: overrides detection
    bool strict_schema = false;             // JSON records must be schema v1 as they are (no peer mapping)
    size_t max_examples = 20;
    size_t max_record_bytes = 1 << 20;  // a larger record is skipped (1 MB)
    // A CSV row with more cells, or more bytes in its cells, is skipped and reported: each cell
    // is capped by max_record_bytes, but without these a row of a million cells would be held.
    size_t max_csv_cells = 256;
    size_t max_csv_row_bytes = 256 * 1024;
    // = true: a well-formed schema v1 record is read by a scanner that knows its keys, without
    // nlohmann's DOM (several times faster); anything it does not fully recognise (escapes
    // other than \" \\ \/ \n \r \t, null, floats, unknown or repeated keys, invalid values)
    // goes to the DOM path, so errors and odd inputs behave exactly as with false.
    bool fast_path = true;
};

class response_importer {
public:
    using sink = std::function<void(const response&)>;
    using view_sink = std::function<void(const response_view&)>;  // faster: no copy of each field
    response_importer(importer_desc desc, sink on_response);
    response_importer(importer_desc desc, view_sink on_response);

    void feed(std::string_view chunk);  // any size, any split
    void finish();                      // flush the last record (no trailing newline needed)

    const import_stats& stats() const { return stats_; }
    input_format format() const { return desc_.format; }
    const std::vector<std::string>& header() const { return header_; }  // CSV
    const column_mapping& mapping() const { return mapping_; }
    // CSV whose header could not be understood: records are held back (not skipped) until
    // set_mapping() is called or finish() reports them.
    bool needs_mapping() const { return needs_mapping_; }
    void set_mapping(const column_mapping& m);

private:
    // import_json.cpp
    void feed_ndjson(std::string_view chunk);
    void feed_json_array(std::string_view chunk);
    void finish_json();
    void on_record(std::string_view text, uint64_t line);
    void on_json_record(std::string_view text, uint64_t line);
    bool read_schema_v1(std::string_view text);  // the fast path: true = fast_view_ holds the record
    // import_csv.cpp
    void feed_csv(std::string_view chunk);
    void finish_csv();
    void on_csv_row(std::vector<std::string>& cells, uint64_t line);
    void row_too_big(uint64_t line);  // a CSV row past max_csv_cells / max_csv_row_bytes
    // import.cpp: a skipped record; `arg` fills the sentence's %s, `detail` follows it.
    void problem(uint64_t line, import_error_code code, std::string_view arg = {}, std::string_view detail = {});
    void problem(uint64_t line, std::vector<schema_error> errors);  // invalid_record
    void too_large(uint64_t line);                                  // counts the record too

    importer_desc desc_;
    sink sink_;
    import_stats stats_;
    std::string pending_;       // bytes of an incomplete record
    uint64_t line_ = 1;         // line of the next byte to read
    uint64_t record_line_ = 1;  // line where the pending record starts
    bool started_ = false;
    // JSON array scanner state
    int depth_ = 0;
    bool in_string_ = false, escaped_ = false, array_closed_ = false, oversized_ = false;
    // CSV state
    bool in_quotes_ = false;
    std::vector<std::string> cells_;
    size_t row_bytes_ = 0;                                            // CSV: bytes in the current row's cells
    import_error_code row_over_ = import_error_code::invalid_record;  // CSV: cap the row broke (invalid_record: none)
    std::string cell_;
    std::vector<std::string> header_;
    column_mapping mapping_;
    bool needs_mapping_ = false;
    std::vector<std::pair<uint64_t, std::vector<std::string>>> held_rows_;
    view_sink view_sink_;
    response fast_;            // the fast path's record for a response sink (its strings keep their capacity)
    response_view fast_view_;  // the fast path's record, read in place
    std::vector<response_view::attribute> fast_attributes_;
    std::string arena_;  // the fast path's decoded strings (only those with escapes)
};

// Whole-buffer convenience (tests, small files).
import_stats import_text(std::string_view text, const importer_desc& desc, const response_importer::sink& on_response);

}  // namespace npskit
