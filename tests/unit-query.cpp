// Filters and grouping: one pass, time buckets with UTC offsets, attributes.
#include <doctest/doctest.h>

#include <cctype>
#include <string>

#include "calendar.h"
#include "query.h"
#include "report_counts.h"

using namespace npskit;

static int64_t at(int y, int m, int d, int h = 12) { return days_from_civil(y, m, d) * ms_per_day + h * 3'600'000LL; }

static void add(response_store& s, int score, int64_t ts, const char* plan = "pro", const char* comment = nullptr) {
    static int counter = 0;
    response r;
    r.id = "row-" + std::to_string(100000 + counter++);
    r.survey = "product-nps";
    r.score = score;
    r.ts_ms = ts;
    r.attributes.emplace_back("plan", plan);
    if (comment) r.comment = comment;
    s.add(r);
}

static void add_event(response_store& s, event_type type, int64_t ts, const char* plan = "pro") {
    static int counter = 0;
    response r;
    r.id = "evt-" + std::to_string(100000 + counter++);
    r.survey = "product-nps";
    r.type = type;
    r.ts_ms = ts;
    r.attributes.emplace_back("plan", plan);
    s.add(r);
}

TEST_CASE("aggregate counts scores and display events separately") {
    response_store s;
    add(s, 10, at(2026, 1, 5));
    add(s, 9, at(2026, 1, 6));
    add(s, 3, at(2026, 1, 7));
    add_event(s, event_type::shown, at(2026, 1, 5));
    add_event(s, event_type::shown, at(2026, 1, 6));
    add_event(s, event_type::dismissed, at(2026, 1, 6));
    group_stats g = aggregate(s, {});
    CHECK(g.histogram.n() == 3);  // display events never enter the denominator
    CHECK(g.shown == 2);
    CHECK(g.dismissed == 1);
    CHECK(score_nps(g.histogram).nps == doctest::Approx(100.0 / 3));
}

TEST_CASE("filters: time range, attributes, segment, comments, text") {
    response_store s;
    add(s, 10, at(2026, 1, 5), "pro", "Great support");
    add(s, 8, at(2026, 1, 10), "free", "Needs dark mode");
    add(s, 2, at(2026, 2, 1), "team", "too SLOW");
    add(s, 6, at(2026, 2, 2), "free");
    add_event(s, event_type::shown, at(2026, 2, 2), "free");

    response_filter f;
    f.since_ms = at(2026, 1, 6, 0);
    f.until_ms = at(2026, 2, 2, 0);
    CHECK(aggregate(s, f).histogram.n() == 2);

    response_filter plan;
    plan.attributes.push_back({"plan", {"free", "team"}});
    CHECK(aggregate(s, plan).histogram.n() == 3);
    CHECK(aggregate(s, plan).shown == 1);
    plan.attributes[0].exclude = true;
    CHECK(aggregate(s, plan).histogram.n() == 1);

    response_filter unknown;
    unknown.attributes.push_back({"country", {"FR"}});
    CHECK(aggregate(s, unknown).histogram.n() == 0);
    unknown.attributes[0].exclude = true;  // no row has a country: none is excluded
    CHECK(aggregate(s, unknown).histogram.n() == 4);

    response_filter detractors;
    detractors.segments = 1 << static_cast<int>(segment::detractor);
    group_stats d = aggregate(s, detractors);
    CHECK(d.histogram.n() == 2);
    CHECK(d.shown == 1);  // display events are not filtered by segment

    response_filter with_comment;
    with_comment.with_comment = true;
    CHECK(aggregate(s, with_comment).histogram.n() == 3);

    response_filter text;
    text.text = "slow";
    CHECK(aggregate(s, text).histogram.n() == 1);
    CHECK(matching_responses(s, text).size() == 1);
}

TEST_CASE("group by ISO week across the year boundary") {
    response_store s;
    add(s, 10, at(2025, 12, 28));  // Sunday: 2025-W52
    add(s, 10, at(2025, 12, 29));  // Monday: 2026-W01
    add(s, 0, at(2026, 1, 1));     // Thursday: 2026-W01
    add(s, 9, at(2026, 1, 12));    // 2026-W03 (W02 is empty and kept as a gap)
    auto weeks = group_by_time(s, {}, time_bucket::week);
    REQUIRE(weeks.size() == 4);
    CHECK(weeks[0].key == "2025-W52");
    CHECK(weeks[1].key == "2026-W01");
    CHECK(weeks[1].histogram.n() == 2);
    CHECK(weeks[1].start_ms == days_from_civil(2025, 12, 29) * ms_per_day);
    CHECK(weeks[2].key == "2026-W02");
    CHECK(weeks[2].histogram.n() == 0);
    CHECK(weeks[3].key == "2026-W03");
}

TEST_CASE("a UTC offset moves rows across day and month boundaries") {
    response_store s;
    int64_t late_utc = days_from_civil(2026, 1, 31) * ms_per_day + 23 * 3'600'000LL;  // 23:00 UTC
    add(s, 10, late_utc);
    auto utc_months = group_by_time(s, {}, time_bucket::month, 0);
    REQUIRE(utc_months.size() == 1);
    CHECK(utc_months[0].key == "2026-01");
    auto paris = group_by_time(s, {}, time_bucket::month, 60);  // 00:00 on Feb 1 in UTC+1
    REQUIRE(paris.size() == 1);
    CHECK(paris[0].key == "2026-02");
    CHECK(paris[0].start_ms == days_from_civil(2026, 2, 1) * ms_per_day - 3'600'000LL);
    auto new_york = group_by_time(s, {}, time_bucket::day, -300);
    CHECK(new_york[0].key == "2026-01-31");
}

TEST_CASE("group by day and month") {
    response_store s;
    add(s, 10, at(2026, 1, 1));
    add(s, 0, at(2026, 1, 3));
    add(s, 9, at(2026, 3, 1));
    auto days = group_by_time(s, {}, time_bucket::day);
    CHECK(days.size() == 31 + 28 + 1);
    auto months = group_by_time(s, {}, time_bucket::month);
    REQUIRE(months.size() == 3);
    CHECK(months[0].histogram.n() == 2);
    CHECK(months[1].histogram.n() == 0);
    CHECK(months[2].key == "2026-03");
}

TEST_CASE("group by attribute, rows without it grouped under \"\"") {
    response_store s;
    add(s, 10, at(2026, 1, 1), "pro");
    add(s, 0, at(2026, 1, 2), "free");
    add(s, 9, at(2026, 1, 3), "pro");
    response no_plan;
    no_plan.id = "no-plan-01";
    no_plan.survey = "other-survey";
    no_plan.score = 5;
    no_plan.ts_ms = at(2026, 1, 4);
    s.add(no_plan);
    auto groups = group_by_attribute(s, {}, "plan");
    REQUIRE(groups.size() == 3);
    CHECK(groups[0].key == "");
    CHECK(groups[0].histogram.n() == 1);
    CHECK(groups[1].key == "pro");
    CHECK(groups[1].histogram.n() == 2);
    CHECK(groups[2].key == "free");
    auto surveys = group_by_attribute(s, {}, "survey");
    CHECK(surveys.size() == 2);
    // Groups add up to the total: one NPS across surveys or split by survey.
    score_histogram sum;
    for (const auto& g : surveys) sum += g.histogram;
    CHECK(sum == aggregate(s, {}).histogram);
}

TEST_CASE("matching responses come newest first") {
    response_store s;
    add(s, 1, at(2026, 1, 1));
    add(s, 2, at(2026, 1, 3));
    add(s, 3, at(2026, 1, 2));
    add_event(s, event_type::shown, at(2026, 1, 4));
    auto rows = matching_responses(s, {}, 2);
    REQUIRE(rows.size() == 2);
    CHECK(s.slots[rows[0]] == 2);
    CHECK(s.slots[rows[1]] == 3);
}

TEST_CASE("one, two and three attribute filters agree with the row-by-row check") {
    response_store s;
    const char* plans[] = {"free", "pro", "team"};
    const char* countries[] = {"FR", "US"};
    const char* locales[] = {"en", "fr", "de"};
    for (int i = 0; i < 600; ++i) {
        response r;
        r.id = "multi-" + std::to_string(100000 + i);
        r.survey = "s";
        r.score = i % 11;
        r.ts_ms = at(2026, 1, 1 + i % 28);
        r.locale = locales[i % 3];
        r.attributes = {{"country", countries[(i / 3) % 2]}, {"plan", plans[(i / 7) % 3]}};
        s.add(r);
    }
    response_filter f;
    f.since_ms = at(2026, 1, 3, 0);
    f.attributes.push_back({"plan", {"pro", "team"}});
    for (int k = 1; k <= 3; ++k) {
        if (k == 2) f.attributes.push_back({"country", {"US"}, true});
        if (k == 3) f.attributes.push_back({"locale", {"fr"}});
        uint64_t expected = 0;
        for (size_t row = 0; row < s.size(); ++row) expected += row_matches(s, f, row);
        CHECK(aggregate(s, f).histogram.n() == expected);
        score_histogram by_day;
        for (const auto& g : group_by_time(s, f, time_bucket::day)) by_day += g.histogram;
        CHECK(by_day.n() == expected);
        CHECK(expected > 0);
    }
}

TEST_CASE("time-sorted fast path and the row-by-row path give the same figures") {
    response_store sorted, shuffled;
    std::vector<response> rows;
    for (int i = 0; i < 3000; ++i) {
        response r;
        r.id = "order-" + std::to_string(100000 + i);
        r.survey = "s";
        r.type = i % 17 == 0 ? event_type::shown : event_type::response;
        r.score = r.type == event_type::response ? (i * 7) % 11 : -1;
        r.ts_ms = at(2025, 12, 1) + static_cast<int64_t>(i) * 3'600'000LL * 7 / 3;  // ~7 months, hour steps
        rows.push_back(r);
    }
    for (const auto& r : rows) sorted.add(r);
    for (size_t i = 0; i < rows.size(); ++i) shuffled.add(rows[(i * 7919) % rows.size()]);  // 7919 is prime
    CHECK(sorted.time_sorted);
    CHECK_FALSE(shuffled.time_sorted);
    std::vector<response_filter> filters(4);
    filters[1].since_ms = at(2026, 1, 3, 5);
    filters[1].until_ms = at(2026, 3, 9, 17);
    filters[2].segments = 1 << static_cast<int>(segment::promoter);
    filters[3].until_ms = at(2026, 2, 1, 0);
    for (const auto& f : filters) {
        group_stats a = aggregate(sorted, f), b = aggregate(shuffled, f);
        CHECK(a.histogram == b.histogram);
        CHECK(a.shown == b.shown);
        for (int offset : {0, 90, -300}) {
            for (time_bucket bucket : {time_bucket::day, time_bucket::week, time_bucket::month}) {
                auto ga = group_by_time(sorted, f, bucket, offset), gb = group_by_time(shuffled, f, bucket, offset);
                REQUIRE(ga.size() == gb.size());
                for (size_t k = 0; k < ga.size(); ++k) {
                    CHECK(ga[k].key == gb[k].key);
                    CHECK(ga[k].histogram == gb[k].histogram);
                    CHECK(ga[k].shown == gb[k].shown);
                }
            }
        }
    }
}

// A store with every case the combined pass and the text search must get right: sorted or
// not, display events, rows without attributes, equal timestamps, comments replaced by id.
static response_store mixed_store(bool sorted, bool replace_comments, uint32_t seed) {
    response_store s;
    const char* plans[] = {"free", "pro", "team", nullptr};
    const char* texts[] = {"Too SLOW on mobile", "slowness", "great, fast", "sl", "ok", "Lent, trop lent", "", "s", "export is slow!"};
    const int64_t t0 = at(2025, 12, 20);
    for (int i = 0; i < 3000; ++i) {
        seed = seed * 1103515245u + 12345u;
        response r;
        r.id = "mix-" + std::to_string(100000 + i);
        r.survey = (seed >> 7) % 5 ? "product-nps" : "onboarding";
        int64_t step = static_cast<int64_t>((seed >> 9) % 4) * 3'600'000LL;  // 0: same time as the row before
        r.ts_ms = sorted ? t0 + (i / 3) * 4 * 3'600'000LL + (i % 3 == 2 ? step : 0)
                         : t0 + static_cast<int64_t>((seed >> 3) % (40 * 24)) * 3'600'000LL;
        int kind = static_cast<int>((seed >> 13) % 20);
        if (kind == 0)
            r.type = event_type::shown;
        else if (kind == 1)
            r.type = event_type::dismissed;
        else
            r.score = static_cast<int>((seed >> 16) % 11);
        if (const char* plan = plans[(seed >> 20) % 4]) r.attributes.emplace_back("plan", plan);
        if ((seed >> 24) % 2) r.comment = texts[(seed >> 25) % 9];
        s.add(r);
        if (replace_comments && i > 10 && i % 97 == 0) {  // the widget's comment arrives later
            response again = r;
            again.id = "mix-" + std::to_string(100000 + i - 7);
            again.comment = texts[i % 9];
            s.add(again);
        }
    }
    return s;
}

static void check_same_groups(const std::vector<group_stats>& a, const std::vector<group_stats>& b) {
    REQUIRE(a.size() == b.size());
    for (size_t i = 0; i < a.size(); ++i) {
        CHECK(a[i].key == b[i].key);
        CHECK(a[i].start_ms == b[i].start_ms);
        CHECK(a[i].histogram.bins == b[i].histogram.bins);
        CHECK(a[i].shown == b[i].shown);
        CHECK(a[i].dismissed == b[i].dismissed);
    }
}

TEST_CASE("the report's combined pass equals the per-panel queries") {
    for (int variant = 0; variant < 3; ++variant) {
        const bool sorted = variant != 1, replaced = variant == 2;
        response_store s = mixed_store(sorted, replaced, 17u + static_cast<uint32_t>(variant));
        CHECK(s.time_sorted == sorted);
        if (replaced) CHECK_FALSE(s.comments_in_row_order);
        std::vector<response_filter> filters(12);
        filters[1].attributes = {{"plan", {"pro", "team"}, false}};
        filters[2].segments = 0b011;
        filters[3].text = "slow";
        filters[4].text = "SL";
        filters[4].attributes = {{"plan", {"free"}, true}};
        filters[5].since_ms = at(2025, 12, 25);
        filters[5].until_ms = at(2026, 1, 10);
        filters[6] = filters[5];
        filters[6].attributes = {{"plan", {""}, false}, {"survey", {"product-nps"}, false}};
        filters[7].with_comment = true;
        filters[8].text = "lent, trop";
        filters[8].segments = 0b100;
        filters[9].attributes = {{"nope", {"x"}, false}};  // matches nothing
        filters[10].text = "S";                            // text with a time range and an attribute (the pass over text matches)
        filters[10].since_ms = at(2025, 12, 25);
        filters[10].until_ms = at(2026, 1, 5);
        filters[10].attributes = {{"plan", {"pro", ""}, false}};
        filters[11].text = "o";
        filters[11].with_comment = true;
        filters[11].segments = 0b101;
        const std::vector<std::string> keys = {"survey", "plan", "", "nope"};
        for (size_t f = 0; f < filters.size(); ++f) {
            for (size_t k = 0; k < keys.size(); ++k) {
                CAPTURE(variant);
                CAPTURE(f);
                CAPTURE(k);
                const time_bucket bucket = static_cast<time_bucket>(k % 3);
                const int offset = k == 1 ? -300 : k == 2 ? 330 : 0;
                response_filter prev = filters[f];
                prev.since_ms = at(2025, 11, 1) + static_cast<int64_t>(k) * ms_per_day * 9;
                prev.until_ms = at(2025, 12, 24);
                report_counts got = count_for_report(s, filters[f], bucket, offset, keys[k], prev.since_ms, prev.until_ms);
                check_same_groups(got.trend, group_by_time(s, filters[f], bucket, offset));
                if (keys[k].empty())
                    CHECK(got.breakdown.empty());
                else
                    check_same_groups(got.breakdown, group_by_attribute(s, filters[f], keys[k]));
                check_same_groups({got.previous}, {aggregate(s, prev)});
            }
            response_filter with_comment = filters[f];
            with_comment.with_comment = true;
            for (size_t limit : {size_t{0}, size_t{1}, size_t{7}, size_t{200}, size_t{100000}}) {
                CAPTURE(limit);
                CHECK(newest_responses(s, filters[f], limit) == matching_responses(s, filters[f], limit));
                CHECK(newest_responses(s, with_comment, limit) == matching_responses(s, with_comment, limit));
            }
        }
    }
}

TEST_CASE("text search over the pool finds exactly the rows the row-by-row check finds") {
    for (bool replaced : {false, true}) {
        response_store s = mixed_store(true, replaced, 5);
        for (const char* text : {"slow", "SLOW", "s", "sl", "lent", "Lent, trop lent", "!", "export is slow!", "slow!x", "t, t", "zzz"}) {
            CAPTURE(text);
            std::vector<uint32_t> expected;
            for (size_t row = 0; row < s.size(); ++row) {
                std::string lowered(s.comment(row)), needle(text);
                for (char& c : lowered) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
                for (char& c : needle) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
                if (lowered.find(needle) != std::string::npos) expected.push_back(static_cast<uint32_t>(row));
            }
            CHECK(rows_with_text(s, text) == expected);
        }
    }
    // A match may not run from one comment into the next (they sit side by side in the pool).
    response_store two;
    add(two, 5, 1, "pro", "abc");
    add(two, 5, 2, "pro", "def");
    CHECK(rows_with_text(two, "cd").empty());
    CHECK(rows_with_text(two, "DEF") == std::vector<uint32_t>{1});
    CHECK(rows_with_text(two, "").size() == 2);
}

// The reference: each row's comment lowered (ASCII only) and searched with std::string::find.
static std::vector<uint32_t> rows_with_text_by_row(const response_store& s, std::string_view text) {
    std::string needle(text);
    for (char& c : needle) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::vector<uint32_t> rows;
    for (size_t row = 0; row < s.size(); ++row) {
        std::string lowered(s.comment(row));
        for (char& c : lowered) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
        if (lowered.find(needle) != std::string::npos) rows.push_back(static_cast<uint32_t>(row));
    }
    return rows;
}

TEST_CASE("text search: pool edges, long and one-byte texts, case folding, replaced comments") {
    // Comments from a small alphabet (many near misses), with the bytes a case fold must not
    // confuse: '@' / '`' and '[' / '{' differ from a letter pair by 0x20 too; UTF-8 bytes.
    const char* pieces[] = {"a", "B",        "ab",       "Ab",    "aB",   "ba", " ", "@", "`", "[",
                            "{", "\xc3\xa9", "\xc3\x89", "slow ", "SLOW", "x",  "0", "9", ",", "Zz"};
    for (int variant = 0; variant < 4; ++variant) {
        CAPTURE(variant);
        uint32_t seed = 99u + static_cast<uint32_t>(variant);
        auto next = [&] { return (seed = seed * 1103515245u + 12345u) >> 8; };
        response_store s;
        std::vector<std::string> comments;
        for (int i = 0; i < 700; ++i) {
            response r;
            r.id = "txt-" + std::to_string(100000 + i);
            r.ts_ms = at(2025, 6, 1) + i * 60'000LL;
            r.score = static_cast<int>(next() % 11);
            const uint32_t size = next() % 9 == 0 ? 0 : next() % 9 == 0 ? 60 + next() % 140 : next() % 24;
            std::string c;
            while (c.size() < size) c += pieces[next() % 20];
            if (!c.empty()) r.comment = c;
            s.add(r);
            comments.push_back(c);
        }
        if (variant >= 2) {  // updates by id: shortened in place (stale bytes stay in the pool), moved to the pool's end
            for (int k = 0; k < 60; ++k) {
                const size_t row = next() % s.size();
                response r;
                r.id = "txt-" + std::to_string(100000 + row);
                r.ts_ms = at(2025, 6, 1) + static_cast<int64_t>(row) * 60'000LL;
                r.score = 3;
                std::string& old = comments[row];
                if (variant == 2 && old.size() < 2) continue;
                old = variant == 2 ? old.substr(0, old.size() / 2) : std::string(pieces[k % 20]) + "tail";
                r.comment = old;
                s.add(r);
            }
        }
        CHECK(s.comments_in_row_order == (variant != 3));
        const std::string pool = s.comment_pool;
        std::vector<std::string> texts = {"a",    "A",      "@",  "`",  "[",  "{",  " ",   "\xc3",  "\xa9", "\xc3\x89",
                                          "slow", "SlOw s", "ab", "Zz", "zZ", "aa", "bab", "ab ab", ",9"};
        texts.push_back(pool.substr(0, 1));             // the pool's first byte
        texts.push_back(pool.substr(0, 7));             // the pool's first bytes
        texts.push_back(pool.substr(pool.size() - 1));  // its last byte
        texts.push_back(pool.substr(pool.size() - 9));  // its last bytes
        for (int k = 0; k < 40; ++k) {                  // pieces of real comments, in any case
            const std::string& c = comments[next() % comments.size()];
            if (c.empty()) continue;
            const size_t from = next() % c.size();
            const size_t len = k % 4 == 0 ? c.size() - from : 1 + next() % std::min<size_t>(c.size() - from, 80);
            std::string t = c.substr(from, len);
            for (char& ch : t)
                if (next() % 2) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
            texts.push_back(t);
        }
        for (const std::string& c : comments)  // whole comments longer than 16 and 64 bytes
            if (c.size() > 64) {
                texts.push_back(c);
                break;
            }
        for (const std::string& c : comments)
            if (c.size() > 16 && c.size() < 40) {
                texts.push_back(c);
                break;
            }
        texts.push_back(std::string(300, 'a'));  // longer than any comment
        for (const std::string& t : texts) {
            CAPTURE(t);
            CHECK(rows_with_text(s, t) == rows_with_text_by_row(s, t));
        }
    }
    // A text at the very start and the very end of the pool, and one that spans both comments.
    response_store s;
    add(s, 9, 1, "pro", "Sync is slow");
    add(s, 2, 2, "pro", "really SLOW sync");
    CHECK(rows_with_text(s, "sync is") == std::vector<uint32_t>{0});
    CHECK(rows_with_text(s, "W SYNC") == std::vector<uint32_t>{1});
    CHECK(rows_with_text(s, "slow sync") == std::vector<uint32_t>{1});
    CHECK(rows_with_text(s, "slowreally").empty());
    CHECK(rows_with_text(s, "C") == std::vector<uint32_t>{0, 1});
    CHECK(rows_with_text(s, "sync") == std::vector<uint32_t>{0, 1});
}

TEST_CASE("a sparse attribute column filters and groups as the records say") {
    // "region" on every 9th row stays sparse (below a third of the rows); "plan" on every row
    // is dense. Counts from the records themselves are the reference.
    response_store s(store_desc{.index_ids = false});
    size_t eu_answered = 0, eu_promoters = 0, rows_without = 0;
    for (int i = 0; i < 5000; ++i) {
        response r;
        r.survey = "product-nps";
        r.score = i % 11;
        r.ts_ms = at(2026, 1, 1) + i * 1000;
        r.attributes.emplace_back("plan", i % 2 ? "pro" : "free");
        if (i % 9 == 0) r.attributes.emplace_back("region", i % 4 ? "eu" : "us");
        s.add(r);
        if (i % 9 == 0 && i % 4) ++eu_answered, eu_promoters += r.score >= 9;
        if (i % 9 != 0) ++rows_without;
    }
    REQUIRE(s.attribute("region"));
    REQUIRE_FALSE(s.attribute("region")->dense());
    response_filter eu;
    eu.attributes.push_back({"region", {"eu"}, false});
    group_stats g = aggregate(s, eu);
    CHECK(g.histogram.n() == eu_answered);
    CHECK(g.histogram.promoters() == eu_promoters);
    eu.attributes.push_back({"plan", {"pro"}, false});  // with a dense one: the two-column loop
    size_t eu_pro = 0;
    for (int i = 0; i < 5000; ++i) eu_pro += i % 9 == 0 && i % 4 && i % 2;
    CHECK(aggregate(s, eu).histogram.n() == eu_pro);
    auto groups = group_by_attribute(s, {}, "region");
    REQUIRE(groups.size() == 3);
    CHECK(groups[0].key == "");
    CHECK(groups[0].histogram.n() == rows_without);
    CHECK(groups[1].key == "us");  // dictionary order: row 0 has "us"
    CHECK(groups[2].key == "eu");
    CHECK(groups[2].histogram.n() == eu_answered);
}
