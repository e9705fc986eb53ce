#include "themes.h"

#include <algorithm>
#include <array>
#include <unordered_set>

#include "query.h"  // ascii_lower

namespace npskit {

namespace {
// English and French function words (lower case, accents as UTF-8). Kept short and sorted by
// language; words carrying an opinion ("good", "bien", "not", "pas") are deliberately kept
// out so they can become themes ("not working", "pas clair").
constexpr std::array stop_words_list = {
    // English
    "a", "about", "after", "again", "all", "also", "am", "an", "and", "any", "are", "as", "at",
    "be", "because", "been", "before", "being", "but", "by", "can", "could", "did", "do", "does",
    "doing", "don", "for", "from", "get", "got", "had", "has", "have", "having", "he", "her",
    "here", "him", "his", "how", "i", "if", "im", "in", "into", "is", "it", "its", "ive", "just",
    "let", "ll", "me", "more", "most", "my", "of", "on", "once", "one", "only", "or", "other",
    "our", "out", "over", "re", "really", "s", "same", "she", "should", "so", "some", "such", "t",
    "than", "that", "the", "their", "them", "then", "there", "these", "they", "this", "those",
    "through", "to", "us", "ve", "very", "was", "we", "were", "what", "when", "where",
    "which", "while", "who", "why", "will", "with", "would", "you", "your",
    // French
    "à", "ai", "au", "aux", "avec", "c", "ça", "ce", "ces", "cette", "d", "dans", "de", "des",
    "du", "elle", "en", "est", "et", "été", "être", "eu", "fait", "il", "ils", "j", "je", "l",
    "la", "le", "les", "leur", "lui", "m", "ma", "mais", "me", "mes", "moi", "mon", "n", "ne",
    "nos", "notre", "nous", "on", "ont", "ou", "où", "par", "pour", "qu", "que", "qui", "s",
    "sa", "se", "ses", "son", "sont", "sur", "ta", "te", "tes", "toi", "ton", "tu", "un", "une",
    "vos", "votre", "vous", "y",
};

const std::unordered_set<std::string_view>& stop_words() {
    static const std::unordered_set<std::string_view> set(stop_words_list.begin(), stop_words_list.end());
    return set;
}

bool is_ascii_alnum(unsigned char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

// Length of the UTF-8 sequence starting with `lead` (1 for stray continuation bytes).
size_t sequence_length(unsigned char lead) {
    if (lead >= 0xF0) return 4;
    if (lead >= 0xE0) return 3;
    if (lead >= 0xC0) return 2;
    return 1;
}

bool is_word_sequence(std::string_view seq) {
    unsigned char c0 = static_cast<unsigned char>(seq[0]);
    if (c0 < 0x80) return is_ascii_alnum(c0);
    if (c0 == 0xC2) return false;  // U+0080..U+00BF: Latin-1 punctuation (« » ° ’ …)
    if (c0 == 0xC3 && seq.size() == 2) {
        unsigned char c1 = static_cast<unsigned char>(seq[1]);
        return c1 != 0x97 && c1 != 0xB7;  // × and ÷
    }
    if (c0 == 0xE2) return false;  // U+2000..U+2FFF: general punctuation (’ “ ” – …), symbols
    return true;
}
}  // namespace

namespace {
// Lower-cases ASCII and Latin-1 capitals (UTF-8 0xC3 0x80..0x9E, except ×) in place.
void lowercase_in_place(char* text, size_t size) {
    for (size_t i = 0; i < size; ++i) {
        unsigned char c = static_cast<unsigned char>(text[i]);
        if (c >= 'A' && c <= 'Z') {
            text[i] = ascii_lower(static_cast<char>(c));
        } else if (c == 0xC3 && i + 1 < size) {
            unsigned char c1 = static_cast<unsigned char>(text[i + 1]);
            if (c1 >= 0x80 && c1 <= 0x9E && c1 != 0x97) text[i + 1] = static_cast<char>(c1 + 0x20);
            ++i;
        }
    }
}

// The tokens of `text`, lower-cased, appended one after another to `out`, with their
// [begin, end) in `out` appended to `spans`: no allocation per token once the buffers have grown.
void tokenize_into(std::string_view text, std::string& out, std::vector<std::pair<uint32_t, uint32_t>>& spans) {
    size_t start = 0;
    bool in_token = false;
    auto close = [&] {
        lowercase_in_place(out.data() + start, out.size() - start);
        spans.emplace_back(static_cast<uint32_t>(start), static_cast<uint32_t>(out.size()));
        in_token = false;
    };
    size_t i = 0;
    while (i < text.size()) {
        size_t len = std::min(sequence_length(static_cast<unsigned char>(text[i])), text.size() - i);
        std::string_view seq = text.substr(i, len);
        if (is_word_sequence(seq)) {
            if (!in_token) start = out.size(), in_token = true;
            out.append(seq);
        } else if (in_token) {
            close();
        }
        i += len;
    }
    if (in_token) close();
}
}  // namespace

bool is_stop_word(std::string_view w) {
    if (w.empty()) return true;
    if (w.size() == 1) return true;
    if (std::all_of(w.begin(), w.end(), [](char c) { return c >= '0' && c <= '9'; })) return true;
    return stop_words().count(w) != 0;
}

std::vector<std::string> tokenize(std::string_view text) {
    std::string buffer;
    std::vector<std::pair<uint32_t, uint32_t>> spans;
    tokenize_into(text, buffer, spans);
    std::vector<std::string> tokens;
    tokens.reserve(spans.size());
    for (auto [b, e] : spans) tokens.emplace_back(buffer, b, e - b);
    return tokens;
}

void theme_counter::add(std::string_view comment) {
    // Tokens, words and phrases live in reused buffers (the dashboard adds thousands of comments
    // per re-score); only a theme seen for the first time allocates, as its map key.
    tokens_.clear();
    spans_.clear();
    tokenize_into(comment, tokens_, spans_);
    if (spans_.empty()) return;
    ++comments_;
    auto token = [&](size_t i) { return std::string_view(tokens_).substr(spans_[i].first, spans_[i].second - spans_[i].first); };
    stop_.assign(spans_.size(), 0);
    for (size_t i = 0; i < spans_.size(); ++i) stop_[i] = is_stop_word(token(i));
    // Each comment counts once per theme: collect its distinct themes first.
    phrase_text_.clear();
    phrase_spans_.clear();
    words_seen_.clear();
    for (size_t i = 0; i < spans_.size(); ++i) {
        if (stop_[i]) continue;
        words_seen_.push_back(token(i));
        if (i + 1 < spans_.size() && !stop_[i + 1]) {
            const size_t start = phrase_text_.size();
            phrase_text_.append(token(i)).append(1, ' ').append(token(i + 1));
            phrase_spans_.emplace_back(static_cast<uint32_t>(start), static_cast<uint32_t>(phrase_text_.size()));
        }
    }
    phrases_seen_.clear();
    for (auto [b, e] : phrase_spans_) phrases_seen_.push_back(std::string_view(phrase_text_).substr(b, e - b));
    for (auto* seen : {&words_seen_, &phrases_seen_}) {
        std::sort(seen->begin(), seen->end());
        seen->erase(std::unique(seen->begin(), seen->end()), seen->end());
    }
    for (std::string_view w : words_seen_) ++words_[key_.assign(w)];
    for (std::string_view p : phrases_seen_) ++phrases_[key_.assign(p)];
}

std::vector<theme> theme_counter::top(const theme_desc& desc) const {
    std::vector<theme> all;
    std::unordered_set<std::string> hidden;  // words covered by an equally frequent phrase
    for (const auto& [text, count] : phrases_) {
        if (count < desc.min_count) continue;
        all.push_back({text, count, true});
        size_t space = text.find(' ');
        for (std::string w : {text.substr(0, space), text.substr(space + 1)}) {
            auto it = words_.find(w);
            if (it != words_.end() && it->second <= count) hidden.insert(w);
        }
    }
    for (const auto& [text, count] : words_)
        if (count >= desc.min_count && !hidden.count(text)) all.push_back({text, count, false});
    std::sort(all.begin(), all.end(), [](const theme& a, const theme& b) {
        return a.count != b.count ? a.count > b.count : a.text < b.text;
    });
    if (all.size() > desc.top) all.resize(desc.top);
    return all;
}

void theme_counter::clear() {
    words_.clear();
    phrases_.clear();
    comments_ = 0;
}

}  // namespace npskit
