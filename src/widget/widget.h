// npskit widget: state shared by the widget's files.
// main.cpp: API dispatch, rules, delivery. prompt.cpp: the step machine and its DOM.
// widget_platform.h: the browser, as the npskit_js_* shims they call and the npskit_on_* callbacks.
#pragma once
#include <cstdint>
#include <string>

#include "delivery.h"
#include "i18n.h"
#include "json_text.h"
#include "rules.h"
#include "schema.h"

namespace npskit::widget {

enum class position : uint8_t { bottom_right, bottom_center, center };
enum class theme : uint8_t { auto_, light, dark };
enum class step : uint8_t { hidden, scale, follow_up, thanks };

// The survey as configured: views into state::config, read again after every init().
struct survey_desc {
    std::string_view endpoint;        // POST target (required)
    std::string_view survey;          // survey id (required)
    std::string_view product = "us";  // fills {product}
    std::string_view brand = "#2563eb";
    // The thank-you step's call to action by segment (detractor: the help centre, passive: an
    // offer, promoter: a review): detractorUrl, passiveUrl, promoterUrl; none when empty or unsafe.
    std::string_view cta_url[3];
    position where = position::bottom_right;
    theme look = theme::auto_;
    bool display_events = true;  // send 'shown' / 'dismissed'
    survey_rules rules;
    delivery_desc delivery;
};

// UI event codes from the DOM (web_dom.cpp forwards them to npskit_on_ui).
enum ui_code : int {
    ui_choose = 0,  // + score 0..10
    ui_close = 20,
    ui_send = 21,
    ui_skip = 22,
    ui_contact = 23,
    ui_done = 24,
    ui_cta = 25,    // the thank-you link: recorded, and the browser follows it
    ui_key = 30,    // keydown inside the prompt (key code in `key`)
    ui_focus = 40,  // + index 0..10: a scale button got focus
};
enum key_code : int { key_escape = 27, key_end = 35, key_home = 36, key_left = 37, key_up = 38, key_right = 39, key_down = 40 };
// npskit_on_wake codes: the timers, and the page being hidden (going online wakes the delivery).
enum timer_code : int { timer_delivery = 1, timer_show = 2, timer_chord = 3, wake_page_hide = 4 };

struct prompt_state {
    step current = step::hidden;
    int score = -1;
    int focused = 0;         // roving focus index on the scale
    int pending_digit = -1;  // "1" waiting for a "0"
    bool contact_given = false;
    bool cta_clicked = false;  // the answer's update says so (cta_clicked: its segment)
    // The answer, sent when the score is chosen and again, whole, under the same id with the
    // comment and the contact opt-in.
    char answer_id[37] = {};
    char answer_ts[32] = {};
    text answer_page, comment;
    int contact_ok = -1;
    text trigger;
    int handles[11] = {};  // scale buttons
    int textarea = 0;
};

struct state {
    bool ready = false;  // endpoint + survey known, storage restored
    text config;         // config layers (json_text.h): data-* first, then each init()
    survey_desc desc;
    prompt_texts texts;
    text anon_id, user_id, email;
    text attributes;           // identify() traits as JSON members ("\"plan\":\"pro\",…")
    int64_t signed_up_ms = 0;  // from a signed_up / created_at trait; 0 = none
    survey_history history;
    delivery_queue queue;
    prompt_state prompt;
    text pending_trigger;  // a delayed show
    bool warned_drop = false;
};

extern state g;  // the one instance: the page has one npskit

// main.cpp
int64_t now_ms();
text new_uuid();
// Text for a record: control characters dropped (newlines and tabs kept when `lines`), blanks
// trimmed at both ends, at most `max_chars` code points.
text clean_text(std::string_view s, size_t max_chars, bool lines = false);
text page_path();  // location.pathname, cleaned for a record
// A record of the current survey, user and trigger; `id` and `page` outlive it.
wire_record base_record(event_type type, const char* id, std::string_view page, const char* ts);
void enqueue_record(const wire_record& r);
void send_display_event(event_type type);  // 'shown' / 'dismissed', when display events are on
void save_history();
const char* brand_text(std::string_view hex);  // "#111111" or "#ffffff", whichever reads better

// prompt.cpp
void prompt_show(std::string_view trigger);
void prompt_close(bool dismissed);
int prompt_on_ui(int code, int key);
void prompt_on_chord_timeout();

}  // namespace npskit::widget

#include "widget_platform.h"

// The shims that take text as pointer + length, called with a view.
namespace npskit::widget {
inline void js_attr(int h, const char* name, std::string_view value) {
    npskit_js_attr(h, name, value.data(), static_cast<int>(value.size()));
}
inline void js_attr(int h, const char* name, const char* value) { npskit_js_attr(h, name, value, 0x7fffffff); }  // up to its NUL
inline void js_text(int h, std::string_view text) { npskit_js_text(h, text.data(), static_cast<int>(text.size())); }
}  // namespace npskit::widget
