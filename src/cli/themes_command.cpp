// `npskit themes`: files → the core importer → store → theme_corpus (src/core/view/themes.h):
// per segment (or attribute value) the distinctive themes and each one's effect on NPS.
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli_commands.h"
#include "import.h"
#include "load_files.h"
#include "score.h"
#include "store.h"
#include "themes.h"

namespace npskit::cli {

using json = nlohmann::ordered_json;

namespace {

const char* themes_usage =
    "usage: npskit themes FILE... [options]\n"
    "  FILE                  JSON array, NDJSON or CSV (header row); '-' reads stdin\n"
    "  --by segment|KEY      groups compared: NPS segments (default) or an attribute's values\n"
    "  --top N               themes per group (default 8)\n"
    "  --locale en|fr        stem every comment as this language (default: the record's locale,\n"
    "                        else detected from stop words)\n"
    "  --format json|table   (default json)\n";

struct themes_options {
    std::vector<std::string> files;
    std::string by = "segment", locale;
    size_t top = 8;
    bool table = false, help = false;
};

std::string parse_themes_options(int argc, char** argv, themes_options& o) {
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i], v;
        auto value = [&]() -> bool { return i + 1 < argc ? (v = argv[++i], true) : false; };
        if (a == "--help" || a == "-h")
            o.help = true;
        else if (a == "--by") {
            if (!value() || v.empty()) return "--by needs segment or an attribute name";
            o.by = v;
        } else if (a == "--top") {
            char* end = nullptr;
            if (!value() || (o.top = std::strtoul(v.c_str(), &end, 10), *end) || o.top == 0 || o.top > 1000)
                return "--top needs a number from 1 to 1000";
        } else if (a == "--locale") {
            if (!value() || (v != "en" && v != "fr")) return "--locale must be en or fr";
            o.locale = v;
        } else if (a == "--format") {
            if (!value() || (v != "json" && v != "table")) return "--format must be json or table";
            o.table = v == "table";
        } else if (a.size() > 1 && a[0] == '-') {
            return "unknown option '" + a + "'";
        } else {
            o.files.push_back(a);
        }
    }
    if (!o.help && o.files.empty()) return "no input file";
    return "";
}

json score_json(const nps_result& r) {
    json j;
    j["n"] = r.n;
    j["nps"] = r.has_score ? json(r.nps) : json(nullptr);
    j["ci_low"] = r.has_score ? json(r.ci_low) : json(nullptr);
    j["ci_high"] = r.has_score ? json(r.ci_high) : json(nullptr);
    return j;
}

json theme_json(const ranked_theme& t) {
    json j;
    j["text"] = t.text;
    j["key"] = t.key;
    j["words"] = t.words;
    j["count"] = t.count;
    j["other_count"] = t.other_count;
    j["log_odds"] = t.distinct.delta;
    j["z"] = t.distinct.z;
    j["with"] = score_json(t.with);
    j["without"] = score_json(t.without);
    j["difference"] = t.vs_rest.valid ? json(t.vs_rest.difference) : json(nullptr);
    j["difference_ci_low"] = t.vs_rest.valid ? json(t.vs_rest.ci_low) : json(nullptr);
    j["difference_ci_high"] = t.vs_rest.valid ? json(t.vs_rest.ci_high) : json(nullptr);
    j["p_value"] = t.vs_rest.valid ? json(t.vs_rest.p_value) : json(nullptr);
    j["impact"] = t.impact;
    return j;
}

void print_themes_table(const json& report) {
    auto num = [](const json& v, int d) { return v.is_null() ? std::string("-") : format_rounded(v.get<double>(), d); };
    auto row = [&](const json& t) {
        std::string ci = t["with"]["nps"].is_null() ? "-" : "[" + num(t["with"]["ci_low"], 0) + ", " + num(t["with"]["ci_high"], 0) + "]";
        std::printf("  %-28s %6llu %6s %6s %12s %7s %7s %8s %7s\n", t["text"].get<std::string>().c_str(),
                    static_cast<unsigned long long>(t["count"].get<uint64_t>()), num(t["z"], 1).c_str(), num(t["with"]["nps"], 0).c_str(),
                    ci.c_str(), num(t["without"]["nps"], 0).c_str(), num(t["difference"], 0).c_str(),
                    t["p_value"].is_null() ? "-" : (t["p_value"].get<double>() < 0.001 ? "<0.001" : num(t["p_value"], 3)).c_str(),
                    num(t["impact"], 1).c_str());
    };
    auto header = [](const std::string& title) {
        std::printf("%-30s %6s %6s %6s %12s %7s %7s %8s %7s\n", title.c_str(), "count", "z", "NPS", "95% CI", "rest", "diff", "p",
                    "impact");
    };
    for (const auto& g : report["groups"]) {
        header(report["by"].get<std::string>() + " " + (g["key"].get<std::string>().empty() ? "(none)" : g["key"].get<std::string>()) +
               " (" + std::to_string(g["comments"].get<uint64_t>()) + ")");
        for (const auto& t : g["themes"]) row(t);
    }
    header("drivers (by impact)");
    for (const auto& t : report["drivers"]) row(t);
}

}  // namespace

int run_themes(int argc, char** argv) {
    themes_options o;
    std::string error = parse_themes_options(argc, argv, o);
    if (o.help) {
        std::fputs(themes_usage, stdout);
        return 0;
    }
    if (!error.empty()) {
        std::fprintf(stderr, "npskit themes: %s\n\n%s", error.c_str(), themes_usage);
        return 2;
    }
    response_store store;
    if (!load_files("themes", o.files, store)) return 1;

    // Groups: the three segments, or the attribute's values in the store's dictionary order.
    const bool by_segment = o.by == "segment";
    const attribute_column* column = by_segment ? nullptr : store.attribute(o.by);
    const attribute_column* locales = store.attribute("locale");
    std::vector<std::string> keys;
    if (by_segment)
        keys = {"detractor", "passive", "promoter"};
    else if (column) {
        keys.push_back("");
        for (const auto& v : column->values) keys.push_back(v);
    }
    theme_corpus corpus;
    for (size_t row = 0; row < store.size(); ++row) {
        int score = store.slots[row];
        std::string_view comment = store.comment(row);
        if (!is_valid_score(score) || comment.empty()) continue;
        uint32_t group = by_segment ? static_cast<uint32_t>(segment_of(score)) : column ? column->code_at(row) : 0;
        std::string_view locale = !o.locale.empty() ? std::string_view(o.locale)
                                  : locales         ? locales->value_of(locales->code_at(row))
                                                    : std::string_view();
        corpus.add(comment, score, group, locale);
    }
    // Values beyond the store's dictionary cap share its last value, "(other)": a group like the rest.

    theme_rank_desc rank;
    rank.top = o.top;
    json report;
    report["by"] = o.by;
    report["comments"] = corpus.size();
    json groups = json::array();
    std::vector<std::vector<ranked_theme>> ranked;
    for (uint32_t g = 0; g < keys.size(); ++g) {
        if (corpus.comments(g) == 0) continue;
        ranked.push_back(corpus.rank(g, rank));
        json item;
        item["key"] = keys[g];
        item["comments"] = corpus.comments(g);
        json list = json::array();
        for (const auto& t : ranked.back()) list.push_back(theme_json(t));
        item["themes"] = std::move(list);
        groups.push_back(std::move(item));
    }
    report["groups"] = std::move(groups);
    json drivers = json::array();
    for (const auto& t : theme_drivers(ranked, o.top * 2)) drivers.push_back(theme_json(t));
    report["drivers"] = std::move(drivers);
    if (o.table)
        print_themes_table(report);
    else
        std::printf("%s\n", report.dump(2, ' ', false, json::error_handler_t::replace).c_str());
    if (corpus.size() == 0) {
        std::fprintf(stderr, "npskit themes: no comment in the input\n");
        return 1;
    }
    return 0;
}

}  // namespace npskit::cli
