// npskit core: word stems for themes. Snowball's English and French stemmers (libstemmer:
// Debian's libstemmer-dev natively, the same C sources compiled to wasm) and Snowball's
// stop-word lists (Lingua::StopWords, generated into the build at configure time).
//
// [SECTION] Languages
// [SECTION] Stemmer
#pragma once
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

struct sb_stemmer;

namespace npskit {

//-----------------------------------------------------------------------------
// [SECTION] Languages
//-----------------------------------------------------------------------------
enum class text_language : uint8_t { english = 0, french = 1 };
const char* text_language_name(text_language l);  // "en" | "fr"

// "fr", "fr-CA", "FR_be" → French; any other non-empty locale → English; "" → none (detect).
std::optional<text_language> language_of_locale(std::string_view locale);
// The language whose Snowball stop words occur more often among the lower-cased tokens
// (English on a tie: most comments without a locale are English).
text_language detect_language(const std::vector<std::string_view>& tokens);
// Snowball's stop-word list of the language (apostrophe forms split like the tokenizer does:
// "don't" gives "don" and "t").
bool is_snowball_stop_word(std::string_view lowercase_word, text_language l);

//-----------------------------------------------------------------------------
// [SECTION] Stemmer
//-----------------------------------------------------------------------------
class stemmer {
public:
    explicit stemmer(text_language l);
    ~stemmer();
    stemmer(const stemmer&) = delete;
    stemmer& operator=(const stemmer&) = delete;
    // The stem of a lower-cased UTF-8 word ("exports" → "export", "factures" → "factur");
    // valid until the next call.
    std::string_view stem(std::string_view lowercase_word);

private:
    sb_stemmer* stemmer_ = nullptr;
};

}  // namespace npskit
