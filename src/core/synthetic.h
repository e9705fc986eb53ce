// npskit core: the deterministic demo data generator.
// Same desc → same records, byte for byte, natively and in wasm: only integer arithmetic
// and our own PRNG (no <random> distributions, no libm), so libstdc++ and libc++ agree.
//
// What a seeded demo looks like (defaults):
//   - 20,000 answered responses over 12 months ending at `end_ms`, fewer on weekends,
//     office hours weighted, slow growth over the year
//   - attributes plan (free/pro/enterprise), country; trigger, page, locale, survey, user
//   - English and French comments (locale follows the country) that fit their scores
//   - NPS around +30, a dip of ~25 points about two thirds into the range (a "sync" release
//     regression: its detractors talk about sync and slowness), then a recovery
//   - display events: one 'shown' before every answer, more 'shown' without an answer,
//     some of them 'dismissed' (response rate ~40 %, lower during the dip)
//
// [SECTION] Description
// [SECTION] Generation
#pragma once
#include <cstdint>
#include <functional>

#include "schema.h"

namespace npskit {

//-----------------------------------------------------------------------------
// [SECTION] Description
//-----------------------------------------------------------------------------
struct synthetic_desc {
    uint64_t responses = 20000;  // answered responses (display events come on top)
    uint64_t seed = 42;
    int months = 12;             // = 12; length of the range in 30.4-day months, 1..120
    int64_t end_ms = 0;          // = 0: 2026-01-01T00:00:00Z; the range ends just before
    bool display_events = true;  // = true; 'shown' / 'dismissed' records too
};

struct synthetic_stats {
    uint64_t responses = 0, shown = 0, dismissed = 0, comments = 0;
    int64_t first_ms = 0, last_ms = 0;
};

constexpr int64_t synthetic_default_end_ms = 1767225600000;  // 2026-01-01T00:00:00Z

//-----------------------------------------------------------------------------
// [SECTION] Generation
//-----------------------------------------------------------------------------
// Calls `sink` once per record, in time order (ties by id). Records are valid schema v1
// (parse_response(response_to_json(r)) succeeds). Ids are unique for a (seed) and stable.
synthetic_stats generate_synthetic(const synthetic_desc& desc, const std::function<void(const response&)>& sink);

}  // namespace npskit
