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
        CHECK(tokenize("l'interface, c’est «lent»!") ==
              std::vector<std::string>{"l", "interface", "c", "est", "lent"});
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
