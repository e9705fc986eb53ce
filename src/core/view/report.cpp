#include "report.h"

#include <algorithm>
#include <cstdio>

#include <nlohmann/json.hpp>

#include "calendar.h"

namespace npskit {

//-----------------------------------------------------------------------------
// [SECTION] View settings and the URL hash
//-----------------------------------------------------------------------------
const char* date_preset_name(date_preset p) {
    switch (p) {
        case date_preset::all: return "all";
        case date_preset::last_7_days: return "7d";
        case date_preset::last_30_days: return "30d";
        case date_preset::last_90_days: return "90d";
        case date_preset::last_365_days: return "365d";
        case date_preset::custom: return "custom";
    }
    return "all";
}

std::string percent_encode(std::string_view text) {
    static const char hex[] = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : text) {
        bool keep = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
                    c == '_' || c == '.' || c == '~' || c == ':' || c == '/';
        if (keep) {
            out.push_back(static_cast<char>(c));
        } else {
            out.push_back('%');
            out.push_back(hex[c >> 4]);
            out.push_back(hex[c & 15]);
        }
    }
    return out;
}

static int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

std::string percent_decode(std::string_view text) {
    std::string out;
    for (size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '%' && i + 2 < text.size() + 0 && hex_value(text[i + 1]) >= 0 && hex_value(text[i + 2]) >= 0) {
            out.push_back(static_cast<char>(hex_value(text[i + 1]) * 16 + hex_value(text[i + 2])));
            i += 2;
        } else if (text[i] == '+') {
            out.push_back(' ');
        } else {
            out.push_back(text[i]);
        }
    }
    return out;
}

static std::vector<std::string> split(std::string_view text, char sep) {
    std::vector<std::string> parts;
    size_t start = 0;
    while (start <= text.size()) {
        size_t end = text.find(sep, start);
        if (end == std::string_view::npos) end = text.size();
        parts.emplace_back(text.substr(start, end - start));
        start = end + 1;
    }
    return parts;
}

static std::string join(const std::vector<std::string>& parts, char sep) {
    std::string out;
    for (size_t i = 0; i < parts.size(); ++i) {
        if (i) out.push_back(sep);
        out += parts[i];
    }
    return out;
}

bool view_settings::operator==(const view_settings& o) const {
    if (attributes.size() != o.attributes.size()) return false;
    for (size_t i = 0; i < attributes.size(); ++i) {
        const auto &a = attributes[i], &b = o.attributes[i];
        if (a.key != b.key || a.values != b.values || a.exclude != b.exclude) return false;
    }
    return source == o.source && key == o.key && range == o.range && custom_since_day == o.custom_since_day &&
           custom_until_day == o.custom_until_day && segments == o.segments && exclude_rule == o.exclude_rule &&
           text == o.text && bucket == o.bucket && breakdown == o.breakdown && dark == o.dark;
}

attribute_filter parse_exclude_rule(std::string_view rule) {
    attribute_filter f;
    f.exclude = true;
    size_t eq = rule.find('=');
    if (eq == std::string_view::npos || eq == 0 || eq + 1 >= rule.size()) return f;
    std::string key(rule.substr(0, eq));
    while (!key.empty() && key.back() == ' ') key.pop_back();
    while (!key.empty() && key.front() == ' ') key.erase(key.begin());
    for (auto& v : split(rule.substr(eq + 1), '|')) {
        while (!v.empty() && v.front() == ' ') v.erase(v.begin());
        while (!v.empty() && v.back() == ' ') v.pop_back();
        if (!v.empty()) f.values.push_back(v);
    }
    if (!f.values.empty()) f.key = key;
    return f;
}

std::string encode_view_hash(const view_settings& v) {
    std::vector<std::string> parts;
    auto add = [&](const std::string& name, std::string_view value) { parts.push_back(name + "=" + percent_encode(value)); };
    if (!v.source.empty()) add("src", v.source);
    if (!v.key.empty()) add("key", v.key);
    if (v.range == date_preset::custom) {
        add("range", format_date(v.custom_since_day) + ".." + format_date(v.custom_until_day));
    } else if (v.range != date_preset::all) {
        add("range", date_preset_name(v.range));
    }
    if (v.segments != 0b111) {
        std::string seg;
        if (v.segments & 1) seg += 'd';
        if (v.segments & 2) seg += 'p';
        if (v.segments & 4) seg += 'P';
        add("seg", seg.empty() ? "none" : seg);
    }
    if (v.bucket != time_bucket::week) add("by", time_bucket_name(v.bucket));
    if (v.breakdown != "survey") add("bd", v.breakdown.empty() ? "none" : v.breakdown);
    for (const auto& f : v.attributes)
        if (!f.key.empty() && !f.values.empty()) add((f.exclude ? "xa." : "a.") + percent_encode(f.key), join(f.values, '|'));
    if (!v.exclude_rule.empty()) add("x", v.exclude_rule);
    if (!v.text.empty()) add("q", v.text);
    if (v.dark) add("theme", "dark");
    return join(parts, '&');
}

view_settings decode_view_hash(std::string_view hash) {
    view_settings v;
    if (!hash.empty() && hash[0] == '#') hash.remove_prefix(1);
    if (hash.empty()) return v;
    for (const auto& part : split(hash, '&')) {
        size_t eq = part.find('=');
        if (eq == std::string::npos) continue;
        std::string name = percent_decode(std::string_view(part).substr(0, eq));
        std::string value = percent_decode(std::string_view(part).substr(eq + 1));
        if (name == "src") v.source = value;
        else if (name == "key") v.key = value;
        else if (name == "range") {
            size_t dots = value.find("..");
            if (dots != std::string::npos) {
                auto a = parse_timestamp(value.substr(0, dots), true);
                auto b = parse_timestamp(value.substr(dots + 2), true);
                if (a && b && *a <= *b) {
                    v.range = date_preset::custom;
                    v.custom_since_day = floor_div(*a, ms_per_day);
                    v.custom_until_day = floor_div(*b, ms_per_day);
                }
            } else {
                for (date_preset p : {date_preset::all, date_preset::last_7_days, date_preset::last_30_days,
                                      date_preset::last_90_days, date_preset::last_365_days})
                    if (value == date_preset_name(p)) v.range = p;
            }
        } else if (name == "seg") {
            uint8_t s = 0;
            for (char c : value) s |= c == 'd' ? 1 : c == 'p' ? 2 : c == 'P' ? 4 : 0;
            v.segments = s;
        } else if (name == "by") {
            for (time_bucket b : {time_bucket::day, time_bucket::week, time_bucket::month})
                if (value == time_bucket_name(b)) v.bucket = b;
        } else if (name == "bd") {
            v.breakdown = value == "none" ? "" : value;
        } else if (name.rfind("a.", 0) == 0 || name.rfind("xa.", 0) == 0) {
            attribute_filter f;
            f.exclude = name[0] == 'x';
            f.key = name.substr(f.exclude ? 3 : 2);
            for (auto& val : split(value, '|'))
                if (!val.empty()) f.values.push_back(val);
            if (!f.key.empty() && !f.values.empty()) v.attributes.push_back(std::move(f));
        } else if (name == "x") {
            v.exclude_rule = value;
        } else if (name == "q") {
            v.text = value;
        } else if (name == "theme") {
            v.dark = value == "dark";
        }
    }
    return v;
}

response_filter filter_for(const view_settings& v, int64_t now_ms) {
    response_filter f;
    int64_t end_day = floor_div(now_ms, ms_per_day) + 1;  // exclusive: tomorrow 00:00 UTC
    int days = 0;
    switch (v.range) {
        case date_preset::all: break;
        case date_preset::last_7_days: days = 7; break;
        case date_preset::last_30_days: days = 30; break;
        case date_preset::last_90_days: days = 90; break;
        case date_preset::last_365_days: days = 365; break;
        case date_preset::custom:
            f.since_ms = v.custom_since_day * ms_per_day;
            f.until_ms = (v.custom_until_day + 1) * ms_per_day;
            break;
    }
    if (days) {
        f.since_ms = (end_day - days) * ms_per_day;
        f.until_ms = end_day * ms_per_day;
    }
    f.segments = v.segments;
    f.attributes = v.attributes;
    if (!v.exclude_rule.empty()) {
        attribute_filter rule = parse_exclude_rule(v.exclude_rule);
        if (!rule.key.empty()) f.attributes.push_back(std::move(rule));
    }
    f.text = v.text;
    return f;
}

//-----------------------------------------------------------------------------
// [SECTION] The report
//-----------------------------------------------------------------------------
const char* nps_band_name(double nps) {
    if (nps < 0) return "needs work";
    if (nps < 30) return "good";
    if (nps < 50) return "great";
    return "excellent";
}

void sort_breakdown(std::vector<breakdown_row>& rows, breakdown_column by, bool descending) {
    auto key_less = [by](const breakdown_row& a, const breakdown_row& b) {
        switch (by) {
            case breakdown_column::value: return a.value < b.value;
            case breakdown_column::n: return a.score.n < b.score.n;
            case breakdown_column::nps:
                // Groups without a score sort below every scored group.
                if (a.score.has_score != b.score.has_score) return !a.score.has_score;
                return a.score.nps < b.score.nps;
            case breakdown_column::difference: return a.difference < b.difference;
        }
        return false;
    };
    std::stable_sort(rows.begin(), rows.end(), [&](const breakdown_row& a, const breakdown_row& b) {
        return descending ? key_less(b, a) : key_less(a, b);
    });
}

report build_report(const response_store& store, const report_desc& desc) {
    report r;
    r.bucket = desc.bucket;
    r.breakdown_key = desc.breakdown_key;
    const response_filter& filter = desc.filter;

    // The period: the filter's, or the data's span when the filter is open-ended; the previous
    // period has the same length and ends where this one starts.
    headline_view& h = r.headline;
    h.since_ms = filter.since_ms != std::numeric_limits<int64_t>::min() ? filter.since_ms : store.min_time_ms;
    h.until_ms = filter.until_ms != std::numeric_limits<int64_t>::max() ? filter.until_ms : store.max_time_ms + 1;
    const bool want_previous = store.size() && h.until_ms > h.since_ms;
    if (want_previous) h.previous_since_ms = h.since_ms - (h.until_ms - h.since_ms);

    // One pass for the trend, the breakdown and the previous period (query.h: count_for_report).
    // A text search scans the comment pool once; both passes visit only the rows it found.
    std::vector<uint32_t> text_rows;
    if (!filter.text.empty()) text_rows = rows_with_text(store, filter.text);
    const std::vector<uint32_t>* text = filter.text.empty() ? nullptr : &text_rows;
    report_counts counts = count_for_report(store, filter, desc.bucket, desc.utc_offset_minutes, desc.breakdown_key,
                                            want_previous ? h.previous_since_ms : 0, want_previous ? h.since_ms : 0, text);
    // The trend's buckets sum to the headline.
    const std::vector<group_stats>& groups = counts.trend;
    score_histogram total;
    const score_histogram* before = nullptr;
    r.trend.reserve(groups.size());
    for (const auto& g : groups) {
        trend_point p;
        p.key = g.key;
        p.start_ms = g.start_ms;
        p.score = score_nps(g.histogram, desc.confidence);
        p.shown = g.shown;
        p.dismissed = g.dismissed;
        if (before) p.vs_previous = compare_nps(g.histogram, *before, desc.confidence);
        before = &g.histogram;
        total += g.histogram;
        r.rate.shown += g.shown;
        r.rate.dismissed += g.dismissed;
        r.trend.push_back(std::move(p));
    }
    h.histogram = total;
    h.score = score_nps(total, desc.confidence);
    r.rate.answered = total.n();
    if (r.rate.shown) {
        r.rate.answer_rate = static_cast<double>(r.rate.answered) / static_cast<double>(r.rate.shown);
        r.rate.dismiss_rate = static_cast<double>(r.rate.dismissed) / static_cast<double>(r.rate.shown);
    }
    if (want_previous) {
        h.previous = score_nps(counts.previous.histogram, desc.confidence);
        h.has_previous = h.previous.has_score;
        if (h.has_previous) h.change = compare_nps(total, counts.previous.histogram, desc.confidence);
    }

    if (!desc.breakdown_key.empty()) {
        for (auto& g : counts.breakdown) {
            breakdown_row row;
            row.value = g.key;
            row.score = score_nps(g.histogram, desc.confidence);
            if (row.score.has_score && h.score.has_score) row.difference = row.score.nps - h.score.nps;
            score_histogram rest = total;
            for (size_t i = 0; i < rest.bins.size(); ++i) rest.bins[i] -= g.histogram.bins[i];
            row.vs_rest = compare_nps(g.histogram, rest, desc.confidence);
            r.breakdown.push_back(std::move(row));
        }
        sort_breakdown(r.breakdown, breakdown_column::n, true);
    }

    // Comments: the newest ones list; their themes per segment.
    response_filter with_comment = filter;
    with_comment.with_comment = true;
    size_t wanted = std::max(desc.comment_limit, desc.theme_sample);
    std::vector<uint32_t> rows;
    if (store.time_sorted || !filter.text.empty()) {
        // Walks back from the newest row (or over the rows the text search found): no sort.
        rows = newest_responses(store, with_comment, wanted, text);
    } else {
        // Only the newest rows are wanted: ask for a recent window first (sorting every matching
        // row of a million is the slow part), widening it until it holds enough rows. Exact: all
        // rows inside a window are newer than any row outside it.
        int64_t end = std::min(filter.until_ms, store.max_time_ms + 1);
        int64_t begin = std::max(filter.since_ms, store.min_time_ms);
        for (int64_t span = std::max<int64_t>((end - begin) / 32, ms_per_day);; span *= 4) {
            bool whole = end - span <= begin;
            with_comment.since_ms = whole ? filter.since_ms : end - span;
            rows = matching_responses(store, with_comment, wanted);
            if (whole || rows.size() >= wanted) break;
        }
    }
    std::array<theme_counter, 3> counters;
    theme_corpus corpus;
    const attribute_column* locales = store.attribute("locale");
    for (size_t i = 0; i < rows.size(); ++i) {
        uint32_t row = rows[i];
        int score = store.slots[row];
        if (i < desc.comment_limit) r.comments.push_back({row, store.times_ms[row], score});
        if (i < desc.theme_sample) {
            const auto seg = static_cast<uint32_t>(segment_of(score));
            counters[seg].add(store.comment(row));
            corpus.add(store.comment(row), score, seg, locales && row < locales->codes.size() ? locales->value_of(locales->codes[row]) : "");
        }
    }
    std::vector<std::vector<ranked_theme>> ranked;
    for (size_t s = 0; s < 3; ++s) {
        r.themes[s] = counters[s].top(desc.themes);
        r.themed_comments[s] = counters[s].comments();
        r.distinctive_themes[s] = corpus.rank(static_cast<uint32_t>(s), desc.ranked_themes);
        ranked.push_back(r.distinctive_themes[s]);
    }
    r.theme_drivers = theme_drivers(ranked, 2 * desc.ranked_themes.top);
    return r;
}

//-----------------------------------------------------------------------------
// [SECTION] JSON
//-----------------------------------------------------------------------------
static nlohmann::json score_json(const nps_result& s) {
    nlohmann::json j = {{"n", s.n}, {"promoters", s.promoters}, {"passives", s.passives}, {"detractors", s.detractors}};
    if (s.has_score) {
        j["nps"] = s.nps;
        j["nps_rounded"] = round_half_away(s.nps);
        j["ci_low"] = s.ci_low;
        j["ci_high"] = s.ci_high;
        j["margin"] = s.margin;
    } else {
        j["nps"] = nullptr;
        j["nps_rounded"] = nullptr;
        j["ci_low"] = nullptr;
        j["ci_high"] = nullptr;
        j["margin"] = nullptr;
    }
    return j;
}

static nlohmann::json comparison_json(const nps_comparison& c) {
    if (!c.valid) return nullptr;
    return {{"difference", c.difference}, {"ci_low", c.ci_low}, {"ci_high", c.ci_high},
            {"p_value", c.p_value}, {"significant", c.significant}};
}

std::string report_to_json(const report& r, const response_store& store, int indent) {
    const headline_view& h = r.headline;
    nlohmann::json j = score_json(h.score);
    j["histogram"] = h.histogram.bins;
    j["band"] = h.score.has_score ? nlohmann::json(nps_band_name(h.score.nps)) : nlohmann::json(nullptr);
    j["period"] = {{"since", format_timestamp(h.since_ms)}, {"until", format_timestamp(h.until_ms)}};
    j["previous"] = h.has_previous ? score_json(h.previous) : nlohmann::json(nullptr);
    j["change"] = h.has_previous ? comparison_json(h.change) : nlohmann::json(nullptr);
    j["by"] = time_bucket_name(r.bucket);
    nlohmann::json groups = nlohmann::json::array();
    for (const auto& p : r.trend) {
        nlohmann::json g = score_json(p.score);
        g["key"] = p.key;
        g["start"] = format_timestamp(p.start_ms);
        g["shown"] = p.shown;
        g["dismissed"] = p.dismissed;
        g["vs_previous"] = comparison_json(p.vs_previous);
        groups.push_back(std::move(g));
    }
    j["groups"] = std::move(groups);
    j["rate"] = {{"shown", r.rate.shown}, {"answered", r.rate.answered}, {"dismissed", r.rate.dismissed},
                 {"answer_rate", r.rate.answer_rate}, {"dismiss_rate", r.rate.dismiss_rate}};
    nlohmann::json breakdown = nlohmann::json::array();
    for (const auto& row : r.breakdown) {
        nlohmann::json b = score_json(row.score);
        b["value"] = row.value;
        b["difference"] = row.score.has_score ? nlohmann::json(row.difference) : nlohmann::json(nullptr);
        b["vs_rest"] = comparison_json(row.vs_rest);
        breakdown.push_back(std::move(b));
    }
    j["breakdown"] = {{"by", r.breakdown_key}, {"rows", std::move(breakdown)}};
    nlohmann::json themes = nlohmann::json::object();
    for (size_t s = 0; s < 3; ++s) {
        nlohmann::json list = nlohmann::json::array();
        for (const auto& t : r.themes[s]) list.push_back({{"text", t.text}, {"count", t.count}, {"phrase", t.phrase}});
        themes[segment_name(static_cast<segment>(s))] = std::move(list);
    }
    j["themes"] = std::move(themes);
    auto ranked_json = [](const ranked_theme& t) {
        return nlohmann::json{{"text", t.text}, {"key", t.key}, {"words", t.words}, {"count", t.count},
                              {"other_count", t.other_count}, {"log_odds", t.distinct.delta}, {"z", t.distinct.z},
                              {"with", score_json(t.with)}, {"without", score_json(t.without)},
                              {"vs_rest", comparison_json(t.vs_rest)}, {"impact", t.impact}};
    };
    nlohmann::json distinctive = nlohmann::json::object();
    for (size_t s = 0; s < 3; ++s) {
        nlohmann::json list = nlohmann::json::array();
        for (const auto& t : r.distinctive_themes[s]) list.push_back(ranked_json(t));
        distinctive[segment_name(static_cast<segment>(s))] = std::move(list);
    }
    j["distinctive_themes"] = std::move(distinctive);
    nlohmann::json drivers = nlohmann::json::array();
    for (const auto& t : r.theme_drivers) drivers.push_back(ranked_json(t));
    j["theme_drivers"] = std::move(drivers);
    nlohmann::json comments = nlohmann::json::array();
    for (const auto& c : r.comments) {
        nlohmann::json cj = {{"ts", format_timestamp(c.ts_ms)}, {"score", c.score},
                             {"segment", segment_name(segment_of(c.score))}, {"comment", std::string(store.comment(c.row))}};
        nlohmann::json attrs = nlohmann::json::object();
        for (const auto& col : store.attributes)
            if (c.row < col.codes.size() && col.codes[c.row]) attrs[col.key] = std::string(col.value_of(col.codes[c.row]));
        cj["attributes"] = std::move(attrs);
        comments.push_back(std::move(cj));
    }
    j["comments"] = std::move(comments);
    // Invalid UTF-8 in a comment must not abort a build without exceptions: replace it.
    return j.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace npskit
