// npskit core (view room): see aggregate_report.h.
#include "aggregate_report.h"

#include <algorithm>
#include <cstdio>
#include <limits>

#include <nlohmann/json.hpp>

#include "calendar.h"

namespace npskit {

namespace {
constexpr int64_t open_since = std::numeric_limits<int64_t>::min();
constexpr int64_t open_until = std::numeric_limits<int64_t>::max();

std::string utc_offset_text(int minutes) {
    char buf[8];
    int a = minutes < 0 ? -minutes : minutes;
    std::snprintf(buf, sizeof buf, "%c%02d:%02d", minutes < 0 ? '-' : '+', a / 60, a % 60);
    return buf;
}

// The filter's conditions as the grammar spells them (the same for every part).
void put_filter(std::vector<param_pair>& out, const response_filter& f, int64_t since_ms, int64_t until_ms) {
    if (since_ms != open_since) out.emplace_back("since", format_timestamp(since_ms));
    if (until_ms != open_until) out.emplace_back("until", format_timestamp(until_ms));
    if (f.segments != 0b111) {
        std::string names;
        const char* all[] = {"detractor", "passive", "promoter"};
        for (int s = 0; s < 3; ++s)
            if (f.segments & (1 << s)) names += (names.empty() ? "" : ",") + std::string(all[s]);
        out.emplace_back("segment", names.empty() ? "none" : names);
    }
    for (const attribute_filter& a : f.attributes) out.emplace_back("where", format_condition(a));
}

// An aggregate group as the core's own group_stats (query.h).
using parsed_group = group_stats;

bool read_histogram(const nlohmann::json& j, score_histogram& h) {
    if (!j.is_array() || j.size() != h.bins.size()) return false;
    for (size_t i = 0; i < h.bins.size(); ++i) {
        if (!j[i].is_number_unsigned()) return false;
        h.bins[i] = j[i].get<uint64_t>();
    }
    return true;
}

bool read_group(const nlohmann::json& j, parsed_group& g) {
    if (!j.is_object() || !j.contains("histogram") || !read_histogram(j["histogram"], g.histogram)) return false;
    g.key = j.value("key", std::string());
    g.shown = j.value("shown", uint64_t{0});
    g.dismissed = j.value("dismissed", uint64_t{0});
    if (j.contains("start") && j["start"].is_string()) {
        auto t = parse_timestamp(j["start"].get<std::string>());
        if (!t) return false;
        g.start_ms = *t;
    }
    return true;
}

// One body: its total and groups; its note added to `note`.
bool read_answer(const std::string& body, const char* what, parsed_group& total, std::vector<parsed_group>& groups, std::string& note,
                 std::string& error) {
    nlohmann::json j = nlohmann::json::parse(body, nullptr, false);
    bool ok = j.is_object() && j.contains("total") && read_group(j["total"], total) && j.contains("groups") && j["groups"].is_array();
    for (size_t i = 0; ok && i < j["groups"].size(); ++i) {
        groups.emplace_back();
        ok = read_group(j["groups"][i], groups.back());
    }
    if (!ok) {
        error = std::string("the collector's ") + what + " aggregate is not the expected JSON";
        return false;
    }
    if (j.contains("note") && j["note"].is_string() && note.find(j["note"].get<std::string>()) == std::string::npos)
        note += (note.empty() ? "" : " ") + j["note"].get<std::string>();
    return true;
}
}  // namespace

std::vector<param_pair> aggregate_params(const report_desc& desc, aggregate_part part) {
    std::vector<param_pair> out;
    const response_filter& f = desc.filter;
    switch (part) {
        case aggregate_part::trend:
            out.emplace_back("by", time_bucket_name(desc.bucket));
            out.emplace_back("tz", utc_offset_text(desc.utc_offset_minutes));
            put_filter(out, f, f.since_ms, f.until_ms);
            break;
        case aggregate_part::breakdown:
            if (desc.breakdown_key.empty()) return {};
            out.emplace_back("by", desc.breakdown_key);
            put_filter(out, f, f.since_ms, f.until_ms);
            break;
        case aggregate_part::previous:
            // build_report's previous period: the same length, ending where this one starts.
            if (f.since_ms == open_since || f.until_ms == open_until || f.until_ms <= f.since_ms) return {};
            out.emplace_back("by", desc.breakdown_key.empty() ? "survey" : desc.breakdown_key);
            put_filter(out, f, f.since_ms - (f.until_ms - f.since_ms), f.since_ms);
            break;
    }
    return out;
}

std::string aggregate_unanswered(const report_desc& desc) {
    if (!desc.filter.text.empty())
        return "The search \"" + desc.filter.text +
               "\" filters the comments list only: the scores count every answer the other filters keep (the collector's "
               "histograms hold no words).";
    if (!desc.theme_key.empty())
        return "Themes use the loaded comment pages only: the scores are not narrowed to the theme on a large collector.";
    return "";
}

bool report_from_aggregates(const aggregate_answers& answers, const report_desc& desc, report& r, std::string& note, std::string& error) {
    r = report{};
    r.bucket = desc.bucket;
    r.breakdown_key = desc.breakdown_key;
    parsed_group total;
    std::vector<parsed_group> groups;
    if (!read_answer(answers.trend, "trend", total, groups, note, error)) return false;

    // As build_report: the trend's buckets sum to the headline (the answer's total too).
    headline_view& h = r.headline;
    const score_histogram sum = score_trend(groups, desc.confidence, r);
    (void)total;
    const response_filter& f = desc.filter;
    h.since_ms = f.since_ms != open_since ? f.since_ms : (groups.empty() ? 0 : groups.front().start_ms);
    h.until_ms = f.until_ms != open_until ? f.until_ms : h.since_ms;
    if (f.until_ms == open_until && !groups.empty()) h.until_ms = std::max(h.since_ms, groups.back().start_ms) + 1;

    if (!answers.previous.empty()) {
        parsed_group prev;
        std::vector<parsed_group> unused;
        if (!read_answer(answers.previous, "previous period", prev, unused, note, error)) return false;
        h.previous_since_ms = f.since_ms - (f.until_ms - f.since_ms);
        h.previous = score_nps(prev.histogram, desc.confidence);
        h.has_previous = h.previous.has_score;
        if (h.has_previous) h.change = compare_nps(sum, prev.histogram, desc.confidence);
    }

    if (!desc.breakdown_key.empty() && !answers.breakdown.empty()) {
        parsed_group all;
        std::vector<parsed_group> values;
        if (!read_answer(answers.breakdown, "breakdown", all, values, note, error)) return false;
        for (const parsed_group& g : values) {
            breakdown_row row;
            row.value = g.key;
            row.score = score_nps(g.histogram, desc.confidence);
            if (row.score.has_score && h.score.has_score) row.difference = row.score.nps - h.score.nps;
            score_histogram rest = sum;
            for (size_t i = 0; i < rest.bins.size(); ++i) rest.bins[i] -= std::min(rest.bins[i], g.histogram.bins[i]);
            row.vs_rest = compare_nps(g.histogram, rest, desc.confidence);
            r.breakdown.push_back(std::move(row));
        }
        sort_breakdown(r.breakdown, breakdown_column::n, true);
    }
    fill_panel_figures(r, response_store{});  // shares, rates; no rows: no comment text
    return true;
}

}  // namespace npskit
