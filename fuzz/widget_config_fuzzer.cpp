// libFuzzer: what the widget reads from the host page and from localStorage, all untrusted.
// The first byte picks the reader for the rest:
//   0: the config as JSON (parse_json_text, data-triggers / init options) → read_survey_rules
//   1: the config as tagged text (parse_tagged_text, how the JS shim hands over a JS value)
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

static void check_rules(const npskit::json_value& v) {
    npskit::survey_rules rules;
    npskit::read_survey_rules(v, rules);
    if (rules.sample_percent < 0 || rules.sample_percent > 100) std::abort();
    if (rules.wait_after_answer_days < 0 || rules.wait_after_dismiss_days < 0 || rules.cooldown_days < 0) std::abort();
    if (rules.max_displays < 0 || rules.new_user_days < 0) std::abort();
    for (const auto& t : rules.triggers)
        if (t.delay_ms < 0 || t.delay_ms > 3600000) std::abort();
    for (const auto& p : rules.paths) (void)npskit::path_matches(p, "/app/settings?x=1");
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size < 1) return 0;
    std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
    npskit::json_value v;
    switch (data[0] % 3) {
        case 0:
            if (npskit::parse_json_text(rest, v)) check_rules(v);
            break;
        case 1:
            if (npskit::parse_tagged_text(rest, v)) check_rules(v);
            break;
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
