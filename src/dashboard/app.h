// npskit dashboard: the application state and its data flow (no drawing, no ImGui).
// The browser only through app_platform.h, so this compiles natively and is unit-tested there
// (tests/unit-dashboard_app.cpp).
// Sources → core importer → store → report (core) → panels. One app_state, passed explicitly.
//
// [SECTION] State
// [SECTION] Lifecycle and per-frame work
// [SECTION] Layout helpers (pure arithmetic the panels draw with)
#pragma once
#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "aggregate_report.h"
#include "editor.h"
#include "followup.h"
#include "import.h"
#include "report.h"
#include "store.h"
#include "view_settings.h"

namespace npskit::dashboard {

//-----------------------------------------------------------------------------
// [SECTION] State
//-----------------------------------------------------------------------------
enum class source_kind : uint8_t { none = 0, file = 1, url = 2, collector = 3, demo = 4 };
const char* source_kind_name(source_kind k);
enum class load_phase : uint8_t { idle, loading, mapping, done, failed };
const char* load_phase_name(load_phase p);
enum class live_state : uint8_t { off = 0, connecting = 1, live = 2, reconnecting = 3 };
const char* live_state_name(live_state s);

struct load_status {
    source_kind kind = source_kind::none;
    load_phase phase = load_phase::idle;
    std::string name;                        // file name or URL
    std::string error;                       // a sentence for people (network, unreadable file, no records)
    std::string note;                        // what the store's caps left out (keys not indexed, "(other)"); "" = nothing
    double total_bytes = 0;                  // 0 = unknown
    double fed_bytes = 0;                    // handed to the importer
    double received_bytes = 0;               // arrived in the page (JS)
    double last_bytes_ms = 0;                // when received_bytes last grew
    double started_ms = 0, finished_ms = 0;  // performance clock
    double import_ms = 0;                    // CPU time inside the core importer (parse + validate + store)
    bool stream_ended = false;               // all bytes arrived (finish() waits for a mapping if needed)
    bool reserved = false;                   // the store was reserved for the expected rows
    import_stats stats;
    input_format format = input_format::unknown;
};

// A source with no valid response in its first 16 MB is not NPS data (garbage, a wrong URL, a
// body that never ends): stop reading instead of counting bad rows until memory runs out.
constexpr double give_up_bytes = 16.0 * 1024 * 1024;
// A body that stops sending without closing (a stalled server or proxy) fails after this long,
// instead of showing "loading" for ever. (The collector's pages are fetched whole.)
constexpr double stall_ms = 30000;
// Per frame, the time the theme index may take once a load is done (a frame is 16.7 ms at 60 Hz).
constexpr double index_slice_ms = 8;
// A body of valid records that never ends stops before the wasm heap (4 GB) runs out: ~40
// million responses with comments.
constexpr size_t default_max_store_bytes = size_t{2500} * 1024 * 1024;

struct live_status {
    live_state state = live_state::off;
    double retry_in_ms = 0;
    uint64_t events = 0, rejected = 0;
    double last_event_ms = 0;
};

struct ui_state {
    breakdown_column sort_by = breakdown_column::n;
    bool sort_descending = true;
    column_mapping pending_mapping;  // the mapping step's choices
    char url[512] = "";
    char search[256] = "";
    char exclude[256] = "";
    char custom_from[16] = "", custom_to[16] = "";
    bool scroll_to_comments = false;
    bool theme_drivers = false;  // the themes panel shows the drivers view
    // The themes panel is as tall as its content (up to its layout's height): the content's
    // height drawn last frame, device pixels (0: not measured); `relayout` asks for one more
    // frame when it changed (frames are drawn only when something changed).
    float themes_content = 0;
    bool relayout = false;
    bool comments_near_end = false;  // the comments list is scrolled to its end (set each frame)
    // The survey editor's form (panels.cpp): each field's text, re-read when the draft changes.
    std::map<std::string, std::string> editor_fields;
    std::string editor_text;             // the raw definition box
    uint64_t editor_rev = ~uint64_t{0};  // the draft_rev the buffers hold
    // Screen rectangles (x, y, w, h in device pixels) of a few controls, for browser tests.
    std::map<std::string, std::array<float, 4>> rects;
};

// The follow-up panel (issue 15): the book of candidates (the store keeps no ids or emails),
// the statuses (the collector's, or kept in the page for other sources) and the panel's list.
struct follow_up_state {
    follow_up_book book;
    follow_up_marks marks;
    std::vector<follow_up_row> rows;  // the panel's list: its segment and statuses, the view's filters
    follow_up_counts counts;
    int segment = 0;           // the panel's tab, a segment index
    uint8_t statuses = 0b111;  // bit (1 << follow_up_status)
    bool dirty = true;         // marks or the panel's filters changed: list again
    uint64_t listed_version = 0, listed_builds = 0;
    bool scroll_to = false;
    bool collector = false;                         // statuses live in the collector (else in the page, under page_key)
    std::string page_key;                           // localStorage key of a page-kept source
    bool loaded = false;                            // the collector's statuses arrived
    std::string message;                            // the last problem or notice, for people
    std::map<std::string, follow_up_mark> sending;  // id → the status a PATCH in flight carries
    char admin_key[256] = "";                       // memory only: never the hash, never storage
    char by[128] = "";                              // who marks (≤ 64 code points, checked before sending)
};

// The aggregate path (issue 14): a collector with more than `aggregate_rows_limit` answers
// sends no rows. The figures come from /v1/aggregate histograms, scored here by the core
// (report_from_aggregates: one engine), asked again when a filter changes; the comments come
// from /v1/comments a page at a time as the list scrolls. Under the limit, and for files and
// URLs, the row path is unchanged. The limit is the page's (source.js; #rows_limit=N in tests).
struct aggregate_view {
    bool on = false;
    uint64_t answers = 0;                                    // the collector's answers when opened
    std::string asked;                                       // the figures' queries in flight or on screen
    int trend_req = 0, breakdown_req = 0, previous_req = 0;  // 0 = not asked, or answered
    aggregate_answers bodies;
    bool have_figures = false;
    std::string comments_asked;  // the comment filter of the pages loaded
    std::string next;            // the next page's `before` token ("" = no more)
    int comments_req = 0;
    uint64_t comment_pages = 0;
    std::vector<comment_view> comments;  // newest first, every page loaded so far
    std::string digest_asked;            // its query (the zone)
    int digest_req = 0;                  // GET /v1/digest: "Copy digest" copies the collector's text
    std::string digest_text;             // its latest answer ("" until it arrives)
    std::string note;                    // the aggregates' own note and what they cannot answer (shown)
    std::string error;                   // a request failed (shown as the load's error)
    double first_figures_ms = 0;         // performance clock: when the first report was drawn from them
};
constexpr size_t aggregate_comment_page = 50;

struct app_state {
    response_store store;
    std::unique_ptr<response_importer> importer;
    int js_load_id = 0;
    load_status load;
    live_status live;
    view_settings settings;
    std::string hash_written;  // last hash we wrote (so our own write is not re-applied)
    report rep;
    theme_row_cache theme_rows;  // the selected theme's rows, kept while the data allows (themes.h)
    theme_index mention_index;   // the comments by token, built in slices once a load is done: a theme's rows at a click
    theme_corpus theme_words;    // the themes' word and term dictionaries, kept between re-scores
    bool filters_dirty = true;   // re-score at once
    bool data_dirty = false;     // re-score, throttled while data streams in
    double last_build_ms = 0;    // when (performance clock)
    double build_cpu_ms = 0;     // how long the last re-score took
    double frame_cpu_ms = 0;     // smoothed CPU time of a drawn frame (ImGui, draw lists, GL calls)
    uint64_t builds = 0;
    float dpr = 1;
    ui_state ui;
    std::vector<char> chunk;                           // pull buffer
    size_t max_store_bytes = default_max_store_bytes;  // the memory cap (tests lower it)
    follow_up_state follow_up;                         // the follow-up panel (issue 15)
    aggregate_view agg;                                // the aggregate path (on only for a large collector)
    editor_state editor;                               // the survey editor (issue 16; editor.h)
};

//-----------------------------------------------------------------------------
// [SECTION] Lifecycle and per-frame work
//-----------------------------------------------------------------------------
double now_ms();  // monotonic, milliseconds (performance clock)
void app_setup(app_state& app);
// Reads a new URL hash (if any), starts the data source it names.
void app_poll_hash(app_state& app);
void app_write_hash(app_state& app);
// Pulls bytes and live events into the store, for at most `budget_ms`.
void app_pump(app_state& app, double budget_ms);
void app_rebuild_if_dirty(app_state& app);
void app_rebuild(app_state& app);           // unconditional (benchmarks)
void app_settings_changed(app_state& app);  // a filter changed: hash + re-score
void app_apply_mapping(app_state& app, const column_mapping& mapping);
void app_load_demo(app_state& app, uint64_t rows);
void app_open_url(app_state& app, const std::string& url);  // "Load URL": into the hash, then read
// A date preset; "custom" starts as the data's span (the last 30 days when there is none).
void app_set_range(app_state& app, date_preset range);
void app_start_source(app_state& app);  // from settings.source / settings.key
std::string app_state_json(const app_state& app);
// The load's progress only (no re-score): for polling while a large load runs.
std::string app_load_json(const app_state& app);
void app_export_csv(app_state& app);
void app_export_report(const app_state& app);
// The digest (src/core/view/digest.h) of the loaded rows, as `npskit digest FILE` prints it:
// the week (UTC) that holds the newest answer against the week before, and the follow-up
// list's open count (follow_up_open_count: the candidates the book keeps); "" with no row.
std::string app_digest_text(app_state& app);  // settles the follow-up book (its open count)

// Follow-up list (issue 15): lists again when the records, the statuses or the filters changed;
// marks a listed record (PATCH to the collector, or kept in the page); exports the list shown.
void app_follow_up_refresh(app_state& app);
void app_follow_up_mark(app_state& app, size_t record, follow_up_status status);
void app_export_follow_up_csv(const app_state& app);

//-----------------------------------------------------------------------------
// [SECTION] Layout helpers
//-----------------------------------------------------------------------------
// Rows of bars for signed values (the drivers view: each theme's effect on NPS): one label
// column, one bar area with one scale and one zero axis, one value column. Every row's bar
// starts from the same zero x whatever its label (a label wider than its column is cut).
// x are offsets from the rows' left edge, in the units given (device pixels).
struct diverging_layout {
    float label_w = 0;           // the label column (labels are cut to it)
    float bar_x = 0, bar_w = 0;  // the bar area
    float zero_x = 0;            // the axis: value 0
    float value_x = 0;           // the value column (text after the bars)
    double per_unit = 0;         // width of one unit of value
};
struct diverging_layout_desc {
    float width = 0;               // the rows' width
    float widest_label = 0;        // the widest label, uncut
    float widest_value = 0;        // the widest value text
    float gap = 0;                 // between columns
    float min_bar = 0;             // the bar area never gets narrower (the label column gives way)
    float max_bar = 0;             // nor wider (0: no cap): the values stay near their bars on a wide screen
    float max_label_share = 0.4f;  // the label column takes at most this share of the width
    double lo = 0, hi = 0;         // the values' range (the layout takes in 0 itself)
};
diverging_layout layout_diverging(const diverging_layout_desc& d);
struct bar_span {
    float x0 = 0, x1 = 0;  // x0 <= x1; one end is zero_x
};
bar_span diverging_bar(const diverging_layout& l, double value);

}  // namespace npskit::dashboard
