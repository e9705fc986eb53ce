// npskit core: themes in free-text comments. Tokenizer, English and French stop words, the
// most frequent words and two-word phrases of a set of comments (per segment in the
// dashboard). Pure C++, no allocation per token beyond the counting maps. And the themes that
// tell a team what to fix: stemmed words and phrases ranked by how distinctive they are of a
// group (a segment, a plan) with each one's effect on NPS.
//
// [SECTION] Tokens
// [SECTION] Counting themes
// [SECTION] Distinctive themes and their effect on NPS
// [SECTION] The comments that mention a theme (the dashboard's theme filter)
#pragma once
#include <array>
#include <climits>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "score.h"
#include "stem.h"
#include "store.h"

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
    std::string text;     // "pricing" or "too expensive"
    uint32_t count = 0;   // comments that contain it (each comment counts once)
    bool phrase = false;  // two words
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

//-----------------------------------------------------------------------------
// [SECTION] Distinctive themes and their effect on NPS
//-----------------------------------------------------------------------------
// Weighted log-odds ratio with an informative Dirichlet prior (Monroe, Colaresi & Quinn 2008,
// "Fightin' Words", eq. 16-22) of a term in group i against group j:
//   δ = log((y_i+α_w)/(n_i+α_0−y_i−α_w)) − log((y_j+α_w)/(n_j+α_0−y_j−α_w)),
//   σ² ≈ 1/(y_i+α_w) + 1/(y_j+α_w),   z = δ/σ.
// y: the term's counts, n: all terms' counts, α_w/α_0: the prior's term and total counts.
struct log_odds {
    double delta = 0, variance = 0, z = 0;
};
log_odds weighted_log_odds(double y_i, double n_i, double y_j, double n_j, double alpha_w, double alpha_0);

struct ranked_theme {
    std::string text;          // its most frequent surface form: "exports", "support ticket"
    std::string key;           // its stems: "export", "support ticket"
    uint8_t words = 1;         // 1, 2 or 3
    uint32_t count = 0;        // comments of the group that mention it (once per comment)
    uint32_t other_count = 0;  // comments of the other groups that mention it
    log_odds distinct;         // the group against the other comments
    // Effect on NPS, over every comment analysed (all groups): the answers whose comment
    // mentions it against those whose comment does not.
    nps_result with, without;
    nps_comparison vs_rest;  // with − without (compare_nps)
    double impact = 0;       // NPS points it moves the analysed answers' NPS: share × difference
};

struct theme_rank_desc {
    size_t top = 8;            // = 8, themes returned per group
    uint32_t min_count = 3;    // = 3, comments of the group that must mention a theme
    double prior_scale = 1;    // = 1: α_w = prior_scale × the term's count in every comment
    double min_z = 1.0;        // = 1.0, themes less distinctive than this are left out
    double confidence = 0.95;  // of the effect's intervals
};

// Comments, each with its group (0..groups-1), score and language; terms are Snowball stems.
// Words are the tokens that are not Snowball stop words (nor one letter, nor a number);
// phrases are 2 and 3 adjacent tokens that start and end with a word or a negation ("not",
// "no", "too", "pas": they carry the opinion of "not working", "too expensive", never a
// theme alone); a 3-word phrase may have a stop word in the middle ("mise à jour").
class theme_corpus {
public:
    // `locale` picks the stemmer ("fr*" French, else English); "" detects it from stop words.
    void add(std::string_view comment, int score, uint32_t group, std::string_view locale = {});
    // The group's most distinctive themes (z descending), with their effects. A phrase is kept
    // only when more distinctive than each of its words (and 2-word phrases), and then hides them;
    // of overlapping phrases (one inside the other, or sharing end words) only the most
    // distinctive is kept.
    std::vector<ranked_theme> rank(uint32_t group, const theme_rank_desc& desc = {}) const;
    // The group's most frequent words and two-word phrases, as theme_counter::top gives them for
    // the same comments (its stop words, surface forms, no stems): counted from add()'s tokens,
    // so the report tokenizes each comment once.
    std::vector<theme> frequent(uint32_t group, const theme_desc& desc = {}) const;
    // Whether comment `index` (in the order added) mentions the theme with this key.
    bool mentions(size_t index, std::string_view key) const;
    uint32_t comments(uint32_t group) const { return group < per_group_.size() ? per_group_[group] : 0; }
    size_t size() const { return scores_.size(); }
    void clear();
    // Forgets the comments added, keeps what it learnt of their words (kinds, stems, string and
    // term ids): the dashboard's next re-score adds comments made mostly of the same words, so
    // add() then finds them instead of stemming and storing them again. Results are those of a
    // fresh corpus (rank's ties are broken by key, not by first sight). clear()s in full past
    // `max_terms` terms.
    void reset_counts(size_t max_terms = 100'000);

private:
    // A word or phrase as up to three string ids (unused: UINT32_MAX): hashing three integers
    // per n-gram instead of its text is what keeps add() inside the re-score budget.
    struct gram {
        uint32_t a = UINT32_MAX, b = UINT32_MAX, c = UINT32_MAX;
        bool operator==(const gram&) const = default;
    };
    struct gram_hash {
        size_t operator()(const gram& g) const {
            uint64_t h =
                (uint64_t(g.a) * 0x9E3779B97F4A7C15ull) ^ (uint64_t(g.b) * 0xC2B2AE3D27D4EB4Full) ^ (uint64_t(g.c) * 0x165667B19E3779F9ull);
            return static_cast<size_t>(h ^ (h >> 29));
        }
    };
    struct term {
        std::string key;
        uint8_t words = 1;
        uint8_t content = 1;                              // of its words, those that are no stop word nor negation
        std::vector<std::pair<gram, uint32_t>> surfaces;  // surface form (string ids) → occurrences
    };
    struct word_info {
        uint8_t kind = 0;
        bool plain_stop = false;         // is_stop_word (theme_counter's rule)
        uint32_t stem = 0, surface = 0;  // string ids
    };
    uint32_t string_id(std::string_view text);
    std::string join(const gram& g) const;
    uint32_t intern(const gram& stems, const gram& surface, uint8_t words, uint8_t content);
    uint32_t count(uint32_t id, uint32_t group) const;
    uint32_t total(uint32_t id) const;
    log_odds score_term(uint32_t id, uint32_t group, double prior_scale) const;
    void effect(ranked_theme& t, uint32_t id, const theme_rank_desc& desc) const;

    std::unordered_map<std::string, uint32_t> ids_;  // key → term id
    std::unordered_map<gram, uint32_t, gram_hash> gram_ids_;
    std::vector<std::string> strings_;  // stems and surface words
    std::unordered_map<std::string, uint32_t> string_ids_;
    std::vector<term> terms_;
    std::vector<std::vector<uint32_t>> counts_;    // by group, by term id
    std::vector<uint32_t> per_group_;              // comments by group
    std::vector<std::array<double, 3>> totals_;    // by group: all terms' counts by words-1
    std::vector<uint32_t> term_ids_, offsets_{0};  // each comment's distinct term ids, sorted
    std::vector<uint8_t> scores_;
    std::vector<uint32_t> groups_;
    std::unique_ptr<stemmer> stemmers_[2];
    std::unordered_map<std::string, word_info> word_cache_[2];  // by language: word → kind, stem
    // frequent(): by group, comments per surface word (string id) and per adjacent pair of
    // surface words (pair id: pairs_).
    std::vector<std::vector<uint32_t>> word_counts_, pair_counts_;
    std::unordered_map<uint64_t, uint32_t> pair_ids_;
    std::vector<std::pair<uint32_t, uint32_t>> pairs_;
    // Scratch buffers of add().
    std::string tokens_, word_;
    std::vector<std::pair<uint32_t, uint32_t>> spans_;
    std::vector<std::string_view> views_;
    std::vector<word_info> info_;
    std::vector<uint32_t> seen_, words_seen_, pairs_seen_;
};

// Themes of several groups as one list of what moves the score: distinct keys, sorted by
// |impact| descending (the points of NPS a theme costs or brings).
std::vector<ranked_theme> theme_drivers(const std::vector<std::vector<ranked_theme>>& groups, size_t top = 10);

//-----------------------------------------------------------------------------
// [SECTION] The comments that mention a theme
//-----------------------------------------------------------------------------
// Whether a comment mentions a theme (a ranked_theme::key: its stems, "support ticket"), by
// the tokens, language, stems and n-gram rules of theme_corpus::add: the filter selects the
// comments a theme was counted in. A token is classified and stemmed only when it starts with
// the prefix of a key word (theme_stem_prefix), so most comments cost one tokenization.
class theme_matcher {
public:
    explicit theme_matcher(std::string_view key);
    bool matches(std::string_view comment, std::string_view locale = {});
    // An ASCII text every mentioning comment contains (ASCII case-insensitive); "" when none
    // is known (every comment is checked).
    const std::string& prefilter() const { return prefilter_; }
    const std::vector<std::string>& words() const { return words_; }

private:
    struct word_info {
        uint8_t kind = 0;
        std::string stem;
    };
    const word_info& classify(std::string_view token, text_language lang);
    // Whether a token of the comment that starts with prefixes_[k] is key word k.
    bool has_token(std::string_view comment, size_t k, text_language lang);
    std::vector<std::string> words_, prefixes_;
    std::string prefilter_;
    size_t prefilter_word_ = 0;
    std::string token_;
    std::unique_ptr<stemmer> stemmers_[2];
    std::unordered_map<std::string, word_info> cache_[2];
    std::string tokens_, word_;
    std::vector<std::pair<uint32_t, uint32_t>> spans_;
    std::vector<std::string_view> views_;
};

// The ASCII prefix that every word with this Snowball stem starts with, in English and French:
// the stem less the end Snowball may have rewritten (by its last letters: "able" ← "ability",
// "courant" ← "couramment"; "fast", "bill" stay whole), cut before its last 'e' (French
// un-accents a stem's last è/é: "problèmes" → "problem") and before its first non-ASCII byte
// (the search folds ASCII only). Asserted over the labelled and demo words (unit-themes.cpp).
std::string_view theme_stem_prefix(std::string_view stem);

// Rows (answered or not), ascending, whose comment mentions the theme: a substring search for
// the matcher's prefilter over the comment pool, then the matcher on the rows it found. The
// one code path of the theme condition (report, CSV export).
std::vector<uint32_t> rows_mentioning(const response_store& store, std::string_view key);

// The store's comments by token, so that clicking a theme finds rows_mentioning's rows without
// reading the comments. Built in slices (extend(), a bounded number of rows a call: the dashboard
// calls it between frames once a load ends, so no frame freezes), the rows in store order. Each
// distinct lower-cased token of a language (its kind and stem found once) gets an entry; a
// commented row is a "doc": its tokens' entries in order (varint bytes, for phrases), and each
// non-stop entry keeps its docs ascending (delta varints). A word's rows are the union of the
// entries rows_mentioning would accept (kind word, the stem, the stem's prefix); a phrase's are the
// docs holding both its end words whose token sequence has the phrase (stems, prefixes and
// forms_term, as theme_matcher). Covers the rows < rows() as they were when indexed and the pool
// up to pool() (its size when indexing began): rows added or rewritten since are for the caller
// (theme_row_cache checks them like appended ones).
class theme_index {
public:
    // Indexes up to `max_rows` more rows of the store (the same store each call, possibly
    // grown); true when every row is indexed. The first call fixes pool().
    bool extend(const response_store& store, size_t max_rows = SIZE_MAX);
    void build(const response_store& store) {  // in one go
        clear();
        extend(store);
    }
    void clear();
    // Whether it can answer for this store: every row was indexed once (later rows are the
    // caller's), and the store has not shrunk since.
    bool covers(const response_store& store) const;
    // rows_mentioning(store, key) over the rows < rows(), by `m` = theme_matcher(key).
    std::vector<uint32_t> rows_mentioning(const response_store& store, const theme_matcher& m) const;
    size_t rows() const { return rows_seen_; }
    size_t pool() const { return pool_seen_; }
    size_t memory_bytes() const;

private:
    struct entry {
        uint32_t stem = 0;       // stem_ids_ value: the stem of a word, the token itself otherwise
        uint32_t last_doc = 0;   // the last doc in `docs` (delta base)
        uint32_t doc_count = 0;  // docs holding it
        uint8_t kind = 0;
        std::string surface;
        std::vector<uint8_t> docs;  // delta varints, ascending; none for stop words
    };
    struct token_key {
        uint32_t offset, size, value;
        uint8_t language;
    };
    // Token (and language) → entry: an open-addressing table over one byte arena, as
    // std::unordered_map<std::string> cost most of the build in wasm.
    uint32_t& token_slot(std::string_view token, uint8_t language, bool& fresh);
    // The docs holding any of these entries, ascending.
    void docs_of(const std::vector<uint32_t>& entries, std::vector<uint32_t>& out) const;

    bool started_ = false, complete_ = false;
    size_t rows_seen_ = 0, pool_seen_ = 0;
    std::vector<entry> entries_;
    std::string token_bytes_;
    std::vector<token_key> token_keys_;
    std::vector<uint32_t> token_table_;                   // token_keys_ index + 1; 0: empty
    std::unordered_map<std::string, uint32_t> stem_ids_;  // stem → id
    std::vector<std::vector<uint32_t>> entries_of_stem_;  // by stem id: its entries
    std::vector<uint32_t> doc_rows_, doc_starts_{0};      // doc → row; doc → tokens_[start, next start)
    std::vector<uint8_t> tokens_;                         // each doc's entries in order, varints
    std::vector<uint8_t> code_language_;                  // by locale code: 0 en, 1 fr, 2 detect
    std::unique_ptr<stemmer> stemmers_[2];
    // Scratch buffers of extend().
    std::string text_;
    std::vector<std::pair<uint32_t, uint32_t>> spans_;
    std::vector<std::string_view> views_;
};

// rows_mentioning kept between re-scores: finding a theme's rows is most of a re-score with a
// theme selected (~15 ms at 10^6 comments), and changing another filter does not change them.
// Found in full when the key changes or the store shrank; otherwise only the rows whose comment
// was written since (appended rows, and older rows whose comment came later: the pool only
// grows, so they are the rows whose comment starts past the pool's old end) are checked.
// clear() when the store is replaced by another of possibly the same size (a new load).
class theme_row_cache {
public:
    // With an index that covers the store, a full find asks it (and checks the rows it does not
    // cover like appended ones).
    const std::vector<uint32_t>& rows(const response_store& store, std::string_view key, const theme_index* index = nullptr);
    void clear();
    // Whether the last rows() found the set in full (the first selection of a theme).
    bool last_was_full() const { return full_; }

private:
    std::string key_;
    bool valid_ = false, full_ = false;
    size_t rows_seen_ = 0, pool_seen_ = 0;
    std::vector<uint32_t> rows_;
    std::unique_ptr<theme_matcher> matcher_;
};

}  // namespace npskit
