// npskit core: the deterministic demo data generator (see synthetic.h).
//
// [SECTION] Random numbers (splitmix64, integer only)
// [SECTION] Vocabulary: countries, plans, triggers, comments (en, fr)
// [SECTION] The shape of a year: day weights, the dip, score odds
// [SECTION] generate_synthetic
#include "synthetic.h"

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "calendar.h"
#include "score.h"

namespace npskit {

//-----------------------------------------------------------------------------
// [SECTION] Random numbers
//-----------------------------------------------------------------------------
namespace {

uint64_t mix64(uint64_t z) {
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

struct rng {
    uint64_t state;
    uint64_t next() { return mix64(state += 0x9e3779b97f4a7c15ULL); }
    // Uniform in [0, n): multiply-shift on the high 32 bits (bias < 2^-32 · n, fine for a demo).
    uint32_t below(uint32_t n) { return static_cast<uint32_t>(((next() >> 32) * n) >> 32); }
    bool chance(uint32_t permille) { return below(1000) < permille; }
    template <size_t N>
    size_t weighted(const int (&weights)[N]) {
        int total = 0;
        for (int w : weights) total += w;
        int r = static_cast<int>(below(static_cast<uint32_t>(total)));
        for (size_t i = 0; i < N; ++i) {
            if (r < weights[i]) return i;
            r -= weights[i];
        }
        return N - 1;
    }
};

//-----------------------------------------------------------------------------
// [SECTION] Vocabulary
//-----------------------------------------------------------------------------
struct country_info {
    const char* code;
    int weight;
    const char* locale_en;                // locale when the user reads English
    const char* locale_fr;                // nullptr: never French
    int french_permille;                  // share of users reading French
    int promoter_shift, detractor_shift;  // permille; French-speaking raters are harsher
};
const country_info countries[] = {
    {"US", 30, "en-US", nullptr, 0, 0, 0},  {"GB", 12, "en-GB", nullptr, 0, -10, 0}, {"FR", 16, "en", "fr-FR", 930, -40, 25},
    {"DE", 9, "en", nullptr, 0, -20, 10},   {"CA", 8, "en-CA", "fr-CA", 400, 0, 0},  {"BE", 5, "en", "fr-BE", 700, -30, 20},
    {"CH", 4, "en", "fr-CH", 600, -20, 10}, {"IN", 7, "en-IN", nullptr, 0, 60, -20}, {"BR", 4, "en", nullptr, 0, 50, -10},
    {"AU", 5, "en-AU", nullptr, 0, 10, 0},
};
const int country_weights[] = {30, 12, 16, 9, 8, 5, 4, 7, 4, 5};

const char* const plans[] = {"free", "pro", "enterprise"};
const int plan_weights[] = {55, 33, 12};
const int plan_promoter_shift[] = {-50, 0, 90};
const int plan_detractor_shift[] = {40, 0, -60};

struct trigger_info {
    const char* name;
    int weight;
    const char* pages[3];
    int promoter_shift, detractor_shift;
};
const trigger_info triggers[] = {
    {"report_exported", 30, {"/app/reports", "/app/reports/export", "/app/reports"}, 30, -10},
    {"invoice_paid", 20, {"/app/billing", "/app/billing/invoices", "/app/billing"}, -30, 50},
    {"project_created", 25, {"/app/projects", "/app/projects/new", "/app/projects"}, 10, 0},
    {"session_30min", 25, {"/app/dashboard", "/app/settings", "/app/reports"}, 0, 0},
};
const int trigger_weights[] = {30, 20, 25, 25};

// Comments by language [0 = en, 1 = fr] and kind. Each fits the scores it is used for.
const char* const promoter_comments[2][12] = {
    {"Love it, the reports save me hours every week.", "Simple, fast and it just works.",
     "Great product, I recommend it to every team I work with.", "The export to CSV is exactly what we needed.",
     "Support answered in ten minutes and fixed my problem. Impressive.", "Clean interface, my whole team adopted it in a day.",
     "Best tool we pay for. Keep going!", "The dashboards are beautiful and easy to share.", "It replaced three spreadsheets for us.",
     "Fast, reliable, and the pricing is fair.", "Onboarding was smooth and the templates are great.",
     "Very good value, we upgraded to the next plan."},
    {"J'adore, les rapports me font gagner des heures chaque semaine.", "Simple, rapide et ça marche.",
     "Excellent produit, je le recommande à toutes les équipes.", "L'export CSV est exactement ce qu'il nous fallait.",
     "Le support a répondu en dix minutes et a réglé mon problème. Bravo.", "Interface claire, toute l'équipe l'a adopté en un jour.",
     "Le meilleur outil que nous payons. Continuez !", "Les tableaux de bord sont beaux et faciles à partager.",
     "Il a remplacé trois tableurs chez nous.", "Rapide, fiable, et le prix est juste.",
     "La prise en main a été facile et les modèles sont très bien.",
     "Très bon rapport qualité-prix, nous sommes passés à l'offre supérieure."},
};
const char* const passive_comments[2][10] = {
    {"Good overall, but the mobile view needs work.", "Does the job. Some settings are hard to find.",
     "Nice tool, a bit expensive for a small team.", "OK. I miss a dark mode.", "Reports are useful but slow to load with big projects.",
     "Fine for now, we would like more integrations.", "Solid, but the search could be smarter.",
     "Works well, the notifications are too noisy.", "Decent. The new navigation confused me at first.",
     "Useful, though the pricing page is unclear."},
    {"Bien dans l'ensemble, mais la version mobile est à revoir.", "Fait le travail. Certains réglages sont difficiles à trouver.",
     "Bon outil, un peu cher pour une petite équipe.", "Correct. Il manque un mode sombre.",
     "Les rapports sont utiles mais lents avec les gros projets.", "Bien pour l'instant, nous voudrions plus d'intégrations.",
     "Solide, mais la recherche pourrait être plus intelligente.", "Fonctionne bien, les notifications sont trop nombreuses.",
     "Correct. La nouvelle navigation m'a perdu au début.", "Utile, mais la page des tarifs n'est pas claire."},
};
const char* const detractor_comments[2][10] = {
    {"Too expensive for what it does.", "The app is slow and crashes on large reports.",
     "Billing charged us twice and support took a week to answer.", "Missing basic features like recurring exports.",
     "Hard to use, my team gave up after a week.", "The invoice page is confusing and the prices keep going up.",
     "Constant bugs, I lose my filters every time I reload.", "Support never answered my ticket.", "Export to Excel is broken again.",
     "Not worth the price, we are looking at alternatives."},
    {"Trop cher pour ce que ça fait.", "L'application est lente et plante sur les gros rapports.",
     "La facturation nous a débités deux fois et le support a mis une semaine à répondre.",
     "Il manque des fonctions de base comme les exports récurrents.", "Difficile à utiliser, mon équipe a abandonné au bout d'une semaine.",
     "La page des factures est confuse et les prix ne cessent d'augmenter.",
     "Des bugs sans arrêt, je perds mes filtres à chaque rechargement.", "Le support n'a jamais répondu à mon ticket.",
     "L'export Excel est encore cassé.", "Ça ne vaut pas le prix, nous regardons les alternatives."},
};
// The dip: a release broke sync; its unhappy users say so.
const char* const dip_comments[2][6] = {
    {"Since the last update sync is broken and everything is slow.", "Sync keeps failing, I lost a day of work.",
     "The new version is so slow I can't use it.", "Data doesn't sync between my laptop and phone anymore.",
     "Sync errors every morning since the update. Please fix.", "Slow, buggy release. Sync lost my changes twice."},
    {"Depuis la dernière mise à jour la synchro ne marche plus et tout est lent.",
     "La synchronisation échoue sans arrêt, j'ai perdu une journée de travail.",
     "La nouvelle version est tellement lente que je ne peux pas l'utiliser.",
     "Les données ne se synchronisent plus entre mon ordinateur et mon téléphone.",
     "Erreurs de synchro tous les matins depuis la mise à jour. Corrigez-les svp.",
     "Version lente et buggée. La synchro a perdu mes modifications deux fois."},
};
const char* const recovery_comments[2][4] = {
    {"Sync is fast again, thanks for fixing it.", "Much better since the fix, back to loving it.",
     "The performance update made a huge difference.", "Glad the sync issues are gone, great product again."},
    {"La synchro est de nouveau rapide, merci pour la correction.", "Bien mieux depuis le correctif, je l'adore à nouveau.",
     "La mise à jour de performance a tout changé.", "Content que les problèmes de synchro soient réglés, excellent produit."},
};

const int hour_weights[24] = {1, 1, 1, 1, 1, 2, 4, 8, 12, 14, 14, 12, 10, 12, 14, 13, 11, 9, 7, 5, 4, 3, 2, 1};
const int detractor_score_weights[7] = {5, 3, 5, 8, 11, 16, 22};

struct user_profile {
    uint32_t index;
    size_t plan, country;
    bool french;
};

user_profile profile_of(uint64_t seed, uint32_t user) {
    // A user keeps one plan, country and language for the whole year.
    rng r{mix64(seed * 0x2545f4914f6cdd1dULL + user)};
    user_profile p{user, r.weighted(plan_weights), r.weighted(country_weights), false};
    const country_info& c = countries[p.country];
    p.french = c.locale_fr && r.chance(static_cast<uint32_t>(c.french_permille));
    return p;
}

//-----------------------------------------------------------------------------
// [SECTION] The shape of a year
//-----------------------------------------------------------------------------
struct dip_shape {
    int64_t start, bottom, hold_end, end;  // day indexes: ramp down, hold, recover
    // 0..1000: how deep the dip is on day d
    int depth(int64_t d) const {
        if (d < start || d >= end) return 0;
        if (d < bottom) return static_cast<int>(1000 * (d - start) / std::max<int64_t>(1, bottom - start));
        if (d < hold_end) return 1000;
        return static_cast<int>(1000 - 1000 * (d - hold_end) / std::max<int64_t>(1, end - hold_end));
    }
};

dip_shape dip_for(int64_t days) {
    int64_t bottom = days * 62 / 100;
    int64_t down = std::max<int64_t>(1, days * 6 / 100), hold = std::max<int64_t>(1, days * 4 / 100),
            up = std::max<int64_t>(1, days * 12 / 100);
    return {bottom - down, bottom, bottom + hold, std::min(days, bottom + hold + up)};
}

void set_attr(response& r, const char* key, const char* value) { r.attributes.emplace_back(key, value); }

}  // namespace

//-----------------------------------------------------------------------------
// [SECTION] generate_synthetic
//-----------------------------------------------------------------------------
synthetic_stats generate_synthetic(const synthetic_desc& desc, const std::function<void(const response&)>& sink) {
    synthetic_stats stats;
    const int months = std::clamp(desc.months, 1, 120);
    const int64_t days = static_cast<int64_t>(months) * 365 / 12;
    const int64_t end_ms = desc.end_ms ? desc.end_ms : synthetic_default_end_ms;
    const int64_t first_day = floor_div(end_ms, ms_per_day) - days;
    const dip_shape dip = dip_for(days);
    const uint64_t seed = desc.seed;
    char seed_tag[24];
    std::snprintf(seed_tag, sizeof seed_tag, "%llx", static_cast<unsigned long long>(seed));

    // Responses per day: weekday/weekend weights, slow growth, largest-remainder allocation so
    // that the total is exactly desc.responses.
    std::vector<uint64_t> weight(static_cast<size_t>(days));
    uint64_t weight_sum = 0;
    for (int64_t d = 0; d < days; ++d) {
        int64_t weekday = (first_day + d + 3) % 7;  // 0 = Monday (1970-01-01 was a Thursday)
        if (weekday < 0) weekday += 7;
        uint64_t w = weekday == 5 ? 350 : weekday == 6 ? 300 : 1000;
        w = w * static_cast<uint64_t>(800 + 400 * d / days) / 1000;
        weight[static_cast<size_t>(d)] = w;
        weight_sum += w;
    }
    std::vector<uint64_t> per_day(static_cast<size_t>(days));
    std::vector<std::pair<uint64_t, int64_t>> remainders;  // (remainder, day)
    uint64_t allocated = 0;
    for (int64_t d = 0; d < days; ++d) {
        // responses × weight can exceed 64 bits only for absurd counts; split to stay exact.
        uint64_t w = weight[static_cast<size_t>(d)];
        uint64_t q = desc.responses / weight_sum, rem = desc.responses % weight_sum;
        uint64_t whole = q * w + rem * w / weight_sum;
        per_day[static_cast<size_t>(d)] = whole;
        allocated += whole;
        remainders.emplace_back(rem * w % weight_sum, d);
    }
    std::sort(remainders.begin(), remainders.end(),
              [](const auto& a, const auto& b) { return a.first != b.first ? a.first > b.first : a.second < b.second; });
    for (size_t i = 0; allocated < desc.responses && i < remainders.size(); ++i, ++allocated)
        ++per_day[static_cast<size_t>(remainders[i].second)];

    const uint32_t user_pool = static_cast<uint32_t>(std::clamp<uint64_t>(desc.responses / 3, 50, 4000000000ULL));
    rng r{mix64(seed ^ 0x6e70736b6974ULL)};  // "npskit"
    uint64_t response_index = 0, shown_index = 0, dismissed_index = 0;
    char buf[96];
    auto make_id = [&](char kind, uint64_t index) {
        std::snprintf(buf, sizeof buf, "syn%s-%c%07llu", seed_tag, kind, static_cast<unsigned long long>(index));
        return std::string(buf);
    };

    std::vector<response> day_records;
    bool any_record = false;
    for (int64_t d = 0; d < days; ++d) {
        day_records.clear();
        const int64_t day_ms = (first_day + d) * ms_per_day;
        const int dip_depth = dip.depth(d);
        const bool after_dip = d >= dip.end && d < dip.end + days / 10;
        // Response rate (permille of shown prompts answered): ~40 %, lower in the dip.
        const int64_t rate = 400 - 70 * dip_depth / 1000;
        const int64_t extra_permille = (1000 - rate) * 1000 / rate;  // unanswered prompts per answer, ×1000

        auto context = [&](response& rec, const user_profile& u, int64_t ts) {
            rec.ts_ms = ts;
            const country_info& c = countries[u.country];
            std::snprintf(buf, sizeof buf, "u%06u", u.index);
            rec.user = std::string(buf);
            rec.locale = std::string(u.french ? c.locale_fr : c.locale_en);
            set_attr(rec, "country", c.code);
            set_attr(rec, "plan", plans[u.plan]);
        };
        auto pick_time = [&]() {
            int64_t hour = static_cast<int64_t>(r.weighted(hour_weights));
            return day_ms + hour * 3'600'000 + static_cast<int64_t>(r.below(3'600'000));
        };

        for (uint64_t k = 0; k < per_day[static_cast<size_t>(d)]; ++k) {
            user_profile u = profile_of(seed, r.below(user_pool));
            response rec;
            rec.id = make_id('r', response_index++);
            rec.type = event_type::response;
            bool onboarding = r.chance(120);
            const trigger_info& t = triggers[r.weighted(trigger_weights)];
            if (onboarding) {
                rec.survey = "onboarding-nps";
                rec.trigger = std::string("onboarding_completed");
                rec.page = std::string("/app/welcome");
            } else {
                rec.survey = "product-nps";
                rec.trigger = std::string(t.name);
                rec.page = std::string(t.pages[r.below(3)]);
            }
            int64_t ts = pick_time();
            context(rec, u, ts);

            // Odds of each segment, permille.
            const country_info& c = countries[u.country];
            int p = 480 + plan_promoter_shift[u.plan] + c.promoter_shift + static_cast<int>(40 * d / days);
            int dt = 190 + plan_detractor_shift[u.plan] + c.detractor_shift;
            if (onboarding)
                p += 40;
            else
                p += t.promoter_shift, dt += t.detractor_shift;
            p -= 170 * dip_depth / 1000;
            dt += 150 * dip_depth / 1000;
            p = std::clamp(p, 50, 900);
            dt = std::clamp(dt, 30, 970 - p);
            int roll = static_cast<int>(r.below(1000));
            segment seg = roll < dt ? segment::detractor : roll < dt + p ? segment::promoter : segment::passive;
            if (seg == segment::promoter)
                rec.score = r.chance(550) ? 10 : 9;
            else if (seg == segment::passive)
                rec.score = r.chance(550) ? 8 : 7;
            else
                rec.score = static_cast<int>(r.weighted(detractor_score_weights));

            // A comment that fits the score, in the user's language.
            const int lang = u.french ? 1 : 0;
            uint32_t comment_odds = seg == segment::detractor ? 600 : seg == segment::passive ? 350 : 450;
            if (r.chance(comment_odds)) {
                const char* text;
                if (seg == segment::detractor && dip_depth > 0 && r.chance(static_cast<uint32_t>(300 + dip_depth * 45 / 100)))
                    text = dip_comments[lang][r.below(6)];
                else if (seg == segment::detractor)
                    text = detractor_comments[lang][r.below(10)];
                else if (seg == segment::passive)
                    text = passive_comments[lang][r.below(10)];
                else if (after_dip && r.chance(300))
                    text = recovery_comments[lang][r.below(4)];
                else
                    text = promoter_comments[lang][r.below(12)];
                rec.comment = std::string(text);
                ++stats.comments;
                if (seg == segment::detractor) {
                    uint32_t roll_contact = r.below(1000);
                    if (roll_contact < 400) {
                        rec.contact_ok = true;
                        std::snprintf(buf, sizeof buf, "user%06u@example.com", u.index);
                        rec.email = std::string(buf);
                    } else if (roll_contact < 600) {
                        rec.contact_ok = false;
                    }
                }
            }
            std::sort(rec.attributes.begin(), rec.attributes.end());

            if (desc.display_events) {
                // The prompt this answer came from, seconds before it.
                response shown;
                shown.id = make_id('s', shown_index++);
                shown.type = event_type::shown;
                shown.survey = rec.survey;
                shown.trigger = rec.trigger;
                shown.page = rec.page;
                context(shown, u, std::max(day_ms, ts - 3000 - static_cast<int64_t>(r.below(87'000))));
                day_records.push_back(std::move(shown));
                ++stats.shown;
                // Prompts nobody answered: some dismissed, the rest ignored.
                int64_t extra = extra_permille / 1000 + (r.below(1000) < static_cast<uint32_t>(extra_permille % 1000) ? 1 : 0);
                for (int64_t e = 0; e < extra; ++e) {
                    user_profile other = profile_of(seed, r.below(user_pool));
                    response s;
                    s.id = make_id('s', shown_index++);
                    s.type = event_type::shown;
                    s.survey = rec.survey;
                    s.trigger = rec.trigger;
                    s.page = rec.page;
                    int64_t sts = pick_time();
                    context(s, other, sts);
                    day_records.push_back(s);
                    ++stats.shown;
                    if (r.chance(550)) {
                        response x = s;
                        x.id = make_id('d', dismissed_index++);
                        x.type = event_type::dismissed;
                        x.ts_ms = std::min(day_ms + ms_per_day - 1, sts + 2000 + static_cast<int64_t>(r.below(18'000)));
                        day_records.push_back(std::move(x));
                        ++stats.dismissed;
                    }
                }
            }
            day_records.push_back(std::move(rec));
            ++stats.responses;
        }

        std::sort(day_records.begin(), day_records.end(),
                  [](const response& a, const response& b) { return a.ts_ms != b.ts_ms ? a.ts_ms < b.ts_ms : a.id < b.id; });
        for (const response& rec : day_records) {
            if (!any_record) stats.first_ms = rec.ts_ms;  // records arrive in time order
            stats.last_ms = rec.ts_ms;
            any_record = true;
            sink(rec);
        }
    }
    return stats;
}

}  // namespace npskit
