// i18n: built-in English and French, overrides, placeholders, text direction.
#include <doctest/doctest.h>

#include "i18n.h"

using namespace npskit;

TEST_CASE("i18n: language choice") {
    CHECK(language_of("fr-CA") == language::fr);
    CHECK(language_of("FR") == language::fr);
    CHECK(language_of("en-GB") == language::en);
    CHECK(language_of("de") == language::en);
    prompt_texts fr = texts_for_locale("fr-FR");
    CHECK(std::string_view(fr.locale) == "fr");
    CHECK(fill_placeholder(fr[text_id::question], "product", "Acme") ==
          "Quelle est la probabilit\xc3\xa9 que vous recommandiez Acme \xc3\xa0 un ami ou un coll\xc3\xa8gue\xc2\xa0?");
    prompt_texts en = texts_for_locale("");
    CHECK(std::string_view(en.locale) == "en");
    CHECK(fill_placeholder(en[text_id::question], "product", "Acme") == "How likely are you to recommend Acme to a friend or colleague?");
    CHECK(en[text_id::low_label] == "Not at all likely");
    CHECK(en[text_id::high_label] == "Extremely likely");
    CHECK(std::string_view(texts_for_locale("x<script>").locale) == "en");  // never a junk locale in a record
}

TEST_CASE("i18n: every built-in string is non-empty in both languages") {
    prompt_texts en = texts_for_locale("en"), fr = texts_for_locale("fr");
    for (int k = 0; k < static_cast<int>(text_id::count); ++k) {
        CAPTURE(text_id_name(static_cast<text_id>(k)));
        CHECK_FALSE(en.text[k].empty());
        CHECK_FALSE(fr.text[k].empty());
        CHECK(en.text[k] != fr.text[k]);
    }
}

TEST_CASE("i18n: right-to-left") {
    CHECK(texts_for_locale("ar").rtl);
    CHECK(texts_for_locale("he-IL").rtl);
    CHECK(std::string_view(texts_for_locale("he-IL").locale) == "he");
    CHECK(std::string_view(texts_for_locale("abcdefghi-X").locale) == "en");  // longer than 8 letters
    CHECK_FALSE(texts_for_locale("fr").rtl);
    CHECK_FALSE(texts_for_locale("en-US").rtl);
}

TEST_CASE("i18n: overrides and placeholders") {
    prompt_texts t = texts_for_locale("en");
    CHECK(override_text(t, "follow_promoter", "Tell us more!"));
    CHECK(t[text_id::follow_promoter] == "Tell us more!");
    CHECK_FALSE(override_text(t, "no_such_string", "x"));
    CHECK(fill_placeholder("{n}, out of 10", "n", "7") == "7, out of 10");
    CHECK(fill_placeholder("{a}{a} {b} {", "a", "x") == "xx {b} {");
}
