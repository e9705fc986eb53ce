// npskit core: scoring. Pure C++, no platform header.
//
// [SECTION] Segments and the 11-bin histogram (the sufficient statistic of NPS)
// [SECTION] NPS with its adjusted-Wald confidence interval
// [SECTION] Comparing two histograms (periods or groups)
// [SECTION] Display rounding (one rule everywhere: half away from zero)
#pragma once
#include <array>
#include <cstdint>
#include <string>

namespace npskit {

//-----------------------------------------------------------------------------
// [SECTION] Segments and the 11-bin histogram
//-----------------------------------------------------------------------------
enum class segment : uint8_t { detractor = 0, passive = 1, promoter = 2 };

// The NPS bands, written once: detractor 0..6, passive 7..8, promoter 9..10.
constexpr int max_detractor_score = 6;
constexpr int min_promoter_score = 9;

constexpr bool is_valid_score(int score) { return score >= 0 && score <= 10; }
constexpr segment segment_of(int score) {  // score must be valid
    return score >= min_promoter_score ? segment::promoter : score > max_detractor_score ? segment::passive : segment::detractor;
}
const char* segment_name(segment s);  // "detractor" | "passive" | "promoter"

struct score_histogram {
    std::array<uint64_t, 11> bins{};  // bins[s] = answers with score s

    void add(int score, uint64_t count = 1) { bins[static_cast<size_t>(score)] += count; }
    uint64_t n() const;
    uint64_t detractors() const;  // 0..max_detractor_score
    uint64_t passives() const;    // between the two
    uint64_t promoters() const;   // min_promoter_score..10
    score_histogram& operator+=(const score_histogram& other);
    bool operator==(const score_histogram&) const = default;
};

//-----------------------------------------------------------------------------
// [SECTION] NPS with its confidence interval
//-----------------------------------------------------------------------------
// NPS = 100·(P−D)/n over answered responses only. An empty histogram has no score:
// has_score is false and nps/ci are 0 (callers must show "no score", not 0).
// Interval: adjusted Wald (Rocks 2016; Sauro & Lewis 2021): n' = n+3, P' = P+¾, D' = D+¾,
//   p = P'/n', d = D'/n', se = sqrt((p + d − (p−d)²) / n'), ci = 100·((p−d) ± z·se),
// clipped to [−100, 100]. margin = half-width = 100·z·se.
struct nps_result {
    bool has_score = false;
    uint64_t n = 0, promoters = 0, passives = 0, detractors = 0;
    double nps = 0;  // exact, −100..100
    double ci_low = 0, ci_high = 0, margin = 0;
    double confidence = 0.95;
};
nps_result score_nps(const score_histogram& h, double confidence = 0.95);

// Two-sided standard normal quantile: z such that P(|Z| ≤ z) = confidence (0.95 → 1.959964).
double z_for_confidence(double confidence);
// Standard normal CDF.
double normal_cdf(double x);

//-----------------------------------------------------------------------------
// [SECTION] Comparison
//-----------------------------------------------------------------------------
// current − baseline. Difference of the exact NPS values; its interval and p-value from the
// adjusted-Wald estimates (independent samples): se = sqrt(var_a/n_a' + var_b/n_b').
struct nps_comparison {
    bool valid = false;     // both sides have a score
    double difference = 0;  // NPS points
    double ci_low = 0, ci_high = 0;
    double p_value = 1;        // two-sided
    bool significant = false;  // p_value < 1 − confidence
    double confidence = 0.95;
};
nps_comparison compare_nps(const score_histogram& current, const score_histogram& baseline, double confidence = 0.95);

//-----------------------------------------------------------------------------
// [SECTION] Display rounding
//-----------------------------------------------------------------------------
// Half away from zero at the given number of decimals: −12.5 → −13, 50.98 → 51, 12.25 → 12.3.
// Guards against binary representation (12.25 is exact, 0.15 is not: rounded as its
// shortest decimal form would be).
double round_half_away(double x, int decimals = 0);
// "51", "-13", "50.9", "no score" for an empty result is the caller's business.
std::string format_rounded(double x, int decimals = 0);

}  // namespace npskit
