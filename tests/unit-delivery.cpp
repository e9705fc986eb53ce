// delivery: the send queue with a fake clock and a scripted endpoint.
#include <doctest/doctest.h>

#include "delivery.h"

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
    CHECK(second != first);  // each send has its own serial
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
    SUBCASE("old items expire") {
        CHECK(after.from_text(saved, t0 + 8 * 86400000LL) == 0);
    }
}

TEST_CASE("delivery: page hide hands out unsent items once, bounded queue") {
    delivery_queue q = make_queue();
    q.enqueue("aaaaaaaa", "{}", t0);
    q.enqueue("bbbbbbbb", "{}", t0);
    REQUIRE(q.begin_next(t0));  // aaaaaaaa in flight (fetch keeps going)
    auto beacon = q.take_for_beacon(t0, 0);
    REQUIRE(beacon.size() == 1);
    CHECK(beacon[0]->id == "bbbbbbbb");
    CHECK(q.take_for_beacon(t0, 0).empty());
    CHECK(q.size() == 2);  // kept until an answer is known (the id makes a repeat harmless)

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
