// npskit widget: state shared by the widget's files, and the JS shims they call.
// main.cpp: API dispatch, rules, delivery. prompt.cpp: the step machine and its DOM.
// web_dom.cpp / web_io.cpp: the EM_JS shims (npskit_js_*); callbacks from JS are npskit_on_*.
#pragma once
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "delivery.h"
#include "i18n.h"
#include "json_text.h"
#include "rules.h"
#include "schema.h"

namespace npskit::widget {

enum class position : uint8_t { bottom_right, bottom_center, center };
enum class theme : uint8_t { auto_, light, dark };
enum class step : uint8_t { hidden, scale, follow_up, thanks };

struct survey_desc {
    std::string endpoint;        // POST target (required)
    std::string survey;          // survey id (required)
    std::string product = "us";  // fills {product}
    std::string locale;          // = navigator.language
    position where = position::bottom_right;
    theme look = theme::auto_;
    std::string brand = "#2563eb";
    std::string promoter_url;    // promoters' call to action; none when empty
    bool display_events = true;  // send 'shown' / 'dismissed'
    survey_rules rules;
    delivery_desc delivery;
};

// UI event codes from the DOM (web_dom.cpp forwards them to npskit_on_ui).
enum ui_code : int {
    ui_choose = 0,      // + score 0..10
    ui_close = 20,
    ui_send = 21,
    ui_skip = 22,
    ui_contact = 23,
    ui_done = 24,
    ui_key = 30,        // keydown inside the prompt (key code in `key`)
    ui_focus = 40,      // + index 0..10: a scale button got focus
};
enum key_code : int { key_escape = 27, key_end = 35, key_home = 36, key_left = 37, key_up = 38, key_right = 39, key_down = 40 };
enum timer_code : int { timer_delivery = 1, timer_show = 2, timer_chord = 3 };

struct prompt_state {
    step current = step::hidden;
    int score = -1;
    int focused = 0;          // roving focus index on the scale
    int pending_digit = -1;   // "1" waiting for a "0"
    bool contact_given = false;
    response answer;          // the record being built (id fixed when the score is chosen)
    std::string trigger;
    int handles[11] = {};     // scale buttons
    int textarea = 0;
};

struct state {
    bool ready = false;       // endpoint + survey known, storage restored
    json_value config;        // merged init objects (data-* first)
    survey_desc desc;
    prompt_texts texts;
    std::string anon_id, user_id, email;
    std::vector<std::pair<std::string, std::string>> traits;  // identify() traits -> attributes
    survey_history history;
    delivery_queue queue;
    prompt_state prompt;
    std::string pending_trigger;  // a delayed show
    bool warned_drop = false;
    // Send token -> record id for the POSTs in flight: fixed slots, no vector of strings (the
    // queue holds at most 100 items, so 128 slots never run out).
    struct flight { int token; char id[68]; };
    flight in_flight[128];
    int next_token = 1;
};

extern state g;  // the one instance: the page has one npskit

// main.cpp
int64_t now_ms();
std::string new_uuid();
void enqueue_record(const response& r);
void save_history();
response base_record(event_type type);
const char* brand_text(const std::string& hex);  // "#111111" or "#ffffff", whichever reads better

// prompt.cpp
void prompt_show(const std::string& trigger);
void prompt_close(bool dismissed);
int prompt_on_ui(int code, int key);
void prompt_on_chord_timeout();

}  // namespace npskit::widget

// JS shims (EM_JS, defined in web_dom.cpp and web_io.cpp).
extern "C" {
// DOM: handles index a JS table; 0 is "none". Text is always set through text nodes.
int npskit_js_mount(int position, int theme, int rtl, const char* brand, const char* brand_text, const char* lang);
void npskit_js_unmount();
int npskit_js_el(int parent, const char* tag, const char* cls);
void npskit_js_attr(int h, const char* name, const char* value);
void npskit_js_text(int h, const char* text);
void npskit_js_on(int h, const char* type, int code);
void npskit_js_clear(int h);
void npskit_js_focus(int h, int only_if_ours);
int npskit_js_value(int h, char* buf, int cap);
// I/O
double npskit_js_now();
unsigned npskit_js_random();
void npskit_js_uuid(char* buf37);
int npskit_js_get(const char* key, char* buf, int cap);
void npskit_js_set(const char* key, const char* value);
void npskit_js_del(const char* key);
int npskit_js_env(int what, char* buf, int cap);  // 0 = pathname, 1 = navigator.language
void npskit_js_transport(const char* endpoint, const char* headers_json, int on);
void npskit_js_post(int token, const char* body, int beacon);
void npskit_js_timer(int code, int ms);  // ms < 0 cancels
void npskit_js_warn(const char* text);
}
