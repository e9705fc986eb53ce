#include "themes.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <optional>
#include <tuple>
#include <unordered_set>

#include "query.h"       // ascii_lower
#include "query_rows.h"  // contains_ignoring_case
#include "schema.h"      // is_valid_utf8

namespace npskit {

namespace {
// English and French function words (lower case, accents as UTF-8). Kept short and sorted by
// language; words carrying an opinion ("good", "bien", "not", "pas") are deliberately kept
// out so they can become themes ("not working", "pas clair").
// clang-format off
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
// clang-format on

const std::unordered_set<std::string_view>& stop_words() {
    static const std::unordered_set<std::string_view> set(stop_words_list.begin(), stop_words_list.end());
    return set;
}

bool is_ascii_alnum(unsigned char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

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
    std::sort(all.begin(), all.end(),
              [](const theme& a, const theme& b) { return a.count != b.count ? a.count > b.count : a.text < b.text; });
    if (all.size() > desc.top) all.resize(desc.top);
    return all;
}

void theme_counter::clear() {
    words_.clear();
    phrases_.clear();
    comments_ = 0;
}

//-----------------------------------------------------------------------------
// Distinctive themes
//-----------------------------------------------------------------------------
log_odds weighted_log_odds(double y_i, double n_i, double y_j, double n_j, double alpha_w, double alpha_0) {
    log_odds r;
    r.delta = std::log((y_i + alpha_w) / (n_i + alpha_0 - y_i - alpha_w)) - std::log((y_j + alpha_w) / (n_j + alpha_0 - y_j - alpha_w));
    r.variance = 1 / (y_i + alpha_w) + 1 / (y_j + alpha_w);
    r.z = r.delta / std::sqrt(r.variance);
    return r;
}

namespace {
enum token_kind : uint8_t { kind_word, kind_negation, kind_stop };

// Negations carry the opinion of a phrase ("not working", "too expensive", "pas clair") but are
// no theme alone; Snowball lists them as stop words.
bool is_negation(std::string_view w) { return w == "not" || w == "no" || w == "too" || w == "pas"; }

bool is_number(std::string_view w) {
    return std::all_of(w.begin(), w.end(), [](char c) { return c >= '0' && c <= '9'; });
}

uint8_t kind_of(std::string_view w, text_language lang) {
    return is_negation(w) ? kind_negation : w.size() == 1 || is_number(w) || is_snowball_stop_word(w, lang) ? kind_stop : kind_word;
}

// Whether tokens of these kinds form a term (theme_corpus's rules, shared with the matcher):
// a word alone; a phrase of 2 or 3 with no stop word at its ends and a word in it, a 3-word
// phrase with a word at one end at least.
bool forms_term(const uint8_t* kinds, size_t len) {
    if (len == 1) return kinds[0] == kind_word;
    if (kinds[0] == kind_stop || kinds[len - 1] == kind_stop) return false;
    bool any_word = false;
    for (size_t k = 0; k < len; ++k) any_word |= kinds[k] == kind_word;
    if (!any_word) return false;
    return len == 2 || kinds[0] == kind_word || kinds[len - 1] == kind_word;
}
}  // namespace

uint32_t theme_corpus::string_id(std::string_view text) {
    auto [it, fresh] = string_ids_.try_emplace(std::string(text), static_cast<uint32_t>(strings_.size()));
    if (fresh) strings_.emplace_back(text);
    return it->second;
}

std::string theme_corpus::join(const gram& g) const {
    std::string out = strings_[g.a];
    for (uint32_t id : {g.b, g.c})
        if (id != UINT32_MAX) out.append(1, ' ').append(strings_[id]);
    return out;
}

uint32_t theme_corpus::intern(const gram& stems, const gram& surface, uint8_t words, uint8_t content) {
    auto [it, fresh] = gram_ids_.try_emplace(stems, static_cast<uint32_t>(terms_.size()));
    if (fresh) {
        terms_.push_back({join(stems), words, content, {}});
        ids_.emplace(terms_.back().key, it->second);
        for (auto& c : counts_) c.push_back(0);
    }
    auto& surfaces = terms_[it->second].surfaces;
    auto s = std::find_if(surfaces.begin(), surfaces.end(), [&](const auto& p) { return p.first == surface; });
    if (s == surfaces.end())
        surfaces.emplace_back(surface, 1);
    else
        ++s->second;
    return it->second;
}

void theme_corpus::add(std::string_view comment, int score, uint32_t group, std::string_view locale) {
    tokens_.clear();
    spans_.clear();
    tokenize_into(comment, tokens_, spans_);
    if (spans_.empty() || !is_valid_score(score)) return;
    views_.clear();
    for (auto [b, e] : spans_) views_.push_back(std::string_view(tokens_).substr(b, e - b));
    auto lang = language_of_locale(locale).value_or(detect_language(views_));
    auto& st = stemmers_[static_cast<size_t>(lang)];
    if (!st) st = std::make_unique<stemmer>(lang);
    const size_t n = views_.size();
    info_.resize(n);
    // Classifying and stemming a word is most of the cost, and comments repeat their words:
    // both are done once per distinct word and language.
    auto& cache = word_cache_[static_cast<size_t>(lang)];
    for (size_t i = 0; i < n; ++i) {
        std::string_view w = views_[i];
        auto found = cache.find(word_.assign(w));
        if (found == cache.end()) {
            word_info wi;
            wi.kind = kind_of(w, lang);
            wi.plain_stop = is_stop_word(w);
            wi.surface = string_id(w);
            wi.stem = wi.kind == kind_word ? string_id(st->stem(w)) : wi.surface;
            found = cache.emplace(word_, wi).first;
        }
        info_[i] = found->second;
    }
    while (group >= counts_.size()) {
        counts_.emplace_back(terms_.size(), 0);
        per_group_.push_back(0);
        totals_.push_back({0, 0, 0});
        word_counts_.emplace_back();
        pair_counts_.emplace_back();
    }
    ++per_group_[group];
    // frequent()'s words and adjacent pairs (theme_counter's rules), each once per comment.
    words_seen_.clear();
    pairs_seen_.clear();
    for (size_t i = 0; i < n; ++i) {
        if (info_[i].plain_stop) continue;
        words_seen_.push_back(info_[i].surface);
        if (i + 1 < n && !info_[i + 1].plain_stop) {
            const uint64_t pair = uint64_t{info_[i].surface} << 32 | info_[i + 1].surface;
            auto [it, fresh] = pair_ids_.try_emplace(pair, static_cast<uint32_t>(pairs_.size()));
            if (fresh) pairs_.emplace_back(info_[i].surface, info_[i + 1].surface);
            pairs_seen_.push_back(it->second);
        }
    }
    for (auto [seen, counts, size] :
         {std::tuple{&words_seen_, &word_counts_[group], strings_.size()}, std::tuple{&pairs_seen_, &pair_counts_[group], pairs_.size()}}) {
        std::sort(seen->begin(), seen->end());
        seen->erase(std::unique(seen->begin(), seen->end()), seen->end());
        if (counts->size() < size) counts->resize(size);
        for (uint32_t id : *seen) ++(*counts)[id];
    }
    seen_.clear();
    for (size_t i = 0; i < n; ++i) {
        for (size_t len = 1; len <= 3 && i + len <= n; ++len) {
            size_t last = i + len - 1;
            uint8_t kinds[3];
            for (size_t k = i; k <= last; ++k) kinds[k - i] = info_[k].kind;
            if (!forms_term(kinds, len)) continue;
            gram stems, surface;
            uint32_t* st_slot[3] = {&stems.a, &stems.b, &stems.c};
            uint32_t* su_slot[3] = {&surface.a, &surface.b, &surface.c};
            for (size_t k = i; k <= last; ++k) {
                *st_slot[k - i] = info_[k].stem;
                *su_slot[k - i] = info_[k].surface;
            }
            uint8_t content = 0;
            for (size_t k = 0; k < len; ++k) content += kinds[k] == kind_word;
            seen_.push_back(intern(stems, surface, static_cast<uint8_t>(len), content));
        }
    }
    std::sort(seen_.begin(), seen_.end());
    seen_.erase(std::unique(seen_.begin(), seen_.end()), seen_.end());
    for (uint32_t id : seen_) {
        ++counts_[group][id];
        totals_[group][terms_[id].words - 1] += 1;
    }
    term_ids_.insert(term_ids_.end(), seen_.begin(), seen_.end());
    offsets_.push_back(static_cast<uint32_t>(term_ids_.size()));
    scores_.push_back(static_cast<uint8_t>(score));
    groups_.push_back(group);
}

std::vector<theme> theme_corpus::frequent(uint32_t group, const theme_desc& desc) const {
    // theme_counter::top over ids: a phrase hides its words when at least as frequent.
    std::vector<theme> all;
    if (group >= word_counts_.size()) return all;
    const std::vector<uint32_t>& words = word_counts_[group];
    const std::vector<uint32_t>& pairs = pair_counts_[group];
    auto word_count = [&](uint32_t id) { return id < words.size() ? words[id] : 0; };
    std::vector<uint8_t> hidden(words.size(), 0);
    for (uint32_t p = 0; p < pairs.size(); ++p) {
        const uint32_t count = pairs[p];
        if (count < desc.min_count) continue;
        auto [a, b] = pairs_[p];
        all.push_back({strings_[a] + " " + strings_[b], count, true});
        for (uint32_t w : {a, b})
            if (word_count(w) <= count) hidden[w] = 1;
    }
    for (uint32_t w = 0; w < words.size(); ++w)
        if (words[w] >= desc.min_count && !hidden[w]) all.push_back({strings_[w], words[w], false});
    std::sort(all.begin(), all.end(),
              [](const theme& a, const theme& b) { return a.count != b.count ? a.count > b.count : a.text < b.text; });
    if (all.size() > desc.top) all.resize(desc.top);
    return all;
}

uint32_t theme_corpus::count(uint32_t id, uint32_t group) const { return group < counts_.size() ? counts_[group][id] : 0; }

uint32_t theme_corpus::total(uint32_t id) const {
    uint32_t t = 0;
    for (const auto& c : counts_) t += c[id];
    return t;
}

log_odds theme_corpus::score_term(uint32_t id, uint32_t group, double prior_scale) const {
    // Counts are comments mentioning the term (a comment counts once), per phrase length: words
    // are compared with words, phrases with phrases of their length.
    const size_t order = terms_[id].words - 1;
    double n_all = 0;
    for (const auto& t : totals_) n_all += t[order];
    const double y_i = count(id, group), y_all = total(id);
    const double n_i = group < totals_.size() ? totals_[group][order] : 0;
    return weighted_log_odds(y_i, n_i, y_all - y_i, n_all - n_i, prior_scale * y_all, prior_scale * n_all);
}

bool theme_corpus::mentions(size_t index, std::string_view key) const {
    auto it = ids_.find(std::string(key));
    if (it == ids_.end() || index >= scores_.size()) return false;
    return std::binary_search(term_ids_.begin() + offsets_[index], term_ids_.begin() + offsets_[index + 1], it->second);
}

void theme_corpus::effect(ranked_theme& t, uint32_t id, const theme_rank_desc& desc) const {
    score_histogram with, without;
    for (size_t c = 0; c < scores_.size(); ++c) {
        bool in = std::binary_search(term_ids_.begin() + offsets_[c], term_ids_.begin() + offsets_[c + 1], id);
        (in ? with : without).add(scores_[c]);
    }
    t.with = score_nps(with, desc.confidence);
    t.without = score_nps(without, desc.confidence);
    t.vs_rest = compare_nps(with, without, desc.confidence);
    const double all = static_cast<double>(with.n() + without.n());
    // NPS_all = s·NPS_with + (1−s)·NPS_without, so NPS_all − NPS_without = s·difference.
    t.impact = t.vs_rest.valid && all > 0 ? static_cast<double>(with.n()) / all * t.vs_rest.difference : 0;
}

std::vector<ranked_theme> theme_corpus::rank(uint32_t group, const theme_rank_desc& desc) const {
    struct candidate {
        uint32_t id;
        log_odds lo;
    };
    std::vector<candidate> all;
    if (group >= counts_.size()) return {};
    std::vector<double> z(terms_.size(), -1e300);  // of every term the group mentions
    for (uint32_t id = 0; id < terms_.size(); ++id) {
        if (counts_[group][id] == 0) continue;
        log_odds lo = score_term(id, group, desc.prior_scale);
        z[id] = lo.z;
        if (counts_[group][id] >= desc.min_count && lo.z >= desc.min_z) all.push_back({id, lo});
    }
    auto id_of = [&](std::string_view key) {
        auto it = ids_.find(std::string(key));
        return it == ids_.end() ? UINT32_MAX : it->second;
    };
    // Each sub-term (words, and the 2-word phrases of a 3-word phrase) that the phrase must beat.
    auto parts = [](const std::string& key) {
        std::vector<std::string_view> words, out;
        size_t b = 0;
        for (size_t e; (e = key.find(' ', b)) != std::string::npos; b = e + 1) words.push_back(std::string_view(key).substr(b, e - b));
        words.push_back(std::string_view(key).substr(b));
        for (auto w : words) out.push_back(w);
        if (words.size() == 3) {
            out.push_back(std::string_view(key).substr(0, words[0].size() + 1 + words[1].size()));
            out.push_back(std::string_view(key).substr(words[0].size() + 1));
        }
        return out;
    };
    // Phrases one at a time, the most distinctive first (longer first on a tie): a phrase that
    // overlaps one already kept (holds it, lies inside it, or shares its first or last words:
    // "mode hors ligne" / "hors ligne" / "mode hors", "replaced three spreadsheets" /
    // "spreadsheets for us") says the same thing less well, and is left out.
    auto split = [](std::string_view key) {
        std::vector<std::string_view> w;
        size_t b = 0;
        for (size_t e; (e = key.find(' ', b)) != std::string_view::npos; b = e + 1) w.push_back(key.substr(b, e - b));
        w.push_back(key.substr(b));
        return w;
    };
    auto overlaps = [](const std::vector<std::string_view>& a, const std::vector<std::string_view>& b) {
        auto at = [](const std::vector<std::string_view>& x, const std::vector<std::string_view>& y, size_t from) {
            for (size_t k = 0; k < y.size() && from + k < x.size(); ++k)
                if (x[from + k] != y[k]) return false;
            return true;
        };
        // y starting at x[from] (or x at y[from]) matches where both have words.
        for (size_t from = 0; from < a.size(); ++from)
            if (at(a, b, from)) return true;
        for (size_t from = 0; from < b.size(); ++from)
            if (at(b, a, from)) return true;
        return false;
    };
    // Ties: longer first, then more content words ("mode hors ligne" before "ligne ne marche"),
    // then by key: the order must not depend on term ids (first sight), which a corpus kept
    // between re-scores (reset_counts) numbers differently from a fresh one.
    std::sort(all.begin(), all.end(), [&](const candidate& a, const candidate& b) {
        const term &ta = terms_[a.id], &tb = terms_[b.id];
        if (a.lo.z != b.lo.z) return a.lo.z > b.lo.z;
        if (ta.words != tb.words) return ta.words > tb.words;
        if (ta.content != tb.content) return ta.content > tb.content;
        return ta.key < tb.key;
    });
    std::vector<std::vector<std::string_view>> kept_phrases;
    std::vector<candidate> kept;
    std::unordered_set<std::string_view> hidden;
    for (const auto& c : all) {
        const term& t = terms_[c.id];
        if (t.words == 1) continue;
        const std::vector<std::string_view> words = split(t.key);
        if (std::any_of(kept_phrases.begin(), kept_phrases.end(), [&](const auto& k) { return overlaps(k, words); })) continue;
        bool beats = true;
        // Kept over each of its parts when more distinctive (z), or when the part is nearly
        // always said in the phrase (≥ 80 % of its mentions in the group): with the corpus as
        // the prior, a word used only in one group is as distinctive as it gets, yet "support
        // ticket" says more than "support" + "ticket".
        for (auto p : parts(t.key)) {
            uint32_t id = id_of(p);
            if (id == UINT32_MAX || z[id] <= -1e300) continue;
            beats &= c.lo.z >= z[id] || 5 * uint64_t(counts_[group][c.id]) >= 4 * uint64_t(counts_[group][id]);
        }
        if (!beats) continue;
        kept.push_back(c);
        kept_phrases.push_back(words);
        for (auto p : parts(t.key)) hidden.insert(p);
    }
    for (const auto& c : all)
        if (terms_[c.id].words == 1 && !hidden.count(terms_[c.id].key)) kept.push_back(c);
    std::sort(kept.begin(), kept.end(), [&](const candidate& a, const candidate& b) {
        if (a.lo.z != b.lo.z) return a.lo.z > b.lo.z;
        return terms_[a.id].key < terms_[b.id].key;
    });
    std::vector<ranked_theme> out;
    std::unordered_set<std::string> shown;
    for (const auto& c : kept) {
        if (out.size() == desc.top) break;
        const term& t = terms_[c.id];
        ranked_theme r;
        // The most frequent surface form; ties alphabetical.
        std::string best;
        uint32_t best_count = 0;
        for (const auto& [surface, n] : t.surfaces) {
            std::string text = join(surface);
            if (n > best_count || (n == best_count && text < best)) best = std::move(text), best_count = n;
        }
        // One line per surface form: "onboarding" stems apart in English and French.
        if (!shown.insert(best).second) continue;
        r.text = std::move(best);
        r.key = t.key;
        r.words = t.words;
        r.count = counts_[group][c.id];
        r.other_count = total(c.id) - r.count;
        r.distinct = c.lo;
        effect(r, c.id, desc);
        out.push_back(std::move(r));
    }
    return out;
}

void theme_corpus::clear() {
    ids_.clear();
    gram_ids_.clear();
    strings_.clear();
    string_ids_.clear();
    word_cache_[0].clear();
    word_cache_[1].clear();
    terms_.clear();
    counts_.clear();
    per_group_.clear();
    totals_.clear();
    term_ids_.clear();
    offsets_.assign(1, 0);
    scores_.clear();
    groups_.clear();
    word_counts_.clear();
    pair_counts_.clear();
    pair_ids_.clear();
    pairs_.clear();
}

void theme_corpus::reset_counts(size_t max_terms) {
    if (terms_.size() > max_terms) {
        clear();
        return;
    }
    for (uint32_t id : term_ids_)  // every term counted appears in some comment's ids
        for (auto& surface : terms_[id].surfaces) surface.second = 0;
    for (auto* table : {&counts_, &word_counts_, &pair_counts_})
        for (auto& c : *table) std::fill(c.begin(), c.end(), 0);
    std::fill(per_group_.begin(), per_group_.end(), 0);
    for (auto& t : totals_) t = {0, 0, 0};
    term_ids_.clear();
    offsets_.assign(1, 0);
    scores_.clear();
    groups_.clear();
}

std::vector<ranked_theme> theme_drivers(const std::vector<std::vector<ranked_theme>>& groups, size_t top) {
    std::vector<ranked_theme> out;
    std::unordered_set<std::string> keys;
    for (const auto& g : groups)
        for (const auto& t : g)
            if (keys.insert(t.key).second) out.push_back(t);
    std::stable_sort(out.begin(), out.end(), [](const ranked_theme& a, const ranked_theme& b) {
        return std::abs(a.impact) != std::abs(b.impact) ? std::abs(a.impact) > std::abs(b.impact) : a.key < b.key;
    });
    if (out.size() > top) out.resize(top);
    return out;
}

//-----------------------------------------------------------------------------
// The comments that mention a theme
//-----------------------------------------------------------------------------
std::string_view theme_stem_prefix(std::string_view stem) {
    // The end Snowball may have rewritten, by the stem's last letters: English -e/-i/-y
    // ("die" ← "dying", "able" ← "ability", "sky" ← "skies"), French -nt ("différent" ←
    // "différence", "courant" ← "couramment"), -qu ("indiqu" ← "indicateur"), -x/-l/-c ("heureux"
    // ← "heureuse", "cheval" ← "chevaux", "garc" ← "garçon"); other stems are the word's start.
    auto ends = [&](std::string_view tail) { return stem.size() >= tail.size() && stem.substr(stem.size() - tail.size()) == tail; };
    size_t trim = 0;
    if (ends("e") || ends("i") || ends("y") || ends("nt") || ends("qu"))
        trim = 2;
    else if (ends("x") || ends("l") || ends("c"))
        trim = 1;
    size_t n = stem.size() > trim ? stem.size() - trim : 0;
    size_t e = stem.substr(0, n).rfind('e');
    if (e != std::string_view::npos) n = e;
    for (size_t i = 0; i < n; ++i)
        if (static_cast<unsigned char>(stem[i]) >= 0x80) n = i;
    return stem.substr(0, n);
}

theme_matcher::theme_matcher(std::string_view key) {
    size_t b = 0;
    for (size_t e; b <= key.size(); b = e + 1) {
        e = key.find(' ', b);
        if (e == std::string_view::npos) e = key.size();
        if (e > b) words_.emplace_back(key.substr(b, e - b));
    }
    if (words_.size() > 3) words_.clear();  // not a theme: matches nothing
    for (size_t k = 0; k < words_.size(); ++k) {
        prefixes_.emplace_back(theme_stem_prefix(words_[k]));
        if (prefixes_[k].size() > prefilter_.size()) prefilter_ = prefixes_[k], prefilter_word_ = k;
    }
}

// ASCII case-insensitive find of a lower-case ASCII needle.
static size_t find_folded(std::string_view text, std::string_view needle, size_t from) {
    if (needle.empty() || text.size() < needle.size()) return std::string_view::npos;
    for (size_t i = from; i + needle.size() <= text.size(); ++i) {
        size_t k = 0;
        while (k < needle.size() && ascii_lower(text[i + k]) == needle[k]) ++k;
        if (k == needle.size()) return i;
    }
    return std::string_view::npos;
}

bool theme_matcher::has_token(std::string_view comment, size_t k, text_language lang) {
    const std::string& prefix = prefixes_[k];
    for (size_t p = find_folded(comment, prefix, 0); p != std::string_view::npos; p = find_folded(comment, prefix, p + 1)) {
        if (p > 0) {  // a token starts here when the sequence before is no word (valid UTF-8)
            size_t q = p - 1;
            while (q > 0 && (static_cast<unsigned char>(comment[q]) & 0xC0) == 0x80) --q;
            if (is_word_sequence(comment.substr(q, p - q))) continue;
        }
        size_t e = p;
        while (e < comment.size()) {
            size_t len = std::min(sequence_length(static_cast<unsigned char>(comment[e])), comment.size() - e);
            if (!is_word_sequence(comment.substr(e, len))) break;
            e += len;
        }
        token_.assign(comment.substr(p, e - p));
        lowercase_in_place(token_.data(), token_.size());
        const word_info& wi = classify(token_, lang);
        if (wi.stem == words_[k] && (words_.size() > 1 || wi.kind == kind_word)) return true;
    }
    return false;
}

const theme_matcher::word_info& theme_matcher::classify(std::string_view token, text_language lang) {
    auto& cache = cache_[static_cast<size_t>(lang)];
    auto found = cache.find(word_.assign(token));
    if (found != cache.end()) return found->second;
    word_info wi;
    wi.kind = kind_of(token, lang);
    if (wi.kind == kind_word) {
        auto& st = stemmers_[static_cast<size_t>(lang)];
        if (!st) st = std::make_unique<stemmer>(lang);
        wi.stem = std::string(st->stem(token));
    } else {
        wi.stem = std::string(token);
    }
    return cache.emplace(word_, std::move(wi)).first->second;
}

bool theme_matcher::matches(std::string_view comment, std::string_view locale) {
    const size_t len = words_.size();
    if (!len) return false;
    // With a locale (no detection needed) and a prefix: the tokens that start with it decide a
    // word alone, and must hold the phrase's longest word, without tokenizing the comment.
    const std::optional<text_language> known = language_of_locale(locale);
    if (known && !prefilter_.empty() && is_valid_utf8(comment)) {
        if (!has_token(comment, prefilter_word_, *known)) return false;
        if (len == 1) return true;
    }
    tokens_.clear();
    spans_.clear();
    tokenize_into(comment, tokens_, spans_);
    const size_t n = spans_.size();
    if (n < len) return false;
    views_.clear();
    for (auto [b, e] : spans_) views_.push_back(std::string_view(tokens_).substr(b, e - b));
    // Could token t be key word k (its stem, or the word itself when a stop word or negation)?
    auto could_be = [&](std::string_view t, size_t k) { return t == words_[k] || t.substr(0, prefixes_[k].size()) == prefixes_[k]; };
    std::optional<text_language> lang;  // detected only when a window could match
    for (size_t i = 0; i + len <= n; ++i) {
        bool possible = true;
        for (size_t k = 0; k < len && possible; ++k) possible = could_be(views_[i + k], k);
        if (!possible) continue;
        if (!lang) lang = known ? *known : detect_language(views_);
        uint8_t kinds[3];
        bool same = true;
        for (size_t k = 0; k < len && same; ++k) {
            const word_info& wi = classify(views_[i + k], *lang);
            same = wi.stem == words_[k];
            kinds[k] = wi.kind;
        }
        if (same && forms_term(kinds, len)) return true;
    }
    return false;
}

std::vector<uint32_t> rows_mentioning(const response_store& store, std::string_view key) {
    theme_matcher m(key);
    std::vector<uint32_t> rows;
    if (m.words().empty()) return rows;
    const attribute_column* locales = store.attribute("locale");
    auto check = [&](uint32_t row) {
        if (m.matches(store.comment(row), locales ? locales->value_of(locales->code_at(row)) : std::string_view{})) rows.push_back(row);
    };
    if (!m.prefilter().empty()) {
        for (uint32_t row : rows_with_text(store, m.prefilter())) check(row);
    } else {
        for (size_t row = 0; row < store.size(); ++row)
            if (store.comment_lengths[row]) check(static_cast<uint32_t>(row));
    }
    return rows;
}

namespace {
void put_varint(std::vector<uint8_t>& out, uint32_t v) {
    while (v >= 0x80) {
        out.push_back(static_cast<uint8_t>(v | 0x80));
        v >>= 7;
    }
    out.push_back(static_cast<uint8_t>(v));
}
uint32_t get_varint(const uint8_t*& p) {
    uint32_t v = 0;
    for (int shift = 0;; shift += 7) {
        const uint8_t b = *p++;
        v |= static_cast<uint32_t>(b & 0x7F) << shift;
        if (b < 0x80) return v;
    }
}
}  // namespace

void theme_index::clear() { *this = theme_index(); }

bool theme_index::covers(const response_store& store) const {
    return complete_ && store.size() >= rows_seen_ && store.comment_pool.size() >= pool_seen_;
}

uint32_t& theme_index::token_slot(std::string_view token, uint8_t language, bool& fresh) {
    auto hash = [](std::string_view t, uint8_t lang) {
        uint32_t h = 2166136261u ^ lang;  // FNV-1a
        for (char c : t) h = (h ^ static_cast<unsigned char>(c)) * 16777619u;
        return h;
    };
    if (2 * (token_keys_.size() + 1) > token_table_.size()) {  // grow: at most half full
        std::vector<uint32_t> table(std::max<size_t>(1024, 2 * token_table_.size()), 0);
        const size_t mask = table.size() - 1;
        for (uint32_t k = 0; k < token_keys_.size(); ++k) {
            const token_key& key = token_keys_[k];
            size_t i = hash(std::string_view(token_bytes_).substr(key.offset, key.size), key.language) & mask;
            while (table[i]) i = (i + 1) & mask;
            table[i] = k + 1;
        }
        token_table_.swap(table);
    }
    const size_t mask = token_table_.size() - 1;
    for (size_t i = hash(token, language) & mask;; i = (i + 1) & mask) {
        if (!token_table_[i]) {
            fresh = true;
            token_keys_.push_back({static_cast<uint32_t>(token_bytes_.size()), static_cast<uint32_t>(token.size()), UINT32_MAX, language});
            token_bytes_.append(token);
            token_table_[i] = static_cast<uint32_t>(token_keys_.size());
            return token_keys_.back().value;
        }
        token_key& key = token_keys_[token_table_[i] - 1];
        if (key.language == language && key.size == token.size() && std::string_view(token_bytes_).substr(key.offset, key.size) == token) {
            fresh = false;
            return key.value;
        }
    }
}

bool theme_index::extend(const response_store& store, size_t max_rows) {
    if (!started_) {
        started_ = true;
        // Rows rewritten from now on have their comment past this: the cache re-checks them.
        pool_seen_ = store.comment_pool.size();
    }
    const attribute_column* locales = store.attribute("locale");
    if (locales && code_language_.size() != locales->values.size() + 1) {  // new locales came
        code_language_.clear();
        for (size_t c = 0; c <= locales->values.size(); ++c)
            code_language_.push_back(
                static_cast<uint8_t>(language_of_locale(locales->value_of(static_cast<uint16_t>(c))).value_or(text_language{2})));
    }
    const size_t end = store.size() - rows_seen_ > max_rows ? rows_seen_ + max_rows : store.size();
    for (size_t row = rows_seen_; row < end; ++row) {
        if (!store.comment_lengths[row]) continue;
        text_.clear();
        spans_.clear();
        tokenize_into(store.comment(row), text_, spans_);
        if (spans_.empty()) continue;
        views_.clear();
        for (auto [b, e] : spans_) views_.push_back(std::string_view(text_).substr(b, e - b));
        const uint8_t known = locales ? code_language_[locales->code_at(row)] : 2;
        const auto lang = known < 2 ? static_cast<text_language>(known) : detect_language(views_);
        const auto doc = static_cast<uint32_t>(doc_rows_.size());
        doc_rows_.push_back(static_cast<uint32_t>(row));
        for (std::string_view w : views_) {
            bool fresh = false;
            uint32_t& slot = token_slot(w, static_cast<uint8_t>(lang), fresh);
            if (fresh) {
                entry en;
                en.kind = kind_of(w, lang);
                en.surface = std::string(w);
                std::string_view stem = w;
                if (en.kind == kind_word) {
                    auto& st = stemmers_[static_cast<size_t>(lang)];
                    if (!st) st = std::make_unique<stemmer>(lang);
                    stem = st->stem(w);
                }
                auto [it, new_stem] = stem_ids_.try_emplace(std::string(stem), static_cast<uint32_t>(entries_of_stem_.size()));
                if (new_stem) entries_of_stem_.emplace_back();
                en.stem = it->second;
                slot = static_cast<uint32_t>(entries_.size());  // token_slot's reference: before the push below
                entries_of_stem_[en.stem].push_back(slot);
                entries_.push_back(std::move(en));
            }
            const uint32_t id = slot;
            put_varint(tokens_, id);
            entry& en = entries_[id];
            // Stop words start or end no theme: their docs are never asked for.
            if (en.kind != kind_stop && (en.doc_count == 0 || en.last_doc != doc)) {
                put_varint(en.docs, doc - (en.doc_count ? en.last_doc : 0));
                en.last_doc = doc;
                ++en.doc_count;
            }
        }
        doc_starts_.push_back(static_cast<uint32_t>(tokens_.size()));
    }
    rows_seen_ = end;
    if (end == store.size() && !complete_) {
        // Once: the growth slack goes (up to half of each vector), later rows are few.
        complete_ = true;
        doc_rows_.shrink_to_fit();
        doc_starts_.shrink_to_fit();
        tokens_.shrink_to_fit();
        for (entry& en : entries_) en.docs.shrink_to_fit();
    }
    return end == store.size();
}

void theme_index::docs_of(const std::vector<uint32_t>& entries, std::vector<uint32_t>& out) const {
    out.clear();
    auto decode = [&](const entry& en, auto&& take) {
        const uint8_t* p = en.docs.data();
        uint32_t doc = 0;
        for (uint32_t k = 0; k < en.doc_count; ++k) take(doc += get_varint(p));
    };
    if (entries.size() == 1) {
        out.reserve(entries_[entries[0]].doc_count);
        decode(entries_[entries[0]], [&](uint32_t d) { out.push_back(d); });
        return;
    }
    if (entries.empty()) return;
    // Several surface forms ("fast", "faster"): their docs overlap; a bit per doc merges them.
    std::vector<uint64_t> bits((doc_rows_.size() + 63) / 64, 0);
    size_t total = 0;
    for (uint32_t e : entries) {
        total += entries_[e].doc_count;
        decode(entries_[e], [&](uint32_t d) { bits[d >> 6] |= uint64_t{1} << (d & 63); });
    }
    out.reserve(total);
    for (size_t w = 0; w < bits.size(); ++w)
        for (uint64_t b = bits[w]; b; b &= b - 1) out.push_back(static_cast<uint32_t>(w * 64 + static_cast<size_t>(std::countr_zero(b))));
}

std::vector<uint32_t> theme_index::rows_mentioning(const response_store& store, const theme_matcher& m) const {
    (void)store;  // the comments are not read: the index holds their tokens
    std::vector<uint32_t> rows;
    const std::vector<std::string>& words = m.words();
    const size_t len = words.size();
    if (!len) return rows;
    // Per key word, the entries a token may be to stand for it: theme_matcher's rule (its stem,
    // the stem's prefix; alone, a word), each entry marked with the bit of its positions.
    std::vector<std::vector<uint32_t>> candidates(len);
    std::unordered_map<uint32_t, uint8_t> bit_of;
    for (size_t k = 0; k < len; ++k) {
        auto stem = stem_ids_.find(words[k]);
        if (stem == stem_ids_.end()) return rows;  // no token has it
        const std::string_view prefix = theme_stem_prefix(words[k]);
        for (uint32_t e : entries_of_stem_[stem->second]) {
            const entry& en = entries_[e];
            if (len == 1 && en.kind != kind_word) continue;
            if (en.surface.compare(0, prefix.size(), prefix) != 0) continue;
            candidates[k].push_back(e);
            bit_of[e] |= static_cast<uint8_t>(1u << k);
        }
        if (candidates[k].empty()) return rows;
    }
    std::vector<uint32_t> docs;
    if (len == 1) {
        docs_of(candidates[0], docs);
        rows.reserve(docs.size());
        for (uint32_t d : docs) rows.push_back(doc_rows_[d]);
        return rows;
    }
    // A phrase starts and ends with a word or negation (forms_term): its docs are among those of
    // either end (stop words have no docs); of the rarer end's, the ones whose tokens have the
    // phrase's window (which checks the other end too).
    auto docs_at = [&](size_t k) {
        size_t n = 0;
        for (uint32_t e : candidates[k]) n += entries_[e].doc_count;
        return n;
    };
    docs_of(candidates[docs_at(0) <= docs_at(len - 1) ? 0 : len - 1], docs);
    // Each entry's bits, in a flat table over the candidates' id range (a look-up per token).
    uint32_t lo = UINT32_MAX, hi = 0;
    for (auto [e, b] : bit_of) lo = std::min(lo, e), hi = std::max(hi, e);
    std::vector<uint8_t> bits(hi - lo + 1, 0);
    for (auto [e, b] : bit_of) bits[e - lo] = b;
    auto bits_at = [&](uint32_t e) -> uint8_t { return e >= lo && e <= hi ? bits[e - lo] : 0; };
    std::vector<uint32_t> ids;
    for (uint32_t d : docs) {
        ids.clear();
        const uint8_t* p = tokens_.data() + doc_starts_[d];
        const uint8_t* stop = tokens_.data() + doc_starts_[d + 1];
        while (p < stop) ids.push_back(get_varint(p));
        for (size_t i = 0; i + len <= ids.size(); ++i) {
            uint8_t kinds[3];
            bool same = true;
            for (size_t k = 0; k < len && same; ++k) {
                same = (bits_at(ids[i + k]) >> k) & 1;
                kinds[k] = entries_[ids[i + k]].kind;
            }
            if (same && forms_term(kinds, len)) {
                rows.push_back(doc_rows_[d]);
                break;
            }
        }
    }
    return rows;
}

size_t theme_index::memory_bytes() const {
    size_t bytes = (doc_rows_.capacity() + doc_starts_.capacity() + token_table_.capacity()) * sizeof(uint32_t) + tokens_.capacity() +
                   entries_.capacity() * sizeof(entry) + token_bytes_.capacity() + token_keys_.capacity() * sizeof(token_key);
    for (const auto& e : entries_) bytes += e.docs.capacity() + (e.surface.capacity() > 15 ? e.surface.capacity() + 1 : 0);
    // Hash nodes, roughly: a node, its key and the bucket pointer.
    bytes += stem_ids_.size() * (sizeof(std::string) + 2 * sizeof(void*) + sizeof(uint32_t)) + stem_ids_.bucket_count() * sizeof(void*);
    for (const auto& list : entries_of_stem_) bytes += sizeof(list) + list.capacity() * sizeof(uint32_t);
    return bytes;
}

void theme_row_cache::clear() {
    valid_ = full_ = false;
    key_.clear();
    rows_.clear();
    matcher_.reset();
    rows_seen_ = pool_seen_ = 0;
}

const std::vector<uint32_t>& theme_row_cache::rows(const response_store& store, std::string_view key, const theme_index* index) {
    full_ = false;
    if (!valid_ || key != key_ || store.size() < rows_seen_ || store.comment_pool.size() < pool_seen_) {
        key_ = key;
        matcher_ = std::make_unique<theme_matcher>(key);
        valid_ = full_ = true;
        if (index && index->covers(store)) {
            // The index's rows, then what came since as below (as if it had been cached then).
            rows_ = index->rows_mentioning(store, *matcher_);
            rows_seen_ = index->rows();
            pool_seen_ = index->pool();
        } else {
            rows_ = rows_mentioning(store, key);
            rows_seen_ = store.size();
            pool_seen_ = store.comment_pool.size();
        }
    }
    if (store.size() != rows_seen_ || store.comment_pool.size() != pool_seen_) {
        // Rewritten older rows: re-checked (their comment may no longer mention it), in order.
        const attribute_column* locales = store.attribute("locale");
        const std::string& prefilter = matcher_->prefilter();
        auto mentions = [&](size_t row) {
            if (!store.comment_lengths[row] || matcher_->words().empty()) return false;
            std::string_view comment = store.comment(row);
            if (!prefilter.empty() && !query_rows::contains_ignoring_case(comment, prefilter)) return false;
            return matcher_->matches(comment, locales ? locales->value_of(locales->code_at(row)) : std::string_view{});
        };
        std::vector<uint32_t> rewritten;
        for (size_t row = 0; row < rows_seen_; ++row)
            if (store.comment_offsets[row] >= pool_seen_ && store.comment_lengths[row]) rewritten.push_back(static_cast<uint32_t>(row));
        if (!rewritten.empty()) {
            std::vector<uint32_t> kept;
            kept.reserve(rows_.size() + rewritten.size());
            size_t k = 0;
            for (uint32_t row : rows_) {
                while (k < rewritten.size() && rewritten[k] < row) {
                    if (mentions(rewritten[k])) kept.push_back(rewritten[k]);
                    ++k;
                }
                if (k < rewritten.size() && rewritten[k] == row) {
                    if (mentions(row)) kept.push_back(row);
                    ++k;
                } else {
                    kept.push_back(row);
                }
            }
            for (; k < rewritten.size(); ++k)
                if (mentions(rewritten[k])) kept.push_back(rewritten[k]);
            rows_.swap(kept);
        }
        for (size_t row = rows_seen_; row < store.size(); ++row)
            if (mentions(row)) rows_.push_back(static_cast<uint32_t>(row));
    }
    rows_seen_ = store.size();
    pool_seen_ = store.comment_pool.size();
    return rows_;
}

}  // namespace npskit
