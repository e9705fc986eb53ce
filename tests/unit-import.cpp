// Streaming importers: JSON array, NDJSON, CSV, peers' exports, bad rows with line numbers.
#include <doctest/doctest.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "calendar.h"
#include "import.h"
#include "import_peers.h"
#include "schema.h"
#include "synthetic.h"

using namespace npskit;

struct collected {
    std::vector<response> rows;
    import_stats stats;
};

static collected run(std::string_view text, importer_desc desc = {}) {
    collected c;
    c.stats = import_text(text, desc, [&](const response& r) { c.rows.push_back(r); });
    return c;
}

// Feeds in pieces of `step` bytes: results must not depend on where chunks split.
static collected run_chunked(std::string_view text, size_t step, importer_desc desc = {}) {
    collected c;
    response_importer imp(desc, [&](const response& r) { c.rows.push_back(r); });
    for (size_t i = 0; i < text.size(); i += step) imp.feed(text.substr(i, step));
    imp.finish();
    c.stats = imp.stats();
    return c;
}

// The record was refused by the schema for exactly this one reason.
static bool schema_said(const import_problem& p, schema_error_code code, const char* field) {
    return p.code == import_error_code::invalid_record && p.schema_errors.size() == 1 && p.schema_errors[0].code == code &&
           p.schema_errors[0].field == field;
}

static std::string read_example(const char* name) {
    std::ifstream in(std::string(NPSKIT_SOURCE_DIR) + "/examples/data/" + name, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

TEST_CASE("format detection") {
    CHECK(detect_format("  [ {\"score\":1} ]") == input_format::json_array);
    CHECK(detect_format("\xEF\xBB\xBF{\"v\":1}") == input_format::ndjson);
    CHECK(detect_format("score,date\n") == input_format::csv);
    CHECK(detect_format("   \n") == input_format::unknown);
}

TEST_CASE("NDJSON: valid rows pass, bad rows are counted with line and reason") {
    std::string text =
        "{\"v\":1,\"id\":\"abcdefgh1\",\"survey\":\"s\",\"score\":9,\"ts\":\"2026-01-10T12:00:00Z\"}\n"
        "\n"
        "{\"v\":1,\"id\":\"abcdefgh2\",\"survey\":\"s\",\"score\":11,\"ts\":\"2026-01-10T12:00:00Z\"}\n"
        "not json at all\n"
        "{\"v\":1,\"id\":\"abcdefgh3\",\"survey\":\"s\",\"score\":0,\"ts\":\"2026-01-10T12:00:00Z\"}";  // no final newline
    collected c = run(text);
    CHECK(c.rows.size() == 2);
    CHECK(c.stats.records == 4);
    CHECK(c.stats.skipped == 2);
    REQUIRE(c.stats.examples.size() == 2);
    CHECK(c.stats.examples[0].line == 3);
    CHECK(schema_said(c.stats.examples[0], schema_error_code::score_out_of_range, "score"));
    CHECK(c.stats.examples[1].line == 4);
    CHECK(c.stats.examples[1].code == import_error_code::not_json);
    for (size_t step : {1, 2, 7, 64}) {
        collected k = run_chunked(text, step);
        CHECK(k.rows.size() == 2);
        CHECK(k.stats.examples[0].line == 3);
    }
}

TEST_CASE("problems carry a code; people read its sentence") {
    SUBCASE("every code has a name and a sentence") {
#define NPSKIT_X(name, text)                                                 \
    CHECK(std::string(import_error_name(import_error_code::name)) == #name); \
    CHECK(std::string(import_error_text(import_error_code::name)).size() > 1);
        NPSKIT_IMPORT_ERRORS(NPSKIT_X)
#undef NPSKIT_X
    }
    SUBCASE("the sentence, its blanks filled in") {
        importer_desc desc;
        desc.max_record_bytes = 100;
        collected c = run("{\"score\":11,\"date\":\"2026-01-01\"}\nnot json\n{\"score\":3,\"date\":\"soon\"}\n{\"score\":1,\"x\":\"" +
                              std::string(200, 'x') + "\"}\n",
                          desc);
        REQUIRE(c.stats.examples.size() == 4);
        CHECK(c.stats.examples[0].reason == "score must be from 0 to 10");
        CHECK(c.stats.examples[1].reason == "not valid JSON");
        CHECK(c.stats.examples[2].code == import_error_code::not_a_timestamp);
        CHECK(c.stats.examples[2].reason == "date is not a timestamp");
        CHECK(c.stats.examples[3].code == import_error_code::too_large);
        CHECK(c.stats.examples[3].reason == "record is larger than 100 bytes");
    }
    SUBCASE("several schema errors: each with its code, one sentence") {
        collected c = run("{\"v\":1,\"id\":\"short\",\"survey\":\"s\",\"score\":11,\"ts\":\"2026-01-10T12:00:00Z\"}\n");
        REQUIRE(c.stats.examples.size() == 1);
        const import_problem& p = c.stats.examples[0];
        CHECK(p.code == import_error_code::invalid_record);
        REQUIRE(p.schema_errors.size() == 2);
        CHECK(p.schema_errors[0].code == schema_error_code::bad_id);
        CHECK(p.schema_errors[1].code == schema_error_code::score_out_of_range);
        CHECK(p.reason == p.schema_errors[0].message() + "; " + p.schema_errors[1].message());
    }
}

TEST_CASE("JSON array: nested objects and tricky strings, any chunking") {
    std::string text = R"([
  {"score": 10, "comment": "brackets ] [ and , commas \" quotes", "created_at": 1767225600,
   "person_properties": {"Plan": "Pro", "Seats": 3}},
  {"score": 6.5, "created_at": 1767225600},
  {"score": "9", "created_at": 1767225600},
  {"score": 3, "date": "2026-01-02"}
])";
    for (size_t step : {1, 3, 1000}) {
        collected c = run_chunked(text, step);
        REQUIRE(c.rows.size() == 2);
        CHECK(*c.rows[0].comment == "brackets ] [ and , commas \" quotes");
        CHECK(c.rows[0].ts_ms == 1767225600LL * 1000);
        CHECK(c.rows[0].attributes == std::vector<std::pair<std::string, std::string>>{{"plan", "Pro"}, {"seats", "3"}});
        CHECK(c.rows[1].ts_ms == days_from_civil(2026, 1, 2) * ms_per_day);
        CHECK(c.stats.skipped == 2);
        REQUIRE(c.stats.examples.size() == 2);
        CHECK(c.stats.examples[0].line == 4);
        CHECK(schema_said(c.stats.examples[0], schema_error_code::score_not_integer, "score"));
        CHECK(c.stats.examples[1].line == 5);
        CHECK(schema_said(c.stats.examples[1], schema_error_code::wrong_type, "score"));
    }
}

TEST_CASE("JSON array cut short is reported") {
    collected c = run(R"([{"score":1,"date":"2026-01-01"}, {"score":2,)");
    CHECK(c.rows.size() == 1);
    REQUIRE(c.stats.examples.size() == 1);
    CHECK(c.stats.examples[0].code == import_error_code::array_not_closed);
}

TEST_CASE("CSV: RFC 4180 quoting, CRLF, text scores") {
    std::string text =
        "score,date,comment,plan\r\n"
        "9,2026-01-01,\"Fast, simple\",pro\r\n"
        "3,2026-01-02,\"multi\nline \"\"quoted\"\"\",free\r\n"
        "6.5,2026-01-03,half,pro\r\n"
        "11,2026-01-03,high,pro\r\n"
        "nine,2026-01-03,word,pro\r\n"
        ",2026-01-03,skipped the question,pro\r\n"
        "10,not a date,x,pro\r\n"
        "7,2026-01-04,,team";
    for (size_t step : {1, 5, 4096}) {
        collected c = run_chunked(text, step);
        REQUIRE(c.rows.size() == 3);
        CHECK(*c.rows[0].comment == "Fast, simple");
        CHECK(*c.rows[1].comment == "multi\nline \"quoted\"");
        CHECK(c.rows[1].attributes == std::vector<std::pair<std::string, std::string>>{{"plan", "free"}});
        CHECK_FALSE(c.rows[2].comment.has_value());
        CHECK(c.stats.skipped == 5);
        REQUIRE(c.stats.examples.size() == 5);
        CHECK(c.stats.examples[0].line == 5);  // the quoted newline counts as a line
        CHECK(schema_said(c.stats.examples[0], schema_error_code::score_not_integer, "score"));
        CHECK(schema_said(c.stats.examples[1], schema_error_code::score_out_of_range, "score"));
        CHECK(schema_said(c.stats.examples[2], schema_error_code::wrong_type, "score"));
        CHECK(schema_said(c.stats.examples[3], schema_error_code::missing, "score"));
        CHECK(c.stats.examples[4].code == import_error_code::not_a_timestamp);
    }
}

TEST_CASE("CSV with unknown headers waits for a column mapping") {
    std::string text = "rating_given,when,remarks\n8,2026-01-01,ok\n2,2026-01-02,bad\n";
    response_importer imp({}, [](const response&) {});
    imp.feed(text);
    CHECK(imp.needs_mapping());
    REQUIRE(imp.header().size() == 3);
    column_mapping m;
    m.score = 0;
    m.ts = 1;
    m.comment = 2;
    std::vector<response> rows;
    response_importer imp2({}, [&](const response& r) { rows.push_back(r); });
    imp2.feed(text);
    imp2.set_mapping(m);
    imp2.finish();
    CHECK_FALSE(imp2.needs_mapping());
    REQUIRE(rows.size() == 2);
    CHECK(rows[1].score == 2);
    CHECK(*rows[1].comment == "bad");
    // Never mapped: rows are reported, not silently dropped.
    imp.finish();
    CHECK(imp.stats().skipped == 2);
}

TEST_CASE("oversized records are skipped, the rest goes on") {
    importer_desc desc;
    desc.max_record_bytes = 100;
    std::string big = "{\"score\":1,\"comment\":\"" + std::string(500, 'x') + "\",\"date\":\"2026-01-01\"}";
    collected c = run(big + "\n{\"score\":2,\"date\":\"2026-01-01\"}\n", desc);
    CHECK(c.rows.size() == 1);
    CHECK(c.stats.skipped == 1);
    CHECK(c.stats.examples[0].line == 1);
}

TEST_CASE("records without a timestamp take the default or are refused") {
    CHECK(run("score\n9\n").rows.empty());
    importer_desc desc;
    desc.default_ts_ms = days_from_civil(2026, 5, 1) * ms_per_day;
    collected c = run("score\n9\n", desc);
    REQUIRE(c.rows.size() == 1);
    CHECK(c.rows[0].ts_ms == desc.default_ts_ms);
    CHECK(c.rows[0].id == "row-00000002");
    CHECK(c.rows[0].survey == "imported");
}

TEST_CASE("numeric timestamps an attacker picks are refused, not overflowed") {
    // Found by the import_stream fuzzer: 17672256001767225600 * 1000 overflowed int64.
    collected c =
        run("{\"score\":3,\"created_at\":17672256001767225600}\n"
            "{\"score\":3,\"created_at\":-774488071942326016}\n"
            "{\"score\":3,\"created_at\":-1}\n");
    CHECK(c.rows.empty());
    REQUIRE(c.stats.examples.size() == 3);
    for (const auto& e : c.stats.examples) CHECK(e.code == import_error_code::not_a_timestamp);
    CHECK(import_peers::timestamp_from_number(1767225600) == 1767225600LL * 1000);
    CHECK(import_peers::timestamp_from_number(1767225600123) == 1767225600123);
    CHECK(import_peers::timestamp_from_number(253402300799999) == 253402300799999);
    CHECK_FALSE(import_peers::timestamp_from_number(253402300800000));
    CHECK_FALSE(import_peers::timestamp_from_number(INT64_MIN));
    CHECK(import_peers::timestamp_from_text("999999999999999") == std::nullopt);
}

TEST_CASE("example files: every row accounted for") {
    SUBCASE("schema v1 NDJSON with two bad rows") {
        collected c = run(read_example("responses.ndjson"));
        CHECK(c.stats.skipped == 2);
        CHECK(c.stats.accepted == c.rows.size());
        CHECK(c.rows.size() > 200);
    }
    SUBCASE("Delighted dump") {
        collected c = run(read_example("delighted-survey_responses.json"));
        CHECK(c.stats.skipped == 0);
        REQUIRE(c.rows.size() == 30);
        CHECK(c.rows[0].id == "row-8000000");
        CHECK(c.rows[0].user == std::string("1200000"));
        bool has_plan = false;
        for (const auto& [k, v] : c.rows[0].attributes) has_plan |= k == "plan";
        CHECK(has_plan);
    }
    SUBCASE("Formbricks CSV export") {
        collected c = run(read_example("formbricks-export.csv"));
        CHECK(c.rows.size() == 24);
        CHECK(c.stats.skipped == 1);  // the respondent who skipped the NPS question
        CHECK(c.rows[0].id == "clx000000abcdef");
        CHECK(c.rows[0].comment.has_value());
        for (const auto& [k, v] : c.rows[0].attributes) CHECK(k != "formbricks_id_internal");
    }
    SUBCASE("plain score,date,comment CSV") {
        collected c = run(read_example("plain.csv"));
        CHECK(c.rows.size() == 40);
        CHECK(c.stats.skipped == 3);
    }
}

TEST_CASE("a minified JSON array without ids: every record keeps its own id") {
    collected c =
        run("[{\"score\":9,\"date\":\"2026-01-01\"},{\"score\":8,\"date\":\"2026-01-02\"},{\"score\":1,\"date\":\"2026-01-03\"}]");
    REQUIRE(c.rows.size() == 3);
    CHECK(c.rows[0].id != c.rows[1].id);
    CHECK(c.rows[1].id != c.rows[2].id);
    CHECK(c.rows[0].id != c.rows[2].id);
}

TEST_CASE("a byte-order mark split across chunks is still skipped") {
    std::string text = "\xEF\xBB\xBFscore,date\n9,2026-01-01\n";
    for (size_t chunk : {1, 2, 3, 100}) {
        importer_desc desc;
        size_t n = 0;
        response_importer imp(desc, [&](const response&) { ++n; });
        for (size_t i = 0; i < text.size(); i += chunk) imp.feed(std::string_view(text).substr(i, chunk));
        imp.finish();
        CHECK(n == 1);
        CHECK(imp.stats().skipped == 0);
        CHECK(imp.header()[0] == "score");
    }
}

TEST_CASE("format detection does not depend on where blanks and byte-order marks are split") {
    // Found by fuzz/import_stream: two marks, the second split across chunks, then a JSON array.
    std::string text = "\xEF\xBB\xBF\xEF\xBB\xBF [{\"score\":9,\"date\":\"2026-01-01\"}]";
    collected whole = run(text);
    CHECK(whole.rows.size() == 1);
    for (size_t step = 1; step <= 17; ++step) {
        collected split = run_chunked(text, step);
        CHECK(split.rows.size() == whole.rows.size());
        CHECK(split.stats.skipped == whole.stats.skipped);
    }
    std::string blank_then_mark =
        " \n\xEF\xBB\xBF"
        "score,date\n9,2026-01-01\n";
    for (size_t step = 1; step <= 5; ++step) {
        collected c = run_chunked(blank_then_mark, step);
        REQUIRE(c.rows.size() == 1);
        CHECK(c.rows[0].id == "row-00000003");  // line numbers count the blank line
    }
}

// The fast path (a scanner for well-formed schema v1 records) and the DOM path must agree on
// every input: the same records in the same order with the same fields, the same bad-row count,
// lines and messages. Odd records must fall back to the DOM path, not be misread.
static std::string fast_path_corpus() {
    std::string text;
    synthetic_desc d;
    d.responses = 400;
    d.seed = 3;
    generate_synthetic(d, [&](const response& r) { text += response_to_json(r) + "\n"; });
    const char* odd[] = {
        // valid, but written differently from the collector
        R"( { "v" : 1 , "id" : "odd-00000001" , "survey" : "s" , "score" : 7 , "ts" : "2025-05-01T10:00:00Z" } )",
        R"({"v":1,"id":"odd-00000002","survey":"s","score":10,"ts":"2025-05-01T10:00:00+02:00","comment":"line\none \"quoted\" a\/b\ttab\\"})",
        R"({"v":1,"id":"odd-00000003","survey":"s","score":0,"ts":"2025-05-01T10:00:00.5Z","attributes":{"z":"last","a":true,"m":-12,"n":0,"f":false}})",
        R"({"v":1,"id":"odd-00000004","survey":"s","score":9,"ts":"2025-05-01T10:00:00Z","comment":"caf\u00e9 \ud83d\ude00"})",
        R"({"v":1,"id":"odd-00000005","type":"shown","survey":"s","ts":"2025-05-01T10:00:00Z","user":"u1","page":"/x","locale":"fr"})",
        R"({"v":1,"id":"odd-00000006","type":"dismissed","survey":"s","ts":"2025-05-01T10:00:00Z","trigger":"t","contact_ok":false})",
        R"({"v":1,"id":"odd-00000007","survey":"s","score":3,"ts":"2025-05-01T10:00:00Z","contact_ok":true,"email":"a@b.c","comment":null})",
        R"({"v":1,"id":"odd-00000008","survey":"s","score":3,"ts":"2025-05-01T10:00:00Z","attributes":{"x":1.5,"y":1e3}})",
        R"({"v":1,"id":"odd-00000009","survey":"s","score":3,"ts":"2025-05-01T10:00:00Z","attributes":{}})",
        R"({"v":1,"id":"odd-00000010","survey":"s","score":3,"ts":"2025-05-01T10:00:00Z","attributes":{"big":123456789012345678901,"neg0":-0}})",
        R"({"v":1,"id":"odd-00000011","survey":"s","score":3,"ts":"2025-05-01T10:00:00Z","type":null})",
        "{\"v\":1,\"id\":\"odd-00000012\",\"survey\":\"s\",\"score\":3,\"ts\":\"2025-05-01T10:00:00Z\",\"comment\":\"del\x7f\"}",
        // invalid: each must give the DOM path's message
        R"({"v":1,"id":"odd-00000020","survey":"s","score":11,"ts":"2025-05-01T10:00:00Z"})",
        R"({"v":1,"id":"odd-00000021","survey":"s","score":6.5,"ts":"2025-05-01T10:00:00Z"})",
        R"({"v":1,"id":"odd-00000022","survey":"s","score":"9","ts":"2025-05-01T10:00:00Z"})",
        R"({"v":1,"id":"odd-00000023","survey":"s","score":-1,"ts":"2025-05-01T10:00:00Z"})",
        R"({"v":1,"id":"odd-00000024","survey":"s","score":07,"ts":"2025-05-01T10:00:00Z"})",
        R"({"v":2,"id":"odd-00000025","survey":"s","score":7,"ts":"2025-05-01T10:00:00Z"})",
        R"({"v":1,"id":"short","survey":"s","score":7,"ts":"2025-05-01T10:00:00Z"})",
        R"({"v":1,"id":"odd-00000027","survey":"bad survey","score":7,"ts":"2025-05-01T10:00:00Z"})",
        R"({"v":1,"id":"odd-00000028","survey":"s","score":7,"ts":"2025-05-01"})",
        R"({"v":1,"id":"odd-00000029","survey":"s","score":7,"ts":"1999-12-31T23:59:59Z"})",
        R"({"v":1,"id":"odd-00000030","survey":"s","ts":"2025-05-01T10:00:00Z"})",
        R"({"v":1,"id":"odd-00000031","type":"shown","survey":"s","score":4,"ts":"2025-05-01T10:00:00Z"})",
        R"({"v":1,"id":"odd-00000032","type":"clicked","survey":"s","ts":"2025-05-01T10:00:00Z"})",
        R"({"v":1,"id":"odd-00000033","survey":"s","score":7,"ts":"2025-05-01T10:00:00Z","extra":1})",
        R"({"v":1,"id":"odd-00000034","survey":"s","score":7,"score":8,"ts":"2025-05-01T10:00:00Z"})",
        R"({"v":1,"id":"odd-00000035","survey":"s","score":7,"ts":"2025-05-01T10:00:00Z"} trailing)",
        R"({"v":1,"id":"odd-00000036","survey":"s","score":7,"ts":"2025-05-01T10:00:00Z")",
        R"({"v":1,"id":"odd-00000037","survey":"s","score":7,"ts":"2025-05-01T10:00:00Z","attributes":{"bad key":"x"}})",
        R"({"v":1,"id":"odd-00000038","survey":"s","score":7,"ts":"2025-05-01T10:00:00Z","attributes":{"k":[1]}})",
        R"({"v":1,"id":"odd-00000039","survey":"s","score":7,"ts":"2025-05-01T10:00:00Z","attributes":{"k":"a","k":"b"}})",
        R"({"v":1,"id":"odd-00000040","survey":"s","score":7,"ts":"2025-05-01T10:00:00Z","user":"tab\there"})",
        R"({"v":1,"id":"odd-00000041","survey":"s","score":7,"ts":"2025-05-01T10:00:00Z","contact_ok":"yes"})",
        R"({"v":1,"id":"odd-00000042","survey":"s","score":7,"ts":"2025-05-01T10:00:00Z","comment":5})",
        "{\"v\":1,\"id\":\"odd-00000043\",\"survey\":\"s\",\"score\":7,\"ts\":\"2025-05-01T10:00:00Z\",\"comment\":\"bad \xC3\x28 utf8\"}",
        "{\"v\":1,\"id\":\"odd-00000044\",\"survey\":\"s\",\"score\":7,\"ts\":\"2025-05-01T10:00:00Z\",\"comment\":\"raw\x01control\"}",
        "{\"v\":1,\"id\":\"odd-00000045\",\"survey\":\"s\",\"score\":7,\"ts\":\"2025-05-01T10:00:00Z\"}\x00",
        R"([1,2])",
        R"("just a string")",
        R"({"score":9,"created_at":1714557600,"comment":"peer export"})",
        "{\"v\":1,\"id\":\"odd-00000046\",\"survey\":\"s\",\"score\":7,\"ts\":\"2025-05-01T10:00:00Z\",\"comment\":\"split\n across "
        "lines\"}",
    };
    for (const char* line : odd) text += std::string(line) + "\n";
    // the NUL record above: strlen stops at the NUL, so append that one byte by byte
    static const char nul_record[] = "{\"v\":1,\"id\":\"odd-00000047\",\"survey\":\"s\",\"score\":7,\"ts\":\"2025-05-01T10:00:00Z\"}\0";
    text += std::string(nul_record, sizeof nul_record - 1) + "\n";
    text += std::string(R"({"v":1,"id":"odd-00000048","survey":"s","score":7,"ts":"2025-05-01T10:00:00Z","comment":")") +
            std::string(2001, 'x') + "\"}\n";
    text += R"({"v":1,"id":"odd-00000001","survey":"s","score":8,"ts":"2025-06-01T10:00:00Z","comment":"update by id"})"
            "\n";
    return text;
}

TEST_CASE("fast path and DOM path read the same records and report the same problems") {
    const std::string text = fast_path_corpus();
    for (input_format format : {input_format::ndjson, input_format::json_array}) {
        CAPTURE(static_cast<int>(format));
        std::string input = text;
        if (format == input_format::json_array) {  // the same records as one JSON array, one a line
            input = "[\n";
            std::istringstream lines(text);
            std::string line;
            bool first = true;
            while (std::getline(lines, line)) {
                if (line.find('\0') != std::string::npos || line.find("trailing") != std::string::npos ||
                    (line.find("odd-00000036") != std::string::npos) || line.find("odd-00000046") != std::string::npos)
                    continue;  // shapes that cut an array apart
                input += (first ? "" : ",\n") + line;
                first = false;
            }
            input += "\n]\n";
        }
        importer_desc fast_desc, dom_desc;
        dom_desc.fast_path = false;
        for (size_t step : {input.size(), size_t{4096}, size_t{7}}) {
            CAPTURE(step);
            collected fast = run_chunked(input, step, fast_desc), dom = run_chunked(input, step, dom_desc);
            CHECK(fast.stats.records == dom.stats.records);
            CHECK(fast.stats.accepted == dom.stats.accepted);
            CHECK(fast.stats.skipped == dom.stats.skipped);
            REQUIRE(fast.stats.examples.size() == dom.stats.examples.size());
            for (size_t i = 0; i < fast.stats.examples.size(); ++i) {
                CHECK(fast.stats.examples[i].line == dom.stats.examples[i].line);
                CHECK(fast.stats.examples[i].code == dom.stats.examples[i].code);
                CHECK(fast.stats.examples[i].reason == dom.stats.examples[i].reason);
            }
            REQUIRE(fast.rows.size() == dom.rows.size());
            for (size_t i = 0; i < fast.rows.size(); ++i) {
                CAPTURE(i);
                CHECK(response_to_json(fast.rows[i]) == response_to_json(dom.rows[i]));
                CHECK(fast.rows[i].score == dom.rows[i].score);
                CHECK(fast.rows[i].attributes == dom.rows[i].attributes);
            }
        }
        if (format == input_format::ndjson) {
            collected c = run(input);
            CHECK(c.stats.accepted > 400);
            CHECK(c.stats.skipped >= 30);
        }
    }
}

// A view sink (the dashboard's: no copy of each field) gets the same records as a response sink,
// from the fast path (views into the input, escaped strings decoded beside it) and from the
// others (peers' JSON, CSV: converted to views).
TEST_CASE("a view sink gets the same records as a response sink") {
    // Several escaped strings in one record: each decoded string keeps its own view.
    const std::string escaped =
        R"({"attributes":{"note":"say \"hi\"","plan":"pro\/max"},"comment":"Said \"slow\"\nthen left","id":"esc-00000001",)"
        R"("page":"\/app\/a","score":5,"survey":"product-nps","trigger":"t\\x","ts":"2025-01-02T03:04:05.000Z","v":1})"
        "\n"
        R"({"comment":"x\ty","id":"esc-00000002","score":9,"survey":"product-nps","ts":"2025-01-02T03:04:06.000Z","v":1})"
        "\n";
    const std::string inputs[] = {escaped,
                                  fast_path_corpus(),
                                  read_example("responses.ndjson"),
                                  read_example("delighted-survey_responses.json"),
                                  read_example("formbricks-export.csv"),
                                  read_example("dashboard-plain-fr.csv")};
    for (const std::string& input : inputs) {
        for (size_t step : {input.size(), size_t{7}}) {
            CAPTURE(step);
            collected by_response = run_chunked(input, step);
            collected by_view;
            response_importer imp(importer_desc{}, [&](const response_view& v) {
                response r;
                by_view.rows.push_back(response_from(v, r));
            });
            for (size_t i = 0; i < input.size(); i += step) imp.feed(std::string_view(input).substr(i, step));
            imp.finish();
            CHECK(imp.stats().accepted == by_response.stats.accepted);
            CHECK(imp.stats().skipped == by_response.stats.skipped);
            REQUIRE(by_view.rows.size() == by_response.rows.size());
            CHECK(by_view.rows.size() >= 2);
            for (size_t i = 0; i < by_view.rows.size(); ++i) {
                CAPTURE(i);
                CHECK(response_to_json(by_view.rows[i]) == response_to_json(by_response.rows[i]));
            }
        }
    }
    // The escaped record as read: every field decoded, none mixed with another.
    collected c = run(escaped);
    REQUIRE(c.rows.size() == 2);
    CHECK(*c.rows[0].comment == "Said \"slow\"\nthen left");
    CHECK(*c.rows[0].page == "/app/a");
    CHECK(*c.rows[0].trigger == "t\\x");
    CHECK(c.rows[0].attributes[0].second == "say \"hi\"");
    CHECK(c.rows[0].attributes[1].second == "pro/max");
}

TEST_CASE("CSV rows are capped in cells and bytes, and the row is reported") {
    importer_desc desc;
    desc.max_csv_cells = 8;
    desc.max_csv_row_bytes = 64;
    std::string wide = "9,2026-01-02";
    for (int i = 0; i < 20; ++i) wide += ",x";
    const std::string text = "score,date,plan\n9,2026-01-01,pro\n" + wide + "\n7,2026-01-03," + std::string(100, 'y') +
                             "\n3,2026-01-04,free\n" + wide;  // the last row has no newline
    collected c = run(text, desc);
    CHECK(c.stats.records == 5);
    CHECK(c.stats.accepted == 2);  // the rows around the bad ones are read
    CHECK(c.stats.skipped == 3);
    REQUIRE(c.stats.examples.size() == 3);
    CHECK(c.stats.examples[0].code == import_error_code::row_too_many_cells);
    CHECK(c.stats.examples[0].line == 3);
    CHECK(c.stats.examples[0].reason == "CSV row has more than 8 cells");
    CHECK(c.stats.examples[1].code == import_error_code::row_too_large);
    CHECK(c.stats.examples[1].line == 4);
    CHECK(c.stats.examples[1].reason == "CSV row is larger than 64 bytes");
    CHECK(c.stats.examples[2].code == import_error_code::row_too_many_cells);
    CHECK(c.stats.examples[2].line == 6);
}

TEST_CASE("CSV caps default to 256 cells and 256 KB a row, quoted cells included") {
    importer_desc desc;
    CHECK(desc.max_csv_cells == 256);
    CHECK(desc.max_csv_row_bytes == 256 * 1024);
    std::string many = "score,date\n9,2026-01-01";
    for (int i = 0; i < 300; ++i) many += ",\"a\"";
    many += "\n8,2026-01-01\n";
    collected c = run(many, desc);
    CHECK(c.stats.accepted == 1);
    REQUIRE(c.stats.examples.size() == 1);
    CHECK(c.stats.examples[0].code == import_error_code::row_too_many_cells);
    std::string big = "score,date,comment\n9,2026-01-01,\"" + std::string(300 * 1024, 'z') + "\"\n8,2026-01-01,ok\n";
    c = run(big, desc);
    CHECK(c.stats.accepted == 1);
    REQUIRE(c.stats.examples.size() == 1);
    CHECK(c.stats.examples[0].code == import_error_code::row_too_large);
}
