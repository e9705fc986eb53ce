// Tests for src/core/csv_export: RFC 4180 quoting and spreadsheet-injection escaping.
#include <doctest/doctest.h>

#include "calendar.h"
#include "csv_export.h"
#include "import.h"

using namespace npskit;

TEST_CASE("csv_cell") {
    SUBCASE("plain text is only quoted") { CHECK(csv_cell("fast and simple") == "\"fast and simple\""); }
    SUBCASE("formula starters get an apostrophe") {
        CHECK(csv_cell("=HYPERLINK(\"http://x\")") == "\"'=HYPERLINK(\"\"http://x\"\")\"");
        CHECK(csv_cell("+1") == "\"'+1\"");
        CHECK(csv_cell("-cmd") == "\"'-cmd\"");
        CHECK(csv_cell("@SUM(A1)") == "\"'@SUM(A1)\"");
        CHECK(csv_cell("\tx") == "\"'\tx\"");
        CHECK(csv_cell("\rx") == "\"'\rx\"");
    }
    SUBCASE("only a leading character counts") { CHECK(csv_cell("a=b") == "\"a=b\""); }
    SUBCASE("a semicolon is inside the quotes: a ';' spreadsheet cannot split off a formula") {
        CHECK(csv_cell("x;=1+1") == "\"x;=1+1\"");
        CHECK(csv_cell("=1;2") == "\"'=1;2\"");
    }
    SUBCASE("commas, quotes and newlines are quoted") {
        CHECK(csv_cell("a,b") == "\"a,b\"");
        CHECK(csv_cell("say \"hi\"") == "\"say \"\"hi\"\"\"");
        CHECK(csv_cell("line\nbreak") == "\"line\nbreak\"");
    }
    SUBCASE("empty") { CHECK(csv_cell("") == "\"\""); }
}

static response make(const char* id, int score, const char* ts, const char* comment, const char* plan) {
    response r;
    r.id = id;
    r.survey = "main";
    r.score = score;
    r.ts_ms = *parse_timestamp(ts);
    if (comment) r.comment = comment;
    if (plan) r.attributes.push_back({"plan", plan});
    return r;
}

TEST_CASE("export_csv") {
    response_store store;
    store.add(make("resp-0001", 10, "2026-01-10T12:00:00Z", "=cmd|' /C calc'!A0", "pro"));
    store.add(make("resp-0002", 3, "2026-01-11T08:30:00Z", "slow, buggy", nullptr));
    response shown;
    shown.id = "resp-0003";
    shown.type = event_type::shown;
    shown.survey = "main";
    shown.ts_ms = *parse_timestamp("2026-01-11T09:00:00Z");
    store.add(shown);

    std::string csv = export_csv(store, {1, 0, 2});
    // Header names every attribute column the store has.
    std::string header = csv.substr(0, csv.find("\r\n"));
    CHECK(header.rfind("\"ts\",\"type\",\"score\",\"segment\",\"comment\",", 0) == 0);
    CHECK(header.find("plan") != std::string::npos);
    CHECK(header.find("survey") != std::string::npos);
    CHECK(csv.find("\"2026-01-11T08:30:00Z\",\"response\",\"3\",\"detractor\",\"slow, buggy\"") != std::string::npos);
    CHECK(csv.find("\"2026-01-10T12:00:00Z\",\"response\",\"10\",\"promoter\",\"'=cmd|' /C calc'!A0\"") != std::string::npos);
    CHECK(csv.find("\"2026-01-11T09:00:00Z\",\"shown\",\"\",\"\",") != std::string::npos);
    CHECK(csv.find("\n=") == std::string::npos);
    CHECK(csv.find(",=") == std::string::npos);
    CHECK(csv.find("\n\"=") == std::string::npos);
    CHECK(csv.find(",\"=") == std::string::npos);

    SUBCASE("the export reads back through the importer") {
        std::vector<response> back;
        importer_desc d;
        auto stats = import_text(csv, d, [&](const response& r) { back.push_back(r); });
        CHECK(stats.accepted == 3);
        CHECK(stats.skipped == 0);
        REQUIRE(back.size() == 3);
        CHECK(back[0].score == 3);
        CHECK(back[0].comment.value_or("") == "slow, buggy");
        CHECK(back[0].ts_ms == *parse_timestamp("2026-01-11T08:30:00Z"));
        CHECK(back[1].score == 10);
        CHECK(back[1].comment.value_or("") == "'=cmd|' /C calc'!A0");  // the escape is visible, never run
        CHECK(back[2].type == event_type::shown);
    }
}

// How a spreadsheet set to ';' reads the file: cells split at ';' outside quotes, a quoted cell
// unquoted. None of them may start a formula.
static std::vector<std::string> semicolon_cells(const std::string& csv) {
    std::vector<std::string> cells(1);
    bool quoted = false;
    for (size_t i = 0; i < csv.size(); ++i) {
        char c = csv[i];
        if (c == '"' && quoted && i + 1 < csv.size() && csv[i + 1] == '"')
            cells.back() += csv[++i];
        else if (c == '"')
            quoted = !quoted;
        else if (!quoted && (c == ';' || c == '\n'))
            cells.emplace_back();
        else
            cells.back() += c;
    }
    return cells;
}

TEST_CASE("export_csv: a semicolon-locale spreadsheet splits off no formula") {
    response_store store;
    store.add(make("resp-0001", 9, "2026-01-10T12:00:00Z", "x;=1+1", "a;@SUM(A1)"));
    store.add(make("resp-0002", 2, "2026-01-10T13:00:00Z", "fine; +cmd", "b;-2"));
    std::string csv = export_csv(store, {0, 1});
    CHECK(csv.find("\"x;=1+1\"") != std::string::npos);
    CHECK(csv.find("\"a;@SUM(A1)\"") != std::string::npos);
    for (const std::string& cell : semicolon_cells(csv)) {
        INFO(cell);
        CHECK((cell.empty() || (cell[0] != '=' && cell[0] != '+' && cell[0] != '-' && cell[0] != '@')));
    }
    SUBCASE("and the importer still reads it back") {
        std::vector<response> back;
        auto stats = import_text(csv, importer_desc{}, [&](const response& r) { back.push_back(r); });
        CHECK(stats.accepted == 2);
        REQUIRE(back.size() == 2);
        CHECK(back[0].comment.value_or("") == "x;=1+1");
        CHECK(back[1].comment.value_or("") == "fine; +cmd");
    }
}

TEST_CASE("export_figures_csv: the report's own numbers, a line per total, bucket and group") {
    response_store store;
    store.add(make("resp-0001", 10, "2026-01-05T12:00:00Z", "", "pro"));
    store.add(make("resp-0002", 9, "2026-01-06T12:00:00Z", "", "pro"));
    store.add(make("resp-0003", 3, "2026-01-13T12:00:00Z", "", "=HYPERLINK(\"x\")"));
    store.add(make("resp-0004", 7, "2026-01-14T12:00:00Z", "", nullptr));
    report_desc d;
    d.breakdown_key = "plan";
    d.bucket = time_bucket::week;
    report r = build_report(store, d);
    REQUIRE(r.trend.size() == 2);
    std::string csv = export_figures_csv(r);
    std::vector<std::string> lines;
    for (size_t at = 0; at < csv.size();) {
        size_t end = csv.find("\r\n", at);
        REQUIRE(end != std::string::npos);
        lines.push_back(csv.substr(at, end - at));
        at = end + 2;
    }
    REQUIRE(lines.size() == 1 + 1 + r.trend.size() + r.breakdown.size());
    CHECK(lines[0] ==
          "\"section\",\"key\",\"start\",\"n\",\"promoters\",\"passives\",\"detractors\",\"nps\",\"ci_low\",\"ci_high\",\"shown\","
          "\"dismissed\"");
    // 2 promoters, 1 passive, 1 detractor: NPS 25 exactly; the interval is the core's.
    CHECK(lines[1].rfind("\"total\",\"\",\"\",\"4\",\"2\",\"1\",\"1\",\"25\",", 0) == 0);
    char low[32];
    std::snprintf(low, sizeof low, "\"%.17g\"", r.headline.score.ci_low);
    CHECK(lines[1].find(low) != std::string::npos);
    CHECK(lines[2].rfind(
              "\"trend\",\"" + r.trend[0].key + "\",\"" + format_timestamp(r.trend[0].start_ms) + "\",\"2\",\"2\",\"0\",\"0\",\"100\",",
              0) == 0);
    CHECK(lines[3].rfind("\"trend\",\"" + r.trend[1].key + "\",", 0) == 0);
    // A group's value is a cell like any other: escaped against formulas.
    CHECK(csv.find("\"breakdown\",\"'=HYPERLINK(\"\"x\"\")\",\"\",\"1\",\"0\",\"0\",\"1\",\"-100\",") != std::string::npos);
    CHECK(csv.find("\"breakdown\",\"pro\",\"\",\"2\",\"2\",") != std::string::npos);
}
