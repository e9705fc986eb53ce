#include "stem.h"

#include <algorithm>
#include <unordered_set>

#include <libstemmer.h>

namespace npskit {

namespace {
#include "stop_words_snowball.inc"

const std::unordered_set<std::string_view>& stop_set(text_language l) {
    static const std::unordered_set<std::string_view> en(std::begin(snowball_stop_words_en), std::end(snowball_stop_words_en));
    // Snowball's French list has "le", "la", "des" but not the plural article "les" (it showed
    // as a promoters' theme): added here, the one word the list lacks that the demo data needs.
    static const std::unordered_set<std::string_view> fr = [] {
        std::unordered_set<std::string_view> s(std::begin(snowball_stop_words_fr), std::end(snowball_stop_words_fr));
        s.insert("les");
        return s;
    }();
    return l == text_language::french ? fr : en;
}
}  // namespace

const char* text_language_name(text_language l) { return l == text_language::french ? "fr" : "en"; }

std::optional<text_language> language_of_locale(std::string_view locale) {
    if (locale.empty()) return std::nullopt;
    if (locale.size() >= 2 && (locale[0] | 0x20) == 'f' && (locale[1] | 0x20) == 'r' &&
        (locale.size() == 2 || locale[2] == '-' || locale[2] == '_'))
        return text_language::french;
    return text_language::english;
}

text_language detect_language(const std::vector<std::string_view>& tokens) {
    int en = 0, fr = 0;
    for (std::string_view t : tokens) {
        en += stop_set(text_language::english).count(t) != 0;
        fr += stop_set(text_language::french).count(t) != 0;
    }
    return fr > en ? text_language::french : text_language::english;
}

bool is_snowball_stop_word(std::string_view w, text_language l) { return stop_set(l).count(w) != 0; }

stemmer::stemmer(text_language l) : stemmer_(sb_stemmer_new(l == text_language::french ? "french" : "english", "UTF_8")) {}

stemmer::~stemmer() {
    if (stemmer_) sb_stemmer_delete(stemmer_);
}

std::string_view stemmer::stem(std::string_view w) {
    if (!stemmer_ || w.empty()) return w;  // only when out of memory: the word as it is
    const sb_symbol* s = sb_stemmer_stem(stemmer_, reinterpret_cast<const sb_symbol*>(w.data()), static_cast<int>(w.size()));
    if (!s) return w;
    return {reinterpret_cast<const char*>(s), static_cast<size_t>(sb_stemmer_length(stemmer_))};
}

}  // namespace npskit
