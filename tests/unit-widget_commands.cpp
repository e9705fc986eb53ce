// Tests for src/widget/main.cpp and prompt.cpp: the widget's commands (init, track, identify,
// show, reset, destroy), its config layers and its delivery wake-ups, natively, over a fake
// page: this file defines the npskit_js_* shims of src/widget/widget_platform.h (web_dom.cpp and
// web_io.cpp define them in the bundle) and records every call the widget makes.
#include <doctest/doctest.h>

#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "json_text.h"
#include "schema.h"
#include "widget.h"

using namespace npskit;
using namespace npskit::widget;

namespace {
struct post {
    int serial;
    std::string body;
    bool beacon;
};
struct fake_page {
    double now = 1767225600000.0;  // 2026-01-01T00:00:00Z
    unsigned random = 12345;
    int uuids = 0;
    std::map<std::string, std::string> storage;
    std::string path = "/app/settings", language = "en-US";
    std::vector<post> posts;
    std::map<int, int> timers;  // code → ms of the last npskit_js_timer call
    std::vector<std::string> warnings;
    std::vector<std::string> transport;  // "endpoint|headers|on"
    int mounts = 0, unmounts = 0, elements = 0;
    std::map<int, std::string> texts;  // handle → its text node
    std::string textarea_value;
    std::vector<std::string> focus;                           // "h:only_if_ours"
    std::map<int, std::string> tags;                          // handle → its element's tag
    std::map<int, std::map<std::string, std::string>> attrs;  // handle → its attributes
    std::map<int, std::vector<int>> listeners;                // handle → the ui codes it sends
};
fake_page page;

int put(const std::string& s, char* buf, int cap) {
    if (buf && static_cast<int>(s.size()) < cap) {
        std::memcpy(buf, s.data(), s.size());
        buf[s.size()] = 0;
    }
    return static_cast<int>(s.size());
}

// window.npskit(name, …args): the arguments as the shim encodes them.
void command(const char* name, const std::string& args_json = "[]") {
    std::string tagged_args;
    REQUIRE(tagged_from_json(args_json, tagged_args));
    npskit_on_command(name, tagged_args.c_str());
}

// The script tag's data-* attributes, then the page's init() (what boot() does).
void boot(const std::string& data_json = R"({"endpoint":"https://c.example/v1/responses","survey":"onboarding"})") {
    command("init", "[" + data_json + "]");
}

// A fresh widget on a fresh page.
struct fixture {
    fixture() {
        page = fake_page{};
        g = state{};
    }
    ~fixture() { g = state{}; }
};

bool has_text(const std::string& needle) {
    for (const auto& [h, t] : page.texts)
        if (t == needle) return true;
    return false;
}

parse_result record(size_t k) {
    REQUIRE(k < page.posts.size());
    return parse_response(std::string_view(page.posts[k].body));
}
}  // namespace

extern "C" {
int npskit_js_mount(int, int, int, const char*, int, const char*, const char*) {
    ++page.mounts;
    return ++page.elements;
}
void npskit_js_unmount() { ++page.unmounts; }
int npskit_js_el(int, const char* tag, const char*) {
    page.tags[++page.elements] = tag;
    return page.elements;
}
void npskit_js_attr(int h, const char* name, const char* value, int len) {
    size_t n = 0;
    while (static_cast<int>(n) < len && value[n]) ++n;  // up to len bytes or its NUL (web_dom.cpp)
    page.attrs[h][name] = std::string(value, n);
}
void npskit_js_text(int h, const char* text, int len) { page.texts[h] = std::string(text, static_cast<size_t>(len)); }
void npskit_js_on(int h, const char*, int code) { page.listeners[h].push_back(code); }
void npskit_js_clear(int) {}
void npskit_js_focus(int h, int only_if_ours) { page.focus.push_back(std::to_string(h) + ":" + std::to_string(only_if_ours)); }
int npskit_js_value(int, char* buf, int cap) { return put(page.textarea_value, buf, cap); }
double npskit_js_now() { return page.now; }
unsigned npskit_js_random() { return page.random; }
void npskit_js_uuid(char* buf37) {
    char id[37];
    std::snprintf(id, sizeof id, "00000000-0000-4000-8000-%012d", ++page.uuids);
    std::memcpy(buf37, id, 37);
}
void npskit_js_now_iso(char* buf32) { std::snprintf(buf32, 32, "2026-01-01T00:00:00.000Z"); }
int npskit_js_get(const char* key, char* buf, int cap) {
    auto it = page.storage.find(key);
    return it == page.storage.end() ? 0 : put(it->second, buf, cap);
}
void npskit_js_set(const char* key, const char* value) {
    if (value)
        page.storage[key] = value;
    else
        page.storage.erase(key);
}
int npskit_js_env(int what, char* buf, int cap) { return put(what ? page.language : page.path, buf, cap); }
void npskit_js_transport(const char* endpoint, int endpoint_len, const char* headers_json, int on) {
    page.transport.push_back(std::string(endpoint, static_cast<size_t>(endpoint_len)) + "|" + headers_json + "|" + std::to_string(on));
}
void npskit_js_post(int serial, const char* body, int beacon) { page.posts.push_back({serial, body, beacon != 0}); }
void npskit_js_timer(int code, int ms) { page.timers[code] = ms; }
void npskit_js_warn(const char* text) { page.warnings.push_back(text); }  // the shim adds "npskit: "
}

TEST_CASE("widget commands: init layers the config; the later layer wins") {
    fixture f;
    boot();
    CHECK(g.ready);
    CHECK(g.desc.survey == "onboarding");
    CHECK(g.desc.endpoint == "https://c.example/v1/responses");
    REQUIRE(page.transport.size() == 1);
    CHECK(page.transport[0] == "https://c.example/v1/responses||1");
    CHECK(g.anon_id.size() == 36);  // a new anonymous id, stored
    CHECK(page.storage["npskit:a"] == std::string(g.anon_id));
    CHECK(page.timers[timer_delivery] == -1);  // nothing queued: no wake-up

    command("init", R"([{"survey":"pricing","brand":"#ffcc00","position":"center","headers":{"X-Key":"k"},"texts":{"done":"Fini"}}])");
    CHECK(g.desc.survey == "pricing");
    CHECK(g.desc.endpoint == "https://c.example/v1/responses");  // from the first layer
    CHECK(g.desc.brand == "#ffcc00");
    CHECK(g.desc.where == position::center);
    CHECK(std::string(g.texts[text_id::done]) == "Fini");
    REQUIRE(page.transport.size() == 2);
    CHECK(page.transport[1] == R"(https://c.example/v1/responses|{"X-Key":"k"}|1)");

    SUBCASE("unusable values keep the defaults") {
        command("init", R"J([{"brand":"red","position":"top-left","promoterUrl":"javascript:alert(1)","theme":"neon"}])J");
        CHECK(g.desc.brand == "#2563eb");
        CHECK(g.desc.where == position::bottom_right);
        CHECK(g.desc.look == theme::auto_);
        CHECK(g.desc.cta_url[2].empty());
    }
    SUBCASE("each segment's link, every one checked by is_safe_link") {
        command("init", R"J([{"detractorUrl":"/help","passiveUrl":"https://shop.example/offer?x=1","promoterUrl":"http://r.example/"}])J");
        CHECK(g.desc.cta_url[0] == "/help");
        CHECK(g.desc.cta_url[1] == "https://shop.example/offer?x=1");
        CHECK(g.desc.cta_url[2] == "http://r.example/");
        command("init", R"J([{"detractorUrl":"//evil.example/x","passiveUrl":"javascript:alert(1)","promoterUrl":"/\\evil.example"}])J");
        for (const auto& url : g.desc.cta_url) CHECK(url.empty());
        command("init", R"J([{"detractorUrl":" /help","passiveUrl":"HTTPS://x.example","promoterUrl":"data:text/html,x"}])J");
        for (const auto& url : g.desc.cta_url) CHECK(url.empty());
    }
}

TEST_CASE("widget commands: init without a usable survey waits, and says why") {
    fixture f;
    boot(R"({"endpoint":"https://c.example/v1/responses","survey":"not valid!"})");
    CHECK_FALSE(g.ready);
    CHECK(page.transport.empty());
    REQUIRE(page.warnings.size() == 1);
    CHECK(page.warnings[0] == "data-survey must be 1 to 64 of A-Z a-z 0-9 _ . -");
    command("track", R"(["signed_in"])");
    CHECK(page.mounts == 0);
    command("init", R"([{"survey":"ok"}])");  // a later init completes the config
    CHECK(g.ready);
    CHECK(g.desc.survey == "ok");
}

TEST_CASE("widget commands: track shows the prompt for a matching trigger") {
    fixture f;
    boot(
        R"({"endpoint":"https://c.example/e","survey":"s","triggers":["purchase",{"event":"upgrade","delay":2000,"where":{"plan":"pro"}}],"cooldownDays":"0"})");
    command("track", R"(["browse"])");
    CHECK(page.mounts == 0);
    command("track", R"(["upgrade",{"plan":"free"}])");
    CHECK(page.mounts == 0);

    SUBCASE("at once") {
        command("track", R"(["purchase"])");
        CHECK(page.mounts == 1);
        CHECK(g.prompt.current == step::scale);
        CHECK(std::string(g.prompt.trigger) == "purchase");
        CHECK(g.history.displays == 1);
        // The 'shown' display event goes at once, with the trigger and the page.
        REQUIRE(page.posts.size() == 1);
        parse_result shown = record(0);
        REQUIRE(shown.ok());
        CHECK(shown.value.type == event_type::shown);
        CHECK(shown.value.trigger == "purchase");
        CHECK(shown.value.page == "/app/settings");
        CHECK(page.posts[0].serial > 0);
        CHECK_FALSE(page.posts[0].beacon);
        command("track", R"(["purchase"])");  // already showing
        CHECK(page.mounts == 1);
    }
    SUBCASE("after the trigger's delay (a timer wake-up)") {
        command("track", R"(["upgrade",{"plan":"pro"}])");
        CHECK(page.mounts == 0);
        CHECK(page.timers[timer_show] == 2000);
        npskit_on_wake(timer_show);
        CHECK(page.mounts == 1);
        CHECK(std::string(g.prompt.trigger) == "upgrade");
        npskit_on_wake(timer_show);  // a second wake shows nothing more
        CHECK(page.mounts == 1);
    }
    SUBCASE("display events off: no 'shown' record") {
        command("init", R"([{"displayEvents":false}])");
        command("track", R"(["purchase"])");
        CHECK(page.mounts == 1);
        CHECK(page.posts.empty());
    }
}

TEST_CASE("widget commands: an answer is sent at once, then again with its comment") {
    fixture f;
    boot(R"({"endpoint":"https://c.example/e","survey":"s","displayEvents":"false"})");
    command("identify", R"(["u-42",{"plan":"pro","email":"a@b.example","signed_up":"2025-06-01"}])");
    command("show");
    REQUIRE(g.prompt.current == step::scale);
    CHECK(npskit_on_ui(ui_choose + 4, 0) == 1);
    CHECK(g.prompt.current == step::follow_up);
    REQUIRE(page.posts.size() == 1);
    parse_result first = record(0);
    REQUIRE(first.ok());
    CHECK(first.value.score == 4);
    CHECK(first.value.user == "u-42");
    CHECK(first.value.trigger == "show");
    CHECK_FALSE(first.value.email);  // personal data only with the opt-in
    npskit_on_sent(page.posts[0].serial, 200, -1);

    page.textarea_value = "  too slow\x07 on mobile  ";
    npskit_on_ui(ui_send, 0);
    CHECK(g.prompt.current == step::thanks);
    REQUIRE(page.posts.size() == 2);
    parse_result second = record(1);
    REQUIRE(second.ok());
    CHECK(second.value.id == first.value.id);  // the same answer, updated
    CHECK(second.value.comment == "too slow on mobile");
    npskit_on_sent(page.posts[1].serial, 200, -1);

    npskit_on_ui(ui_contact, 0);  // a detractor says yes to being contacted
    REQUIRE(page.posts.size() == 3);
    parse_result third = record(2);
    REQUIRE(third.ok());
    CHECK(third.value.email == "a@b.example");
    CHECK(third.value.contact_ok == true);
    CHECK(has_text("Done"));
    npskit_on_ui(ui_done, 0);
    CHECK(g.prompt.current == step::hidden);
    CHECK(page.unmounts == 1);

    // The waits now hold: a show that respects them shows nothing; a plain show does.
    command("show", R"([{"respectWaits":true}])");
    CHECK(page.mounts == 1);
    command("show");
    CHECK(page.mounts == 2);
}

TEST_CASE("widget commands: the queue wakes delivery again after a failed send") {
    fixture f;
    boot(R"({"endpoint":"https://c.example/e","survey":"s","retryBaseMs":"1000"})");
    command("show");
    REQUIRE(page.posts.size() == 1);  // 'shown'
    const int serial = page.posts[0].serial;
    CHECK(page.timers[timer_delivery] == -1);  // in flight: waits for the answer, not the clock
    npskit_on_sent(serial, 503, -1);
    const int wake = page.timers[timer_delivery];
    CHECK(wake >= 500);  // equal jitter: [base / 2, base)
    CHECK(wake < 1000);
    CHECK(page.storage["npskit:q"].find("\"shown\"") != std::string::npos);  // kept across reloads
    npskit_on_wake(timer_delivery);
    CHECK(page.posts.size() == 1);  // not due yet
    page.now += wake;
    npskit_on_wake(timer_delivery);
    REQUIRE(page.posts.size() == 2);
    CHECK(page.posts[1].body == page.posts[0].body);
    npskit_on_sent(page.posts[1].serial, 200, -1);
    CHECK(page.timers[timer_delivery] == -1);
    CHECK(g.queue.size() == 0);

    SUBCASE("a 4xx drops the record and warns once") {
        command("track", R"(["x"])");
        npskit_on_ui(ui_close, 0);  // 'dismissed'
        npskit_on_sent(page.posts.back().serial, 400, -1);
        REQUIRE(page.warnings.size() == 1);
        CHECK(page.warnings[0] == "the endpoint refused a record (HTTP 4xx): dropped");
    }
    SUBCASE("the page being hidden: what already left is not sent again, the queue is saved") {
        npskit_on_ui(ui_choose + 9, 0);                   // the answer, in flight
        npskit_on_sent(page.posts.back().serial, 0, -1);  // network error: a retry later
        const size_t before = page.posts.size();
        page.storage.erase("npskit:q");
        npskit_on_wake(wake_page_hide);
        CHECK(page.posts.size() == before);  // attempted once already: the retry timer sends it
        CHECK(page.storage["npskit:q"].find("\"score\":9") != std::string::npos);
    }
}

TEST_CASE("widget commands: a queue saved by an earlier page is sent at init") {
    fixture f;
    boot();
    command("show");
    REQUIRE(page.posts.size() == 1);
    std::string saved = page.storage["npskit:q"];
    REQUIRE_FALSE(saved.empty());
    // The tab closes before the answer; the next page boots with the same storage.
    auto storage = page.storage;
    fixture next;
    page.storage = storage;
    boot();
    REQUIRE(page.posts.size() == 1);
    CHECK(page.posts[0].body.find("\"shown\"") != std::string::npos);
}

TEST_CASE("widget commands: identify keeps traits as attributes and the email apart") {
    fixture f;
    command("identify",
            R"(["u-1",{"plan":"pro","email":"x@y.example","nested":{"a":1},"bad key!":"v","signed_up":"2026-01-10T08:00:00Z"}])");
    CHECK(std::string(g.user_id) == "u-1");
    CHECK(std::string(g.attributes) == R"("plan":"pro","signed_up":"2026-01-10T08:00:00Z")");
    CHECK(std::string(g.email) == "x@y.example");
    CHECK(g.signed_up_ms == 1768003200000);
    CHECK(page.storage["npskit:u"] == "u-1");
    boot();  // identify before init: the user and the sign-up date carry over
    CHECK(g.history.first_seen_ms == 1768003200000);
    CHECK(page.storage.count("npskit:h:onboarding:u-1") == 1);  // history keyed by the user

    command("identify", "[null]");
    CHECK(g.user_id.empty());
    CHECK(g.attributes.empty());
    CHECK(page.storage.count("npskit:u") == 0);
}

TEST_CASE("widget commands: reset forgets the user and the anonymous id") {
    fixture f;
    boot();
    command("identify", R"(["u-1",{"plan":"pro"}])");
    const std::string anon = std::string(g.anon_id);
    command("show");
    REQUIRE(g.prompt.current == step::scale);
    command("reset");
    CHECK(g.prompt.current == step::hidden);  // closed, not dismissed
    CHECK(g.user_id.empty());
    CHECK(g.attributes.empty());
    CHECK(page.storage.count("npskit:u") == 0);
    CHECK(std::string(g.anon_id) != anon);  // a new anonymous id, stored
    CHECK(page.storage["npskit:a"] == std::string(g.anon_id));
    CHECK(page.timers[timer_show] == -1);
}

TEST_CASE("widget commands: destroy stops everything; late answers are ignored") {
    fixture f;
    boot();
    command("show");
    REQUIRE(page.posts.size() == 1);
    command("destroy");
    CHECK_FALSE(g.ready);
    CHECK(page.unmounts == 1);
    CHECK(page.transport.back() == "||0");  // listeners and timers gone
    CHECK(g.queue.size() == 0);
    CHECK(g.desc.survey.empty());
    npskit_on_sent(page.posts[0].serial, 200, -1);
    npskit_on_wake(timer_delivery);
    command("track", R"(["x"])");
    CHECK(page.posts.size() == 1);
    CHECK(page.mounts == 1);
    command("nonsense");
    REQUIRE(page.warnings.size() == 1);
    CHECK(page.warnings[0] == "unknown command");
}

TEST_CASE("widget commands: keys choose a score; 1 then 0 is ten") {
    fixture f;
    boot(R"({"endpoint":"https://c.example/e","survey":"s","displayEvents":"false"})");
    command("show");
    npskit_on_ui(ui_key, '1');
    CHECK(page.timers[timer_chord] == 700);
    CHECK(page.posts.empty());
    npskit_on_ui(ui_key, '0');
    REQUIRE(page.posts.size() == 1);
    CHECK(record(0).value.score == 10);

    SUBCASE("1 alone is one, when the chord times out") {
        fixture g2;
        boot(R"({"endpoint":"https://c.example/e","survey":"s","displayEvents":"false"})");
        command("show");
        npskit_on_ui(ui_key, '1');
        npskit_on_wake(timer_chord);
        REQUIRE(page.posts.size() == 1);
        CHECK(record(0).value.score == 1);
    }
    SUBCASE("Escape on the scale dismisses") {
        fixture g2;
        boot();
        command("show");
        npskit_on_ui(ui_key, key_escape);
        CHECK(g.prompt.current == step::hidden);
        REQUIRE(page.posts.size() == 2);
        CHECK(record(1).value.type == event_type::dismissed);
        CHECK(g.history.last_dismissed_ms == static_cast<int64_t>(page.now));
    }
}

namespace {
// The thank-you step's link: the handle of the one <a>, 0 when there is none.
int thank_you_link() {
    int found = 0;
    for (const auto& [h, tag] : page.tags)
        if (tag == "a") found = h;
    return found;
}
}  // namespace

TEST_CASE("widget commands: each segment's call to action, and its click as an update of the answer") {
    struct each {
        int score;
        const char* segment;
        const char* url;
        const char* words;
    };
    for (const each& e : {each{3, "detractor", "/help", "Get help"}, each{7, "passive", "https://shop.example/offer", "See the offer"},
                          each{10, "promoter", "https://reviews.example/acme", "Leave a review"}}) {
        CAPTURE(e.segment);
        fixture f;
        boot(R"({"endpoint":"https://c.example/e","survey":"s","displayEvents":"false","detractorUrl":"/help",)"
             R"("passiveUrl":"https://shop.example/offer","promoterUrl":"https://reviews.example/acme"})");
        command("show");
        npskit_on_ui(ui_choose + e.score, 0);
        npskit_on_sent(page.posts[0].serial, 200, -1);  // one id is never in flight twice
        page.textarea_value = "my comment";
        npskit_on_ui(ui_send, 0);
        REQUIRE(g.prompt.current == step::thanks);
        REQUIRE(page.posts.size() == 2);
        int a = thank_you_link();
        REQUIRE(a != 0);
        CHECK(page.attrs[a]["href"] == e.url);
        CHECK(page.attrs[a]["target"] == "_blank");
        CHECK(page.attrs[a]["rel"] == "noopener noreferrer");
        CHECK(page.texts[a] == e.words);
        CHECK(page.listeners[a] == std::vector<int>{ui_cta});
        CHECK_FALSE(record(1).value.cta_clicked);
        npskit_on_sent(page.posts[1].serial, 200, -1);

        // The browser follows the link (0: no preventDefault); the answer goes again, whole.
        CHECK(npskit_on_ui(ui_cta, 0) == 0);
        REQUIRE(page.posts.size() == 3);
        parse_result clicked = record(2);
        REQUIRE(clicked.ok());
        CHECK(clicked.value.id == record(0).value.id);
        CHECK(clicked.value.score == e.score);
        CHECK(clicked.value.comment == "my comment");
        CHECK(clicked.value.cta_clicked == e.segment);
        npskit_on_sent(page.posts[2].serial, 200, -1);
        npskit_on_ui(ui_cta, 0);  // a second click: already recorded
        CHECK(page.posts.size() == 3);
    }
}

TEST_CASE("widget commands: no link for a segment without a URL, or with an unsafe one") {
    fixture f;
    boot(
        R"J({"endpoint":"https://c.example/e","survey":"s","displayEvents":"false","detractorUrl":"javascript:alert(1)","passiveUrl":"//evil.example"})J");
    SUBCASE("unsafe") {
        command("show");
        npskit_on_ui(ui_choose + 2, 0);
        npskit_on_ui(ui_skip, 0);
        REQUIRE(g.prompt.current == step::thanks);
        CHECK(thank_you_link() == 0);
        CHECK(has_text("May we contact you about this?"));  // the detractor's opt-in stays
    }
    SUBCASE("protocol-relative") {
        command("show");
        npskit_on_ui(ui_choose + 8, 0);
        npskit_on_ui(ui_skip, 0);
        CHECK(thank_you_link() == 0);
    }
    SUBCASE("none given") {
        command("show");
        npskit_on_ui(ui_choose + 9, 0);
        npskit_on_ui(ui_skip, 0);
        CHECK(thank_you_link() == 0);
        CHECK(has_text("Done"));
    }
}

TEST_CASE("widget commands: the links' words follow the locale and the texts overrides") {
    fixture f;
    boot(R"({"endpoint":"https://c.example/e","survey":"s","displayEvents":"false","locale":"fr","passiveUrl":"/offre"})");
    command("show");
    npskit_on_ui(ui_choose + 8, 0);
    npskit_on_ui(ui_skip, 0);
    CHECK(page.texts[thank_you_link()] == "Voir l\u2019offre");
    command("init", R"([{"texts":{"passive_cta":"Essai de 60 jours"}}])");
    npskit_on_ui(ui_done, 0);
    command("show");
    npskit_on_ui(ui_choose + 7, 0);
    npskit_on_ui(ui_skip, 0);
    CHECK(page.texts[thank_you_link()] == "Essai de 60 jours");
}
