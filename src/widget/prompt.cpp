// npskit widget: the prompt's step machine (scale -> follow-up -> thank-you) and its DOM,
// built through the npskit_js_* shims inside a shadow root. Text only ever goes into text
// nodes; attributes are set one by one; no HTML string is ever parsed.
//
// [SECTION] Small DOM helpers
// [SECTION] Steps: scale, follow-up, thank-you
// [SECTION] Events: choose, keys (roving focus, digits, "1 then 0"), close
#include "score.h"  // the NPS bands
#include "widget.h"

namespace npskit::widget {

//-----------------------------------------------------------------------------
// [SECTION] Small DOM helpers
//-----------------------------------------------------------------------------
static int card = 0;  // the prompt box (re-filled at each step)

static int el(int parent, const char* tag, const char* cls, std::string_view text = {}) {
    int h = npskit_js_el(parent, tag, cls);
    if (!text.empty()) js_text(h, text);
    return h;
}

static int button(int parent, const char* cls, std::string_view text, int code) {
    int h = el(parent, "button", cls, text);
    js_attr(h, "type", "button");
    npskit_js_on(h, "click", code);
    return h;
}

static std::string_view segment_text(int score) {
    return g.texts[static_cast<text_id>(static_cast<int>(text_id::follow_detractor) + static_cast<int>(segment_of(score)))];
}

static void question(std::string_view text) { js_attr(el(card, "p", "q", text), "id", "npskit-q"); }

static void close_button() {
    int x = button(card, "x", "\xc3\x97", ui_close);  // ×
    js_attr(x, "aria-label", g.texts[text_id::close]);
}

// A step starts empty, with the close button and its question.
static void start_step(std::string_view question_text) {
    npskit_js_clear(card);
    close_button();
    question(question_text);
}

//-----------------------------------------------------------------------------
// [SECTION] Steps
//-----------------------------------------------------------------------------
static void render_scale(bool take_focus) {
    start_step(fill_placeholder(g.texts[text_id::question], "product", g.desc.product));
    int group = el(card, "div", "s");
    js_attr(group, "role", "radiogroup");
    js_attr(group, "aria-labelledby", "npskit-q");
    js_attr(group, "aria-describedby", "npskit-e");
    for (int n = 0; n <= 10; ++n) {
        text digit;
        append_integer(digit, n);
        int b = button(group, "", digit, ui_choose + n);
        js_attr(b, "role", "radio");
        js_attr(b, "aria-checked", "false");
        js_attr(b, "aria-label", fill_placeholder(g.texts[text_id::score_label], "n", digit));
        js_attr(b, "tabindex", n == g.prompt.focused ? "0" : "-1");
        npskit_js_on(b, "focus", ui_focus + n);
        g.prompt.handles[n] = b;
    }
    int ends = el(card, "div", "e");
    js_attr(ends, "id", "npskit-e");
    el(ends, "span", "", g.texts[text_id::low_label]);
    el(ends, "span", "", g.texts[text_id::high_label]);
    if (take_focus) npskit_js_focus(g.prompt.handles[g.prompt.focused], 0);
}

static void render_follow_up() {
    start_step(segment_text(g.prompt.score));
    int ta = el(card, "textarea", "");
    js_attr(ta, "aria-labelledby", "npskit-q");
    js_attr(ta, "placeholder", g.texts[text_id::comment_hint]);
    js_attr(ta, "maxlength", "2000");
    js_attr(ta, "rows", "3");
    g.prompt.textarea = ta;
    int row = el(card, "div", "r");
    button(row, "g", g.texts[text_id::skip], ui_skip);
    button(row, "p", g.texts[text_id::send], ui_send);
    npskit_js_focus(ta, 1);
}

// The thank-you step: the detractor's contact opt-in, then the segment's call to action (a
// link; its click is recorded, ui_cta), then Done.
static void render_thanks() {
    start_step(g.texts[text_id::thanks]);
    int seg = static_cast<int>(segment_of(g.prompt.score));
    int row = 0;
    if (seg == static_cast<int>(segment::detractor)) {
        if (g.prompt.contact_given) {
            el(card, "p", "t", g.texts[text_id::contact_done]);
        } else {
            el(card, "p", "t", g.texts[text_id::contact_question]);
            if (!g.email.empty()) el(card, "p", "t", fill_placeholder(g.texts[text_id::contact_email], "email", g.email));
            row = el(card, "div", "r");
            button(row, "p", g.texts[text_id::contact_yes], ui_contact);
        }
    }
    bool primary = !row;  // the contact button, when shown, is the primary action
    if (!row) row = el(card, "div", "r");
    if (std::string_view url = g.desc.cta_url[seg]; !url.empty()) {
        int a = el(row, "a", primary ? "p" : "g", g.texts[static_cast<text_id>(static_cast<int>(text_id::detractor_cta) + seg)]);
        js_attr(a, "href", url);
        js_attr(a, "target", "_blank");
        js_attr(a, "rel", "noopener noreferrer");
        npskit_js_on(a, "click", ui_cta);
    }
    int done = button(row, "g", g.texts[text_id::done], ui_done);
    npskit_js_focus(done, 1);
}

void prompt_show(std::string_view trigger) {
    if (g.prompt.current != step::hidden) return;
    // Field by field, not `g.prompt = prompt_state{}`: no temporary record to build and move
    // (the answer's fields are set by choose() before they are ever read).
    prompt_state& p = g.prompt;
    p.score = p.pending_digit = -1;
    p.focused = p.textarea = 0;
    p.contact_given = p.cta_clicked = false;
    p.trigger = trigger;
    p.current = step::scale;
    int64_t now = now_ms();
    g.history.last_shown_ms = g.history.last_any_shown_ms = now;
    ++g.history.displays;
    save_history();
    std::string_view brand = g.desc.brand;
    card = npskit_js_mount(static_cast<int>(g.desc.where), static_cast<int>(g.desc.look), g.texts.rtl, brand.data(),
                           static_cast<int>(brand.size()), brand_text(brand), g.texts.locale);
    js_attr(card, "aria-label", g.texts[text_id::dialog_label]);
    npskit_js_on(card, "keydown", ui_key);
    render_scale(true);
    send_display_event(event_type::shown);
}

void prompt_close(bool dismissed) {
    if (g.prompt.current == step::hidden) return;
    if (dismissed) {
        g.history.last_dismissed_ms = now_ms();
        save_history();
        send_display_event(event_type::dismissed);
    }
    npskit_js_timer(timer_chord, -1);
    npskit_js_unmount();
    card = 0;
    g.prompt.current = step::hidden;
}

//-----------------------------------------------------------------------------
// [SECTION] Events
//-----------------------------------------------------------------------------
// The whole answer as it stands, under its one id (the endpoint upserts).
static void send_answer() {
    prompt_state& p = g.prompt;
    wire_record r = base_record(event_type::response, p.answer_id, p.answer_page, p.answer_ts);
    r.score = p.score;
    r.comment = p.comment;
    r.contact_ok = p.contact_ok;
    if (p.contact_ok == 1) r.email = g.email;
    if (p.cta_clicked) {  // the segment's name: its option's without "Url"
        std::string_view key = cta_url_keys[static_cast<int>(segment_of(p.score))];
        r.cta_clicked = key.substr(0, key.size() - 3);
    }
    enqueue_record(r);
}

static void choose(int score) {
    if (g.prompt.current != step::scale || score < 0 || score > 10) return;
    npskit_js_timer(timer_chord, -1);
    g.prompt.pending_digit = -1;
    prompt_state& p = g.prompt;
    p.score = score;
    npskit_js_uuid(p.answer_id);
    npskit_js_now_iso(p.answer_ts);
    p.answer_page = page_path();
    p.comment.clear();
    p.contact_ok = -1;
    send_answer();  // sent the moment it is chosen
    g.history.last_answered_ms = now_ms();
    save_history();
    g.prompt.current = step::follow_up;
    render_follow_up();
}

static void send_comment() {
    char buf[8192];
    int n = npskit_js_value(g.prompt.textarea, buf, sizeof buf);
    g.prompt.comment = clean_text(std::string_view(buf, n > 0 && n < static_cast<int>(sizeof buf) ? n : 0), 2000, true);
    if (!g.prompt.comment.empty()) send_answer();  // the same id: an update of the answer
}

// Focus moves; the button's focus event (ui_focus) then moves the roving tabindex.
static void move_focus(int to) { npskit_js_focus(g.prompt.handles[to < 0 ? 0 : to > 10 ? 10 : to], 0); }

void prompt_on_chord_timeout() {
    if (g.prompt.pending_digit >= 0) choose(g.prompt.pending_digit);
}

int prompt_on_ui(int code, int key) {
    if (g.prompt.current == step::hidden) return 0;
    if (code >= ui_choose && code <= ui_choose + 10) {
        choose(code - ui_choose);
        return 1;
    }
    if (code >= ui_focus && code <= ui_focus + 10) {
        if (g.prompt.current == step::scale && code - ui_focus != g.prompt.focused) {
            js_attr(g.prompt.handles[g.prompt.focused], "tabindex", "-1");
            g.prompt.focused = code - ui_focus;
            js_attr(g.prompt.handles[g.prompt.focused], "tabindex", "0");
        }
        return 0;
    }
    switch (code) {
        case ui_close:
        case ui_done: prompt_close(g.prompt.current == step::scale); return 1;
        case ui_send:
            send_comment();
            g.prompt.current = step::thanks;
            render_thanks();
            return 1;
        case ui_skip:
            g.prompt.current = step::thanks;
            render_thanks();
            return 1;
        case ui_cta:  // once per answer; 0: the browser still follows the link
            if (!g.prompt.cta_clicked) {
                g.prompt.cta_clicked = true;
                send_answer();
            }
            return 0;
        case ui_contact:
            g.prompt.contact_ok = 1;
            send_answer();
            g.prompt.contact_given = true;
            render_thanks();
            return 1;
        default: break;
    }
    if (code != ui_key) return 0;
    if (key == key_escape) {
        prompt_close(g.prompt.current == step::scale);
        return 1;
    }
    if (g.prompt.current != step::scale) return 0;
    if (key >= '0' && key <= '9') {
        int digit = key - '0';
        if (g.prompt.pending_digit == 1) {
            choose(digit == 0 ? 10 : 1);
        } else if (digit == 1) {
            g.prompt.pending_digit = 1;  // maybe the start of "10"
            move_focus(1);
            npskit_js_timer(timer_chord, 700);
        } else {
            choose(digit);
        }
        return 1;
    }
    int forward = g.texts.rtl ? key_left : key_right;
    int backward = g.texts.rtl ? key_right : key_left;
    if (key == forward || key == key_down)
        move_focus(g.prompt.focused + 1);
    else if (key == backward || key == key_up)
        move_focus(g.prompt.focused - 1);
    else if (key == key_home)
        move_focus(0);
    else if (key == key_end)
        move_focus(10);
    else
        return 0;
    return 1;
}

}  // namespace npskit::widget
