// Tests for src/dashboard/app: the load state machine, the live path and the view settings,
// natively, over a fake page (this file defines src/dashboard/app_platform.h): a clock the test
// moves, sources whose bytes the test queues, and a record of every call the app makes.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstring>
#include <deque>
#include <map>
#include <string>
#include <vector>

#include "app.h"
#include "app_platform.h"
#include "calendar.h"
#include "csv_export.h"

using namespace npskit;
using namespace npskit::dashboard;

namespace {
struct fake_page {
    double mono_ms = 1000, wall_ms = 1767225600000.0;  // 2026-01-01T00:00:00Z
    platform::load_info load;
    std::string load_name, load_error;
    std::deque<std::string> chunks;  // bytes the page holds for the current load
    bool ended = false, failed = false;
    std::deque<std::string> events;
    int live = 0;
    std::string hash;
    bool hash_changed = false;
    std::vector<std::string> calls;  // "cancel 1", "open_url …", "set_hash …", "download …"
    std::vector<std::string> downloads;
    int pulls = 0;
    std::string kept_source, kept_key;                 // sessionStorage
    std::deque<std::string> follow_up_answers;         // what pull_follow_up hands over
    std::map<std::string, std::string> local_storage;  // page-kept follow-up statuses by source

    // A source starts: the page has read nothing yet.
    void start(source_kind kind, const std::string& name) {
        load = {load.id + 1, static_cast<int>(kind), 0, 0};
        load_name = name;
        chunks.clear();
        ended = failed = false;
    }
    void arrive(const std::string& bytes) {
        chunks.push_back(bytes);
        load.received += static_cast<double>(bytes.size());
    }
};
fake_page page;

bool called(const std::string& call) {
    for (const auto& c : page.calls)
        if (c == call) return true;
    return false;
}

// A fresh app over a fresh page.
struct fixture {
    app_state app;
    fixture() {
        page = fake_page{};
        app_setup(app);
    }
    void pump(double budget_ms = 20) { app_pump(app, budget_ms); }
};
}  // namespace

namespace npskit::dashboard::platform {
double monotonic_ms() { return page.mono_ms; }
double wall_ms() { return page.wall_ms; }
bool prefers_dark() { return false; }
load_info current_load() { return page.load; }
std::string load_text(int which) { return which ? page.load_error : page.load_name; }
int pull_chunk(char* buffer, int capacity) {
    ++page.pulls;
    if (page.chunks.empty()) return page.failed ? -2 : page.ended ? -1 : 0;
    std::string& c = page.chunks.front();
    int n = static_cast<int>(std::min<size_t>(c.size(), static_cast<size_t>(capacity)));
    std::copy(c.begin(), c.begin() + n, buffer);
    c.erase(0, static_cast<size_t>(n));
    if (c.empty()) page.chunks.pop_front();
    return n;
}
void cancel_load(int id) {
    page.calls.push_back("cancel " + std::to_string(id));
    page.chunks.clear();
}
void open_url(const std::string& url) { page.calls.push_back("open_url " + url); }
void open_collector(const std::string& base, const std::string& key) { page.calls.push_back("open_collector " + base + " " + key); }
void pick_file() { page.calls.push_back("pick_file"); }
bool pull_event(std::string& out) {
    if (page.events.empty()) return false;
    out = page.events.front();
    page.events.pop_front();
    return true;
}
int live_connection(double& retry_in_ms) {
    retry_in_ms = 0;
    return page.live;
}
bool take_hash(std::string& out) {
    if (!page.hash_changed) return false;
    page.hash_changed = false;
    out = page.hash;
    return true;
}
void set_hash(const std::string& hash) {
    page.hash = hash;
    page.calls.push_back("set_hash " + hash);
}
void keep_session_key(const std::string& source, const std::string& key) {
    page.kept_source = source;
    page.kept_key = key;
}
std::string session_key(const std::string& source) { return source == page.kept_source ? page.kept_key : ""; }
void download(const std::string& name, const std::string& mime, const std::string& data) {
    page.calls.push_back("download " + name + " " + mime);
    page.downloads.push_back(data);
}
void follow_up_request(const std::string& op, const std::string& base, const std::string& key, const std::string& id,
                       const std::string& body) {
    page.calls.push_back("follow_up " + op + " " + base + " " + key + " " + id + " " + body);
}
bool pull_follow_up(std::string& out) {
    if (page.follow_up_answers.empty()) return false;
    out = page.follow_up_answers.front();
    page.follow_up_answers.pop_front();
    return true;
}
std::string page_follow_ups(const std::string& source) { return page.local_storage.count(source) ? page.local_storage[source] : ""; }
void keep_page_follow_ups(const std::string& source, const std::string& json) { page.local_storage[source] = json; }
// The aggregate path: requests are recorded; a test answers them by id (body, or error).
std::vector<std::string> fake_requests;
std::map<int, std::pair<int, std::string>> fake_answers;
int request(const std::string& path_query) {
    fake_requests.push_back(path_query);
    return static_cast<int>(fake_requests.size());
}
int take_response(int id, std::string& out) {
    auto it = fake_answers.find(id);
    if (it == fake_answers.end()) return 0;
    out = it->second.second;
    int r = it->second.first;
    fake_answers.erase(it);
    return r;
}
// The survey editor's calls: recorded; a test answers them by id.
std::vector<call_desc> fake_calls;
std::map<int, call_answer> fake_call_answers;
std::vector<std::string> fake_previews;
int collector_call(const call_desc& call) {
    fake_calls.push_back(call);
    return static_cast<int>(fake_calls.size());
}
bool take_collector_call(int id, call_answer& out) {
    auto it = fake_call_answers.find(id);
    if (it == fake_call_answers.end()) return false;
    out = it->second;
    fake_call_answers.erase(it);
    return true;
}
void preview_definition(const std::string& config_json) { fake_previews.push_back(config_json); }
}  // namespace npskit::dashboard::platform

TEST_CASE("dashboard app: a URL load reads every record, then is done") {
    fixture f;
    page.start(source_kind::url, "https://example.com/a.ndjson");
    page.arrive("{\"id\":\"resp-000a\",\"type\":\"response\",\"survey\":\"s\",\"score\":9,\"ts\":\"2026-01-01T00:00:00Z\"}\n");
    page.arrive("{\"id\":\"resp-000b\",\"type\":\"response\",\"survey\":\"s\",\"score\":3,\"ts\":\"2026-01-02T00:00:00Z\"}\n");
    f.pump();
    CHECK(f.app.load.phase == load_phase::loading);
    CHECK(f.app.load.kind == source_kind::url);
    CHECK(f.app.load.name == "https://example.com/a.ndjson");
    page.ended = true;
    f.pump();
    CHECK(f.app.load.phase == load_phase::done);
    CHECK(f.app.load.error == "");
    CHECK(f.app.store.size() == 2);
    CHECK(f.app.load.stats.accepted == 2);
    CHECK_FALSE(f.app.store.indexes_ids());  // a URL gets no more records: its id index is freed
    app_rebuild_if_dirty(f.app);
    CHECK(f.app.rep.headline.score.n == 2);
}

TEST_CASE("dashboard app: a source silent for 30 s gives up with a clear error") {
    fixture f;
    page.start(source_kind::url, "https://example.com/slow.ndjson");
    page.arrive("{\"id\":\"resp-000a\",\"type\":\"response\",\"survey\":\"s\",\"score\":9,\"ts\":\"2026-01-01T00:00:00Z\"}\n");
    f.pump();
    REQUIRE(f.app.load.phase == load_phase::loading);
    page.mono_ms += stall_ms;  // exactly 30 s: not yet
    f.pump();
    CHECK(f.app.load.phase == load_phase::loading);
    page.mono_ms += 1;
    f.pump();
    CHECK(f.app.load.phase == load_phase::failed);
    CHECK(f.app.load.error == "The source sent nothing for 30 s: stopped reading. Is the server still answering?");
    CHECK(called("cancel 1"));       // the page closes the connection
    CHECK(f.app.store.size() == 1);  // what was read stays
    CHECK(f.app.load.finished_ms == page.mono_ms);

    SUBCASE("bytes arriving restart the stall clock") {
        fixture g;
        page.start(source_kind::url, "u");
        page.arrive("{\"id\":\"resp-000a\",\"type\":\"response\",\"survey\":\"s\",\"score\":9,");
        g.pump();
        page.mono_ms += 20000;
        page.arrive("\"ts\":\"2026-01-01T00:00:00Z\"}\n");
        g.pump();
        page.mono_ms += 20000;  // 40 s since the load began, 20 s since the last bytes
        g.pump();
        CHECK(g.app.load.phase == load_phase::loading);
        CHECK_FALSE(called("cancel 1"));
    }
    SUBCASE("the collector's pages are fetched whole: no stall limit") {
        fixture g;
        page.start(source_kind::collector, "http://127.0.0.1:8080");
        g.pump();
        page.mono_ms += 10 * stall_ms;
        g.pump();
        CHECK(g.app.load.phase == load_phase::loading);
    }
}

TEST_CASE("dashboard app: 16 MB without one valid response stops reading") {
    fixture f;
    page.start(source_kind::url, "https://example.com/garbage.ndjson");
    // Valid JSON lines that are not responses (score out of range): 1 MB a chunk.
    const std::string line = "{\"id\":\"x\",\"type\":\"response\",\"survey\":\"s\",\"score\":99}\n";
    std::string mb;
    while (mb.size() + line.size() <= (1u << 20)) mb += line;
    for (int i = 0; i < 40; ++i) page.arrive(mb);
    f.pump();
    for (int turn = 0; turn < 60 && f.app.load.phase == load_phase::loading; ++turn) f.pump();
    CHECK(f.app.load.phase == load_phase::failed);
    CHECK(f.app.load.error == "No valid response in the first 16 MB: stopped reading. Is this JSON, NDJSON or CSV of NPS answers?");
    CHECK(f.app.load.fed_bytes >= give_up_bytes);
    CHECK(f.app.load.fed_bytes < give_up_bytes + (1u << 20) + 1);  // stopped at the first chunk past it
    CHECK(called("cancel 1"));
    CHECK(f.app.load.stats.accepted == 0);
    CHECK(f.app.load.stats.skipped > 0);
    const int pulls = page.pulls;
    f.pump();
    CHECK(page.pulls == pulls);  // a failed load is never read again

    SUBCASE("one valid response in the first 16 MB and the load goes on") {
        fixture g;
        page.start(source_kind::url, "u");
        page.arrive("{\"id\":\"resp-000a\",\"type\":\"response\",\"survey\":\"s\",\"score\":9,\"ts\":\"2026-01-01T00:00:00Z\"}\n");
        for (int i = 0; i < 20; ++i) page.arrive(mb);
        page.ended = true;
        g.pump();
        for (int turn = 0; turn < 60 && g.app.load.phase == load_phase::loading; ++turn) g.pump();
        CHECK(g.app.load.phase == load_phase::done);
        CHECK(g.app.load.stats.accepted == 1);
        CHECK(g.app.load.fed_bytes > give_up_bytes);
    }
}

TEST_CASE("dashboard app: a CSV header it cannot map asks for the columns") {
    fixture f;
    page.start(source_kind::file, "answers.csv");
    page.arrive("c1,c2,c3,plan\n2026-01-05,9,great,pro\n2026-01-06,4,slow,free\n");
    f.pump();
    REQUIRE(f.app.load.phase == load_phase::mapping);
    CHECK(f.app.importer->header() == std::vector<std::string>{"c1", "c2", "c3", "plan"});
    CHECK_FALSE(f.app.ui.pending_mapping.complete());
    CHECK(f.app.store.size() == 0);

    column_mapping m = f.app.ui.pending_mapping;
    m.ts = 0;
    m.score = 1;
    m.comment = 2;
    app_apply_mapping(f.app, m);
    CHECK(f.app.load.phase == load_phase::loading);
    page.ended = true;
    f.pump();
    CHECK(f.app.load.phase == load_phase::done);
    CHECK(f.app.load.format == input_format::csv);
    REQUIRE(f.app.store.size() == 2);
    CHECK(f.app.store.slots[0] == 9);
    CHECK(f.app.store.comment(1) == "slow");
    CHECK(f.app.store.times_ms[0] == days_from_civil(2026, 1, 5) * ms_per_day);
    REQUIRE(f.app.store.attribute("plan") != nullptr);  // the other columns become attributes
    CHECK(f.app.store.attribute("plan")->find("pro") != 0);

    SUBCASE("a known header needs no mapping step") {
        fixture g;
        page.start(source_kind::file, "answers.csv");
        page.arrive("ts,score,comment\n2026-01-05T10:00:00Z,10,nice\n");
        page.ended = true;
        g.pump();
        CHECK(g.app.load.phase == load_phase::done);
        CHECK(g.app.store.size() == 1);
    }
    SUBCASE("a first line that is no header (binary, HTML) fails at once") {
        fixture g;
        page.start(source_kind::url, "https://example.com/");
        page.arrive(std::string("\x01\x02\x03,\x7f\x05\n\x06,\x07\n", 10));
        g.pump();
        CHECK(g.app.load.phase == load_phase::failed);
        CHECK(g.app.load.error == "This is not JSON, NDJSON or CSV: its first line is not a readable header.");
        CHECK(called("cancel 1"));
    }
}

TEST_CASE("dashboard app: the memory cap stops a load that never ends") {
    fixture f;
    f.app.max_store_bytes = 64 * 1024;  // the real cap is 2.5 GB
    page.start(source_kind::url, "https://example.com/endless.ndjson");
    std::string batch;
    for (int i = 0; i < 2000; ++i)
        batch += "{\"id\":\"r" + std::to_string(i) +
                 "\",\"type\":\"response\",\"survey\":\"s\",\"score\":7,"
                 "\"ts\":\"2026-01-01T00:00:00Z\",\"comment\":\"a comment that takes some room\"}\n";
    page.arrive(batch);
    f.pump();
    CHECK(f.app.load.phase == load_phase::loading);  // the cap is checked before the next read
    REQUIRE(f.app.store.memory_bytes() > f.app.max_store_bytes);
    page.arrive(batch);
    f.pump();
    CHECK(f.app.load.phase == load_phase::failed);
    CHECK(f.app.load.error ==
          "Stopped reading: the data already loaded fills the memory this tab can use. Load a shorter range or a smaller file.");
    CHECK(called("cancel 1"));
    CHECK(f.app.store.size() == 2000);  // the records read stay (each id once)
    CHECK(f.app.load.stats.accepted == 2000);
}

TEST_CASE("dashboard app: the page failing to read is the load's error") {
    fixture f;
    page.start(source_kind::url, "https://example.com/404");
    page.load_error = "Could not load https://example.com/404: HTTP 404";
    page.failed = true;
    f.pump();
    CHECK(f.app.load.phase == load_phase::failed);
    CHECK(f.app.load.error == "Could not load https://example.com/404: HTTP 404");
}

TEST_CASE("dashboard app: live events update the collector's records by id") {
    fixture f;
    page.start(source_kind::collector, "http://127.0.0.1:8080");
    page.arrive("{\"id\":\"resp-000a\",\"type\":\"response\",\"survey\":\"s\",\"score\":3,\"ts\":\"2026-01-01T00:00:00Z\"}\n");
    page.arrive("{\"id\":\"resp-000b\",\"type\":\"response\",\"survey\":\"s\",\"score\":8,\"ts\":\"2026-01-01T01:00:00Z\"}\n");
    page.ended = true;
    f.pump();
    REQUIRE(f.app.load.phase == load_phase::done);
    CHECK(f.app.store.indexes_ids());  // the collector keeps its ids for live updates
    REQUIRE(f.app.store.size() == 2);

    page.live = 2;
    // Schema v1 records, through the collector's validator. The widget sends the score first and the comment later under the same id.
    page.events.push_back(
        "{\"v\":1,\"id\":\"resp-000a\",\"type\":\"response\",\"survey\":\"s\",\"score\":10,\"ts\":\"2026-01-01T00:00:00Z\",\"comment\":"
        "\"fixed!\"}");
    page.events.push_back(
        "{\"v\":1,\"id\":\"resp-000c\",\"type\":\"response\",\"survey\":\"s\",\"score\":6,\"ts\":\"2026-01-01T02:00:00Z\"}");
    page.events.push_back(
        "{\"v\":1,\"id\":\"resp-000d\",\"survey\":\"s\",\"score\":11,\"ts\":\"2026-01-01T00:00:00Z\"}");  // rejected, counted
    page.mono_ms += 5;
    f.pump();
    CHECK(f.app.live.state == live_state::live);
    CHECK(f.app.live.events == 2);
    CHECK(f.app.live.rejected == 1);
    CHECK(f.app.live.last_event_ms == page.mono_ms);
    CHECK(f.app.store.size() == 3);  // "a" updated in place, "c" appended
    CHECK(f.app.store.slots[0] == 10);
    CHECK(f.app.store.comment(0) == "fixed!");
    CHECK(f.app.data_dirty);
    // Live data re-scores at most 10 times a second.
    app_rebuild(f.app);
    page.events.push_back(
        "{\"v\":1,\"id\":\"resp-000b\",\"type\":\"response\",\"survey\":\"s\",\"score\":0,\"ts\":\"2026-01-01T01:00:00Z\"}");
    f.pump();
    const uint64_t builds = f.app.builds;
    app_rebuild_if_dirty(f.app);
    CHECK(f.app.builds == builds);
    page.mono_ms += 100;
    app_rebuild_if_dirty(f.app);
    CHECK(f.app.builds == builds + 1);
    CHECK(f.app.rep.headline.score.n == 3);
    CHECK(f.app.rep.headline.score.detractors == 2);  // b: 8 → 0, and c
    CHECK(f.app.rep.headline.score.passives == 0);
    CHECK(f.app.rep.headline.score.promoters == 1);
}

TEST_CASE("dashboard app: the URL hash starts the source and follows the settings") {
    fixture f;
    page.hash = "src=https%3A%2F%2Fexample.com%2Fd.csv&range=30d&q=slow";
    page.hash_changed = true;
    app_poll_hash(f.app);
    CHECK(called("open_url https://example.com/d.csv"));
    CHECK(f.app.settings.range == date_preset::last_30_days);
    CHECK(std::string(f.app.ui.search) == "slow");
    CHECK(f.app.filters_dirty);
    app_rebuild_if_dirty(f.app);

    // Our own write of the hash is not applied again.
    page.calls.clear();
    f.app.settings.bucket = time_bucket::month;
    app_settings_changed(f.app);
    REQUIRE(page.calls.size() == 1);
    CHECK(page.calls[0] == "set_hash " + page.hash);
    CHECK(page.hash.find("by=month") != std::string::npos);
    page.hash_changed = true;
    app_poll_hash(f.app);
    CHECK(page.calls.size() == 1);  // no second open_url
    // The same settings again write nothing.
    app_write_hash(f.app);
    CHECK(page.calls.size() == 1);

    SUBCASE("a read key opens the collector") {
        fixture g;
        page.hash = "key=abc";
        page.hash_changed = true;
        app_poll_hash(g.app);
        CHECK(called("open_collector  abc"));
    }
    SUBCASE("Load URL puts the source in the hash, then reads it") {
        fixture g;
        app_open_url(g.app, "https://example.com/x.json");
        REQUIRE(page.calls.size() == 2);
        CHECK(page.calls[0] == "set_hash " + encode_view_hash(g.app.settings));
        CHECK(g.app.settings.source == "https://example.com/x.json");
        CHECK(page.calls[1] == "open_url https://example.com/x.json");
    }
}

TEST_CASE("dashboard app: the read key is read from the hash once, kept for the tab, never written back") {
    fixture f;
    page.hash = "key=secret-key-0123&range=30d";
    page.hash_changed = true;
    app_poll_hash(f.app);
    CHECK(page.kept_source == "");  // the collector that serves the page
    CHECK(page.kept_key == "secret-key-0123");
    CHECK(called("open_collector  secret-key-0123"));
    // The address bar loses the key at once (replaceState), the other settings stay.
    CHECK(called("set_hash range=30d"));
    CHECK(page.hash == "range=30d");
    // Links and hashes the dashboard builds carry no key.
    f.app.settings.bucket = time_bucket::month;
    app_settings_changed(f.app);
    CHECK(page.hash.find("key") == std::string::npos);
    CHECK(app_state_json(f.app).find("secret-key-0123") == std::string::npos);

    SUBCASE("a reload (no key in the hash) connects with the kept key") {
        app_state reloaded;
        app_setup(reloaded);
        page.calls.clear();
        page.hash = "range=30d";
        page.hash_changed = true;
        app_poll_hash(reloaded);
        CHECK(called("open_collector  secret-key-0123"));
        CHECK_FALSE(called("set_hash range=30d"));  // nothing to remove
    }
    SUBCASE("Load URL forgets the key: a reload opens the URL") {
        app_open_url(f.app, "https://example.com/x.json");
        CHECK(page.kept_key.empty());
        app_state reloaded;
        app_setup(reloaded);
        page.calls.clear();
        page.hash = "src=https%3A%2F%2Fexample.com%2Fx.json";
        page.hash_changed = true;
        app_poll_hash(reloaded);
        CHECK(called("open_url https://example.com/x.json"));
        CHECK_FALSE(called("open_collector https://example.com/x.json secret-key-0123"));
    }
}

TEST_CASE("dashboard app: a custom range starts as the data's span") {
    fixture f;
    app_set_range(f.app, date_preset::custom);  // no data: the last 30 days of the wall clock
    CHECK(f.app.settings.custom_until_day == days_from_civil(2026, 1, 1));
    CHECK(f.app.settings.custom_since_day == days_from_civil(2026, 1, 1) - 30);
    CHECK(std::string(f.app.ui.custom_from) == "2025-12-02");

    page.start(source_kind::url, "u");
    page.arrive(
        "{\"id\":\"resp-000a\",\"type\":\"response\",\"survey\":\"s\",\"score\":9,\"ts\":\"2026-02-03T10:00:00Z\"}\n"
        "{\"id\":\"resp-000b\",\"type\":\"response\",\"survey\":\"s\",\"score\":9,\"ts\":\"2026-03-04T10:00:00Z\"}\n");
    page.ended = true;
    f.pump();
    app_set_range(f.app, date_preset::custom);
    CHECK(std::string(f.app.ui.custom_from) == "2026-02-03");
    CHECK(std::string(f.app.ui.custom_to) == "2026-03-04");
    CHECK(page.hash.find("range=2026-02-03..2026-03-04") != std::string::npos);
    app_set_range(f.app, date_preset::last_7_days);
    CHECK(page.hash.find("range=7d") != std::string::npos);
}

TEST_CASE("dashboard app: demo data replaces a load in flight; exports download files") {
    fixture f;
    page.start(source_kind::url, "u");
    f.pump();
    app_load_demo(f.app, 500);
    CHECK(called("cancel 1"));
    CHECK(f.app.load.kind == source_kind::demo);
    CHECK(f.app.load.phase == load_phase::done);
    CHECK(f.app.store.size() >= 500);
    f.pump();  // the page's old load is not read again
    CHECK(f.app.load.kind == source_kind::demo);

    app_rebuild(f.app);
    app_export_csv(f.app);
    app_export_report(f.app);
    CHECK(called("download npskit-responses.csv text/csv;charset=utf-8"));
    CHECK(called("download npskit-report.json application/json"));
    REQUIRE(page.downloads.size() == 2);
    CHECK(page.downloads[0].find("score") < page.downloads[0].find('\n'));  // the header row
    CHECK(page.downloads[1].find("\"nps\"") != std::string::npos);
}

TEST_CASE("dashboard app: the CSV of a theme holds its rows, from the set the re-score kept") {
    fixture f;
    app_load_demo(f.app, 3000);
    app_rebuild(f.app);
    REQUIRE(!f.app.rep.theme_drivers.empty());
    f.app.settings.theme = f.app.rep.theme_drivers.front().key;
    app_rebuild(f.app);
    CHECK(f.app.theme_rows.last_was_full());  // found once, by the re-score
    const uint64_t answers = f.app.rep.headline.score.n;
    REQUIRE(answers > 0);
    page.downloads.clear();
    app_export_csv(f.app);
    CHECK(!f.app.theme_rows.last_was_full());  // the export read the kept set
    REQUIRE(page.downloads.size() == 1);
    const std::string& csv = page.downloads[0];
    // One line per answer of the theme (the demo's rows are answers), plus the header.
    CHECK(static_cast<uint64_t>(std::count(csv.begin(), csv.end(), '\n')) == answers + 1);
    std::vector<uint32_t> rows = rows_mentioning(f.app.store, f.app.settings.theme);
    CHECK(rows == f.app.theme_rows.rows(f.app.store, f.app.settings.theme));
}

TEST_CASE("dashboard app: the follow-up list (issue 15)") {
    const std::string records =
        "{\"id\":\"resp-p001\",\"type\":\"response\",\"survey\":\"s\",\"score\":10,\"ts\":\"2026-01-03T00:00:00Z\"}\n"
        "{\"id\":\"resp-d001\",\"type\":\"response\",\"survey\":\"s\",\"score\":2,\"ts\":\"2026-01-01T00:00:00Z\",\"comment\":\"slow\"}\n"
        "{\"id\":\"resp-d002\",\"type\":\"response\",\"survey\":\"s\",\"score\":1,\"ts\":\"2025-12-01T00:00:00Z\",\"contact_ok\":true,"
        "\"email\":\"d@example.com\"}\n";
    SUBCASE("a file source keeps the statuses in the page, under its name; the CSV has them") {
        fixture f;
        f.app.settings.range = date_preset::all;
        page.start(source_kind::file, "answers.ndjson");
        page.arrive(records);
        page.ended = true;
        f.pump();
        f.pump();
        app_follow_up_refresh(f.app);
        follow_up_state& fu = f.app.follow_up;
        REQUIRE(fu.rows.size() == 2);  // detractors: the opt-in first, though older
        CHECK(fu.book.records()[fu.rows[0].record].id == "resp-d002");
        CHECK(fu.counts.open[0] == 2);
        // "Copy digest": the list's open items, every segment (two detractors and the promoter).
        CHECK(app_digest_text(f.app).find("\n3 to follow up\n") != std::string::npos);
        app_follow_up_mark(f.app, fu.rows[0].record, follow_up_status::contacted);
        CHECK(fu.message.find("name") != std::string::npos);  // who marks is required
        std::snprintf(fu.by, sizeof fu.by, "anna");
        app_follow_up_mark(f.app, fu.rows[0].record, follow_up_status::contacted);
        app_follow_up_refresh(f.app);
        CHECK(fu.counts.open[0] == 1);
        CHECK(fu.rows[0].status == follow_up_status::contacted);
        const std::string digest = app_digest_text(f.app);
        CHECK(digest.find("\n2 to follow up\n") != std::string::npos);  // the contacted one is no longer open
        CHECK(digest.rfind("2 to follow up\n") + std::strlen("2 to follow up\n") == digest.size());
        const std::string kept = page.local_storage["file:answers.ndjson"];
        CHECK(kept.find("\"resp-d002\"") != std::string::npos);
        CHECK(kept.find("\"contacted\"") != std::string::npos);
        app_export_follow_up_csv(f.app);
        REQUIRE(!page.downloads.empty());
        CHECK(page.downloads.back().find("\"detractor_contact\",\"contacted\",\"anna\"") != std::string::npos);
        // The same file again: the statuses come back from the page.
        page.start(source_kind::file, "answers.ndjson");
        page.arrive(records);
        page.ended = true;
        f.pump();
        f.pump();
        app_follow_up_refresh(f.app);
        CHECK(fu.marks.count("resp-d002") == 1);
        CHECK(fu.rows[0].status == follow_up_status::contacted);
    }
    SUBCASE("a collector source PATCHes with the admin key and shows what the collector stored") {
        fixture f;
        f.app.settings.range = date_preset::all;
        f.app.settings.key = "read-key-0123";
        page.start(source_kind::collector, "http://127.0.0.1:1");
        page.arrive(records);
        f.pump();
        CHECK(called("follow_up list  read-key-0123  "));
        page.follow_up_answers.push_back(
            "{\"op\":\"list\",\"status\":200,\"body\":\"{\\\"items\\\":[{\\\"id\\\":\\\"resp-d001\\\",\\\"status\\\":\\\"resolved\\\","
            "\\\"by\\\":\\\"bo\\\",\\\"at\\\":\\\"2026-01-02T00:00:00Z\\\",\\\"note\\\":\\\"\\\"}]}\"}");
        f.pump();
        app_follow_up_refresh(f.app);
        follow_up_state& fu = f.app.follow_up;
        CHECK(fu.loaded);
        REQUIRE(fu.rows.size() == 2);
        CHECK(fu.rows[1].status == follow_up_status::resolved);
        std::snprintf(fu.by, sizeof fu.by, "anna");
        app_follow_up_mark(f.app, fu.rows[0].record, follow_up_status::contacted);
        CHECK(fu.message.find("admin key") != std::string::npos);  // nothing sent without it
        std::snprintf(fu.admin_key, sizeof fu.admin_key, "admin-key-0123456789");
        app_follow_up_mark(f.app, fu.rows[0].record, follow_up_status::contacted);
        CHECK(called("follow_up patch  admin-key-0123456789 resp-d002 {\"by\":\"anna\",\"note\":\"\",\"status\":\"contacted\"}"));
        CHECK(fu.sending.count("resp-d002") == 1);
        CHECK(page.hash.find("admin") == std::string::npos);
        CHECK(page.local_storage.empty());  // never kept in the page
        page.follow_up_answers.push_back(
            "{\"op\":\"patch\",\"id\":\"resp-d002\",\"status\":401,\"body\":\"{\\\"errors\\\":[{\\\"code\\\":"
            "\\\"admin_unauthorized\\\",\\\"field\\\":\\\"\\\",\\\"message\\\":\\\"this needs the admin key\\\"}]}\"}");
        f.pump();
        app_follow_up_refresh(f.app);
        CHECK(fu.message == "Not saved: this needs the admin key");
        CHECK(fu.rows[0].status == follow_up_status::todo);
        page.follow_up_answers.push_back(
            "{\"op\":\"patch\",\"id\":\"resp-d002\",\"status\":200,\"body\":\"{\\\"id\\\":\\\"resp-d002\\\","
            "\\\"status\\\":\\\"contacted\\\",\\\"by\\\":\\\"anna\\\",\\\"at\\\":\\\"2026-01-05T00:00:00Z\\\",\\\"note\\\":\\\"\\\"}\"}");
        f.pump();
        app_follow_up_refresh(f.app);
        CHECK(fu.rows[0].status == follow_up_status::contacted);
        CHECK(fu.counts.open[0] == 0);
    }
}

TEST_CASE("dashboard app: a large collector opens on the aggregate path (no rows, figures from histograms)") {
    fixture f;
    platform::fake_requests.clear();
    platform::fake_answers.clear();
    page.start(source_kind::collector, "http://collector");
    page.load.aggregate = true;
    page.load.answers = 300000;
    page.ended = true;
    f.pump();
    app_rebuild_if_dirty(f.app);
    REQUIRE(f.app.agg.on);
    CHECK(f.app.store.size() == 0);
    // The trend, the breakdown (by survey, the default), no previous period (all time), the
    // collector's digest (for "Copy digest": no rows here), comments.
    REQUIRE(platform::fake_requests.size() == 4);
    CHECK(platform::fake_requests[0] == "/v1/aggregate?by=week&tz=%2B00:00");
    CHECK(platform::fake_requests[1] == "/v1/aggregate?by=survey");
    CHECK(platform::fake_requests[2] == "/v1/digest?period=week&tz=%2B00:00");
    CHECK(platform::fake_requests[3] == "/v1/comments?limit=50");
    CHECK(f.app.load.phase == load_phase::loading);
    // 8 promoters, 2 detractors in one week: NPS 60, as score_nps gives it.
    const std::string trend =
        R"({"by":"week","total":{"histogram":[1,0,0,0,0,0,1,0,0,0,8]},"groups":[{"key":"2025-W52","start":"2025-12-22T00:00:00Z",)"
        R"("histogram":[1,0,0,0,0,0,1,0,0,0,8],"shown":20,"dismissed":5}]})";
    platform::fake_answers[1] = {1, trend};
    platform::fake_answers[2] = {
        1, R"({"by":"survey","total":{"histogram":[1,0,0,0,0,0,1,0,0,0,8]},"groups":[{"key":"web","histogram":[1,0,0,0,0,0,1,0,0,0,8]}]})"};
    platform::fake_answers[3] = {1, R"({"period":"week","text":"*NPS weekly digest*: 2025-12-22 to 2025-12-28"})"};
    platform::fake_answers[4] = {
        1, R"({"items":[{"id":"a","score":3,"comment":"slow","created":"2025-12-24T10:00:00Z","attributes":{"plan":"pro"}}],"next":"T1"})"};
    f.pump();
    CHECK(f.app.load.phase == load_phase::done);
    CHECK(f.app.rep.headline.score.n == 10);
    CHECK(f.app.rep.headline.score.nps == doctest::Approx(60));
    CHECK(f.app.rep.rate.shown == 20);
    REQUIRE(f.app.rep.breakdown.size() == 1);
    CHECK(f.app.rep.breakdown[0].value == "web");
    REQUIRE(f.app.rep.comments.size() == 1);
    CHECK(f.app.rep.comments[0].text == "slow");
    CHECK(f.app.rep.comments[0].attributes == "plan pro");
    // "Copy digest" copies the collector's text; "Export CSV" has the figures (no rows to export).
    CHECK(app_digest_text(f.app) == "*NPS weekly digest*: 2025-12-22 to 2025-12-28");
    CHECK(export_figures_csv(f.app.rep).find("\"total\",\"\",\"\",\"10\",\"8\",\"0\",\"2\",\"60\",") != std::string::npos);
    // The list reaches its end: the next page, once, with the token.
    f.app.ui.comments_near_end = true;
    f.pump();
    f.pump();
    REQUIRE(platform::fake_requests.size() == 5);
    CHECK(platform::fake_requests[4] == "/v1/comments?limit=50&before=T1");
    platform::fake_answers[5] = {1, R"({"items":[{"id":"b","score":9,"comment":"fine","created":"2025-12-23T10:00:00Z"}],"next":null})"};
    f.pump();
    CHECK(f.app.rep.comments.size() == 2);
    f.pump();
    CHECK(platform::fake_requests.size() == 5);  // no more pages
    // A text search: the comments are asked again with q=, the scores say they ignore it.
    f.app.settings.text = "slow";
    app_settings_changed(f.app);
    app_rebuild_if_dirty(f.app);
    REQUIRE(platform::fake_requests.size() == 6);
    CHECK(platform::fake_requests[5] == "/v1/comments?q=slow&limit=50");
    f.pump();
    CHECK(f.app.load.note.find("search") != std::string::npos);
    // A failed request is said, never a stale number.
    f.app.settings.segments = 0b100;
    app_settings_changed(f.app);
    app_rebuild_if_dirty(f.app);
    REQUIRE(platform::fake_requests.size() > 6);
    CHECK(platform::fake_requests[6].rfind("/v1/aggregate?", 0) == 0);
    // The digest is not asked again: the filters do not change it.
    CHECK(std::count_if(platform::fake_requests.begin(), platform::fake_requests.end(),
                        [](const std::string& r) { return r.rfind("/v1/digest", 0) == 0; }) == 1);
    platform::fake_answers[7] = {-1, "HTTP 503"};
    f.pump();
    CHECK(f.app.load.phase == load_phase::failed);
    CHECK(f.app.load.error.find("HTTP 503") != std::string::npos);
}

TEST_CASE("dashboard app: the editor's preview follows the draft after a pause, not on every keystroke") {
    fixture f;
    platform::fake_calls.clear();
    platform::fake_call_answers.clear();
    platform::fake_previews.clear();
    editor_state& e = f.app.editor;
    app_editor_show(f.app, true);
    platform::fake_call_answers[1] = {
        200, "", R"({"surveys":[{"id":"s1","version":1,"by":"","at":"","deleted":false,"etag":"\"e1\"","definition":{"sample":50}}]})"};
    f.pump();
    // Opening previews at once.
    app_editor_select(f.app, "s1");
    REQUIRE(platform::fake_previews.size() == 1);
    CHECK(platform::fake_previews[0] == R"({"sample":50})");
    // Typing a question, one key every 100 ms: no preview while the keys come…
    const std::string question = "Would you?";
    for (size_t n = 1; n <= question.size(); ++n) {
        REQUIRE(app_editor_set_field(f.app, "texts.question", question.substr(0, n), editor_field_kind::text));
        page.mono_ms += 100;
        f.pump();
    }
    CHECK(platform::fake_previews.size() == 1);
    CHECK(e.previews == 1);
    // …one just before the pause ends: still none; then one, with the last draft.
    page.mono_ms += editor_preview_pause_ms - 100 - 1;
    f.pump();
    CHECK(platform::fake_previews.size() == 1);
    page.mono_ms += 1;
    f.pump();
    REQUIRE(platform::fake_previews.size() == 2);
    CHECK(platform::fake_previews[1] == R"({"sample":50,"texts":{"question":"Would you?"}})");
    CHECK(e.previewed == e.draft);
    // Nothing new: no further preview however long the wait.
    page.mono_ms += 10 * editor_preview_pause_ms;
    f.pump();
    CHECK(platform::fake_previews.size() == 2);
    // An invalid draft in between is never previewed; the valid one after it is, after the pause.
    app_editor_set_text(f.app, R"({"sample": 500})");
    page.mono_ms += editor_preview_pause_ms;
    f.pump();
    CHECK(platform::fake_previews.size() == 2);
    app_editor_set_text(f.app, R"({"sample": 20})");
    page.mono_ms += editor_preview_pause_ms;
    f.pump();
    REQUIRE(platform::fake_previews.size() == 3);
    CHECK(platform::fake_previews[2] == R"({"sample":20})");
    // Back to what the preview shows: nothing pending.
    app_editor_set_text(f.app, R"({"sample": 21})");
    app_editor_set_text(f.app, R"({"sample": 20})");
    page.mono_ms += editor_preview_pause_ms;
    f.pump();
    CHECK(platform::fake_previews.size() == 3);
    // Save previews at once (what is saved is what shows), even refused for want of a key.
    app_editor_set_text(f.app, R"({"sample": 10})");
    app_editor_save(f.app);
    REQUIRE(platform::fake_previews.size() == 4);
    CHECK(platform::fake_previews[3] == R"({"sample":10})");
    page.mono_ms += editor_preview_pause_ms;
    f.pump();
    CHECK(platform::fake_previews.size() == 4);  // not twice
}

TEST_CASE("dashboard app: the drivers view's bars share one column, one zero axis and one scale") {
    diverging_layout_desc d;
    d.width = 600;
    d.widest_label = 150;
    d.widest_value = 90;
    d.gap = 10;
    d.min_bar = 80;
    d.lo = -6;  // costs 6 pts … brings 3 pts
    d.hi = 3;
    const diverging_layout l = layout_diverging(d);
    CHECK(l.label_w == 150);
    CHECK(l.bar_x == 160);
    CHECK(l.bar_w == doctest::Approx(600 - 90 - 10 - 160));
    CHECK(l.value_x == doctest::Approx(l.bar_x + l.bar_w + 10));
    CHECK(l.zero_x == doctest::Approx(l.bar_x + l.bar_w * 6 / 9));
    // Every bar has one end on the axis; negatives left, positives right; one scale.
    const bar_span a = diverging_bar(l, -6), b = diverging_bar(l, -3), c = diverging_bar(l, 3), z = diverging_bar(l, 0);
    CHECK(a.x1 == l.zero_x);
    CHECK(a.x0 == doctest::Approx(l.bar_x));
    CHECK(b.x1 == l.zero_x);
    CHECK(b.x1 - b.x0 == doctest::Approx((a.x1 - a.x0) / 2));
    CHECK(c.x0 == l.zero_x);
    CHECK(c.x1 == doctest::Approx(l.bar_x + l.bar_w));
    CHECK(c.x1 - c.x0 == doctest::Approx(b.x1 - b.x0));
    CHECK(z.x0 == z.x1);
    // The layout does not depend on any one row's label: a longer widest label only moves the
    // common column (within its share), and one past the share is cut, not pushing bars.
    d.widest_label = 1000;
    const diverging_layout wide = layout_diverging(d);
    CHECK(wide.label_w == doctest::Approx(600 * 0.4f));
    CHECK(wide.bar_x + wide.bar_w + 10 + 90 == doctest::Approx(600));
    // Narrow (a phone): the bars keep their minimum, the labels give way.
    d.width = 300;
    const diverging_layout narrow = layout_diverging(d);
    CHECK(narrow.bar_w == doctest::Approx(80));
    CHECK(narrow.label_w == doctest::Approx(300 - 90 - 20 - 80));
    // Wide: the bar area stops at its cap, the values right after it.
    d.width = 2000;
    d.max_bar = 400;
    const diverging_layout capped = layout_diverging(d);
    CHECK(capped.bar_w == doctest::Approx(400));
    CHECK(capped.value_x == doctest::Approx(capped.bar_x + 400 + 10));
    // All positive: the axis at the left; all negative: at the right.
    d = {600, 100, 50, 10, 80, 0, 0.4f, 0.5, 4};
    CHECK(layout_diverging(d).zero_x == layout_diverging(d).bar_x);
    d.lo = -4;
    d.hi = -0.5;
    const diverging_layout neg = layout_diverging(d);
    CHECK(neg.zero_x == doctest::Approx(neg.bar_x + neg.bar_w));
    CHECK(diverging_bar(neg, -4).x0 == doctest::Approx(neg.bar_x));
    // A value outside the range stays inside the area; no range at all draws nothing.
    CHECK(diverging_bar(neg, 10).x1 <= neg.bar_x + neg.bar_w);
    d.lo = d.hi = 0;
    const bar_span none = diverging_bar(layout_diverging(d), 0);
    CHECK(none.x0 == none.x1);
}

TEST_CASE("dashboard app: the survey editor lists, checks with the core, previews, saves, reloads on 412, restores") {
    fixture f;
    platform::fake_calls.clear();
    platform::fake_call_answers.clear();
    platform::fake_previews.clear();
    f.app.settings.key = "read-key-0123";
    editor_state& e = f.app.editor;
    app_editor_show(f.app, true);
    REQUIRE(platform::fake_calls.size() == 1);
    CHECK(platform::fake_calls[0].method == "GET");
    CHECK(platform::fake_calls[0].path == "/v1/surveys");
    CHECK(platform::fake_calls[0].key == "read-key-0123");  // the read key lists
    const std::string etag1 = "\"e1\"";
    const std::string list1 = R"({"surveys":[{"id":"product-nps","version":2,"by":"ana","at":"2026-01-01T00:00:00Z","deleted":false,)"
                              R"("etag":"\"e1\"","definition":{"sample":50,"texts":{"question":"Would you recommend {product}?"}}}]})";
    platform::fake_call_answers[1] = {200, "", list1};
    f.pump();
    CHECK(e.listed);
    REQUIRE(e.surveys.size() == 1);
    CHECK(e.surveys[0].definition == R"({"sample":50,"texts":{"question":"Would you recommend {product}?"}})");

    // Opening: the draft (key order kept), valid, handed to the preview; its versions asked.
    app_editor_select(f.app, "product-nps");
    CHECK(e.selected == "product-nps");
    CHECK(e.base_etag == etag1);
    CHECK(e.draft == "{\n  \"sample\": 50,\n  \"texts\": {\n    \"question\": \"Would you recommend {product}?\"\n  }\n}");
    CHECK(e.errors.empty());
    CHECK_FALSE(e.dirty);
    REQUIRE(platform::fake_previews.size() == 1);
    CHECK(platform::fake_previews[0] == R"({"sample":50,"texts":{"question":"Would you recommend {product}?"}})");
    REQUIRE(platform::fake_calls.size() == 2);
    CHECK(platform::fake_calls[1].path == "/v1/surveys/product-nps/versions");
    platform::fake_call_answers[2] = {
        200, "",
        R"({"id":"product-nps","versions":[{"version":2,"by":"ana","at":"2026-01-01T00:00:00Z","deleted":false,"etag":"\"e1\"",)"
        R"("definition":{"sample":50,"texts":{"question":"Would you recommend {product}?"}}},)"
        R"({"version":1,"by":"bo","at":"2025-12-01T00:00:00Z","deleted":false,"etag":"\"e0\"","definition":{"sample":100}}]})"};
    f.pump();
    REQUIRE(e.versions.size() == 2);
    CHECK(e.versions[1].definition == R"({"sample":100})");

    // A form field: the form reads what the draft holds, writes a number as a number.
    CHECK(app_editor_field(f.app, "sample", editor_field_kind::number) == "50");
    CHECK(app_editor_field(f.app, "texts.question", editor_field_kind::text) == "Would you recommend {product}?");
    REQUIRE(app_editor_set_field(f.app, "sample", "30", editor_field_kind::number));
    CHECK(e.draft.find("\"sample\": 30,") != std::string::npos);
    CHECK(e.dirty);
    CHECK(platform::fake_previews.size() == 1);  // after the pause (the test below)
    page.mono_ms += editor_preview_pause_ms;
    f.pump();
    CHECK(platform::fake_previews.size() == 2);
    // Out of range: the core's message, word for word; the preview keeps the last valid draft.
    REQUIRE(app_editor_set_field(f.app, "sample", "500", editor_field_kind::number));
    REQUIRE(e.errors.size() == 1);
    CHECK(e.errors[0].field == "sample");
    CHECK(e.errors[0].message == validate_definition(R"({"sample":500})")[0].message);
    CHECK(e.errors[0].message == "must be a number from 0 to 100");
    CHECK(platform::fake_previews.size() == 2);
    // Saving it is refused here: nothing is sent.
    std::snprintf(f.app.follow_up.admin_key, sizeof f.app.follow_up.admin_key, "admin-key-0123456789");
    app_editor_save(f.app);
    CHECK(platform::fake_calls.size() == 2);
    CHECK(e.message_is_error);
    CHECK(e.message == "Not saved: 1 problem (sample must be a number from 0 to 100).");
    // Text that is not a word list, a trigger with conditions: read-only in the form.
    app_editor_set_text(f.app, R"({"triggers":[{"event":"trial_ended","where":{"plan":"pro"}}],"paths":["/app/*","/docs"]})");
    bool editable = true;
    app_editor_field(f.app, "triggers", editor_field_kind::words, &editable);
    CHECK_FALSE(editable);
    CHECK(app_editor_field(f.app, "paths", editor_field_kind::words) == "/app/* /docs");
    REQUIRE(app_editor_set_field(f.app, "paths", "", editor_field_kind::words));  // empty: the key goes
    CHECK(e.draft.find("paths") == std::string::npos);
    app_editor_set_text(f.app, "{\"sample\": ");
    CHECK(e.errors.size() == 1);
    CHECK(e.errors[0].code == definition_code::not_json);
    CHECK_FALSE(app_editor_set_field(f.app, "sample", "20", editor_field_kind::number));
    // What the preview gets: the prompt as it would show, without the collector-only keys.
    CHECK(editor_preview_config(R"({"active":false,"start":"2026-01-01T00:00:00Z","sample":5,"variants":[],"product":"Acme"})") ==
          R"({"sample":5,"product":"Acme"})");

    // A valid draft is PUT with If-Match, the admin key, who saves.
    std::snprintf(f.app.follow_up.by, sizeof f.app.follow_up.by, "anna");
    app_editor_set_text(f.app, "{\"sample\": 30}");
    app_editor_save(f.app);
    REQUIRE(platform::fake_calls.size() == 3);
    const platform::call_desc& put = platform::fake_calls[2];
    CHECK(put.method == "PUT");
    CHECK(put.path == "/v1/surveys/product-nps");
    CHECK(put.key == "admin-key-0123456789");
    CHECK(put.if_match == etag1);
    CHECK(put.actor == "anna");
    CHECK(put.body == "{\"sample\": 30}");
    CHECK(f.app.settings.key == "read-key-0123");
    // Someone saved meanwhile: 412 says so, and the current version is listed and opened again.
    platform::fake_call_answers[3] = {412, "", R"({"errors":[{"code":"precondition_failed","field":"If-Match","message":"x"}]})"};
    f.pump();
    CHECK(e.message_is_error);
    CHECK(e.message.find("changed meanwhile") != std::string::npos);
    REQUIRE(platform::fake_calls.size() == 4);
    CHECK(platform::fake_calls[3].path == "/v1/surveys");
    platform::fake_call_answers[4] = {
        200, "",
        R"({"surveys":[{"id":"product-nps","version":3,"by":"cy","at":"2026-01-02T00:00:00Z","deleted":false,"etag":"\"e2\"","definition":{"sample":70}}]})"};
    f.pump();
    CHECK(e.base_etag == "\"e2\"");
    CHECK(e.base_version == 3);
    CHECK(e.draft == "{\n  \"sample\": 70\n}");
    CHECK_FALSE(e.dirty);
    REQUIRE(platform::fake_calls.size() == 5);  // and its versions
    platform::fake_call_answers[5] = {
        200, "",
        R"({"id":"product-nps","versions":[{"version":3,"by":"cy","at":"2026-01-02T00:00:00Z","deleted":false,"etag":"\"e2\"","definition":{"sample":70}},)"
        R"({"version":1,"by":"bo","at":"2025-12-01T00:00:00Z","deleted":false,"etag":"\"e0\"","definition":{"sample":100}}]})"};
    f.pump();
    // Saved: the new version is said, the list read again.
    app_editor_set_field(f.app, "sample", "40", editor_field_kind::number);
    app_editor_save(f.app);
    REQUIRE(platform::fake_calls.size() == 6);
    CHECK(platform::fake_calls[5].if_match == "\"e2\"");
    platform::fake_call_answers[6] = {200, "\"e3\"", R"({"id":"product-nps","version":4,"deleted":false,"etag":"\"e3\""})"};
    f.pump();
    CHECK(e.message == "Saved: version 4.");
    CHECK_FALSE(e.message_is_error);
    REQUIRE(platform::fake_calls.size() == 7);
    CHECK(platform::fake_calls[6].path == "/v1/surveys");
    // Restore: the old version's bytes, as they are.
    app_editor_restore(f.app, 1);
    REQUIRE(platform::fake_calls.size() == 8);
    CHECK(platform::fake_calls[7].body == R"({"sample":100})");
    CHECK(platform::fake_calls[7].if_match == "\"e2\"");
    platform::fake_call_answers[8] = {200, "", R"({"id":"product-nps","version":5,"deleted":false,"etag":"\"e0\""})"};
    f.pump();
    CHECK(e.message == "Restored version 1 as version 5.");
    // The collector refuses (a wrong key, say): its sentence.
    app_editor_save(f.app);
    platform::fake_call_answers[static_cast<int>(platform::fake_calls.size())] = {
        401, "", R"({"errors":[{"code":"admin_unauthorized","field":"","message":"this needs the admin key"}]})"};
    f.pump();
    CHECK(e.message == "Not saved: this needs the admin key");
    // No admin key: nothing sent. Never in the hash or the page's storage.
    f.app.follow_up.admin_key[0] = 0;
    size_t calls = platform::fake_calls.size();
    app_editor_save(f.app);
    CHECK(platform::fake_calls.size() == calls);
    CHECK(e.message.find("admin key") != std::string::npos);
    CHECK(page.hash.find("admin") == std::string::npos);
    CHECK(page.kept_key.find("admin") == std::string::npos);
    // A new survey: paused until turned on; an id the record rule refuses is said.
    app_editor_new(f.app, "bad id!");
    CHECK(e.message_is_error);
    app_editor_new(f.app, "onboarding");
    CHECK(e.selected == "onboarding");
    CHECK(e.base_etag.empty());
    CHECK(app_editor_field(f.app, "active", editor_field_kind::flag) == "false");
    CHECK(e.errors.empty());
    // The test hook reports it all.
    CHECK(app_editor_json(f.app).find("\"selected\":\"onboarding\"") != std::string::npos);
}
