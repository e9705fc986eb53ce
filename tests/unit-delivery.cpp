// delivery: the send queue with a fake clock and a scripted endpoint.
#include <doctest/doctest.h>

#include "delivery.h"
#include "json_text.h"

using namespace npskit;

namespace {
constexpr int64_t t0 = 1768003200000;
delivery_queue make_queue() {
    delivery_queue q;
    q.setup({1000, 60000, 0, 0});
    return q;
}
}  // namespace

TEST_CASE("delivery: defaults and status classes") {
    delivery_desc d = delivery_defaults({});
    CHECK(d.base_delay_ms == 2000);
    CHECK(d.max_delay_ms == 300000);
    CHECK(d.max_items == 100);
    CHECK(classify_status(200) == send_outcome::delivered);
    CHECK(classify_status(202) == send_outcome::delivered);
    CHECK(classify_status(0) == send_outcome::retry);
    CHECK(classify_status(408) == send_outcome::retry);
    CHECK(classify_status(429) == send_outcome::retry);
    CHECK(classify_status(503) == send_outcome::retry);
    CHECK(classify_status(400) == send_outcome::dropped);
    CHECK(classify_status(413) == send_outcome::dropped);
    CHECK(classify_status(409) == send_outcome::dropped);
    CHECK(classify_status(422) == send_outcome::dropped);
    // Missing or refused for now (a redeploy, a rotated key): kept.
    CHECK(classify_status(401) == send_outcome::held);
    CHECK(classify_status(403) == send_outcome::held);
    CHECK(classify_status(404) == send_outcome::held);
    CHECK(classify_status(410) == send_outcome::held);
    CHECK(classify_status(302) == send_outcome::held);
}

TEST_CASE("delivery: 503 three times then 200 -> delivered exactly once, with growing backoff") {
    delivery_queue q = make_queue();
    REQUIRE(q.enqueue("id-00000001", "{\"v\":1}", t0));
    int64_t now = t0;
    int posts = 0, delivered = 0;
    int64_t last_wait = 0;
    for (int round = 0; round < 20 && q.size(); ++round) {
        const queued_item* it = q.begin_next(now);
        if (!it) {
            int64_t wait = q.next_wake_in(now);
            REQUIRE(wait > 0);
            CHECK(wait >= last_wait);  // exponential (equal jitter keeps it monotone for 2x steps)
            last_wait = wait;
            now += wait;
            continue;
        }
        CHECK(q.begin_next(now) == nullptr);  // never the same id twice in flight
        ++posts;
        auto out = q.finish(it->serial, posts <= 3 ? 503 : 200, -1, now, 0xffffffffu);
        delivered += out == send_outcome::delivered;
    }
    CHECK(posts == 4);
    CHECK(delivered == 1);
    CHECK(q.size() == 0);
    CHECK(q.next_wake_in(now) == -1);
}

TEST_CASE("delivery: backoff with jitter stays in [d/2, d] and is capped") {
    delivery_queue q = make_queue();
    for (uint32_t r : {0u, 12345u, 0xffffffffu}) {
        CHECK(q.backoff_ms(1, r) >= 500);
        CHECK(q.backoff_ms(1, r) <= 1000);
        CHECK(q.backoff_ms(3, r) >= 2000);
        CHECK(q.backoff_ms(3, r) <= 4000);
        CHECK(q.backoff_ms(50, r) <= 60000);
        CHECK(q.backoff_ms(50, r) >= 30000);
    }
    CHECK(q.backoff_ms(2, 0) != q.backoff_ms(2, 777));  // jitter spreads clients apart
}

TEST_CASE("delivery: Retry-After is honoured; 4xx drops; unknown ids are ignored") {
    delivery_queue q = make_queue();
    q.enqueue("id-00000001", "{}", t0);
    const queued_item* it = q.begin_next(t0);
    REQUIRE(it);
    uint32_t first = it->serial;
    CHECK(q.finish(first, 429, 30000, t0, 0) == send_outcome::retry);
    CHECK(q.next_wake_in(t0) == 30000);
    CHECK(q.begin_next(t0 + 29999) == nullptr);
    REQUIRE((it = q.begin_next(t0 + 30000)));
    uint32_t second = it->serial;
    CHECK(second != first);                                                   // each send has its own serial
    CHECK(q.finish(first, 400, -1, t0 + 30000, 0) == send_outcome::unknown);  // an older send's late answer
    CHECK(q.finish(second, 400, -1, t0 + 30000, 0) == send_outcome::dropped);
    CHECK(q.size() == 0);
    CHECK(q.finish(second, 200, -1, t0, 0) == send_outcome::unknown);
}

TEST_CASE("delivery: an update of the same id replaces or follows, never duplicates") {
    delivery_queue q = make_queue();
    SUBCASE("not sent yet: replaced in place") {
        q.enqueue("ans-0000001", "{\"score\":9}", t0);
        q.enqueue("ans-0000001", "{\"score\":9,\"comment\":\"x\"}", t0);
        CHECK(q.size() == 1);
        CHECK(q.begin_next(t0)->body == "{\"score\":9,\"comment\":\"x\"}");
    }
    SUBCASE("in flight: the update waits, then goes") {
        q.enqueue("ans-0000001", "{\"score\":9}", t0);
        const queued_item* sent = q.begin_next(t0);
        REQUIRE(sent);
        q.enqueue("ans-0000001", "{\"score\":9,\"comment\":\"x\"}", t0);
        CHECK(q.size() == 2);
        CHECK(q.begin_next(t0) == nullptr);  // same id in flight
        CHECK(q.next_wake_in(t0) == -1);     // no busy timer while it waits
        CHECK(q.finish(sent->serial, 202, -1, t0, 0) == send_outcome::delivered);
        const queued_item* next = q.begin_next(t0);
        REQUIRE(next);
        CHECK(next->body == "{\"score\":9,\"comment\":\"x\"}");
    }
    SUBCASE("in flight fails: the newer record replaces it and inherits the wait") {
        q.enqueue("ans-0000001", "{\"score\":9}", t0);
        const queued_item* sent = q.begin_next(t0);
        REQUIRE(sent);
        q.enqueue("ans-0000001", "{\"score\":9,\"comment\":\"x\"}", t0);
        CHECK(q.finish(sent->serial, 503, 5000, t0, 0) == send_outcome::retry);
        CHECK(q.size() == 1);
        CHECK(q.begin_next(t0 + 4999) == nullptr);
        CHECK(q.begin_next(t0 + 5000)->body == "{\"score\":9,\"comment\":\"x\"}");
    }
    SUBCASE("other ids are not blocked by one in flight") {
        q.enqueue("aaaaaaaa", "{}", t0);
        q.enqueue("bbbbbbbb", "{}", t0);
        CHECK(q.begin_next(t0)->id == "aaaaaaaa");
        CHECK(q.begin_next(t0)->id == "bbbbbbbb");
    }
}

TEST_CASE("delivery: survives a reload through text; in-flight items are due again") {
    delivery_queue q = make_queue();
    q.enqueue("aaaaaaaa", "{\"a\":\"tab\\tnewline\\n\"}", t0);
    q.enqueue("bbbbbbbb", "{\"b\":1}", t0);
    const queued_item* a = q.begin_next(t0);
    REQUIRE(a);
    q.finish(a->serial, 503, -1, t0, 0);
    REQUIRE(q.begin_next(t0));  // bbbbbbbb in flight when the page goes away
    std::string saved = q.to_text();

    delivery_queue after = make_queue();
    CHECK(after.from_text(saved + "garbage line\nx\t1\t2\n", t0 + 10) == 2);
    CHECK(after.items[0].body == "{\"a\":\"tab\\tnewline\\n\"}");
    CHECK(after.items[0].attempts == 1);
    CHECK(after.items[0].next_attempt_ms > t0);
    const queued_item* b = after.begin_next(t0 + 10);
    REQUIRE(b);
    CHECK(b->id == "bbbbbbbb");
    SUBCASE("old items expire") { CHECK(after.from_text(saved, t0 + 8 * 86400000LL) == 0); }
}

TEST_CASE("delivery: page hide hands out unsent items once, bounded queue") {
    delivery_queue q = make_queue();
    q.enqueue("aaaaaaaa", "{}", t0);
    q.enqueue("bbbbbbbb", "{}", t0);
    REQUIRE(q.begin_next(t0));  // aaaaaaaa in flight (fetch keeps going)
    // The widget's page-hide loop: next_for_beacon until nullptr.
    const queued_item* beacon = q.next_for_beacon(t0, 0);
    REQUIRE(beacon);
    CHECK(beacon->id == "bbbbbbbb");
    CHECK(q.next_for_beacon(t0, 0) == nullptr);
    CHECK(q.next_for_beacon(t0, 0) == nullptr);  // a second hide sends nothing again
    CHECK(q.size() == 2);                        // kept until an answer is known (the id makes a repeat harmless)

    delivery_queue small;
    small.setup({1000, 1000, 3, 0});
    for (const char* id : {"id-1aaaaa", "id-2aaaaa", "id-3aaaaa", "id-4aaaaa"}) small.enqueue(id, "{}", t0);
    CHECK(small.size() == 3);
    CHECK(small.items[0].id == "id-2aaaaa");
    CHECK_FALSE(small.enqueue("", "{}", t0));
}

TEST_CASE("delivery: two tabs share one storage key; neither erases the other's records") {
    delivery_queue a = make_queue(), b = make_queue();
    std::string storage;  // localStorage's "npskit:q", written whole by each tab
    a.enqueue("tab-a-answer", "{\"score\":2}", t0);
    storage = std::string(std::string_view(a.to_text(storage)));
    b.enqueue("tab-b-answer", "{\"score\":9}", t0);
    storage = std::string(std::string_view(b.to_text(storage)));  // b carries a's line over
    CHECK(storage.find("tab-a-answer") != std::string::npos);
    CHECK(storage.find("tab-b-answer") != std::string::npos);

    // Tab a delivers its answer: its next save drops it, and keeps b's.
    const queued_item* sent = a.begin_next(t0);
    REQUIRE(sent);
    CHECK(a.finish(sent->serial, 202, -1, t0, 0) == send_outcome::delivered);
    storage = std::string(std::string_view(a.to_text(storage)));
    CHECK(storage.find("tab-a-answer") == std::string::npos);
    CHECK(storage.find("tab-b-answer") != std::string::npos);
    // b saves again from its own memory: a's delivered answer does not come back.
    storage = std::string(std::string_view(b.to_text(storage)));
    CHECK(storage.find("tab-a-answer") == std::string::npos);

    // Both tabs closed; a new page restores b's answer.
    delivery_queue c = make_queue();
    CHECK(c.from_text(storage, t0 + 1) == 1);
    CHECK(c.items[0].id == "tab-b-answer");

    SUBCASE("what is carried over stays within max_items, own items first") {
        delivery_queue small;
        small.setup({1000, 60000, 2, 0});
        small.enqueue("own-0000001", "{}", t0);
        small.enqueue("own-0000002", "{}", t0);
        std::string text(std::string_view(small.to_text("other-00001\t0\t1\t1\t{}\n")));
        CHECK(text.find("other-00001") == std::string::npos);
        CHECK(text.find("own-0000002") != std::string::npos);
    }
}

namespace {
// What the widget writes (append_record_json): the queue reads the type from the record's start.
std::string record(const char* id, event_type type, int score = -1) {
    wire_record r;
    r.id = id;
    r.type = type;
    r.survey = "product-nps";
    r.ts_ms = "2026-01-10T00:00:00Z";  // wire_record: the timestamp as its text
    r.score = score;
    r.comment = type == event_type::response ? "\"type\":\"shown\"" : "";  // quotes in a value are escaped
    text out;
    append_record_json(out, r);
    return std::string(std::string_view(out));
}
std::string answer_body(int score) { return record("ans-0000000", event_type::response, score); }
const std::string shown_body = record("0f8e4c2a-1b3d-4e5f-8a9b-0c1d2e3f4a5b", event_type::shown);
const std::string dismissed_body = record("0f8e-4c2a", event_type::dismissed);

// Sends the single due item and answers `status`; returns the wait until it is due again.
int64_t answer_once(delivery_queue& q, int64_t& now, int status, int64_t retry_after_ms, uint32_t random) {
    const queued_item* it = q.begin_next(now);
    REQUIRE(it);
    q.finish(it->serial, status, retry_after_ms, now, random);
    int64_t wait = q.next_wake_in(now);
    now += wait;
    return wait;
}
}  // namespace

TEST_CASE("delivery: Retry-After bounds the backoff from below, never replaces it") {
    delivery_queue q = make_queue();  // base 1 s, ceiling 60 s
    q.enqueue("id-00000001", answer_body(9), t0);
    int64_t now = t0;
    SUBCASE("Retry-After: 0 is no tight loop") {
        for (int attempt = 1; attempt <= 6; ++attempt) {
            int64_t wait = answer_once(q, now, 503, 0, 0);
            CHECK(wait >= q.backoff_ms(attempt, 0));
            CHECK(wait >= 500);
        }
    }
    SUBCASE("a short Retry-After after many failures: the longer backoff wins") {
        for (int attempt = 1; attempt <= 5; ++attempt) answer_once(q, now, 503, -1, 0);
        CHECK(answer_once(q, now, 503, 1000, 0) >= 16000);  // 6th attempt: d = 32 s, at least d/2
    }
    SUBCASE("a long Retry-After: at least that, plus a jitter that spreads clients") {
        delivery_queue other = make_queue();
        other.enqueue("id-00000001", answer_body(9), t0);
        int64_t now2 = t0;
        int64_t a = answer_once(q, now, 503, 30000, 0);
        int64_t b = answer_once(other, now2, 503, 30000, 0xffffffffu);
        CHECK(a >= 30000);
        CHECK(b >= 30000);
        CHECK(b <= 30000 + 500);  // the jitter is the backoff's: at most d/2
        CHECK(a != b);            // a constant Retry-After: 1 does not march every browser in step
    }
}

TEST_CASE("delivery: 401/403/404 keep the answer with a long backoff, 400/409/413/422 drop it") {
    delivery_queue q = make_queue();  // base 1 s
    q.enqueue("ans-0000001", answer_body(10), t0);
    int64_t now = t0;
    SUBCASE("a 404 during a redeploy, then 202: delivered") {
        const queued_item* it = q.begin_next(now);
        REQUIRE(it);
        CHECK(q.finish(it->serial, 404, -1, now, 0) == send_outcome::held);
        CHECK(q.size() == 1);
        int64_t first = q.next_wake_in(now);
        CHECK(first >= 32000);  // held: 64 x base, equal jitter: [d/2, d]
        now += first;
        int64_t second = answer_once(q, now, 403, -1, 0);
        CHECK(second >= 2 * first - 1);
        int64_t third = answer_once(q, now, 401, -1, 0);
        CHECK(third >= 2 * second - 1);
        REQUIRE((it = q.begin_next(now)));
        CHECK(q.finish(it->serial, 202, -1, now, 0) == send_outcome::delivered);
        CHECK(q.size() == 0);
    }
    SUBCASE("held for days: the backoff reaches hours, never beyond a day, until the 7-day limit") {
        int64_t longest = 0;
        int sends = 0;
        for (;;) {
            const queued_item* it = q.begin_next(now);  // expires the answer after 7 days
            if (!it) {
                int64_t wait = q.next_wake_in(now);
                if (wait < 0) break;
                now += wait;
                continue;
            }
            ++sends;
            q.finish(it->serial, 404, -1, now, 0xffffffffu);
            int64_t wait = q.next_wake_in(now);
            CHECK(wait <= 86400000);
            longest = wait > longest ? wait : longest;
            now += wait;
            REQUIRE(sends < 40);
        }
        CHECK(q.size() == 0);
        CHECK(longest >= 43200000);  // half a day to a day between the last tries
        CHECK(now - t0 > 7 * 86400000LL);
        CHECK(sends >= 10);
        CHECK(sends <= 30);
    }
    SUBCASE("the record itself is refused: dropped") {
        for (int status : {400, 409, 413, 422}) {
            q.enqueue("ans-0000002", answer_body(3), now);
            const queued_item* it = q.begin_next(now);
            while (it && it->id != "ans-0000002") it = q.begin_next(now);
            REQUIRE(it);
            CHECK(q.finish(it->serial, status, -1, now, 0) == send_outcome::dropped);
            for (size_t k = 0; k < q.size(); ++k) CHECK(q.items[k].id != "ans-0000002");
        }
    }
}

TEST_CASE("delivery: a full queue evicts display events first, never an answer for one") {
    delivery_queue q;
    q.setup({1000, 60000, 4, 0});
    q.enqueue("ans-0000001", answer_body(9), t0);
    q.enqueue("shown-00001", shown_body, t0);
    q.enqueue("ans-0000002", answer_body(7), t0);
    q.enqueue("dism-000001", dismissed_body, t0);
    REQUIRE(q.size() == 4);
    SUBCASE("an answer pushes out the oldest display event, not the oldest answer") {
        CHECK(q.enqueue("ans-0000003", answer_body(10), t0));
        CHECK(q.size() == 4);
        CHECK(q.items[0].id == "ans-0000001");
        CHECK(q.items[1].id == "ans-0000002");
        CHECK(q.items[2].id == "dism-000001");
        CHECK(q.items[3].id == "ans-0000003");
        CHECK(q.enqueue("ans-0000004", answer_body(10), t0));
        CHECK(q.items[2].id == "ans-0000003");  // dism-000001 went next
        SUBCASE("full of answers: a display event is not queued") {
            CHECK_FALSE(q.enqueue("shown-00002", shown_body, t0));
            CHECK(q.size() == 4);
            for (size_t k = 0; k < q.size(); ++k) CHECK(q.items[k].id.substr(0, 4) == "ans-");
        }
        SUBCASE("full of answers: a new answer pushes out the oldest answer") {
            CHECK(q.enqueue("ans-0000005", answer_body(1), t0));
            CHECK(q.items[0].id == "ans-0000002");
        }
    }
    SUBCASE("a display event pushes nothing out: it is not queued") {
        CHECK_FALSE(q.enqueue("shown-00002", shown_body, t0));
        CHECK(q.size() == 4);
        CHECK(q.items[1].id == "shown-00001");
        CHECK(q.items[3].id == "dism-000001");
        CHECK(q.enqueue("dism-000001", dismissed_body, t0));  // an update of a queued id still is
    }
    SUBCASE("a display event in flight is not evicted; the one waiting is") {
        const queued_item* it = q.begin_next(t0);  // ans-0000001
        REQUIRE((it = q.begin_next(t0)));
        CHECK(it->id == "shown-00001");
        CHECK(q.enqueue("ans-0000003", answer_body(10), t0));
        CHECK(q.items[1].id == "shown-00001");
        CHECK(q.items[3].id == "ans-0000003");
        for (size_t k = 0; k < q.size(); ++k) CHECK(q.items[k].id != "dism-000001");
    }
    SUBCASE("the kind is read again after a reload") {
        std::string saved(std::string_view(q.to_text()));
        delivery_queue after;
        after.setup({1000, 60000, 4, 0});
        REQUIRE(after.from_text(saved, t0 + 1) == 4);
        CHECK(after.enqueue("ans-0000003", answer_body(10), t0 + 1));
        CHECK(after.items[0].id == "ans-0000001");
        CHECK(after.items[1].id == "ans-0000002");
    }
}
