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
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "small_text.h"

namespace npskit {

//-----------------------------------------------------------------------------
// [SECTION] Desc
//-----------------------------------------------------------------------------
struct delivery_desc {
    int base_delay_ms = 0;     // = 2000, first retry
    int max_delay_ms = 0;      // = 300000 (5 min), backoff ceiling
    int max_items = 0;         // = 100 (at most delivery_queue::capacity), oldest dropped beyond
    int64_t max_age_ms = 0;    // = 7 days, then dropped
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
    dropped,    // other 4xx (and 3xx): the endpoint will never take it; warn once
    unknown,    // no such item in flight
};

struct delivery_queue {
    static constexpr int capacity = 100;  // fixed slots: no vector code in the widget
    delivery_desc desc;  // filled by setup

    void setup(const delivery_desc& d);
    // Queue a record (due at once). Returns false when `id` or `body` is empty.
    bool enqueue(std::string_view id, std::string_view body, int64_t now_ms);
    // The next item to send now, marked in flight; nullptr when nothing is due. One id is never
    // in flight twice; items keep their order.
    const queued_item* begin_next(int64_t now_ms);
    // The result of the send numbered `serial`: HTTP status (0 = network error), Retry-After in
    // ms (-1 = none), a random 32-bit number for the jitter. `unknown` for a send no longer in flight.
    send_outcome finish(uint32_t serial, int status, int64_t retry_after_ms, int64_t now_ms, uint32_t random);
    // Page is being hidden: every item not in flight and not yet attempted, marked attempted and
    // due after one backoff step (a beacon's result is never known; if it arrived, the endpoint
    // upserts the repeat by id).
    std::vector<const queued_item*> take_for_beacon(int64_t now_ms, uint32_t random);
    // The same, one item per call (nullptr when none is left): no vector for the widget.
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
    void remove(size_t k);       // keeps the order
    int64_t backoff_ms(int attempts, uint32_t random) const;  // equal jitter: [d/2, d)
    bool sibling_in_flight(const queued_item& it) const;
};

send_outcome classify_status(int status);

}  // namespace npskit
