#include "report.h"

#include <algorithm>
#include <cstdio>
#include <iterator>

#include <nlohmann/json.hpp>

#include "calendar.h"
#include "score_json.h"

namespace npskit {

//-----------------------------------------------------------------------------
// [SECTION] The report
//-----------------------------------------------------------------------------
const char* nps_band_name(double nps) {
    if (nps < 0) return "needs work";
    if (nps < 30) return "good";
    if (nps < 50) return "great";
    return "excellent";
}
int nps_band(double nps) { return nps < 0 ? 0 : nps < 30 ? 1 : nps < 50 ? 2 : 3; }

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
    std::stable_sort(rows.begin(), rows.end(),
                     [&](const breakdown_row& a, const breakdown_row& b) { return descending ? key_less(b, a) : key_less(a, b); });
}

// The trend's buckets, each scored and compared with the one before; their sum is the headline,
// their display events the response rate. Shared by build_report and report_from_aggregates.
score_histogram score_trend(const std::vector<group_stats>& groups, double confidence, report& r) {
    score_histogram total;
    const score_histogram* before = nullptr;
    r.trend.reserve(groups.size());
    for (const auto& g : groups) {
        trend_point p;
        p.key = g.key;
        p.start_ms = g.start_ms;
        p.score = score_nps(g.histogram, confidence);
        p.shown = g.shown;
        p.dismissed = g.dismissed;
        if (before) p.vs_previous = compare_nps(g.histogram, *before, confidence);
        before = &g.histogram;
        total += g.histogram;
        r.rate.shown += g.shown;
        r.rate.dismissed += g.dismissed;
        r.trend.push_back(std::move(p));
    }
    r.headline.histogram = total;
    r.headline.score = score_nps(total, confidence);
    r.rate.answered = total.n();
    if (r.rate.shown) {
        r.rate.answer_rate = static_cast<double>(r.rate.answered) / static_cast<double>(r.rate.shown);
        r.rate.dismiss_rate = static_cast<double>(r.rate.dismissed) / static_cast<double>(r.rate.shown);
    }
    return total;
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

    // One pass for the trend, the breakdown and the previous period (report_counts.h).
    // A text search scans the comment pool once; both passes visit only the rows it found.
    std::vector<uint32_t> text_rows;
    if (!filter.text.empty()) text_rows = rows_with_text(store, filter.text);
    const std::vector<uint32_t>* text = filter.text.empty() ? nullptr : &text_rows;
    // A theme narrows the rows the same way (and with a search, to the rows of both).
    std::vector<uint32_t> found;
    const std::vector<uint32_t>* theme = nullptr;
    if (!desc.theme_key.empty()) {
        if (desc.theme_rows) {
            theme = desc.theme_rows;
        } else {
            found = rows_mentioning(store, desc.theme_key);
            theme = &found;
        }
        if (text) {
            std::vector<uint32_t> both;
            std::set_intersection(theme->begin(), theme->end(), text_rows.begin(), text_rows.end(), std::back_inserter(both));
            found.swap(both);
            theme = &found;
        }
    }
    const std::vector<uint32_t>& theme_rows = theme ? *theme : found;
    const std::vector<uint32_t>* selected = desc.theme_key.empty() ? text : theme;
    report_counts counts = count_for_report(store, filter, desc.bucket, desc.utc_offset_minutes, desc.breakdown_key,
                                            want_previous ? h.previous_since_ms : 0, want_previous ? h.since_ms : 0, selected);
    // The trend's buckets sum to the headline.
    const score_histogram total = score_trend(counts.trend, desc.confidence, r);
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

    // The answers with a thank-you click (cta_clicked: an attribute column when any record has
    // it), by score: one more pass of the same counts, with the same rows selected.
    if (store.attribute("cta_clicked")) {
        report_counts clicked = count_for_report(store, filter, desc.bucket, desc.utc_offset_minutes, "cta_clicked", 0, 0, selected);
        for (const auto& g : clicked.breakdown) {
            if (g.key.empty()) continue;  // no click
            r.cta.clicks[0] += g.histogram.detractors();
            r.cta.clicks[1] += g.histogram.passives();
            r.cta.clicks[2] += g.histogram.promoters();
        }
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
    // The comments listed: those of the theme when one is selected (its rows hold a comment).
    std::vector<uint32_t> listed;
    if (!desc.theme_key.empty()) {
        response_filter f = filter;
        f.with_comment = true;
        auto ok = [&](uint32_t row) { return store.slots[row] <= 10 && row_matches(store, f, row); };
        if (store.time_sorted) {  // rows ascending are oldest first: walk back from the newest
            for (size_t k = theme_rows.size(); k-- > 0 && listed.size() < desc.comment_limit;)
                if (ok(theme_rows[k])) listed.push_back(theme_rows[k]);
        } else {
            for (uint32_t row : theme_rows)
                if (ok(row)) listed.push_back(row);
            std::stable_sort(listed.begin(), listed.end(), [&](uint32_t a, uint32_t b) { return store.times_ms[a] > store.times_ms[b]; });
            if (listed.size() > desc.comment_limit) listed.resize(desc.comment_limit);
        }
        for (uint32_t row : listed) r.comments.push_back({row, store.times_ms[row], store.slots[row]});
    }
    theme_corpus fresh;
    theme_corpus& corpus = desc.corpus ? *desc.corpus : fresh;
    corpus.reset_counts();
    const attribute_column* locales = store.attribute("locale");
    for (size_t i = 0; i < rows.size(); ++i) {
        uint32_t row = rows[i];
        int score = store.slots[row];
        if (i < desc.comment_limit && desc.theme_key.empty()) r.comments.push_back({row, store.times_ms[row], score});
        if (i < desc.theme_sample) {
            const auto seg = static_cast<uint32_t>(segment_of(score));
            corpus.add(store.comment(row), score, seg, locales ? locales->value_of(locales->code_at(row)) : "");
        }
    }
    std::vector<std::vector<ranked_theme>> ranked;
    for (size_t s = 0; s < 3; ++s) {
        r.themes[s] = corpus.frequent(static_cast<uint32_t>(s), desc.themes);
        r.themed_comments[s] = corpus.comments(static_cast<uint32_t>(s));
        r.distinctive_themes[s] = corpus.rank(static_cast<uint32_t>(s), desc.ranked_themes);
        ranked.push_back(r.distinctive_themes[s]);
    }
    r.theme_drivers = theme_drivers(ranked, 2 * desc.ranked_themes.top);
    if (!desc.theme_key.empty()) {
        r.theme_key = r.theme_text = desc.theme_key;
        for (const auto& list : ranked)
            for (const auto& t : list)
                if (t.key == desc.theme_key) r.theme_text = t.text;
        // The share: the theme's answers (the trend above) over the answers with a comment under
        // the same filter without the theme, bucket by bucket.
        response_filter commented = filter;
        commented.with_comment = true;
        report_counts all = count_for_report(store, commented, desc.bucket, desc.utc_offset_minutes, "", 0, 0, text);
        size_t k = 0;
        for (const auto& g : all.trend) {
            theme_share_point p;
            p.key = g.key;
            p.start_ms = g.start_ms;
            p.comments = g.histogram.n();
            while (k < r.trend.size() && r.trend[k].start_ms < g.start_ms) ++k;
            if (k < r.trend.size() && r.trend[k].start_ms == g.start_ms) p.mentions = r.trend[k].score.n;
            p.share = p.comments ? static_cast<double>(p.mentions) / static_cast<double>(p.comments) : 0;
            r.theme_trend.push_back(std::move(p));
        }
    }
    fill_panel_figures(r, store);
    return r;
}

void fill_panel_figures(report& r, const response_store& store) {
    headline_view& h = r.headline;
    const nps_result& s = h.score;
    h.band = nps_band(s.nps);
    if (s.n) {
        const double n = static_cast<double>(s.n);
        h.segment_percent = {100.0 * static_cast<double>(s.detractors) / n, 100.0 * static_cast<double>(s.passives) / n,
                             100.0 * static_cast<double>(s.promoters) / n};
    }
    const uint64_t answered = h.histogram.n();
    for (int k = 0; k <= 10; ++k)
        h.score_percent[k] = answered ? 100.0 * static_cast<double>(h.histogram.bins[k]) / static_cast<double>(answered) : 0;
    r.cta.answers = {h.histogram.detractors(), h.histogram.passives(), h.histogram.promoters()};
    for (size_t k = 0; k < 3; ++k)
        r.cta.click_through[k] = r.cta.answers[k] ? static_cast<double>(r.cta.clicks[k]) / static_cast<double>(r.cta.answers[k]) : 0;
    r.latest_scored = -1;
    for (size_t k = 0; k < r.trend.size(); ++k) {
        trend_point& t = r.trend[k];
        t.answer_rate = t.shown ? static_cast<double>(t.score.n) / static_cast<double>(t.shown) : 0;
        if (t.score.has_score) r.latest_scored = static_cast<int>(k);
    }
    for (comment_view& c : r.comments) {
        if (c.row >= store.size()) continue;
        c.text = std::string(store.comment(c.row));
        c.attributes.clear();
        for (const auto& col : store.attributes) {
            const uint16_t code = col.code_at(c.row);
            if (!code) continue;
            if (!c.attributes.empty()) c.attributes += " · ";
            c.attributes += col.key + " " + std::string(col.value_of(code));
        }
    }
}

//-----------------------------------------------------------------------------
// [SECTION] JSON
//-----------------------------------------------------------------------------
static nlohmann::json score_json(const nps_result& s) {
    nlohmann::json j = nlohmann::json::object();
    put_nps_figures(j, s);  // the CLI's own figures (score_json.h)
    return j;
}

static nlohmann::json comparison_json(const nps_comparison& c) {
    if (!c.valid) return nullptr;
    return {
        {"difference", c.difference}, {"ci_low", c.ci_low}, {"ci_high", c.ci_high}, {"p_value", c.p_value}, {"significant", c.significant}};
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
    j["rate"] = {{"shown", r.rate.shown},
                 {"answered", r.rate.answered},
                 {"dismissed", r.rate.dismissed},
                 {"answer_rate", r.rate.answer_rate},
                 {"dismiss_rate", r.rate.dismiss_rate}};
    nlohmann::json cta = nlohmann::json::object();
    for (size_t k = 0; k < 3; ++k)
        cta[segment_name(static_cast<segment>(k))] = {
            {"answers", r.cta.answers[k]}, {"clicks", r.cta.clicks[k]}, {"click_through", r.cta.click_through[k]}};
    j["cta"] = std::move(cta);
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
        return nlohmann::json{{"text", t.text},
                              {"key", t.key},
                              {"words", t.words},
                              {"count", t.count},
                              {"other_count", t.other_count},
                              {"log_odds", t.distinct.delta},
                              {"z", t.distinct.z},
                              {"with", score_json(t.with)},
                              {"without", score_json(t.without)},
                              {"vs_rest", comparison_json(t.vs_rest)},
                              {"impact", t.impact}};
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
    if (!r.theme_key.empty()) {
        nlohmann::json share = nlohmann::json::array();
        for (const auto& p : r.theme_trend)
            share.push_back({{"key", p.key},
                             {"start", format_timestamp(p.start_ms)},
                             {"mentions", p.mentions},
                             {"comments", p.comments},
                             {"share", p.share}});
        j["theme"] = {{"key", r.theme_key}, {"text", r.theme_text}, {"share", std::move(share)}};
    } else {
        j["theme"] = nullptr;
    }
    nlohmann::json comments = nlohmann::json::array();
    for (const auto& c : r.comments) {
        nlohmann::json cj = {{"ts", format_timestamp(c.ts_ms)},
                             {"score", c.score},
                             {"segment", segment_name(segment_of(c.score))},
                             {"comment", std::string(store.comment(c.row))}};
        nlohmann::json attrs = nlohmann::json::object();
        for (const auto& col : store.attributes)
            if (const uint16_t code = col.code_at(c.row)) attrs[col.key] = std::string(col.value_of(code));
        cj["attributes"] = std::move(attrs);
        comments.push_back(std::move(cj));
    }
    j["comments"] = std::move(comments);
    // Invalid UTF-8 in a comment must not abort a build without exceptions: replace it.
    return j.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace npskit
