#include "delivery.h"

#include "json_text.h"

namespace npskit {

delivery_desc delivery_defaults(delivery_desc d) {
    if (d.base_delay_ms <= 0) d.base_delay_ms = 2000;
    if (d.max_delay_ms <= 0) d.max_delay_ms = 300000;
    if (d.max_delay_ms < d.base_delay_ms) d.max_delay_ms = d.base_delay_ms;
    if (d.max_items <= 0 || d.max_items > delivery_queue::capacity) d.max_items = delivery_queue::capacity;
    if (d.max_age_ms <= 0) d.max_age_ms = 7 * 86400000LL;
    return d;
}

void delivery_queue::setup(const delivery_desc& d) {
    desc = delivery_defaults(d);
    clear();
}

void delivery_queue::clear() {
    while (count) remove(count - 1);
}

void delivery_queue::remove(size_t k) {
    for (; k + 1 < count; ++k) {  // swapped down: the strings' buffers move, nothing is copied
        queued_item& a = items[k];
        queued_item& b = items[k + 1];
        a.id.swap(b.id);
        a.body.swap(b.body);
        a.attempts = b.attempts;
        a.created_ms = b.created_ms;
        a.next_attempt_ms = b.next_attempt_ms;
        a.in_flight = b.in_flight;
        a.serial = b.serial;
    }
    queued_item& last = items[--count];
    last.id.clear();
    last.body.clear();
}

// Only a record the endpoint says is wrong is dropped; a missing route or a refused key (a
// redeploy, a rotated key) may be fixed within the 7 days an answer is kept.
send_outcome classify_status(int status) {
    if (status >= 200 && status < 300) return send_outcome::delivered;
    if (status == 400 || status == 409 || status == 413 || status == 422) return send_outcome::dropped;
    if (status == 0 || status == 408 || status == 429 || status >= 500) return send_outcome::retry;
    return send_outcome::held;
}

int64_t delivery_queue::backoff_ms(int attempts, uint32_t random, int64_t at_least, bool held) const {
    int64_t d = desc.base_delay_ms, cap = held ? 86400000 : desc.max_delay_ms;
    for (int k = held ? -5 : 1; k < attempts && d < cap; ++k) d *= 2;  // held: 64 x base first
    if (d > cap) d = cap;
    d /= 2;
    return (at_least > d ? at_least : d) + static_cast<int64_t>(random % static_cast<uint32_t>(d + 1));
}

// A "shown" or "dismissed" record: append_record_json starts every record with
// {"v":1,"id":"<id>","type":"<type>" (tests/unit-delivery.cpp holds it to that) and a record id
// holds no quote. Anything else counts as an answer: what the queue cannot read, it keeps.
static bool is_display(std::string_view body) {
    size_t at = find_byte(body, '"', 13) + 10;  // past the id's closing quote and ,"type":"
    return at < body.size() && (body[at] == 's' || body[at] == 'd');
}

bool delivery_queue::enqueue(std::string_view id, std::string_view body, int64_t now_ms) {
    if (id.empty() || body.empty()) return false;
    for (size_t k = 0; k < count; ++k) {
        queued_item& it = items[k];
        if (it.id == id && !it.in_flight) {  // not left yet: send the newer record instead
            it.body = body;
            return true;
        }
    }
    if (count >= static_cast<size_t>(desc.max_items)) {
        // Full: a display event is not queued (it never pushes anything out); an answer pushes out
        // the oldest display event not in flight, else the oldest answer not in flight.
        if (is_display(body)) return false;
        size_t k = count, answer = count - 1;
        for (size_t j = count; j--;)
            if (!items[j].in_flight) (is_display(items[j].body) ? k : answer) = j;
        remove(k < count ? k : answer);
    }
    queued_item& item = items[count++];
    item.id = id;
    item.body = body;
    item.attempts = 0;
    item.in_flight = false;
    item.created_ms = item.next_attempt_ms = now_ms;
    return true;
}

// Another record with the same id is in flight (it waits: one id is never in flight twice).
bool delivery_queue::sibling_in_flight(const queued_item& it) const {
    for (size_t k = 0; k < count; ++k)
        if (items[k].in_flight && items[k].id == it.id) return true;
    return false;
}

const queued_item* delivery_queue::begin_next(int64_t now_ms) {
    // One pass: old items expire on the way (the platform calls this until nullptr, so every
    // one is looked at).
    for (size_t k = 0; k < count;) {
        queued_item& it = items[k];
        if (!it.in_flight && now_ms - it.created_ms > desc.max_age_ms) {
            remove(k);
            continue;
        }
        if (!it.in_flight && it.next_attempt_ms <= now_ms && !sibling_in_flight(it)) {
            it.in_flight = true;
            it.serial = ++last_serial;
            ++it.attempts;
            return &it;
        }
        ++k;
    }
    return nullptr;
}

send_outcome delivery_queue::finish(uint32_t serial, int status, int64_t retry_after_ms, int64_t now_ms, uint32_t random) {
    size_t k = 0;
    while (k < count && !(items[k].in_flight && items[k].serial == serial)) ++k;
    if (k == count) return send_outcome::unknown;
    std::string_view id = items[k].id;
    send_outcome outcome = classify_status(status);
    queued_item& it = items[k];
    it.in_flight = false;
    it.next_attempt_ms = now_ms + backoff_ms(it.attempts, random, retry_after_ms, outcome == send_outcome::held);
    bool gone = outcome == send_outcome::delivered || outcome == send_outcome::dropped;
    if (gone) finished[finished_count++ % 32] = hash_text(id);
    // Retried while a newer record with the same id waits: that one replaces it, with its wait.
    for (size_t j = 0; j < count && !gone; ++j) {
        if (j != k && items[j].id == id && !items[j].in_flight) {
            items[j].attempts = it.attempts;
            items[j].next_attempt_ms = it.next_attempt_ms;
            gone = true;
        }
    }
    if (gone) remove(k);
    return outcome;
}

const queued_item* delivery_queue::next_for_beacon(int64_t now_ms, uint32_t random) {
    for (size_t k = 0; k < count; ++k) {
        queued_item& it = items[k];
        if (it.in_flight || it.attempts > 0 || sibling_in_flight(it)) continue;
        ++it.attempts;
        it.next_attempt_ms = now_ms + backoff_ms(it.attempts, random);
        return &it;
    }
    return nullptr;
}

int64_t delivery_queue::next_wake_in(int64_t now_ms) const {
    int64_t best = -1;
    for (size_t k = 0; k < count; ++k) {
        const queued_item& it = items[k];
        if (it.in_flight) continue;
        // Waiting behind the same id in flight: finish() wakes it, not the clock.
        if (sibling_in_flight(it)) continue;
        int64_t in = it.next_attempt_ms > now_ms ? it.next_attempt_ms - now_ms : 0;
        if (best < 0 || in < best) best = in;
    }
    return best;
}

// id \t attempts \t created \t next \t body \n — a body never holds a raw tab or newline
// (json_text's writer escapes every control character).
text delivery_queue::to_text(std::string_view stored) const {
    text out;
    for (size_t k = 0; k < count; ++k) {
        const queued_item& it = items[k];
        out += it.id;
        for (int64_t n : {static_cast<int64_t>(it.attempts), it.created_ms, it.next_attempt_ms}) {
            out += '\t';
            append_integer(out, n);
        }
        out += '\t';
        out += it.body;
        out += '\n';
    }
    size_t lines = count;
    for (size_t pos = 0; pos < stored.size() && lines < static_cast<size_t>(desc.max_items);) {
        size_t end = find_byte(stored, '\n', pos);
        if (end == std::string_view::npos) end = stored.size();
        std::string_view line = stored.substr(pos, end - pos), id = line.substr(0, find_byte(line, '\t'));
        pos = end + 1;
        bool known = false;
        uint64_t h = hash_text(id);
        for (size_t k = 0; k < count; ++k) known = known || items[k].id == id;
        for (uint64_t f : finished) known = known || f == h;
        if (known || id.size() == line.size()) continue;  // ours, finished here, or not an item line
        out += line;
        out += '\n';
        ++lines;
    }
    return out;
}

size_t delivery_queue::from_text(std::string_view text, int64_t now_ms) {
    clear();
    size_t pos = 0;
    while (pos < text.size() && count < static_cast<size_t>(desc.max_items)) {
        size_t end = find_byte(text, '\n', pos);
        if (end == std::string_view::npos) end = text.size();
        std::string_view line = text.substr(pos, end - pos);
        pos = end + 1;
        // id \t attempts \t created \t next \t body
        size_t tab = find_byte(line, '\t'), used = 0;
        if (tab == 0 || tab == std::string_view::npos) continue;
        std::string_view rest = line.substr(tab + 1);
        int64_t numbers[3];
        if (read_integers(rest, '\t', numbers, 3, used) != 3 || rest[used - 1] != '\t') continue;
        std::string_view body = rest.substr(used);
        if (body.empty() || body[0] != '{') continue;
        queued_item& it = items[count];
        it.created_ms = numbers[1];
        it.next_attempt_ms = numbers[2];
        if (now_ms - it.created_ms > desc.max_age_ms) continue;
        it.id = line.substr(0, tab);
        it.body = body;
        it.attempts = static_cast<int>(numbers[0]);
        it.in_flight = false;
        ++count;
    }
    return count;
}

}  // namespace npskit
