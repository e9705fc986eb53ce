// npskit core: themes in free-text comments. Tokenizer, English and French stop words, the
// most frequent words and two-word phrases of a set of comments (per segment in the
// dashboard). Pure C++, no allocation per token beyond the counting maps.
//
// [SECTION] Tokens
// [SECTION] Counting themes
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace npskit {

//-----------------------------------------------------------------------------
// [SECTION] Tokens
//-----------------------------------------------------------------------------
// Words are runs of letters and digits (any non-ASCII UTF-8 sequence counts as a letter, so
// "intégration" stays one word); everything else separates, including apostrophes, so French
// elisions ("l'interface") give "l" + "interface". Lower-cased: ASCII and Latin-1 capitals
// (À..Þ, U+00C0..U+00DE except ×).
std::vector<std::string> tokenize(std::string_view text);
// English and French function words, plus one-letter tokens and pure numbers.
bool is_stop_word(std::string_view lowercase_word);

//-----------------------------------------------------------------------------
// [SECTION] Counting themes
//-----------------------------------------------------------------------------
struct theme {
    std::string text;    // "pricing" or "too expensive"
    uint32_t count = 0;  // comments that contain it (each comment counts once)
    bool phrase = false; // two words
    bool operator==(const theme&) const = default;
};

struct theme_desc {
    size_t top = 8;          // = 8, themes returned
    uint32_t min_count = 2;  // = 2, a theme must occur in this many comments
};

class theme_counter {
public:
    // A phrase is two adjacent tokens that are both not stop words.
    void add(std::string_view comment);
    // Most frequent first; ties alphabetical. A phrase hides its words when it is at least
    // as frequent as them (so "customer support" is shown rather than "customer" + "support").
    std::vector<theme> top(const theme_desc& desc = {}) const;
    uint32_t comments() const { return comments_; }
    void clear();

private:
    std::unordered_map<std::string, uint32_t> words_, phrases_;
    uint32_t comments_ = 0;
    // Scratch buffers of add(), kept between calls.
    std::string tokens_, phrase_text_, key_;
    std::vector<std::pair<uint32_t, uint32_t>> spans_, phrase_spans_;
    std::vector<uint8_t> stop_;
    std::vector<std::string_view> words_seen_, phrases_seen_;
};

}  // namespace npskit
