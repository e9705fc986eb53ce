// npskit core: the send queue as a state machine. No I/O: the platform asks what to send,
// sends it, and reports the HTTP status back; the clock and the random numbers are passed in.
//
// [SECTION] Desc (zero = default)
// [SECTION] Queue
// [SECTION] Persistence (one line per item; survives reloads through the platform's storage)
//
// Items are keyed by the record id (the idempotency key). A later record with the same id (the
// comment after the score) replaces the queued one when it has not left yet, or waits behind the
// one in flight; it always holds the whole record, so the endpoint simply upserts by id.
//
// Answers outrank display events: a full queue evicts display events first and never evicts
// anything for a new display event. Only a status that says "this record is wrong" (400, 409,
// 413, 422) drops an answer; an endpoint that is missing or refuses the key for now (401, 403,
// 404 in a redeploy) gets the answer again after a long backoff, until the 7-day limit.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

#include "small_text.h"

namespace npskit {

//-----------------------------------------------------------------------------
// [SECTION] Desc
//-----------------------------------------------------------------------------
struct delivery_desc {
    int base_delay_ms = 0;   // = 2000, first retry
    int max_delay_ms = 0;    // = 300000 (5 min), backoff ceiling
    int max_items = 0;       // = 100 (at most delivery_queue::capacity), display events dropped first
    int64_t max_age_ms = 0;  // = 7 days, then dropped
};
delivery_desc delivery_defaults(delivery_desc d);

//-----------------------------------------------------------------------------
// [SECTION] Queue
//-----------------------------------------------------------------------------
struct queued_item {
    text id;
    text body;
    int attempts = 0;
    int64_t created_ms = 0;
    int64_t next_attempt_ms = 0;  // due when now >= this
    bool in_flight = false;       // not persisted: an in-flight item is due again after a reload
    uint32_t serial = 0;          // this send's number: the platform reports the result with it
};

enum class send_outcome : uint8_t {
    delivered,  // 2xx
    retry,      // network error (status 0), 408, 429, 5xx: scheduled with backoff
    dropped,    // 400, 409, 413, 422: the endpoint will never take this record; warn once
    held,       // any other status (401, 403, 404, 3xx, ...): kept, retried after a long backoff
    unknown,    // no such item in flight
};

struct delivery_queue {
    static constexpr int capacity = 100;  // fixed slots: no vector code in the widget
    delivery_desc desc;                   // filled by setup

    void setup(const delivery_desc& d);
    // Queue a record (due at once). Returns false when `id` or `body` is empty, or when the queue
    // is full and this is a new display event (it is not queued: it never pushes anything out).
    // A new answer in a full queue evicts the oldest display event not in flight, else the oldest
    // answer not in flight.
    bool enqueue(std::string_view id, std::string_view body, int64_t now_ms);
    // The next item to send now, marked in flight; nullptr when nothing is due. One id is never
    // in flight twice; items keep their order.
    const queued_item* begin_next(int64_t now_ms);
    // The result of the send numbered `serial`: HTTP status (0 = network error), Retry-After in
    // ms (-1 = none; the platform clamps it to 0..86400000), a random 32-bit number for the jitter.
    // The wait is max(backoff, Retry-After) plus jitter: Retry-After bounds the backoff from below,
    // never shortens it (Retry-After: 0 is no tight loop, a constant one does not march every
    // client in step). `unknown` for a send no longer in flight.
    send_outcome finish(uint32_t serial, int status, int64_t retry_after_ms, int64_t now_ms, uint32_t random);
    // Page is being hidden: the next item not in flight and not yet attempted, marked attempted
    // and due after one backoff step (a beacon's result is never known; if it arrived, the endpoint
    // upserts the repeat by id); nullptr when none is left. Called until nullptr.
    const queued_item* next_for_beacon(int64_t now_ms, uint32_t random);
    // Milliseconds until the next item is due (0 = now), or -1 when nothing waits on the clock
    // (an item behind the same id in flight waits for finish(), not for a timer).
    int64_t next_wake_in(int64_t now_ms) const;
    size_t size() const { return count; }
    void clear();

    // Every tab of a page shares one storage key but holds its own queue: a save carries over
    // the lines of `stored` (what is in storage now) whose id this queue neither holds nor has
    // finished, after its own items, up to max_items. So no tab erases another tab's records.
    text to_text(std::string_view stored = {}) const;
    // Replaces the content; skips malformed lines. Returns the number of items restored.
    size_t from_text(std::string_view text, int64_t now_ms);

    queued_item items[capacity];  // items[0 .. count), oldest first
    size_t count = 0;
    uint32_t last_serial = 0;
    uint64_t finished[32] = {};  // hashes of the ids delivered or dropped here lately (a ring)
    uint32_t finished_count = 0;
    void remove(size_t k);  // keeps the order
    // Equal jitter: max(d/2, at_least) + [0, d/2], d doubling from base_delay_ms up to
    // max_delay_ms; `held` starts at 64 x base and goes up to one day.
    int64_t backoff_ms(int attempts, uint32_t random, int64_t at_least = 0, bool held = false) const;
    bool sibling_in_flight(const queued_item& it) const;
};

send_outcome classify_status(int status);

}  // namespace npskit
