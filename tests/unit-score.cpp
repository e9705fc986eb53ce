// Scoring: segments, NPS, adjusted-Wald interval, comparison, display rounding.
// Expected intervals were computed independently (Python's statistics.NormalDist, the
// formulas of Sauro & Lewis 2021), not by this code.
#include <doctest/doctest.h>

#include "score.h"

using namespace npskit;

static score_histogram make(uint64_t promoters, uint64_t passives, uint64_t detractors) {
    score_histogram h;
    h.add(10, promoters);
    h.add(7, passives);
    h.add(0, detractors);
    return h;
}

TEST_CASE("segments follow 0-6 / 7-8 / 9-10") {
    for (int s = 0; s <= 6; ++s) CHECK(segment_of(s) == segment::detractor);
    CHECK(segment_of(7) == segment::passive);
    CHECK(segment_of(8) == segment::passive);
    CHECK(segment_of(9) == segment::promoter);
    CHECK(segment_of(10) == segment::promoter);
    CHECK_FALSE(is_valid_score(-1));
    CHECK_FALSE(is_valid_score(11));
}

TEST_CASE("histogram counts segments from its 11 bins") {
    score_histogram h;
    for (int s = 0; s <= 10; ++s) h.add(s, static_cast<uint64_t>(s + 1));
    CHECK(h.n() == 66);
    CHECK(h.detractors() == 1 + 2 + 3 + 4 + 5 + 6 + 7);
    CHECK(h.passives() == 8 + 9);
    CHECK(h.promoters() == 10 + 11);
    score_histogram sum = h;
    sum += h;
    CHECK(sum.n() == 132);
}

TEST_CASE("known NPS cases") {
    SUBCASE("Delighted: 32 promoters, 13 passives, 6 detractors -> 50.98 -> 51") {
        nps_result r = score_nps(make(32, 13, 6));
        REQUIRE(r.has_score);
        CHECK(r.n == 51);
        CHECK(r.nps == doctest::Approx(50.980392).epsilon(1e-6));
        CHECK(round_half_away(r.nps) == 51);
        CHECK(r.ci_low == doctest::Approx(29.294855).epsilon(1e-6));
        CHECK(r.ci_high == doctest::Approx(67.001442).epsilon(1e-6));
        CHECK(r.margin == doctest::Approx(18.853293).epsilon(1e-6));
    }
    SUBCASE("8 answers, 1 promoter, 2 detractors -> -12.5 -> -13 (not JS Math.round's -12)") {
        nps_result r = score_nps(make(1, 5, 2));
        CHECK(r.nps == doctest::Approx(-12.5));
        CHECK(round_half_away(r.nps) == -13);
        CHECK(format_rounded(r.nps) == "-13");
        CHECK(r.ci_low == doctest::Approx(-46.504546).epsilon(1e-6));
        CHECK(r.ci_high == doctest::Approx(28.322728).epsilon(1e-6));
    }
    SUBCASE("all detractors -> -100, interval clipped at -100") {
        nps_result r = score_nps(make(0, 0, 10));
        CHECK(r.nps == -100);
        CHECK(r.ci_low == -100);
        CHECK(r.ci_high == doctest::Approx(-47.503552).epsilon(1e-6));
        CHECK(r.margin == doctest::Approx(29.419525).epsilon(1e-6));
    }
    SUBCASE("all promoters -> 100") {
        nps_result r = score_nps(make(7, 0, 0));
        CHECK(r.nps == 100);
        CHECK(r.ci_high == 100);
    }
    SUBCASE("empty -> no score, distinct from 0") {
        nps_result r = score_nps(score_histogram{});
        CHECK_FALSE(r.has_score);
        CHECK(r.n == 0);
        nps_result zero = score_nps(make(1, 0, 1));
        CHECK(zero.has_score);
        CHECK(zero.nps == 0);
    }
    SUBCASE("confidence level is configurable") {
        nps_result r = score_nps(make(32, 13, 6), 0.90);
        CHECK(r.ci_low == doctest::Approx(32.325966).epsilon(1e-6));
        CHECK(r.ci_high == doctest::Approx(63.970331).epsilon(1e-6));
        CHECK(r.margin < score_nps(make(32, 13, 6), 0.95).margin);
    }
}

TEST_CASE("normal quantile and CDF") {
    CHECK(z_for_confidence(0.95) == doctest::Approx(1.959963985).epsilon(1e-9));
    CHECK(z_for_confidence(0.99) == doctest::Approx(2.575829304).epsilon(1e-9));
    CHECK(normal_cdf(0) == doctest::Approx(0.5));
    CHECK(normal_cdf(1.959963985) == doctest::Approx(0.975).epsilon(1e-9));
}

TEST_CASE("comparing two periods") {
    SUBCASE("a large change is significant") {
        nps_comparison c = compare_nps(make(60, 20, 20), make(40, 20, 40));
        REQUIRE(c.valid);
        CHECK(c.difference == doctest::Approx(40.0));
        CHECK(c.ci_low == doctest::Approx(15.727245).epsilon(1e-6));
        CHECK(c.ci_high == doctest::Approx(61.942658).epsilon(1e-6));
        CHECK(c.p_value == doctest::Approx(0.000987980).epsilon(1e-4));
        CHECK(c.significant);
    }
    SUBCASE("a small change on small samples is not") {
        nps_comparison c = compare_nps(make(32, 13, 6), make(30, 14, 7));
        REQUIRE(c.valid);
        CHECK(c.p_value == doctest::Approx(0.687667).epsilon(1e-5));
        CHECK_FALSE(c.significant);
        CHECK(c.ci_low < 0);
        CHECK(c.ci_high > 0);
    }
    SUBCASE("an empty side gives no comparison") { CHECK_FALSE(compare_nps(make(1, 1, 1), score_histogram{}).valid); }
}

TEST_CASE("display rounding is half away from zero everywhere") {
    CHECK(round_half_away(-12.5) == -13);
    CHECK(round_half_away(12.5) == 13);
    CHECK(round_half_away(50.98) == 51);
    CHECK(round_half_away(-0.4) == 0);
    CHECK(format_rounded(-0.4) == "0");  // never "-0"
    CHECK(round_half_away(12.25, 1) == doctest::Approx(12.3));
    CHECK(round_half_away(-12.25, 1) == doctest::Approx(-12.3));
    CHECK(round_half_away(0.15, 1) == doctest::Approx(0.2));  // 0.15 is 0.1499999… in binary
    CHECK(format_rounded(50.980392, 1) == "51.0");
    CHECK(format_rounded(-12.5, 1) == "-12.5");
}
