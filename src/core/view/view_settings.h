// npskit core: what the dashboard's user picked (range, segments, conditions, bucket,
// breakdown, search, theme) and its URL-hash form. The hash speaks the shared parameter
// grammar (params.h, docs/parameters.md), so a link and `npskit score` ask the same question.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "query.h"

namespace npskit {

enum class date_preset : uint8_t { all, last_7_days, last_30_days, last_90_days, last_365_days, custom };
const char* date_preset_name(date_preset p);  // "all" | "7d" | "30d" | "90d" | "365d" | "custom"

struct view_settings {
    std::string source;  // data URL ("" = none; the collector when the page is served by it)
    std::string key;     // collector read key
    date_preset range = date_preset::all;
    int64_t custom_since_day = 0, custom_until_day = 0;  // days since 1970-01-01, both inclusive
    uint8_t segments = 0b111;                            // bit (1 << segment)
    std::vector<attribute_filter> attributes;            // conditions (params.h), at most one per key and sense
    std::string exclude_rule;                            // the exclude box as typed: "internal=true", "email=a@x.com|b@x.com"
    std::string text;                                    // comment search
    time_bucket bucket = time_bucket::week;
    std::string breakdown = "survey";  // attribute key of the breakdown table
    // A comment theme's key (ranked_theme::key, its stems: "bill", "support ticket"): only the
    // answers whose comment mentions it (themes.h rows_mentioning). In the hash as mention=.
    std::string theme;
    bool dark = false;  // UI state: the colour theme (theme=dark)
    bool operator==(const view_settings& o) const;
};

// "src=…&key=…&range=30d&seg=dp&by=month&bd=plan&where=plan%3Dpro%7Cteam&x=internal%3Dtrue&q=slow&mention=support%20ticket&theme=dark"
// Only non-default values are written; `src` and `key` first. A custom range is written
// range=SINCE..UNTIL (both bare dates: both days included, as since=SINCE&until=UNTIL would).
std::string encode_view_hash(const view_settings& v);
// Accepts a leading '#', the shared names (since, until, by, seg, segment, where) and the older
// spellings a.KEY=v1|v2 and xa.KEY=v1|v2. The dashboard keeps whole UTC days: a since/until
// timestamp widens to its day. Unknown or malformed parameters are ignored (a shared link from
// a newer version still opens).
view_settings decode_view_hash(std::string_view hash);
std::string percent_encode(std::string_view text);
std::string percent_decode(std::string_view text);
// The exclude box: KEY=v1|v2 of the condition grammar, spaces around the key and values
// forgiven, always excluding. " internal = true " → {key "internal", values {"true"}, exclude};
// empty key when malformed.
attribute_filter parse_exclude_rule(std::string_view rule);
// The filter every panel uses. Presets end at the end of the UTC day of `now_ms`.
response_filter filter_for(const view_settings& v, int64_t now_ms);

}  // namespace npskit
