// Tests for src/core/themes: tokenizer, stop words, top words and phrases.
#include <doctest/doctest.h>

#include "themes.h"

using namespace npskit;

TEST_CASE("tokenize") {
    SUBCASE("lower-cases ASCII and Latin-1 capitals, keeps accents inside words") {
        CHECK(tokenize("Très BONNE Intégration") == std::vector<std::string>{"très", "bonne", "intégration"});
        CHECK(tokenize("ÉLÉGANT") == std::vector<std::string>{"élégant"});
    }
    SUBCASE("apostrophes, punctuation and typographic quotes separate words") {
        CHECK(tokenize("l'interface, c’est «lent»!") == std::vector<std::string>{"l", "interface", "c", "est", "lent"});
        CHECK(tokenize("don't… stop") == std::vector<std::string>{"don", "t", "stop"});
    }
    SUBCASE("empty and separator-only text") {
        CHECK(tokenize("").empty());
        CHECK(tokenize(" ,;-- ").empty());
    }
    SUBCASE("digits stay in words") { CHECK(tokenize("v2 sync 100%") == std::vector<std::string>{"v2", "sync", "100"}); }
}

TEST_CASE("is_stop_word") {
    CHECK(is_stop_word("the"));
    CHECK(is_stop_word("les"));
    CHECK(is_stop_word("été"));
    CHECK(is_stop_word("x"));
    CHECK(is_stop_word("2026"));
    CHECK_FALSE(is_stop_word("not"));  // carries the opinion
    CHECK_FALSE(is_stop_word("pas"));
    CHECK_FALSE(is_stop_word("pricing"));
}

TEST_CASE("theme_counter") {
    SUBCASE("counts each theme once per comment, most frequent first, ties alphabetical") {
        theme_counter c;
        c.add("Pricing pricing pricing");
        c.add("The pricing is high");
        c.add("Support was slow");
        c.add("slow exports");
        auto top = c.top({10, 2});
        REQUIRE(top.size() == 2);
        CHECK(top[0] == theme{"pricing", 2, false});
        CHECK(top[1] == theme{"slow", 2, false});
        CHECK(c.comments() == 4);
    }
    SUBCASE("a phrase hides its words when it is as frequent") {
        theme_counter c;
        c.add("customer support is great");
        c.add("Customer support answered fast");
        c.add("great support");
        auto top = c.top({10, 2});
        // "customer support" (2) hides "customer" (2) but not "support" (3).
        REQUIRE(top.size() == 3);
        CHECK(top[0] == theme{"support", 3, false});
        CHECK(top[1] == theme{"customer support", 2, true});
        CHECK(top[2] == theme{"great", 2, false});
    }
    SUBCASE("stop words break phrases, French included") {
        theme_counter c;
        c.add("La synchronisation est trop lente");
        c.add("synchronisation trop lente depuis la mise à jour");
        auto top = c.top({10, 2});
        // "trop lente" is in both comments and hides "trop" and "lente"; "est" never shows.
        REQUIRE(top.size() == 2);
        CHECK(top[0] == theme{"synchronisation", 2, false});
        CHECK(top[1] == theme{"trop lente", 2, true});
        bool has_est = false;
        for (auto& t : top) has_est |= t.text.find("est") != std::string::npos;
        CHECK_FALSE(has_est);
    }
    SUBCASE("min_count and top limit, clear") {
        theme_counter c;
        c.add("alpha beta gamma");
        CHECK(c.top({8, 2}).empty());
        CHECK(c.top({2, 1}).size() == 2);
        c.clear();
        CHECK(c.comments() == 0);
        CHECK(c.top({8, 1}).empty());
    }
}

//-----------------------------------------------------------------------------
// Stems, languages, log-odds, distinctive themes and their effects
//-----------------------------------------------------------------------------
#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>

#include "import.h"
#include "report.h"
#include "store.h"
#include "synthetic.h"
#include "view_settings.h"

TEST_CASE("stemmer: Snowball English and French") {
    stemmer en(text_language::english), fr(text_language::french);
    CHECK(en.stem("exports") == "export");
    CHECK(en.stem("exporting") == "export");
    CHECK(en.stem("integrations") == "integr");
    CHECK(en.stem("onboarding") == "onboard");
    CHECK(en.stem("billing") == "bill");
    CHECK(fr.stem("factures") == "factur");
    CHECK(fr.stem("facturation") == "factur");
    CHECK(fr.stem("lentement") == "lent");
    CHECK(fr.stem("intégrations") == "integr");  // Snowball French un-accents é before a final consonant
    CHECK(fr.stem("modèles") == "model");
    CHECK(fr.stem("rapports") == "rapport");
}

TEST_CASE("languages: locale first, else Snowball stop words") {
    CHECK(language_of_locale("fr") == text_language::french);
    CHECK(language_of_locale("fr-CA") == text_language::french);
    CHECK(language_of_locale("FR_be") == text_language::french);
    CHECK(language_of_locale("en-GB") == text_language::english);
    CHECK(language_of_locale("fry") == text_language::english);  // Frisian is not French
    CHECK_FALSE(language_of_locale("").has_value());
    auto views = [](const std::vector<std::string>& t) { return std::vector<std::string_view>(t.begin(), t.end()); };
    auto fr_tokens = tokenize("la synchronisation est trop lente depuis la mise à jour");
    auto en_tokens = tokenize("the sync is too slow since the update");
    CHECK(detect_language(views(fr_tokens)) == text_language::french);
    CHECK(detect_language(views(en_tokens)) == text_language::english);
    CHECK(is_snowball_stop_word("the", text_language::english));
    CHECK(is_snowball_stop_word("don", text_language::english));  // "don't", split as the tokenizer does
    CHECK(is_snowball_stop_word("été", text_language::french));
    CHECK_FALSE(is_snowball_stop_word("billing", text_language::english));
}

TEST_CASE("weighted_log_odds against independently computed values") {
    // Python 3: d = log((yi+aw)/(ni+a0-yi-aw)) - log((yj+aw)/(nj+a0-yj-aw)); v = 1/(yi+aw) + 1/(yj+aw)
    log_odds a = weighted_log_odds(20, 100, 5, 300, 25, 400);
    CHECK(a.delta == doctest::Approx(0.792445401542).epsilon(1e-10));
    CHECK(a.variance == doctest::Approx(0.0555555555556).epsilon(1e-10));
    CHECK(a.z == doctest::Approx(3.3620611029).epsilon(1e-10));
    log_odds b = weighted_log_odds(3, 50, 10, 500, 13, 550);
    CHECK(b.delta == doctest::Approx(0.201590733411).epsilon(1e-10));
    CHECK(b.z == doctest::Approx(0.619244518155).epsilon(1e-10));
    log_odds c = weighted_log_odds(3, 6, 2, 6, 5, 12);
    CHECK(c.z == doctest::Approx(0.442163925501).epsilon(1e-10));
}

TEST_CASE("theme_corpus: ranking, phrases over words, effects through compare_nps") {
    theme_corpus corpus;
    for (int i = 0; i < 3; ++i) corpus.add("Slow exports!", 2, 0, "en");
    corpus.add("fast exports", 10, 1, "en");
    corpus.add("Fast exports", 10, 1, "en");
    corpus.add("fast sync", 10, 1, "en");
    CHECK(corpus.size() == 6);
    CHECK(corpus.comments(0) == 3);
    auto top = corpus.rank(0, {8, 3, 1.0, 1.0, 0.95});
    // Python, prior = corpus counts: words of group 0 "slow" (3 of 6 word mentions, 0 of 6
    // elsewhere) z = 1.29583078009; the phrase "slow export" (3 of 3 phrases, 0 of 3) z =
    // 1.96051628694 beats both words and hides them.
    REQUIRE(top.size() == 1);
    CHECK(top[0].text == "slow exports");
    CHECK(top[0].key == "slow export");
    CHECK(top[0].words == 2);
    CHECK(top[0].count == 3);
    CHECK(top[0].other_count == 0);
    CHECK(top[0].distinct.delta == doctest::Approx(1.38629436112).epsilon(1e-10));
    CHECK(top[0].distinct.z == doctest::Approx(1.96051628694).epsilon(1e-10));
    score_histogram with, without;
    with.add(2, 3);
    without.add(10, 3);
    nps_comparison expected = compare_nps(with, without, 0.95);
    CHECK(top[0].with.nps == doctest::Approx(-100));
    CHECK(top[0].without.nps == doctest::Approx(100));
    CHECK(top[0].vs_rest.difference == doctest::Approx(expected.difference));
    CHECK(top[0].vs_rest.ci_low == doctest::Approx(expected.ci_low));
    CHECK(top[0].vs_rest.ci_high == doctest::Approx(expected.ci_high));
    CHECK(top[0].vs_rest.p_value == doctest::Approx(expected.p_value));
    CHECK(top[0].impact == doctest::Approx(0.5 * expected.difference));
    CHECK(corpus.mentions(0, "slow export"));
    CHECK_FALSE(corpus.mentions(3, "slow export"));
    // Group 1: "fast" (3 of its 6 words) is distinctive; "export" is said in both groups.
    auto pro = corpus.rank(1, {8, 3, 1.0, 1.0, 0.95});
    REQUIRE(!pro.empty());
    CHECK(pro[0].text == "fast");
    auto drivers = theme_drivers({top, pro});
    REQUIRE(drivers.size() == 2);
    CHECK(std::abs(drivers[0].impact) >= std::abs(drivers[1].impact));
    corpus.clear();
    CHECK(corpus.size() == 0);
    CHECK(corpus.rank(0).empty());
}

TEST_CASE("theme_corpus: negations only inside phrases, French stems") {
    theme_corpus corpus;
    for (int i = 0; i < 4; ++i) corpus.add(i % 2 ? "Not working at all" : "not working", 1, 0, "en");
    for (int i = 0; i < 4; ++i) corpus.add(i % 2 ? "Les factures sont fausses" : "facture fausse", 3, 0, "fr");
    for (int i = 0; i < 8; ++i) corpus.add("works great", 10, 1, "en");
    auto top = corpus.rank(0, {8, 3, 1.0, 0.0, 0.95});
    bool not_alone = false, not_working = false, factures = false;
    for (const auto& t : top) {
        not_alone |= t.key == "not";
        not_working |= t.key == "not work";
        factures |= t.key.rfind("factur", 0) == 0;
    }
    CHECK_FALSE(not_alone);
    CHECK(not_working);
    CHECK(factures);
}

namespace {
// Loads a schema v1 NDJSON file of the repository through the core importer.
void load_ndjson(const std::string& relative, response_store& store) {
    std::ifstream in(std::string(NPSKIT_SOURCE_DIR) + "/" + relative, std::ios::binary);
    REQUIRE(in);
    std::stringstream text;
    text << in.rdbuf();
    response_importer importer({}, [&](const response_view& r) { store.add(r); });
    importer.feed(text.str());
    importer.finish();
    REQUIRE(importer.stats().skipped == 0);
}
}  // namespace

TEST_CASE("distinctive themes recover the planted themes of a labelled EN/FR set") {
    // tests/data/themes-labelled.ndjson (360 comments, tests/data/themes-labelled.py): per comment
    // the planted themes in attribute "planted"; 5 per detractors, 2 per passives, 3 per promoters.
    response_store store;
    load_ndjson("tests/data/themes-labelled.ndjson", store);
    REQUIRE(store.size() == 360);
    const attribute_column* locale = store.attribute("locale");
    REQUIRE(locale);
    theme_corpus corpus;
    for (size_t row = 0; row < store.size(); ++row)
        corpus.add(store.comment(row), store.slots[row], static_cast<uint32_t>(segment_of(store.slots[row])),
                   locale->value_of(locale->code_at(row)));
    // A theme recovers a planted theme when its text holds one of the theme's markers.
    const std::vector<std::pair<std::string, std::vector<std::string>>> markers[3] = {
        {{"billing", {"bill", "factur"}},
         {"support", {"support", "ticket"}},
         {"speed", {"slow", "lent", "export"}},
         {"offline", {"offline", "hors ligne"}},
         {"price", {"expensive", "price", "cher", "prix"}}},
        {{"templates", {"template", "modèle"}}, {"mobile", {"mobile"}}},
        {{"onboarding", {"onboard"}}, {"integrations", {"integration", "intégration", "slack", "crm"}}, {"reports", {"report", "rapport"}}},
    };
    size_t relevant = 0, shown = 0, planted = 0, recovered = 0;
    for (uint32_t s = 0; s < 3; ++s) {
        auto top = corpus.rank(s, {5, 3, 1.0, 1.0, 0.95});
        CHECK(top.size() == 5);
        std::vector<bool> found(markers[s].size());
        for (const auto& t : top) {
            bool any = false;
            for (size_t m = 0; m < markers[s].size(); ++m)
                for (const auto& w : markers[s][m].second)
                    if (t.text.find(w) != std::string::npos) found[m] = any = true;
            relevant += any;
            ++shown;
        }
        for (bool f : found) recovered += f;
        planted += markers[s].size();
    }
    double precision = double(relevant) / shown, recall = double(recovered) / planted;
    MESSAGE("labelled set, top 5 per segment: precision ", precision, ", recall ", recall);
    // Measured: precision 12/15 = 0.80 (off-theme: "limited", "version" for passives, "great"
    // for promoters), recall 8/10 = 0.80 (offline mode and price rank 6th-8th for detractors,
    // behind support, ticket, billing, slow, exports). BENCHMARKS.md.
    CHECK(precision >= 0.8);
    CHECK(recall >= 0.8);
}

TEST_CASE("theme_corpus::frequent: theme_counter's themes, from the corpus's own tokens") {
    // The report counts frequent themes from theme_corpus::add's tokens (one tokenization per
    // comment): the same lists as theme_counter over the same comments, on both sets.
    response_store labelled, demo;
    load_ndjson("tests/data/themes-labelled.ndjson", labelled);
    synthetic_desc desc;
    desc.responses = 4000;
    generate_synthetic(desc, [&](const response& r) { demo.add(r); });
    for (const response_store* store : {&labelled, &demo}) {
        const attribute_column* locale = store->attribute("locale");
        theme_corpus corpus;
        std::array<theme_counter, 3> counters;
        for (size_t row = 0; row < store->size(); ++row) {
            if (store->slots[row] > 10 || !store->comment_lengths[row]) continue;
            const auto seg = static_cast<uint32_t>(segment_of(store->slots[row]));
            counters[seg].add(store->comment(row));
            corpus.add(store->comment(row), store->slots[row], seg, locale ? locale->value_of(locale->code_at(row)) : "");
        }
        for (uint32_t s = 0; s < 3; ++s) {
            for (theme_desc d : {theme_desc{}, theme_desc{60, 2}, theme_desc{500, 1}}) {
                const std::vector<theme> expected = counters[s].top(d);
                CHECK(!expected.empty());
                CHECK(corpus.frequent(s, d) == expected);
            }
            CHECK(corpus.comments(s) == counters[s].comments());
        }
    }
}

TEST_CASE("demo data: no stop word or near-stop word among the top themes") {
    theme_corpus corpus;
    synthetic_desc desc;  // the default 20,000 answers
    generate_synthetic(desc, [&](const response& r) {
        if (r.score >= 0 && r.comment && !r.comment->empty())
            corpus.add(*r.comment, r.score, static_cast<uint32_t>(segment_of(r.score)), r.locale.value_or(""));
    });
    REQUIRE(corpus.size() > 5000);
    const std::vector<std::string> near_stop = {"every", "up", "week", "very", "really", "use", "work", "mode", "page", "team", "not", "no",
                                                "too", "pas", "chaque", "semaine", "vraiment",
                                                // French stop words ("les" was seen in the dashboard's themes)
                                                "les", "des", "est", "pour", "mais", "sont", "le", "la"};
    // The whole demo set (the CLI), and the dashboard's report: its newest 2,000 comments.
    response_store store;
    generate_synthetic(desc, [&](const response& r) { store.add(r); });
    const report rep = build_report(store, report_desc{});
    for (uint32_t s = 0; s < 6; ++s) {
        auto top = s < 3 ? corpus.rank(s, {8, 3, 1.0, 1.0, 0.95}) : rep.distinctive_themes[s - 3];
        CHECK(top.size() == 8);
        for (const auto& t : top) {
            INFO((s < 3 ? "all, " : "report, "), segment_name(static_cast<segment>(s % 3)), ": ", t.text);
            CHECK(std::find(near_stop.begin(), near_stop.end(), t.text) == near_stop.end());
            if (t.words == 1) {
                CHECK_FALSE(is_snowball_stop_word(t.text, text_language::english));
                CHECK_FALSE(is_snowball_stop_word(t.text, text_language::french));
            }
            CHECK(t.distinct.z >= 1.0);
        }
    }
}

TEST_CASE("report: distinctive themes per segment and drivers, from the same sample") {
    response_store store;
    load_ndjson("tests/data/themes-labelled.ndjson", store);
    report_desc desc;
    report r = build_report(store, desc);
    const auto& det = r.distinctive_themes[static_cast<size_t>(segment::detractor)];
    REQUIRE(!det.empty());
    const ranked_theme* billing = nullptr;
    for (const auto& t : det)
        if (t.text == "billing") billing = &t;
    REQUIRE(billing);
    // The effect recomputed from the store: answers whose comment mentions "billing" (stem
    // "bill", English rows) against every other commented answer.
    score_histogram with, without;
    for (size_t row = 0; row < store.size(); ++row) {
        auto words = tokenize(store.comment(row));
        bool mentions = std::find(words.begin(), words.end(), "billing") != words.end();
        (mentions ? with : without).add(store.slots[row]);
    }
    nps_comparison expected = compare_nps(with, without, desc.confidence);
    CHECK(billing->with.n == with.n());
    CHECK(billing->vs_rest.difference == doctest::Approx(expected.difference));
    CHECK(billing->vs_rest.p_value == doctest::Approx(expected.p_value));
    REQUIRE(!r.theme_drivers.empty());
    for (size_t i = 1; i < r.theme_drivers.size(); ++i)
        CHECK(std::abs(r.theme_drivers[i - 1].impact) >= std::abs(r.theme_drivers[i].impact));
    // The frequency themes are still there, unchanged.
    CHECK(!r.themes[static_cast<size_t>(segment::detractor)].empty());
    CHECK(report_to_json(r, store).find("\"theme_drivers\"") != std::string::npos);
}

TEST_CASE("report: a corpus kept between re-scores gives a fresh corpus's report") {
    // The dashboard keeps one theme_corpus (report_desc::corpus): after re-scores with other
    // filters, on other data, every report must be the one a fresh corpus gives.
    response_store labelled, demo;
    load_ndjson("tests/data/themes-labelled.ndjson", labelled);
    synthetic_desc sd;
    sd.responses = 6000;
    generate_synthetic(sd, [&](const response& r) { demo.add(r); });
    theme_corpus kept;
    size_t compared = 0;
    for (int round = 0; round < 2; ++round)
        for (const response_store* store : {&demo, &labelled})
            for (const char* hash : {"", "a.plan=pro", "seg=dp", "q=slow", "a.locale=fr", "seg=p"}) {
                report_desc d;
                view_settings v = decode_view_hash(hash);
                d.filter = filter_for(v, store->max_time_ms);
                const std::string fresh = report_to_json(build_report(*store, d), *store);
                d.corpus = &kept;
                INFO("round ", round, " hash ", hash);
                CHECK(report_to_json(build_report(*store, d), *store) == fresh);
                compared += fresh.find("\"log_odds\"") != std::string::npos;
            }
    CHECK(compared >= 8);  // most reports hold distinctive themes
    kept.reset_counts(0);  // past the cap: cleared in full
    CHECK(kept.size() == 0);
    CHECK(kept.comments(0) == 0);
}

TEST_CASE("theme_stem_prefix: every word starts with its stem's prefix (EN/FR)") {
    CHECK(theme_stem_prefix("bill") == "bil");
    CHECK(theme_stem_prefix("fast") == "fast");
    CHECK(theme_stem_prefix("ticket") == "tick");
    CHECK(theme_stem_prefix("abl") == "ab");
    CHECK(theme_stem_prefix("problem") == "probl");  // "problèmes": the è comes back as e
    CHECK(theme_stem_prefix("élev") == "");          // non-ASCII: the search folds ASCII only
    CHECK(theme_stem_prefix("die") == "d");          // "dying"
    // The property the theme filter's substring search rests on, over every word of the
    // labelled set, the demo data and Snowball's hardest rewrites, in both languages.
    std::vector<std::string> words = {
        "ability",      "possibly",    "dying",      "skies",       "happily",      "couramment", "évidemment", "problèmes",
        "mètres",       "heureuse",    "chevaux",    "indicateur",  "complètement", "différence", "récemment",  "garçon",
        "habileté",     "indicatrice", "lying",      "tying",       "fluently",     "hopeful",    "relational", "conditional",
        "organization", "valency",     "generously", "sensibility", "formalize",    "electrical", "happiness",  "agreed",
        "luxuriating",  "hopping",     "hoping",     "ugly",        "early",        "only",       "news",       "exportées",
        "tâches",       "lenteur",     "lentement",  "évaluation",  "intégrations", "facturées"};
    response_store store;
    load_ndjson("tests/data/themes-labelled.ndjson", store);
    for (size_t row = 0; row < store.size(); ++row)
        for (auto& t : tokenize(store.comment(row))) words.push_back(t);
    synthetic_desc desc;
    desc.responses = 3000;
    generate_synthetic(desc, [&](const response& r) {
        if (r.comment)
            for (auto& t : tokenize(*r.comment)) words.push_back(t);
    });
    stemmer en(text_language::english), fr(text_language::french);
    size_t checked = 0;
    for (const auto& w : words)
        for (stemmer* s : {&en, &fr}) {
            std::string stem(s->stem(w));
            INFO(w, " → ", stem);
            CHECK(w.rfind(std::string(theme_stem_prefix(stem)), 0) == 0);
            ++checked;
        }
    CHECK(checked > 2000);
}

TEST_CASE("theme_matcher: the comments a theme was counted in, no more") {
    // Agreement with theme_corpus::mentions for every theme ranked on the labelled set.
    response_store store;
    load_ndjson("tests/data/themes-labelled.ndjson", store);
    const attribute_column* locale = store.attribute("locale");
    theme_corpus corpus;
    for (size_t row = 0; row < store.size(); ++row)
        corpus.add(store.comment(row), store.slots[row], static_cast<uint32_t>(segment_of(store.slots[row])),
                   locale->value_of(locale->code_at(row)));
    REQUIRE(corpus.size() == store.size());  // one corpus index per row
    size_t keys = 0, phrases = 0;
    for (uint32_t s = 0; s < 3; ++s)
        for (const auto& t : corpus.rank(s, {20, 2, 1.0, 0.0, 0.95})) {
            INFO(t.key);
            std::vector<uint32_t> expected;
            for (uint32_t row = 0; row < store.size(); ++row)
                if (corpus.mentions(row, t.key)) expected.push_back(row);
            CHECK(rows_mentioning(store, t.key) == expected);
            CHECK(expected.size() == t.count + t.other_count);
            ++keys;
            phrases += t.words > 1;
        }
    CHECK(keys >= 40);
    CHECK(phrases >= 5);
    // Stems, not spellings, and the corpus's phrase rules.
    CHECK(theme_matcher("bill").matches("Billing was wrong twice"));
    CHECK(theme_matcher("bill").matches("the bills"));
    CHECK_FALSE(theme_matcher("bill").matches("Billy from sales"));  // stem "billi"
    CHECK(theme_matcher("factur").matches("Les factures sont fausses", "fr"));
    CHECK(theme_matcher("mis à jour").matches("La mise à jour a tout cassé", "fr"));  // "mise" stems to "mis"
    CHECK_FALSE(theme_matcher("mis à jour").matches("mise à la jour", "fr"));
    CHECK(theme_matcher("not work").matches("Sync is not working"));
    CHECK_FALSE(theme_matcher("not").matches("not now"));  // a negation is no theme alone
    CHECK_FALSE(theme_matcher("").matches("anything"));
    CHECK_FALSE(theme_matcher("a b c d").matches("a b c d"));
}

TEST_CASE("theme_row_cache: the rows of rows_mentioning as rows arrive, change and the key changes") {
    // The labelled set fed in four parts (the live stream), then a later comment on an older
    // row (the widget sends the score first, the comment under the same id later).
    std::ifstream in(std::string(NPSKIT_SOURCE_DIR) + "/tests/data/themes-labelled.ndjson", std::ios::binary);
    REQUIRE(in);
    std::vector<std::string> lines;
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    response_store store;
    response_importer importer({}, [&](const response_view& r) { store.add(r); });
    theme_row_cache cache;
    for (size_t part = 0; part < 4; ++part) {
        for (size_t i = part * lines.size() / 4; i < (part + 1) * lines.size() / 4; ++i) importer.feed(lines[i] + "\n");
        INFO(part);
        CHECK(cache.rows(store, "slow") == rows_mentioning(store, "slow"));
        CHECK(cache.last_was_full() == (part == 0));  // then only the appended rows are checked
    }
    importer.finish();
    for (const char* key : {"bill", "support ticket"}) {  // another key: found in full
        CHECK(cache.rows(store, key) == rows_mentioning(store, key));
        CHECK(cache.last_was_full());
    }
    const size_t rows = store.size();
    REQUIRE(rows == 360);
    CHECK(cache.rows(store, "slow") == rows_mentioning(store, "slow"));
    CHECK(cache.last_was_full());
    CHECK(cache.rows(store, "slow") == rows_mentioning(store, "slow"));
    CHECK_FALSE(cache.last_was_full());  // nothing new: the same set
    const std::vector<uint32_t> before = rows_mentioning(store, "slow");
    // Row 0 ("the price went up…") now says it is slow; a row that said so says something else.
    REQUIRE(!before.empty());
    REQUIRE(before.front() != 0);
    const std::string id0 = "labelled-000",
                      id_slow = "labelled-" + std::string(3 - std::to_string(before.back()).size(), '0') + std::to_string(before.back());
    response_importer updates({}, [&](const response_view& r) { store.add(r); });
    updates.feed(
        "{\"v\": 1, \"id\": \"" + id0 +
        "\", \"survey\": \"s\", \"score\": 1, \"ts\": \"2026-02-01T10:00:00Z\", \"locale\": \"en\", \"comment\": \"so slow to load\"}\n");
    updates.feed("{\"v\": 1, \"id\": \"" + id_slow +
                 "\", \"survey\": \"s\", \"score\": 1, \"ts\": \"2026-02-01T10:00:00Z\", \"locale\": \"en\", \"comment\": \"fine now\"}\n");
    updates.finish();
    REQUIRE(store.size() == rows);  // updates, not new rows
    const std::vector<uint32_t> after = rows_mentioning(store, "slow");
    CHECK(after.front() == 0);
    CHECK(after.size() == before.size());  // one in, one out
    CHECK(cache.rows(store, "slow") == after);
    CHECK_FALSE(cache.last_was_full());
    cache.clear();
    CHECK(cache.rows(store, "slow") == after);
    CHECK(cache.last_was_full());
}

TEST_CASE("distinctive themes: of overlapping phrases only the most distinctive is kept") {
    theme_corpus corpus;
    for (int i = 0; i < 30; ++i) {
        corpus.add("le mode hors ligne ne marche pas", 2, 0, "fr");
        corpus.add("replaced three spreadsheets for us", 2, 0, "en");
        corpus.add("rapide et simple", 9, 2, "fr");
        corpus.add("nice reports overall", 9, 2, "en");
    }
    auto top = corpus.rank(0, {20, 3, 1.0, 0.0, 0.95});
    std::vector<std::string> texts;
    for (const auto& t : top) texts.push_back(t.text);
    INFO(texts.size());
    auto has = [&](std::string_view w) { return std::find(texts.begin(), texts.end(), w) != texts.end(); };
    CHECK(has("mode hors ligne"));
    for (const char* part : {"hors ligne", "mode hors", "ligne ne", "ligne ne marche"}) CHECK_FALSE(has(part));
    size_t spreadsheet_phrases = 0;
    for (const auto& t : texts) spreadsheet_phrases += t.find("spreadsheets") != std::string::npos && t.find(' ') != std::string::npos;
    CHECK(spreadsheet_phrases == 1);
}

TEST_CASE("stop words: the French plural article, missing from Snowball's list, is one") {
    CHECK(is_snowball_stop_word("les", text_language::french));
    CHECK(is_snowball_stop_word("des", text_language::french));
    CHECK_FALSE(is_snowball_stop_word("les", text_language::english));
}

TEST_CASE("theme_index: rows_mentioning's rows exactly, EN and FR, words and phrases") {
    // A generated corpus: English and French words in their inflections, capitals, accents,
    // elisions, stop words and negations, with a locale, a regional one or none (detected).
    const std::vector<std::string> en = {"Fast",      "faster",  "slow",     "slowly",  "billing",    "bills",   "Billy", "support",
                                         "tickets",   "ticket",  "export",   "Exports", "not",        "no",      "too",   "working",
                                         "works",     "the",     "is",       "a",       "of",         "and",     "price", "pricing",
                                         "expensive", "basic",   "features", "feature", "crash",      "crashes", "sync",  "dying",
                                         "ability",   "happily", "easy",     "EASIER",  "onboarding", "2024",    "x"};
    const std::vector<std::string> fr = {
        "lent",  "lenteur", "lentement",  "factures", "facture",     "mise",         "à",       "jour",     "l'interface", "interface",
        "pas",   "clair",   "trop",       "cher",     "la",          "les",          "de",      "est",      "très",        "été",
        "Élevé", "élevés",  "problèmes",  "problème", "intégration", "intégrations", "ne",      "marche",   "mode",        "hors",
        "ligne", "support", "onboarding", "rapide",   "RAPIDES",     "garçon",       "chevaux", "d'export", "export"};
    uint64_t seed = 12345;
    auto next = [&](uint64_t n) {
        seed = seed * 6364136223846793005ull + 1442695040888963407ull;
        return (seed >> 33) % n;
    };
    std::string ndjson;
    const char* locales[] = {"en", "fr", "fr-CA", "en-GB", ""};
    for (int i = 0; i < 3000; ++i) {
        const char* locale = locales[next(5)];
        bool french = locale[0] == 'f' || (locale[0] == 0 && next(2));
        const auto& vocab = french ? fr : en;
        std::string comment;
        const size_t words = 1 + next(12);
        for (size_t w = 0; w < words; ++w) {
            if (w) comment += next(6) == 0 ? ", " : next(9) == 0 ? "! " : " ";
            comment += vocab[next(vocab.size())];
        }
        if (next(20) == 0) comment.clear();  // no comment
        ndjson += "{\"v\": 1, \"id\": \"generated-" + std::to_string(i) + "\", \"survey\": \"s\", \"score\": " + std::to_string(next(11)) +
                  ", \"ts\": \"2026-02-01T10:00:00Z\"" + (locale[0] ? std::string(", \"locale\": \"") + locale + "\"" : "") +
                  (comment.empty() ? "" : ", \"comment\": \"" + comment + "\"") + "}\n";
    }
    response_store store;
    response_importer importer({}, [&](const response_view& r) { store.add(r); });
    importer.feed(ndjson);
    importer.finish();
    REQUIRE(store.size() == 3000);
    // Built in slices, as the dashboard does between frames: it answers once every row is in.
    theme_index index;
    size_t slices = 1;
    while (!index.extend(store, 256)) {
        CHECK_FALSE(index.covers(store));
        ++slices;
    }
    CHECK(slices == 12);
    REQUIRE(index.covers(store));
    REQUIRE(index.rows() == 3000);
    theme_index whole;  // in one go
    whole.build(store);
    // Keys: every word's stem in either language, every 2 and 3 adjacent tokens' stems (most
    // of them no theme at all), and a few by hand.
    // "not no", "not the no", "pas trop": no word in them, no theme (forms_term).
    std::vector<std::string> keys = {"not work", "mis à jour", "mode hor lign", "not",    "pas",        "été",      "Fast",     "a b c d",
                                     "",         " ",          "not no",        "no too", "not the no", "pas trop", "trop pas", "too no"};
    stemmer stem_en(text_language::english), stem_fr(text_language::french);
    for (size_t row = 0; row < store.size() && keys.size() < 700; row += 7) {
        const std::vector<std::string> tokens = tokenize(store.comment(row));
        for (stemmer* st : {&stem_en, &stem_fr})
            for (size_t i = 0; i < tokens.size(); ++i) {
                std::string key(st->stem(tokens[i]));
                keys.push_back(key);
                for (size_t len = 2; len <= 3 && i + len <= tokens.size(); ++len) {
                    key += " " + std::string(st->stem(tokens[i + len - 1]));
                    keys.push_back(key);
                }
            }
    }
    std::sort(keys.begin(), keys.end());
    keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
    size_t found = 0, phrases = 0, words = 0;
    for (const auto& key : keys) {
        INFO(key);
        const std::vector<uint32_t> plain = rows_mentioning(store, key);
        theme_matcher m(key);
        CHECK(index.rows_mentioning(store, m) == plain);  // fails on a row missed or added
        CHECK(whole.rows_mentioning(store, m) == plain);
        found += !plain.empty();
        if (!plain.empty()) (key.find(' ') == std::string::npos ? words : phrases) += 1;
    }
    CHECK(words >= 40);
    CHECK(phrases >= 100);
    CHECK(found < keys.size());  // and keys that match nothing
    // The negation-only windows exist in the corpus (so the rule is what keeps them out).
    size_t negation_pairs = 0;
    for (size_t row = 0; row < store.size(); ++row) {
        const std::vector<std::string> tokens = tokenize(store.comment(row));
        for (size_t i = 0; i + 1 < tokens.size(); ++i)
            negation_pairs +=
                (tokens[i] == "not" || tokens[i] == "no" || tokens[i] == "too") && (tokens[i + 1] == "no" || tokens[i + 1] == "too");
    }
    CHECK(negation_pairs > 0);
    CHECK(index.memory_bytes() > 0);

    // The cache asks the index for a full find, then checks the rows the index has not seen:
    // appended ones, and an older row whose comment came later.
    theme_row_cache cache;
    CHECK(cache.rows(store, "slow", &index) == rows_mentioning(store, "slow"));
    CHECK(cache.last_was_full());
    size_t blank = 0;  // a row whose comment comes later (the widget sends the score first)
    while (store.comment_lengths[blank]) ++blank;
    response_importer more({}, [&](const response_view& r) { store.add(r); });
    more.feed(
        std::string(
            "{\"v\": 1, \"id\": \"generated-3000\", \"survey\": \"s\", \"score\": 3, \"ts\": \"2026-02-02T10:00:00Z\", \"locale\": \"en\", "
            "\"comment\": \"so slow\"}\n") +
        "{\"v\": 1, \"id\": \"generated-" + std::to_string(blank) + "\", \"survey\": \"s\", \"score\": " +
        std::to_string(store.slots[blank]) + ", \"ts\": \"2026-02-01T10:00:00Z\", \"locale\": \"en\", \"comment\": \"slowly slower\"}\n");
    more.finish();
    REQUIRE(store.size() == 3001);
    REQUIRE(index.covers(store));
    const std::vector<uint32_t> now = rows_mentioning(store, "slow");
    REQUIRE(store.comment_lengths[blank] != 0);  // past the pool the index saw
    REQUIRE(store.comment_offsets[blank] >= index.pool());
    REQUIRE(now.back() == 3000);
    for (const char* key : {"slow", "bill", "basic featur"}) {
        cache.clear();
        CHECK(cache.rows(store, key, &index) == rows_mentioning(store, key));
        CHECK(cache.last_was_full());
    }
    // Rows added after it was built join it (the dashboard's live updates), words and phrases.
    CHECK(index.rows_mentioning(store, theme_matcher("slow")).back() != 3000);
    CHECK(index.extend(store));
    REQUIRE(index.rows() == 3001);
    CHECK(index.rows_mentioning(store, theme_matcher("slow")).back() == 3000);
    response_importer later({}, [&](const response_view& r) { store.add(r); });
    later.feed(
        "{\"v\": 1, \"id\": \"generated-3001\", \"survey\": \"s\", \"score\": 9, \"ts\": \"2026-02-03T10:00:00Z\", \"locale\": \"fr\", "
        "\"comment\": \"La mise à jour est trop lente, pas clair\"}\n"
        "{\"v\": 1, \"id\": \"generated-3002\", \"survey\": \"s\", \"score\": 2, \"ts\": \"2026-02-03T10:00:00Z\", "
        "\"comment\": \"Support tickets not working\"}\n");
    later.finish();
    REQUIRE(store.size() == 3003);
    CHECK_FALSE(index.extend(store, 1));  // one of the two
    CHECK(index.covers(store));           // still answers: the cache checks the rest
    CHECK(index.extend(store));
    for (const char* key : {"mis à jour", "pas clair", "not work", "support ticket", "lent", "ticket"}) {
        INFO(key);
        const std::vector<uint32_t> plain = rows_mentioning(store, key);
        CHECK(index.rows_mentioning(store, theme_matcher(key)) == plain);
        CHECK_FALSE(plain.empty());
        CHECK(plain.back() >= 3001);
    }
    // A row rewritten after it was indexed keeps its old tokens in the index: the cache re-checks
    // it (its comment lies past pool()) and drops it.
    const uint32_t was_slow = now.front();
    response_importer rewrite({}, [&](const response_view& r) { store.add(r); });
    rewrite.feed("{\"v\": 1, \"id\": \"generated-" + std::to_string(was_slow) +
                 "\", \"survey\": \"s\", \"score\": " + std::to_string(store.slots[was_slow]) +
                 ", \"ts\": \"2026-02-01T10:00:00Z\", \"locale\": \"en\", \"comment\": \"all good\"}\n");
    rewrite.finish();
    REQUIRE(store.size() == 3003);
    const std::vector<uint32_t> rewritten = rows_mentioning(store, "slow");
    REQUIRE(rewritten.front() != was_slow);
    CHECK(index.rows_mentioning(store, theme_matcher("slow")).front() == was_slow);  // stale alone
    cache.clear();
    CHECK(cache.rows(store, "slow", &index) == rewritten);
    index.clear();
    CHECK_FALSE(index.covers(store));
}
