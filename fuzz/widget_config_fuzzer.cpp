// libFuzzer: what the widget reads from the host page and from localStorage, all untrusted.
// The first byte picks the reader for the rest:
//   0: the config as JSON (tagged_from_json, data-triggers / init options) → rules and a decision
//   1: the config as tagged text (how the JS shim hands over a JS value), read in place
//   2: the delivery queue as stored in localStorage (delivery_queue::from_text)
// Invariants: no crash or sanitizer report; rules stay within their documented bounds; a
// restored queue respects its item cap, round-trips through to_text, and every item's body
// comes back unchanged.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "delivery.h"
#include "json_text.h"
#include "rules.h"

// Reads every rule from `layers` and decides on an event whose properties are the config itself.
static void check_rules(std::string_view layers) {
    npskit::config_layers config{layers};
    npskit::survey_rules rules = npskit::read_survey_rules(config);
    if (rules.sample_percent < 0 || rules.sample_percent > 100) std::abort();
    if (rules.wait_after_answer_days < 0 || rules.wait_after_dismiss_days < 0 || rules.cooldown_days < 0) std::abort();
    if (rules.max_displays < 0 || rules.new_user_days < 0) std::abort();
    npskit::tagged value(layers);
    if (value.span().size() > layers.size()) std::abort();
    for (const char* event : {"trial_ended", "*", "e"}) {
        npskit::decision d = npskit::decide_on_event(rules, {}, {event, value, "/app/settings?x=1", "user-1", "s", 0});
        if (d.delay_ms < 0 || d.delay_ms > 3600000) std::abort();
    }
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size < 1) return 0;
    std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
    switch (data[0] % 3) {
        case 0: {
            std::string tagged;
            if (npskit::tagged_from_json(rest, tagged)) check_rules(tagged);
            break;
        }
        case 1: check_rules(rest); break;
        case 2: {
            npskit::delivery_queue q;
            q.setup(npskit::delivery_defaults({}));
            const int64_t now = 1767225600000;  // 2026-01-01
            q.from_text(rest, now);
            if (q.size() > static_cast<size_t>(q.desc.max_items)) std::abort();
            std::string text = q.to_text();
            npskit::delivery_queue again;
            again.setup(q.desc);
            again.from_text(text, now);
            if (again.size() != q.size()) std::abort();
            for (size_t i = 0; i < q.size(); ++i)
                if (again.items[i].id != q.items[i].id || again.items[i].body != q.items[i].body) std::abort();
            if (again.to_text() != text) std::abort();
            break;
        }
    }
    return 0;
}
