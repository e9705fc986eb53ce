#include "app.h"

#include <algorithm>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "app_platform.h"
#include "calendar.h"
#include "csv_export.h"
#include "digest.h"
#include "synthetic.h"

namespace npskit::dashboard {

const char* source_kind_name(source_kind k) {
    switch (k) {
        case source_kind::none: return "none";
        case source_kind::file: return "file";
        case source_kind::url: return "url";
        case source_kind::collector: return "collector";
        case source_kind::demo: return "demo";
    }
    return "none";
}
const char* load_phase_name(load_phase p) {
    switch (p) {
        case load_phase::idle: return "idle";
        case load_phase::loading: return "loading";
        case load_phase::mapping: return "mapping";
        case load_phase::done: return "done";
        case load_phase::failed: return "failed";
    }
    return "idle";
}
const char* live_state_name(live_state s) {
    switch (s) {
        case live_state::off: return "off";
        case live_state::connecting: return "connecting";
        case live_state::live: return "live";
        case live_state::reconnecting: return "reconnecting";
    }
    return "off";
}

double now_ms() { return platform::monotonic_ms(); }

// Follow-up list (issue 15): defined in its block at the end of this file.
static void follow_up_begin(app_state& app, source_kind kind, const std::string& name);
static void follow_up_pump(app_state& app);
static nlohmann::json follow_up_json(const app_state& app);

// The aggregate path (see aggregate_view in app.h; defined at the end of this file).
static void aggregate_begin(app_state& app, const platform::load_info& info);
static void aggregate_ask(app_state& app, const report_desc& desc);
static void aggregate_pump(app_state& app);

void app_setup(app_state& app) {
    app.chunk.resize(1 << 20);
    app.settings.dark = platform::prefers_dark();
}

static void begin_load(app_state& app, source_kind kind, const std::string& name) {
    app.store = response_store(store_desc{});
    app.theme_rows.clear();
    app.mention_index.clear();
    app.importer.reset();
    app.load = load_status{};
    app.load.kind = kind;
    app.load.name = name;
    app.load.phase = load_phase::loading;
    app.load.started_ms = app.load.last_bytes_ms = now_ms();
    app.live = live_status{};
    app.data_dirty = true;
    follow_up_begin(app, kind, name);
    if (kind == source_kind::demo) return;
    importer_desc d;
    d.default_ts_ms = static_cast<int64_t>(platform::wall_ms());
    d.id_prefix = "row";
    app.importer = std::make_unique<response_importer>(d, [&app](const response_view& r) {
        app.store.add(r);
        app.follow_up.book.note(r);
    });
    app.store.begin_bulk();  // repeated ids are settled once, when the load ends
}

static void finish_load(app_state& app) {
    if (app.importer) {
        app.importer->finish();
        app.load.stats = app.importer->stats();
        app.load.format = app.importer->format();
    }
    app.store.end_bulk();
    // Files and URLs get no more records: their id index is dead weight (12 B per response);
    // the collector keeps it for live updates by id. Either way the growth slack goes.
    if (app.load.kind != source_kind::collector) app.store.release_id_index();
    app.store.shrink_to_fit();
    app.load.finished_ms = now_ms();
    app.load.phase = load_phase::done;
    app.load.note = app.store.limits_note();
    if (app.load.stats.records > 0 && app.load.stats.accepted == 0)
        app.load.error = "No valid response in this data: every record was rejected (see the examples).";
    else if (app.load.stats.records == 0 && app.store.size() == 0 && app.load.kind != source_kind::collector)
        app.load.error = "No records found: is this a JSON array, NDJSON or a CSV with a header row?";
    if (!app.load.error.empty()) app.load.phase = load_phase::failed;
    app.data_dirty = true;
}

// A CSV header worth a mapping step: readable text, not binary noise or an HTML page.
static bool readable_header(const std::vector<std::string>& header) {
    if (header.empty() || (!header[0].empty() && header[0][0] == '<')) return false;
    for (const auto& cell : header) {
        if (!is_valid_utf8(cell)) return false;
        for (unsigned char c : cell)
            if (c < 0x20 && c != '\t') return false;
    }
    return true;
}

static void give_up_load(app_state& app, int js_load_id, const std::string& why) {
    app.store.end_bulk();  // what was read stays consistent (each id once)
    app.load.error = why;
    app.load.phase = load_phase::failed;
    app.load.finished_ms = now_ms();
    if (app.importer) app.load.stats = app.importer->stats();
    platform::cancel_load(js_load_id);  // the page stops reading (and frees what it queued)
}

void app_start_source(app_state& app) {
    const view_settings& s = app.settings;
    if (!s.key.empty()) {
        platform::open_collector(s.source, s.key);  // "" = the collector that serves this page
    } else if (!s.source.empty()) {
        platform::open_url(s.source);
    }
}

void app_poll_hash(app_state& app) {
    std::string hash;
    if (!platform::take_hash(hash)) return;
    if (hash == app.hash_written && app.builds) return;
    view_settings next = decode_view_hash(hash);
    // A key in the hash is read once: kept for this tab, then gone from the address bar (the
    // hash is written back below without it). A reload finds it in sessionStorage.
    const bool key_in_hash = !next.key.empty();
    if (key_in_hash)
        platform::keep_session_key(next.source, next.key);
    else
        next.key = platform::session_key(next.source);
    bool theme_in_hash = hash.find("theme=") != std::string::npos;
    if (!theme_in_hash) next.dark = app.settings.dark;  // keep the system preference
    bool source_changed = next.source != app.settings.source || next.key != app.settings.key || app.builds == 0;
    app.settings = next;
    std::snprintf(app.ui.search, sizeof app.ui.search, "%s", next.text.c_str());
    std::snprintf(app.ui.exclude, sizeof app.ui.exclude, "%s", next.exclude_rule.c_str());
    if (next.range == date_preset::custom) {
        std::snprintf(app.ui.custom_from, sizeof app.ui.custom_from, "%s", format_date(next.custom_since_day).c_str());
        std::snprintf(app.ui.custom_to, sizeof app.ui.custom_to, "%s", format_date(next.custom_until_day).c_str());
    }
    if (source_changed && (!next.source.empty() || !next.key.empty())) app_start_source(app);
    app.hash_written = encode_view_hash(app.settings);
    if (key_in_hash) platform::set_hash(app.hash_written);
    app.filters_dirty = true;
}

void app_write_hash(app_state& app) {
    std::string hash = encode_view_hash(app.settings);
    if (hash != app.hash_written) {
        app.hash_written = hash;
        platform::set_hash(hash);
    }
}

void app_settings_changed(app_state& app) {
    app_write_hash(app);
    app.filters_dirty = true;
}

void app_open_url(app_state& app, const std::string& url) {
    app.settings.source = url;
    app.settings.key.clear();
    platform::keep_session_key("", "");  // a reload opens the URL, not the collector
    app_settings_changed(app);
    platform::open_url(app.settings.source);
}

void app_set_range(app_state& app, date_preset range) {
    view_settings& s = app.settings;
    s.range = range;
    if (range == date_preset::custom) {
        const response_store& st = app.store;
        int64_t last = floor_div(st.size() ? st.max_time_ms : static_cast<int64_t>(platform::wall_ms()), ms_per_day);
        int64_t first = st.size() ? floor_div(st.min_time_ms, ms_per_day) : last - 30;
        s.custom_since_day = first;
        s.custom_until_day = last;
        std::snprintf(app.ui.custom_from, sizeof app.ui.custom_from, "%s", format_date(first).c_str());
        std::snprintf(app.ui.custom_to, sizeof app.ui.custom_to, "%s", format_date(last).c_str());
    }
    app_settings_changed(app);
}

void app_apply_mapping(app_state& app, const column_mapping& mapping) {
    if (!app.importer) return;
    app.importer->set_mapping(mapping);
    app.load.phase = load_phase::loading;
    app.data_dirty = true;
}

void app_pump(app_state& app, double budget_ms) {
    double start = now_ms();
    follow_up_pump(app);
    app_editor_pump(app);
    platform::load_info info = platform::current_load();
    if (info.id != app.js_load_id && info.id != 0) {
        app.js_load_id = info.id;
        begin_load(app, static_cast<source_kind>(info.kind), platform::load_text(0));
        app.agg = aggregate_view{};
    }
    // The page says "aggregate" once the collector's size is known (the load is already open).
    if (info.id == app.js_load_id && info.aggregate && !app.agg.on) aggregate_begin(app, info);
    if (app.agg.on) aggregate_pump(app);
    if (info.id == app.js_load_id && app.load.kind != source_kind::demo) {
        app.load.total_bytes = info.total;
        const double now = now_ms();
        if (info.received != app.load.received_bytes) {
            app.load.received_bytes = info.received;
            app.load.last_bytes_ms = now;
        }
        if (app.load.phase == load_phase::loading && app.load.kind != source_kind::collector && now - app.load.last_bytes_ms > stall_ms) {
            give_up_load(app, info.id, "The source sent nothing for 30 s: stopped reading. Is the server still answering?");
        }
        if (app.load.phase == load_phase::loading && app.importer && app.store.memory_bytes() > app.max_store_bytes) {
            give_up_load(
                app, info.id,
                "Stopped reading: the data already loaded fills the memory this tab can use. Load a shorter range or a smaller file.");
        }
        if (app.load.phase == load_phase::loading && app.importer) {
            while (now_ms() - start < budget_ms) {
                int n = platform::pull_chunk(app.chunk.data(), static_cast<int>(app.chunk.size()));
                if (n > 0) {
                    double feed_start = now_ms();
                    app.importer->feed(std::string_view(app.chunk.data(), static_cast<size_t>(n)));
                    app.load.import_ms += now_ms() - feed_start;
                    app.load.fed_bytes += n;
                    app.data_dirty = true;
                    // Reserve the store once, from the first records and the total size: its
                    // columns and id index then never copy themselves while growing.
                    if (!app.load.reserved && app.store.size() > 0) {
                        app.store.reserve_like(app.load.fed_bytes, app.load.total_bytes);
                        app.load.reserved = true;
                    }
                    if (app.importer->needs_mapping() && !readable_header(app.importer->header())) {
                        give_up_load(app, info.id, "This is not JSON, NDJSON or CSV: its first line is not a readable header.");
                        break;
                    }
                    if (app.load.fed_bytes >= give_up_bytes && app.importer->stats().accepted == 0 && !app.importer->needs_mapping()) {
                        give_up_load(app, info.id,
                                     "No valid response in the first 16 MB: stopped reading. Is this JSON, NDJSON or CSV of NPS answers?");
                        break;
                    }
                    if (app.importer->needs_mapping()) {
                        app.load.phase = load_phase::mapping;
                        app.ui.pending_mapping = app.importer->mapping();
                        break;
                    }
                    continue;
                }
                if (n == -2) {
                    give_up_load(app, info.id, platform::load_text(1));  // the page could not read it
                } else if (n == -1) {
                    app.load.stream_ended = true;
                    finish_load(app);
                }
                break;
            }
            if (app.importer) {
                app.load.stats = app.importer->stats();
                app.load.format = app.importer->format();
            }
        }
    }
    // Live updates: one schema-v1 record per event, through the same validator as the collector.
    double retry = 0;
    app.live.state = static_cast<live_state>(platform::live_connection(retry));
    app.live.retry_in_ms = retry;
    std::string event;
    int taken = 0;
    while (taken < 5000 && platform::pull_event(event)) {
        ++taken;
        parse_result parsed = parse_response(std::string_view(event));
        if (parsed.ok()) {
            app.store.add(parsed.value);
            app.follow_up.book.note(parsed.value);
            ++app.live.events;
            app.live.last_event_ms = now_ms();
            app.data_dirty = true;
        } else {
            ++app.live.rejected;
        }
    }
    // The theme index, in slices once a load is done (0.4 s native, 0.9 s wasm at 10^6 rows in
    // one go would freeze the page): clicking a theme then finds its rows without reading every
    // comment. Live rows join it here too; until it covers the store, the plain scan answers.
    if (app.load.phase == load_phase::done && !app.agg.on && app.mention_index.rows() < app.store.size()) {
        const double index_start = now_ms();
        while (now_ms() - index_start < std::max(budget_ms, index_slice_ms) && !app.mention_index.extend(app.store, 1024)) {}
    }
}

void app_rebuild(app_state& app) {
    double start = now_ms();
    report_desc d;
    d.filter = filter_for(app.settings, static_cast<int64_t>(platform::wall_ms()));
    d.bucket = app.settings.bucket;
    d.breakdown_key = app.settings.breakdown;
    d.theme_key = app.settings.theme;
    if (!d.theme_key.empty())
        d.theme_rows = &app.theme_rows.rows(app.store, d.theme_key, &app.mention_index);  // plain scan until it covers
    d.corpus = &app.theme_words;
    if (app.agg.on) {
        aggregate_ask(app, d);  // the report arrives with the answers (aggregate_pump)
        app.filters_dirty = app.data_dirty = false;
        return;
    }
    app.rep = build_report(app.store, d);
    sort_breakdown(app.rep.breakdown, app.ui.sort_by, app.ui.sort_descending);
    app.build_cpu_ms = now_ms() - start;
    app.last_build_ms = now_ms();
    app.filters_dirty = app.data_dirty = false;
    ++app.builds;
}

void app_rebuild_if_dirty(app_state& app) {
    if (app.filters_dirty) {
        app_rebuild(app);
        return;
    }
    if (!app.data_dirty) return;
    // Streaming data re-scores once a second while loading (the pace its progress is drawn at),
    // 10 times a second when live. Large stores: under ~10 % of the time while a load runs.
    double wait = app.load.phase == load_phase::loading ? std::max(1000.0, 10 * app.build_cpu_ms) : 100;
    if (now_ms() - app.last_build_ms >= wait) app_rebuild(app);
}

void app_load_demo(app_state& app, uint64_t rows) {
    app.js_load_id = platform::current_load().id;  // a demo replaces any load in flight
    if (app.js_load_id) platform::cancel_load(app.js_load_id);
    begin_load(app, source_kind::demo, "demo data (" + std::to_string(rows) + " responses)");
    synthetic_desc d;
    d.responses = rows;
    app.store.begin_bulk();
    app.store.reserve(rows * 2);
    generate_synthetic(d, [&app](const response& r) {
        app.store.add(r);
        app.follow_up.book.note(r);
    });
    app.store.end_bulk();
    app.store.release_id_index();
    app.store.shrink_to_fit();
    app.load.stats.records = app.load.stats.accepted = app.store.size();
    app.load.finished_ms = now_ms();
    app.load.phase = load_phase::done;
    app.load.note = app.store.limits_note();
    app.filters_dirty = true;
}

static nlohmann::json settings_json(const view_settings& s) {
    nlohmann::json attrs = nlohmann::json::array();
    for (const auto& f : s.attributes) attrs.push_back({{"key", f.key}, {"values", f.values}, {"exclude", f.exclude}});
    std::string segs;
    for (int i = 0; i < 3; ++i)
        if (s.segments & (1 << i)) segs += std::string(segs.empty() ? "" : ",") + segment_name(static_cast<segment>(i));
    nlohmann::json j = {{"range", date_preset_name(s.range)},
                        {"segments", segs},
                        {"attributes", attrs},
                        {"exclude_rule", s.exclude_rule},
                        {"text", s.text},
                        {"by", time_bucket_name(s.bucket)},
                        {"breakdown", s.breakdown},
                        {"theme", s.dark ? "dark" : "light"},
                        {"mention", s.theme}};
    if (s.range == date_preset::custom) {
        j["from"] = format_date(s.custom_since_day);
        j["to"] = format_date(s.custom_until_day);
    }
    return j;
}

static nlohmann::json load_json(const app_state& app) {
    nlohmann::json examples = nlohmann::json::array();
    for (const auto& p : app.load.stats.examples) examples.push_back({{"line", p.line}, {"reason", p.reason}});
    const load_status& l = app.load;
    double end = l.finished_ms ? l.finished_ms : now_ms();
    nlohmann::json j = {{"kind", source_kind_name(l.kind)},
                        {"phase", load_phase_name(l.phase)},
                        {"name", l.name},
                        {"error", l.error},
                        {"note", l.note},
                        {"format", input_format_name(l.format)},
                        {"bytes", l.fed_bytes},
                        {"total_bytes", l.total_bytes},
                        {"records", l.stats.records},
                        {"accepted", l.stats.accepted},
                        {"skipped", l.stats.skipped},
                        {"bad_rows", l.stats.skipped},
                        {"examples", examples},
                        {"seconds", l.started_ms ? (end - l.started_ms) / 1000.0 : 0.0},
                        {"import_seconds", l.import_ms / 1000.0}};
    return j;
}

std::string app_load_json(const app_state& app) {
    nlohmann::json j = load_json(app);
    j["rows"] = app.store.size();
    j["builds"] = app.builds;
    return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string app_state_json(const app_state& app) {
    nlohmann::json j = nlohmann::json::parse(report_to_json(app.rep, app.store), nullptr, false);
    if (j.is_discarded()) j = nlohmann::json::object();
    j["ready"] = true;
    j["trend"] = j["groups"];
    j["filters"] = settings_json(app.settings);
    j["hash"] = encode_view_hash(app.settings);
    j["load"] = load_json(app);
    if (app.importer) j["load"]["header"] = app.importer->header();
    j["live"] = {{"state", live_state_name(app.live.state)}, {"events", app.live.events}, {"rejected", app.live.rejected}};
    j["rows"] = app.store.size();
    if (app.agg.on)
        j["aggregate"] = {
            {"answers", app.agg.answers},
            {"figures", app.agg.have_figures},
            {"comments", app.agg.comments.size()},
            {"comment_pages", app.agg.comment_pages},
            {"more_comments", !app.agg.next.empty()},
            {"digest", !app.agg.digest_text.empty()},
            {"note", app.agg.note},
            {"first_figures_seconds", app.agg.first_figures_ms ? (app.agg.first_figures_ms - app.load.started_ms) / 1000 : 0.0}};
    j["memory_bytes"] = app.store.memory_bytes();
    j["comment_bytes"] = app.store.comment_pool.size();
    j["theme_index_bytes"] = app.mention_index.memory_bytes();
    j["theme_index_rows"] = app.mention_index.rows();
    j["theme_index_ready"] = app.mention_index.covers(app.store);
    j["build_ms"] = app.build_cpu_ms;
    j["frame_ms"] = app.frame_cpu_ms;
    j["builds"] = app.builds;
    j["dpr"] = app.dpr;
    nlohmann::json rects = nlohmann::json::object();  // CSS pixels
    for (const auto& [name, r] : app.ui.rects) rects[name] = {r[0] / app.dpr, r[1] / app.dpr, r[2] / app.dpr, r[3] / app.dpr};
    j["ui"] = std::move(rects);
    j["follow_up"] = follow_up_json(app);
    j["editor"] = nlohmann::json::parse(app_editor_json(app), nullptr, false);
    return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

void app_export_csv(app_state& app) {
    if (app.agg.on) {  // no rows in the tab: the figures on screen, as the core scored them
        platform::download("npskit-figures.csv", "text/csv;charset=utf-8", export_figures_csv(app.rep));
        return;
    }
    response_filter f = filter_for(app.settings, static_cast<int64_t>(platform::wall_ms()));
    std::vector<uint32_t> rows = matching_responses(app.store, f);
    if (!app.settings.theme.empty()) {  // newest first, as matching_responses gives them
        // The rows the re-score used (kept by theme_row_cache): no second search of the pool.
        const std::vector<uint32_t>& theme = app.theme_rows.rows(app.store, app.settings.theme, &app.mention_index);
        std::erase_if(rows, [&](uint32_t row) { return !std::binary_search(theme.begin(), theme.end(), row); });
    }
    std::reverse(rows.begin(), rows.end());  // oldest first reads naturally in a spreadsheet
    platform::download("npskit-responses.csv", "text/csv;charset=utf-8", export_csv(app.store, rows));
}

void app_export_report(const app_state& app) {
    platform::download("npskit-report.json", "application/json", report_to_json(app.rep, app.store, 2));
}

std::string app_digest_text(app_state& app) {
    if (app.agg.on) return app.agg.digest_text;  // no rows in the tab: the collector's own digest
    if (app.store.size() == 0) return "";
    digest_desc d;
    d.period = digest_period::week;
    d.end_ms = digest_boundary_after(d.period, app.store.max_time_ms, d.utc_offset_minutes);  // the CLI's default
    // The follow-up list it has, every segment, without the view's filters (the collector's
    // digest counts every stored answer the same way); the statuses are the collector's or the page's.
    d.open_follow_ups = follow_up_open_count(app.follow_up.book, app.follow_up.marks);
    return digest_text(build_digest(app.store, d));
}

//-----------------------------------------------------------------------------
// Follow-up list (issue 15)
//-----------------------------------------------------------------------------
static nlohmann::json mark_json(const follow_up_mark& m) {
    return {{"id", m.response_id},
            {"status", follow_up_status_name(m.status)},
            {"by", m.by},
            {"at", format_timestamp(m.at_ms)},
            {"note", m.note}};
}

// A mark from the collector's JSON (or the page's): refused unless it passes the same checks.
static bool mark_from_json(const nlohmann::json& j, follow_up_mark& m) {
    if (!j.is_object()) return false;
    for (const char* k : {"id", "status", "by", "at"})
        if (!j.contains(k) || !j[k].is_string()) return false;
    m.response_id = j["id"].get<std::string>();
    m.by = j["by"].get<std::string>();
    m.note = j.contains("note") && j["note"].is_string() ? j["note"].get<std::string>() : "";
    std::optional<int64_t> at = parse_timestamp(j["at"].get<std::string>());
    if (!at || !parse_follow_up_status(j["status"].get<std::string>(), m.status) || !check_follow_up_by(m.by).empty() ||
        !check_follow_up_note(m.note).empty())
        return false;
    m.at_ms = *at;
    return true;
}

static void follow_up_begin(app_state& app, source_kind kind, const std::string& name) {
    follow_up_state& f = app.follow_up;
    f.book.clear();
    f.marks.clear();
    f.rows.clear();
    f.sending.clear();
    f.loaded = false;
    f.message.clear();
    f.dirty = true;
    f.collector = kind == source_kind::collector;
    f.page_key = f.collector ? "" : std::string(source_kind_name(kind)) + ":" + name;
    if (f.collector) {
        platform::follow_up_request("list", app.settings.source, app.settings.key, "", "");
        return;
    }
    nlohmann::json kept = nlohmann::json::parse(platform::page_follow_ups(f.page_key), nullptr, false);
    if (kept.is_array())
        for (const auto& item : kept)
            if (follow_up_mark m; mark_from_json(item, m)) f.marks[m.response_id] = std::move(m);
    f.loaded = true;
}

static void keep_in_page(const follow_up_state& f) {
    nlohmann::json all = nlohmann::json::array();
    for (const auto& [id, m] : f.marks) all.push_back(mark_json(m));
    platform::keep_page_follow_ups(f.page_key, all.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

static std::string error_sentence(const std::string& body, int status) {
    nlohmann::json j = nlohmann::json::parse(body, nullptr, false);
    if (!j.is_discarded() && j.contains("errors") && j["errors"].is_array() && !j["errors"].empty() && j["errors"][0].is_object() &&
        j["errors"][0].contains("message") && j["errors"][0]["message"].is_string())
        return j["errors"][0]["message"].get<std::string>();
    return status ? "the collector answered " + std::to_string(status) : "the collector did not answer";
}

static void follow_up_pump(app_state& app) {
    follow_up_state& f = app.follow_up;
    std::string text;
    while (platform::pull_follow_up(text)) {
        nlohmann::json msg = nlohmann::json::parse(text, nullptr, false);
        if (msg.is_discarded() || !msg.is_object() || !msg.contains("op") || !msg["op"].is_string()) continue;
        const std::string op = msg["op"].get<std::string>();
        const int status = msg.contains("status") && msg["status"].is_number_integer() ? msg["status"].get<int>() : 0;
        const std::string body = msg.contains("body") && msg["body"].is_string() ? msg["body"].get<std::string>() : "";
        const std::string id = msg.contains("id") && msg["id"].is_string() ? msg["id"].get<std::string>() : "";
        if (!f.collector) continue;  // an answer for a source that is gone
        nlohmann::json j = nlohmann::json::parse(body, nullptr, false);
        if (op == "list") {
            if (status == 200 && j.is_object() && j.contains("items") && j["items"].is_array()) {
                for (const auto& item : j["items"])
                    if (follow_up_mark m; mark_from_json(item, m)) f.marks[m.response_id] = std::move(m);
                f.loaded = true;
            } else {
                f.message = "Could not load the follow-up statuses: " + error_sentence(body, status);
            }
        } else if (op == "patch") {
            f.sending.erase(id);
            follow_up_mark m;
            if (status == 200 && mark_from_json(j, m)) {
                f.marks[m.response_id] = std::move(m);
                f.message.clear();
            } else {
                f.message = "Not saved: " + error_sentence(body, status);
            }
        }
        f.dirty = true;
    }
}

void app_follow_up_refresh(app_state& app) {
    follow_up_state& f = app.follow_up;
    if (!f.dirty && f.listed_version == f.book.version() && f.listed_builds == app.builds) return;
    response_filter filter = filter_for(app.settings, static_cast<int64_t>(platform::wall_ms()));
    follow_up_query q;
    q.segments = static_cast<uint8_t>(1u << f.segment);
    q.statuses = f.statuses;
    q.filter = &filter;
    f.rows = follow_up_list(f.book, f.marks, q, &f.counts);
    f.listed_version = f.book.version();
    f.listed_builds = app.builds;
    f.dirty = false;
}

void app_follow_up_mark(app_state& app, size_t record, follow_up_status status) {
    follow_up_state& f = app.follow_up;
    if (record >= f.book.records().size()) return;
    follow_up_mark m;
    m.response_id = f.book.records()[record].id;
    m.status = status;
    m.by = f.by;
    m.at_ms = static_cast<int64_t>(platform::wall_ms());
    if (auto old = f.marks.find(m.response_id); old != f.marks.end()) m.note = old->second.note;
    if (std::string why = check_follow_up_by(m.by); !why.empty()) {
        f.message = "Enter your name first (" + why + ").";
        return;
    }
    if (f.collector) {
        if (!f.admin_key[0]) {
            f.message = "Enter the admin key (--admin-key) to save statuses in the collector.";
            return;
        }
        nlohmann::json body = {{"status", follow_up_status_name(m.status)}, {"by", m.by}, {"note", m.note}};
        platform::follow_up_request("patch", app.settings.source, f.admin_key, m.response_id,
                                    body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
        f.sending[m.response_id] = std::move(m);
        return;
    }
    f.marks[m.response_id] = std::move(m);
    keep_in_page(f);
    f.message.clear();
    f.dirty = true;
}

void app_export_follow_up_csv(const app_state& app) {
    const follow_up_state& f = app.follow_up;
    platform::download("npskit-follow-up.csv", "text/csv;charset=utf-8", follow_up_csv(f.book, f.rows));
}

static nlohmann::json follow_up_json(const app_state& app) {
    const follow_up_state& f = app.follow_up;
    nlohmann::json rows = nlohmann::json::array();
    for (size_t i = 0; i < f.rows.size() && i < 100; ++i) {
        const follow_up_row& row = f.rows[i];
        const response& r = f.book.records()[row.record];
        rows.push_back({{"id", r.id},
                        {"group", follow_up_group_name(row.group)},
                        {"status", follow_up_status_name(row.status)},
                        {"by", row.mark ? row.mark->by : ""},
                        {"score", r.score},
                        {"email", r.email.value_or("")},
                        {"comment", r.comment.value_or("")},
                        {"sending", f.sending.count(r.id) > 0}});
    }
    return {{"segment", segment_name(static_cast<segment>(f.segment))},
            {"statuses", f.statuses},
            {"collector", f.collector},
            {"loaded", f.loaded},
            {"message", f.message},
            {"listed", {f.counts.listed[0], f.counts.listed[1], f.counts.listed[2]}},
            {"open", {f.counts.open[0], f.counts.open[1], f.counts.open[2]}},
            {"marks", f.marks.size()},
            {"shown", f.rows.size()},
            {"rows", std::move(rows)}};
}

//-----------------------------------------------------------------------------
// The aggregate path (issue 14): figures from /v1/aggregate, comments from /v1/comments
//-----------------------------------------------------------------------------
static std::string query_string(const std::vector<param_pair>& pairs) {
    std::string q;
    for (const auto& [name, value] : pairs) q += (q.empty() ? "?" : "&") + name + "=" + percent_encode(value);
    return q;
}

static void aggregate_begin(app_state& app, const platform::load_info& info) {
    app.agg = aggregate_view{};
    app.agg.on = true;
    app.agg.answers = static_cast<uint64_t>(info.answers);
    app.importer.reset();  // no rows come: the store stays empty
    app.store.end_bulk();
    app.filters_dirty = true;
}

// Asks for what the view shows when its queries changed; the answers of older queries are
// dropped (their ids are no longer awaited).
static void aggregate_ask(app_state& app, const report_desc& desc) {
    aggregate_view& a = app.agg;
    const std::string trend = query_string(aggregate_params(desc, aggregate_part::trend));
    const std::string breakdown = query_string(aggregate_params(desc, aggregate_part::breakdown));
    const std::string previous = query_string(aggregate_params(desc, aggregate_part::previous));
    const std::string asked = trend + " " + breakdown + " " + previous;
    if (asked != a.asked) {
        a.asked = asked;
        a.bodies = aggregate_answers{};
        a.trend_req = platform::request("/v1/aggregate" + trend);
        a.breakdown_req = breakdown.size() > 1 ? platform::request("/v1/aggregate" + breakdown) : 0;
        a.previous_req = previous.size() > 1 ? platform::request("/v1/aggregate" + previous) : 0;
    }
    // The digest the collector sends (every stored answer, the latest complete week, in the
    // view's zone), asked ahead so a click copies at once: once, and again only when the zone
    // changes (filters do not change it, and the collector reads two weeks of rows to make it).
    std::vector<param_pair> digest{{"period", "week"}};
    for (const auto& p : aggregate_params(desc, aggregate_part::trend))
        if (p.first == "tz") digest.push_back(p);
    if (const std::string digest_query = query_string(digest); digest_query != a.digest_asked) {
        a.digest_asked = digest_query;
        a.digest_text.clear();
        a.digest_req = platform::request("/v1/digest" + digest_query);
    }
    // Comments: the filter's conditions (not the bucket) and the search, in the database.
    std::vector<param_pair> filter;
    for (auto& p : aggregate_params(desc, aggregate_part::trend))
        if (p.first != "by" && p.first != "tz") filter.push_back(std::move(p));
    if (!desc.filter.text.empty()) filter.emplace_back("q", desc.filter.text);
    filter.emplace_back("limit", std::to_string(aggregate_comment_page));
    const std::string comments = query_string(filter);
    if (comments != a.comments_asked) {
        a.comments_asked = comments;
        a.comments.clear();
        a.next.clear();
        a.comment_pages = 0;
        a.comments_req = platform::request("/v1/comments" + comments);
    }
    std::string unanswered = aggregate_unanswered(desc);
    a.note = unanswered;
}

static std::string attributes_text(const nlohmann::json& attrs) {
    std::string out;
    if (!attrs.is_object()) return out;
    for (const auto& [k, v] : attrs.items())
        out += (out.empty() ? "" : " · ") + k + " " + (v.is_string() ? v.get<std::string>() : v.dump());
    return out;
}

static void aggregate_take_comments(app_state& app, const std::string& body) {
    aggregate_view& a = app.agg;
    nlohmann::json j = nlohmann::json::parse(body, nullptr, false);
    if (!j.is_object() || !j.contains("items") || !j["items"].is_array()) {
        a.error = "the collector's comments are not the expected JSON";
        return;
    }
    for (const auto& item : j["items"]) {
        if (!item.is_object()) continue;
        comment_view c;
        c.score = item.value("score", 0);
        c.text = item.value("comment", std::string());
        auto ts = parse_timestamp(item.value("created", std::string()));
        c.ts_ms = ts ? *ts : 0;
        if (item.contains("attributes")) c.attributes = attributes_text(item["attributes"]);
        a.comments.push_back(std::move(c));
    }
    a.next = j.contains("next") && j["next"].is_string() ? j["next"].get<std::string>() : "";
    ++a.comment_pages;
    app.rep.comments = a.comments;
    ++app.builds;  // the frame loop redraws on a new build
}

static void aggregate_pump(app_state& app) {
    aggregate_view& a = app.agg;
    std::string body;
    auto take = [&](int& id, std::string& into) {
        if (!id) return;
        int r = platform::take_response(id, body);
        if (r == 0) return;
        id = 0;
        if (r > 0)
            into = std::move(body);
        else
            a.error = body;
    };
    const bool waiting = a.trend_req || a.breakdown_req || a.previous_req;
    take(a.trend_req, a.bodies.trend);
    take(a.breakdown_req, a.bodies.breakdown);
    take(a.previous_req, a.bodies.previous);
    if (waiting && !a.trend_req && !a.breakdown_req && !a.previous_req && a.error.empty()) {
        report_desc d;
        d.filter = filter_for(app.settings, static_cast<int64_t>(platform::wall_ms()));
        d.bucket = app.settings.bucket;
        d.breakdown_key = app.settings.breakdown;
        d.theme_key = app.settings.theme;
        double start = now_ms();
        report r;
        std::string note = aggregate_unanswered(d), error;
        if (report_from_aggregates(a.bodies, d, r, note, error)) {
            r.comments = a.comments;
            sort_breakdown(r.breakdown, app.ui.sort_by, app.ui.sort_descending);
            app.rep = std::move(r);
            a.note = note;
            a.have_figures = true;
            if (!a.first_figures_ms) a.first_figures_ms = now_ms();
            ++app.builds;
        } else {
            a.error = error;
        }
        app.build_cpu_ms = now_ms() - start;
        app.last_build_ms = now_ms();
    }
    if (a.digest_req) {
        int r = platform::take_response(a.digest_req, body);
        if (r != 0) {
            a.digest_req = 0;
            nlohmann::json j = r > 0 ? nlohmann::json::parse(body, nullptr, false) : nlohmann::json();
            // Not a figure: a failed digest leaves the panels alone and copies nothing.
            a.digest_text = j.is_object() && j.contains("text") && j["text"].is_string() ? j["text"].get<std::string>() : "";
        }
    }
    if (a.comments_req) {
        int r = platform::take_response(a.comments_req, body);
        if (r != 0) {
            a.comments_req = 0;
            if (r > 0)
                aggregate_take_comments(app, body);
            else
                a.error = body;
        }
    } else if (app.ui.comments_near_end && !a.next.empty() && a.comment_pages > 0) {
        a.comments_req = platform::request("/v1/comments" + a.comments_asked + "&before=" + percent_encode(a.next));
    }
    // Shown where the load's notes and errors are: never a silent wrong number.
    app.load.note = a.note;
    if (!a.error.empty()) {
        app.load.error = "Could not read the collector's aggregates: " + a.error;
        app.load.phase = load_phase::failed;
    } else if (a.have_figures && app.load.phase == load_phase::loading) {
        app.load.phase = load_phase::done;
        app.load.finished_ms = now_ms();
    }
}

diverging_layout layout_diverging(const diverging_layout_desc& d) {
    diverging_layout l;
    const double lo = std::min(0.0, d.lo), hi = std::max(0.0, d.hi);
    // The label column: as wide as the widest label, within its share, and never so wide that the
    // bar area falls under its minimum (a narrow screen cuts labels, not bars).
    float room = std::max(0.0f, d.width - d.widest_value - 2 * d.gap - d.min_bar);
    l.label_w = std::max(0.0f, std::min({d.widest_label, d.width * d.max_label_share, room}));
    l.bar_x = l.label_w + d.gap;
    l.bar_w = std::max(0.0f, d.width - d.widest_value - d.gap - l.bar_x);
    if (d.max_bar > 0) l.bar_w = std::min(l.bar_w, std::max(d.max_bar, d.min_bar));
    l.value_x = l.bar_x + l.bar_w + d.gap;
    l.per_unit = hi > lo ? l.bar_w / (hi - lo) : 0;
    // Zero where the range puts it: at the left when every value is positive, at the right when
    // every one is negative, in between otherwise (both sides on the same scale).
    l.zero_x = l.bar_x + static_cast<float>(-lo * l.per_unit);
    return l;
}

bar_span diverging_bar(const diverging_layout& l, double value) {
    float end = l.zero_x + static_cast<float>(value * l.per_unit);
    end = std::clamp(end, l.bar_x, l.bar_x + l.bar_w);  // a value outside the range stays inside the area
    return {std::min(l.zero_x, end), std::max(l.zero_x, end)};
}

}  // namespace npskit::dashboard
