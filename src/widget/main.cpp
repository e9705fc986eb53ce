// npskit widget: the JS API (init / track / identify / show / reset / destroy), the survey
// rules and the delivery queue, glued to the browser only through widget_platform.h (so it is
// unit-tested natively: tests/unit-widget_commands.cpp).
//
// [SECTION] State, clock, ids, storage
// [SECTION] Config
// [SECTION] Identity and history
// [SECTION] Records and delivery
// [SECTION] API dispatch (npskit_on_command) and other callbacks from JS
#include "calendar.h"
#include "widget.h"

namespace npskit::widget {

//-----------------------------------------------------------------------------
// [SECTION] State, clock, ids, storage
//-----------------------------------------------------------------------------
state g;

int64_t now_ms() { return static_cast<int64_t>(npskit_js_now()); }

text new_uuid() {
    char buf[37] = {};
    npskit_js_uuid(buf);
    return buf;
}

// Storage may be missing, full or blocked: every read falls back to "", every write may fail.
// Asks for the length first, then reads into a string of exactly that size (+ its terminator).
static text storage_get(const char* key) {
    int n = npskit_js_get(key, nullptr, 0);
    text out;
    out.resize(n > 0 ? static_cast<size_t>(n) : 0);
    if (n > 0 && npskit_js_get(key, out.data(), n + 1) != n) out.clear();  // changed in between
    return out;
}

static text env(int what) {
    char buf[600];
    int n = npskit_js_env(what, buf, sizeof buf);
    return text(std::string_view(buf, n > 0 && n < static_cast<int>(sizeof buf) ? static_cast<size_t>(n) : 0));
}

//-----------------------------------------------------------------------------
// [SECTION] Config
//-----------------------------------------------------------------------------
static std::string_view text_of(const char* key) { return config_layers{g.config}.get(key).text(); }

// The index of `value` among NUL-separated `options` (in enum order), 0 when it is none of them.
static int choice(std::string_view value, const char* options) {
    for (int k = 0; *options; ++k, options += __builtin_strlen(options) + 1)
        if (same(value, options)) return k;
    return 0;
}

static bool valid_brand(std::string_view s) {
    if ((s.size() != 4 && s.size() != 7) || s[0] != '#') return false;
    for (size_t k = 1; k < s.size(); ++k) {
        char c = s[k];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) return false;
    }
    return true;
}

// Text on the brand colour: dark on light brands, white on dark ones (WCAG relative luminance).
const char* brand_text(std::string_view hex) {
    auto nibble = [](char c) { return c <= '9' ? c - '0' : (c | 32) - 'a' + 10; };
    static const uint32_t weight[3] = {2126, 7152, 722};  // relative luminance x 10000
    uint32_t lum = 0;                                     // x 10000 x 255^2, gamma 2.0 (close enough to pick the text colour; no pow())
    for (int k = 0; k < 3; ++k) {
        uint32_t v = hex.size() == 4 ? nibble(hex[1 + k]) * 17 : nibble(hex[1 + 2 * k]) * 16 + nibble(hex[2 + 2 * k]);
        lum += weight[k] * v * v;
    }
    // Contrast on #111111 (L = 0.0056) beats contrast on white when (L + 0.05)^2 > 1.05 x 0.0556,
    // i.e. L > 0.19162: integers only.
    return lum > 124600905u ? "#111111" : "#ffffff";
}

static void load_identity();
static void flush();

// Reads g.desc from the config layers: every field a view of g.config, the default when a value
// is missing or unusable. Runs after every init(), so the views always point into g.config.
static void apply_config() {
    config_layers c{g.config};
    survey_desc& d = g.desc;
    d.endpoint = text_of("endpoint");
    d.survey = text_of("survey");
    std::string_view p = text_of("product");
    d.product = p.empty() ? "us" : p;
    d.where = static_cast<position>(choice(text_of("position"), "bottom-right\0bottom-center\0center\0"));
    d.look = static_cast<theme>(choice(text_of("theme"), "auto\0light\0dark\0"));
    std::string_view b = text_of("brand");
    d.brand = valid_brand(b) ? b : "#2563eb";
    for (int k = 0; k < 3; ++k) {
        std::string_view url = text_of(cta_url_keys[k]);
        d.cta_url[k] = is_safe_link(url) ? url : std::string_view();
    }
    d.display_events = !same(text_of("displayEvents"), "false");
    d.rules = read_survey_rules(c);
    double retry = 0;
    d.delivery.base_delay_ms = parse_decimal(text_of("retryBaseMs"), retry) && retry >= 1 && retry < 3600000 ? static_cast<int>(retry) : 0;

    std::string_view locale = text_of("locale");
    g.texts = texts_for_locale(locale.empty() ? std::string_view(env(1)) : locale);
    tagged member;
    std::string_view key;
    tagged texts = c.get("texts");
    for (size_t at = 0; texts.next(at, member, &key);)
        if (member.is_string()) override_text(g.texts, key, member.text());
    text headers;
    tagged h = c.get("headers");
    for (size_t at = 0; h.next(at, member, &key);) {
        if (!h.is_object()) break;
        headers += headers.empty() ? '{' : ',';
        append_json_string(headers, key);
        headers += ':';
        append_json_string(headers, member.text());
    }
    if (!headers.empty()) headers += '}';
    bool valid = !d.endpoint.empty() && is_valid_survey(d.survey);
    if (!g.ready && !valid && !d.survey.empty() && !is_valid_survey(d.survey))
        npskit_js_warn("data-survey must be 1 to 64 of A-Z a-z 0-9 _ . -");
    if (!g.ready && !valid) return;
    npskit_js_transport(d.endpoint.data(), static_cast<int>(d.endpoint.size()), headers.c_str(), 1);
    if (g.ready) return;
    g.ready = true;
    g.queue.setup(d.delivery);
    g.queue.from_text(storage_get("npskit:q"), now_ms());
    load_identity();
    flush();
}

//-----------------------------------------------------------------------------
// [SECTION] Identity and history
//-----------------------------------------------------------------------------
static const text& sample_key() { return g.user_id.empty() ? g.anon_id : g.user_id; }
static text history_key() {  // appends, not operator+ (no temporaries)
    text k = "npskit:h:";
    k += g.desc.survey;
    k += ":";
    k += sample_key();
    return k;
}

static void load_history() {
    g.history = {};
    history_from_text(storage_get(history_key().c_str()), g.history);
    size_t used = 0;  // the last display of any survey (the global cooldown), written by save_history
    read_integers(storage_get("npskit:g"), ',', &g.history.last_any_shown_ms, 1, used);
    if (g.history.first_seen_ms <= 0) {
        g.history.first_seen_ms = now_ms();
        save_history();
    }
    if (g.signed_up_ms) g.history.first_seen_ms = g.signed_up_ms;  // identify() may have come before init
}

void save_history() {
    if (!g.ready) return;
    npskit_js_set(history_key().c_str(), history_to_text(g.history).c_str());
    text any;
    append_integer(any, g.history.last_any_shown_ms);
    npskit_js_set("npskit:g", any.c_str());
}

static void load_identity() {
    g.anon_id = storage_get("npskit:a");  // never sent: it keys sampling and the history
    if (g.anon_id.size() < 8) {
        g.anon_id = new_uuid();
        npskit_js_set("npskit:a", g.anon_id.c_str());
    }
    if (g.user_id.empty()) g.user_id = storage_get("npskit:u");
    load_history();
}

// The age of the user for "new users only after N days": a signed_up / created_at trait
// ("2026-01-10…", the date is enough) wins over the first visit. 0 when not a date.
static int64_t signup_date_ms(std::string_view v) {
    int64_t ymd[3] = {};
    size_t used = 0;
    if (read_integers(v.substr(0, 10), '-', ymd, 3, used) != 3 || used != 10) return 0;
    const int64_t y = ymd[0], m = ymd[1], d = ymd[2];
    return y >= 1970 && y < 2100 && m >= 1 && m <= 12 && d >= 1 && d <= 31
               ? days_from_civil(static_cast<int>(y), static_cast<int>(m), static_cast<int>(d)) * ms_per_day
               : 0;
}

//-----------------------------------------------------------------------------
// [SECTION] Records and delivery
//-----------------------------------------------------------------------------
text clean_text(std::string_view s, size_t max_chars, bool lines) {
    text out;
    size_t chars = 0;
    for (char c : s) {
        unsigned char u = static_cast<unsigned char>(c);
        if ((u < 0x20 && !(lines && (c == '\n' || c == '\r' || c == '\t'))) || u == 0x7f) continue;
        if (out.empty() && u <= ' ') continue;  // leading blanks
        if ((u & 0xc0) != 0x80 && ++chars > max_chars) break;
        out += c;
    }
    size_t end = out.size();  // trailing blanks
    while (end && static_cast<unsigned char>(out.data()[end - 1]) <= ' ') --end;
    out.resize(end);
    return out;
}

text page_path() { return clean_text(env(0), 512); }

wire_record base_record(event_type type, const char* id, std::string_view page, const char* ts) {
    wire_record r;
    r.id = id;
    r.type = type;
    r.survey = g.desc.survey;
    r.ts_ms = ts;  // the wire form: the browser's RFC 3339 text
    r.user = g.user_id;
    r.trigger = g.prompt.trigger;
    r.page = page;
    r.locale = g.texts.locale;
    r.attributes = g.attributes;  // the members, written
    return r;
}

void send_display_event(event_type type) {
    if (!g.desc.display_events) return;
    char id[37] = {}, ts[32] = {};
    npskit_js_uuid(id);
    npskit_js_now_iso(ts);
    enqueue_record(base_record(type, id, page_path(), ts));
}

// Read, merged, written: other tabs of the page save their own records under the same key.
static void save_queue() { npskit_js_set("npskit:q", g.queue.to_text(storage_get("npskit:q")).c_str()); }

static void flush() {
    if (!g.ready) return;
    int64_t now = now_ms();
    while (const queued_item* it = g.queue.begin_next(now)) npskit_js_post(static_cast<int>(it->serial), it->body.c_str(), 0);
    save_queue();
    int64_t wake = g.queue.next_wake_in(now);
    npskit_js_timer(timer_delivery, wake < 0 ? -1 : static_cast<int>(wake < 2000000000 ? wake : 2000000000));
}

void enqueue_record(const wire_record& r) {
    text body;
    append_record_json(body, r);
    g.queue.enqueue(r.id, body, now_ms());
    flush();
}

//-----------------------------------------------------------------------------
// [SECTION] API dispatch
//-----------------------------------------------------------------------------
// Traits become the record's attributes (scalars only, cleaned, at most 32, valid keys); the
// email is kept apart (sent only with a contact opt-in).
static void identify(tagged user, tagged traits) {
    text id = user.kind() == 's' || user.kind() == 'n' ? clean_text(user.text(), 256) : text();
    g.email.clear();
    g.attributes.clear();
    g.signed_up_ms = 0;
    int used = 0;
    tagged v;
    std::string_view key;
    for (size_t at = 0; traits.is_object() && traits.next(at, v, &key);) {
        if (!v.is_scalar()) continue;
        text value = clean_text(v.text(), 256);
        if (same(key, "email")) {  // personal data: only ever sent with an explicit contact opt-in
            g.email = value;
            continue;
        }
        if (!is_valid_attribute_key(key) || used == 32) continue;
        if (same(key, "signed_up") || same(key, "created_at")) g.signed_up_ms = signup_date_ms(value);
        if (used++) g.attributes += ',';
        append_json_string(g.attributes, key);
        g.attributes += ':';
        append_json_string(g.attributes, value);
    }
    if (id != g.user_id) {
        g.user_id = id;
        npskit_js_set("npskit:u", id.empty() ? nullptr : id.c_str());
        if (g.ready) load_history();
    }
    if (g.signed_up_ms) g.history.first_seen_ms = g.signed_up_ms;
}

static void track(std::string_view event, tagged props) {
    if (!g.ready || g.prompt.current != step::hidden || event.empty()) return;
    event_context ctx{event, props.is_object() ? props : tagged(), "", sample_key(), g.desc.survey, now_ms()};
    text path = env(0);
    ctx.path = path;
    decision d = decide_on_event(g.desc.rules, g.history, ctx);
    if (!d.show()) return;
    text trigger = clean_text(event, 256);
    if (d.delay_ms > 0) {
        g.pending_trigger = std::move(trigger);
        npskit_js_timer(timer_show, d.delay_ms);
    } else {
        prompt_show(trigger);
    }
}

// Logout and destroy: the prompt closes; the user and a delayed show are forgotten.
static void forget_user() {
    if (g.prompt.current != step::hidden) prompt_close(false);
    npskit_js_timer(timer_show, -1);
    g.pending_trigger.clear();
    g.user_id.clear();
    g.attributes.clear();
    g.email.clear();
    g.signed_up_ms = 0;
}

static void destroy() {
    forget_user();
    if (g.ready) save_queue();
    npskit_js_transport("", 0, "", 0);  // removes the page-hide and online listeners, clears every timer
    g.ready = false;
    g.config.clear();
    g.desc = survey_desc{};  // its views pointed into the config
    g.texts = prompt_texts{};
    g.queue.clear();
}

}  // namespace npskit::widget

using namespace npskit;
using namespace npskit::widget;

extern "C" {

// Every call of window.npskit(name, …args) lands here with the arguments as an array in tagged
// text (json_text.h; the shim encodes it: no JSON parser in the bundle).
EMSCRIPTEN_KEEPALIVE void npskit_on_command(const char* name, const char* args_tagged) {
    std::string_view cmd = name;
    tagged args(args_tagged), a0, a1;
    size_t at = 0;
    if (args.next(at, a0)) args.next(at, a1);
    if (same(cmd, "init")) {
        if (a0.is_object()) g.config += a0.span();  // a new layer: its keys win
        apply_config();
    } else if (same(cmd, "track")) {
        if (a0.is_string()) track(a0.text(), a1);
    } else if (same(cmd, "identify")) {
        identify(a0, a1);
    } else if (same(cmd, "show")) {
        if (g.ready && g.prompt.current == step::hidden) {
            bool force = a0.get("respectWaits").kind() != 't';
            if (decide_when_asked(g.desc.rules, g.history, now_ms(), force).show()) prompt_show("show");
        }
    } else if (same(cmd, "reset")) {
        forget_user();
        npskit_js_set("npskit:u", nullptr);
        npskit_js_set("npskit:a", nullptr);
        if (g.ready) load_identity();
    } else if (same(cmd, "destroy")) {
        destroy();
    } else {
        npskit_js_warn("unknown command");
    }
}

EMSCRIPTEN_KEEPALIVE int npskit_on_ui(int code, int key) { return prompt_on_ui(code, key); }

// `serial` is the queue's number for that send (a late answer from before destroy() is ignored).
EMSCRIPTEN_KEEPALIVE void npskit_on_sent(int serial, int status, double retry_after_ms) {
    send_outcome out =
        g.queue.finish(static_cast<uint32_t>(serial), status, static_cast<int64_t>(retry_after_ms), now_ms(), npskit_js_random());
    if (out == send_outcome::dropped && !g.warned_drop) {
        g.warned_drop = true;
        npskit_js_warn("the endpoint refused a record (HTTP 4xx): dropped");
    }
    flush();
}

// A timer fired, or the browser said something (codes in widget.h): the page is being hidden
// (tab closed, navigation, app switch): what never left goes by beacon; back online: send now.
EMSCRIPTEN_KEEPALIVE void npskit_on_wake(int code) {
    if (code == timer_delivery)
        flush();
    else if (code == timer_chord)
        prompt_on_chord_timeout();
    else if (code == timer_show && g.ready && g.prompt.current == step::hidden && !g.pending_trigger.empty()) {
        text trigger = std::move(g.pending_trigger);
        g.pending_trigger.clear();
        prompt_show(trigger);
    } else if (code == wake_page_hide && g.ready) {
        int64_t now = now_ms();
        while (const queued_item* it = g.queue.next_for_beacon(now, npskit_js_random())) npskit_js_post(0, it->body.c_str(), 1);
        save_queue();
    }
}

}  // extern "C"
