#include "score.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace npskit {

const char* segment_name(segment s) {
    switch (s) {
        case segment::detractor: return "detractor";
        case segment::passive: return "passive";
        case segment::promoter: return "promoter";
    }
    return "?";
}

uint64_t score_histogram::n() const {
    uint64_t total = 0;
    for (uint64_t c : bins) total += c;
    return total;
}
static uint64_t sum_bins(const std::array<uint64_t, 11>& bins, int first, int last) {
    uint64_t total = 0;
    for (int s = first; s <= last; ++s) total += bins[static_cast<size_t>(s)];
    return total;
}
uint64_t score_histogram::detractors() const { return sum_bins(bins, 0, max_detractor_score); }
uint64_t score_histogram::passives() const { return sum_bins(bins, max_detractor_score + 1, min_promoter_score - 1); }
uint64_t score_histogram::promoters() const { return sum_bins(bins, min_promoter_score, 10); }
score_histogram& score_histogram::operator+=(const score_histogram& other) {
    for (size_t i = 0; i < bins.size(); ++i) bins[i] += other.bins[i];
    return *this;
}

double normal_cdf(double x) { return 0.5 * std::erfc(-x / std::sqrt(2.0)); }

// Acklam's rational approximation refined by one Halley step (|error| < 1e-12).
static double normal_quantile(double p) {
    static const double a[] = {-3.969683028665376e+01, 2.209460984245205e+02,  -2.759285104469687e+02,
                               1.383577518672690e+02,  -3.066479806614716e+01, 2.506628277459239e+00};
    static const double b[] = {-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02, 6.680131188771972e+01,
                               -1.328068155288572e+01};
    static const double c[] = {-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
                               -2.549732539343734e+00, 4.374664141464968e+00,  2.938163982698783e+00};
    static const double d[] = {7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00, 3.754408661907416e+00};
    const double plow = 0.02425, phigh = 1 - plow;
    double x;
    if (p < plow) {
        double q = std::sqrt(-2 * std::log(p));
        x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
    } else if (p <= phigh) {
        double q = p - 0.5, r = q * q;
        x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
            (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
    } else {
        double q = std::sqrt(-2 * std::log(1 - p));
        x = -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
    }
    double e = normal_cdf(x) - p;
    double u = e * std::sqrt(2 * M_PI) * std::exp(x * x / 2);
    return x - u / (1 + x * u / 2);
}

double z_for_confidence(double confidence) {
    confidence = std::clamp(confidence, 1e-9, 1 - 1e-12);
    return normal_quantile(0.5 + confidence / 2);
}

namespace {
struct adjusted_wald {
    double n, p, d;  // adjusted sample size and proportions
    double estimate() const { return p - d; }
    double variance() const { return (p + d - (p - d) * (p - d)) / n; }  // of the estimate
};
adjusted_wald adjust(const score_histogram& h) {
    double n = static_cast<double>(h.n()) + 3.0;
    return {n, (static_cast<double>(h.promoters()) + 0.75) / n, (static_cast<double>(h.detractors()) + 0.75) / n};
}
}  // namespace

nps_result score_nps(const score_histogram& h, double confidence) {
    nps_result r;
    r.confidence = confidence;
    r.n = h.n();
    r.promoters = h.promoters();
    r.passives = h.passives();
    r.detractors = h.detractors();
    if (r.n == 0) return r;
    r.has_score = true;
    r.nps = 100.0 * (static_cast<double>(r.promoters) - static_cast<double>(r.detractors)) / static_cast<double>(r.n);
    adjusted_wald a = adjust(h);
    double half = z_for_confidence(confidence) * std::sqrt(a.variance());
    r.margin = 100.0 * half;
    r.ci_low = std::max(-100.0, 100.0 * (a.estimate() - half));
    r.ci_high = std::min(100.0, 100.0 * (a.estimate() + half));
    return r;
}

nps_comparison compare_nps(const score_histogram& current, const score_histogram& baseline, double confidence) {
    nps_comparison c;
    c.confidence = confidence;
    nps_result a = score_nps(current, confidence), b = score_nps(baseline, confidence);
    if (!a.has_score || !b.has_score) return c;
    c.valid = true;
    c.difference = a.nps - b.nps;
    adjusted_wald aa = adjust(current), ab = adjust(baseline);
    double diff = aa.estimate() - ab.estimate();
    double se = std::sqrt(aa.variance() + ab.variance());
    double z = z_for_confidence(confidence);
    c.ci_low = std::max(-200.0, 100.0 * (diff - z * se));
    c.ci_high = std::min(200.0, 100.0 * (diff + z * se));
    c.p_value = se > 0 ? 2.0 * (1.0 - normal_cdf(std::fabs(diff) / se)) : 1.0;
    c.significant = c.p_value < 1.0 - confidence;
    return c;
}

double round_half_away(double x, int decimals) {
    if (!std::isfinite(x)) return x;
    double scale = std::pow(10.0, decimals);
    // Round the shortest decimal representation, not the binary one: 0.15*10 = 1.4999999…
    char buf[40];
    std::snprintf(buf, sizeof buf, "%.12g", x * scale);
    double scaled = std::strtod(buf, nullptr);
    double r = std::round(scaled);  // std::round is half away from zero
    r /= scale;
    return r == 0 ? 0.0 : r;  // no "-0"
}

std::string format_rounded(double x, int decimals) {
    char buf[40];
    std::snprintf(buf, sizeof buf, "%.*f", decimals, round_half_away(x, decimals));
    return buf;
}

}  // namespace npskit
