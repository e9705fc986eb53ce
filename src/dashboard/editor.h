// npskit dashboard: the survey editor (issue 16 item 5), app layer: no ImGui, the browser only
// through app_platform.h (collector_call, preview_definition), unit-tested natively in
// tests/unit-dashboard_app.cpp.
// Lists the collector's surveys (GET /v1/surveys, read key), opens one as a draft, checks the
// draft as it changes with the core's validate_definition (src/core/prompt/definition.h, the
// collector's own check: one validator, its messages), hands a valid draft to the preview once typing pauses
// (the real widget in an iframe, web/dashboard/preview.*), saves a new version (PUT with If-Match:
// a 412 says "changed meanwhile" and reloads) and restores an old one (PUT of its bytes).
//
// [SECTION] State
// [SECTION] Actions (from the panel) and the per-frame pump
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "definition.h"

namespace npskit::dashboard {

struct app_state;

//-----------------------------------------------------------------------------
// [SECTION] State
//-----------------------------------------------------------------------------
struct survey_entry {  // one item of GET /v1/surveys, or of /versions
    std::string id;
    uint64_t version = 0;
    std::string by, at, etag;
    bool deleted = false;
    std::string definition;  // the stored bytes, verbatim (a restore PUTs them back as they are)
};

// How a form field maps onto the draft's JSON (app_editor_set_field): an empty value removes
// the key, so the widget's default applies.
enum class editor_field_kind : uint8_t {
    text,    // a string
    number,  // a number when the text is one, else the text (the core then says what is wrong)
    flag,    // true / false
    words,   // space-separated words → an array of strings
};

// Typing previews after a pause, not on every key: re-creating the widget per keystroke flickers,
// works for nothing and moves focus. Opening a survey and saving preview at once.
constexpr double editor_preview_pause_ms = 400;

struct editor_state {
    bool open = false;    // the panel is shown (top bar: "Surveys")
    bool listed = false;  // GET /v1/surveys answered at least once
    std::vector<survey_entry> surveys;
    std::string selected;   // the survey being edited ("" = none)
    std::string base_etag;  // the ETag the draft was opened from ("" = a new survey)
    uint64_t base_version = 0;
    std::string draft;                     // the definition being edited, as text
    uint64_t draft_rev = 0;                // bumps on every change of the draft (the panel re-reads its fields)
    bool dirty = false;                    // the draft differs from what was opened
    std::vector<definition_error> errors;  // validate_definition(draft): empty = valid
    std::string previewed;                 // the last valid draft handed to the preview
    uint64_t previews = 0;                 // how many times the preview was given a draft
    double preview_due_ms = 0;             // now_ms() when the pending draft goes to the preview (0: none pending)
    std::vector<survey_entry> versions;    // of the selected survey, newest first
    std::string message;                   // the last outcome, for people
    bool message_is_error = false;
    int list_req = 0, versions_req = 0, save_req = 0;
    bool restoring = false;     // the PUT in flight is a restore
    uint64_t restore_from = 0;  // of this version
    std::string reopen;         // open this survey again once the next list arrives
    char new_id[72] = "";       // the "new survey" field
};

//-----------------------------------------------------------------------------
// [SECTION] Actions and pump
//-----------------------------------------------------------------------------
void app_editor_show(app_state& app, bool open);  // opening lists the surveys
void app_editor_list(app_state& app);
void app_editor_select(app_state& app, const std::string& id);  // a listed survey → the draft
void app_editor_new(app_state& app, const std::string& id);     // a new survey: a paused draft
void app_editor_set_text(app_state& app, const std::string& text);
// Sets (or, when `value` is empty, removes) `key` in the draft: "sample", "texts.question".
// False when the draft is not a JSON object (the raw text has to be fixed first).
bool app_editor_set_field(app_state& app, const std::string& key, const std::string& value, editor_field_kind kind);
// The field's value as the form shows it ("" when absent); `editable` false when the form
// cannot show it (triggers with conditions, a value of another shape: the raw text has it).
std::string app_editor_field(const app_state& app, const std::string& key, editor_field_kind kind, bool* editable = nullptr);
void app_editor_save(app_state& app);                   // PUT the draft (If-Match the opened ETag)
void app_editor_restore(app_state& app, size_t index);  // PUT versions[index]'s bytes
// Takes the collector's answers; hands the draft to the preview once it has not changed for
// editor_preview_pause_ms (app clock: now_ms()).
void app_editor_pump(app_state& app);
void app_editor_preview_now(app_state& app);  // a valid pending draft to the preview at once
// What the preview is given for a draft: the definition without what only the collector reads
// (active, start, end, app, priority, variants), so the prompt shows as it would when live.
std::string editor_preview_config(const std::string& draft);
std::string app_editor_json(const app_state& app);  // the test hook's "editor" (JSON)

}  // namespace npskit::dashboard
