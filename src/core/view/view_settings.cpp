#include "view_settings.h"

#include <vector>

#include "calendar.h"
#include "params.h"

namespace npskit {

const char* date_preset_name(date_preset p) {
    switch (p) {
        case date_preset::all: return "all";
        case date_preset::last_7_days: return "7d";
        case date_preset::last_30_days: return "30d";
        case date_preset::last_90_days: return "90d";
        case date_preset::last_365_days: return "365d";
        case date_preset::custom: return "custom";
    }
    return "all";
}

std::string percent_encode(std::string_view text) {
    static const char hex[] = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : text) {
        bool keep = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' ||
                    c == '~' || c == ':' || c == '/';
        if (keep) {
            out.push_back(static_cast<char>(c));
        } else {
            out.push_back('%');
            out.push_back(hex[c >> 4]);
            out.push_back(hex[c & 15]);
        }
    }
    return out;
}

static int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

std::string percent_decode(std::string_view text) {
    std::string out;
    for (size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '%' && i + 2 < text.size() + 0 && hex_value(text[i + 1]) >= 0 && hex_value(text[i + 2]) >= 0) {
            out.push_back(static_cast<char>(hex_value(text[i + 1]) * 16 + hex_value(text[i + 2])));
            i += 2;
        } else if (text[i] == '+') {
            out.push_back(' ');
        } else {
            out.push_back(text[i]);
        }
    }
    return out;
}

static std::vector<std::string> split(std::string_view text, char sep) {
    std::vector<std::string> parts;
    size_t start = 0;
    while (start <= text.size()) {
        size_t end = text.find(sep, start);
        if (end == std::string_view::npos) end = text.size();
        parts.emplace_back(text.substr(start, end - start));
        start = end + 1;
    }
    return parts;
}

static std::string join(const std::vector<std::string>& parts, char sep) {
    std::string out;
    for (size_t i = 0; i < parts.size(); ++i) {
        if (i) out.push_back(sep);
        out += parts[i];
    }
    return out;
}

bool view_settings::operator==(const view_settings& o) const {
    if (attributes.size() != o.attributes.size()) return false;
    for (size_t i = 0; i < attributes.size(); ++i) {
        const auto &a = attributes[i], &b = o.attributes[i];
        if (a.key != b.key || a.values != b.values || a.exclude != b.exclude) return false;
    }
    return source == o.source && key == o.key && range == o.range && custom_since_day == o.custom_since_day &&
           custom_until_day == o.custom_until_day && segments == o.segments && exclude_rule == o.exclude_rule && text == o.text &&
           bucket == o.bucket && breakdown == o.breakdown && theme == o.theme && dark == o.dark;
}

attribute_filter parse_exclude_rule(std::string_view rule) {
    // Spaces next to '=', '|' or the ends are forgiven (typed by hand); the rest is the
    // condition grammar.
    std::string compact;
    for (size_t i = 0; i < rule.size(); ++i) {
        auto separator = [](char c) { return c == '=' || c == '|' || c == '!'; };
        if (rule[i] == ' ') {
            size_t a = i, b = i;
            while (b < rule.size() && rule[b] == ' ') ++b;
            bool drop = a == 0 || b == rule.size() || separator(rule[a - 1]) || separator(rule[b]);
            if (!drop) compact.append(rule.substr(a, b - a));
            i = b - 1;
            continue;
        }
        compact.push_back(rule[i]);
    }
    attribute_filter f;
    f.exclude = true;
    auto parsed = parse_condition(compact);
    if (!parsed || parsed->values.empty()) return f;
    for (auto& v : parsed->values)
        if (!v.empty()) f.values.push_back(std::move(v));
    if (!f.values.empty()) f.key = parsed->key;
    return f;
}

std::string encode_view_hash(const view_settings& v) {
    std::vector<std::string> parts;
    auto add = [&](const std::string& name, std::string_view value) { parts.push_back(name + "=" + percent_encode(value)); };
    if (!v.source.empty()) add("src", v.source);
    // The read key is never written back (browser history, shared links): the dashboard reads
    // #key= once and keeps it in sessionStorage.
    if (v.range == date_preset::custom) {
        add("range", format_date(v.custom_since_day) + ".." + format_date(v.custom_until_day));
    } else if (v.range != date_preset::all) {
        add("range", date_preset_name(v.range));
    }
    if (v.segments != 0b111) add("seg", format_segment_letters(v.segments));
    if (v.bucket != time_bucket::week) add("by", time_bucket_name(v.bucket));
    if (v.breakdown != "survey") add("bd", v.breakdown.empty() ? "none" : v.breakdown);
    for (const auto& f : v.attributes)
        if (!f.key.empty() && !f.values.empty()) add("where", format_condition(f));
    if (!v.exclude_rule.empty()) add("x", v.exclude_rule);
    if (!v.text.empty()) add("q", v.text);
    if (!v.theme.empty()) add("mention", v.theme);
    if (v.dark) add("theme", "dark");
    return join(parts, '&');
}

view_settings decode_view_hash(std::string_view hash) {
    view_settings v;
    if (!hash.empty() && hash[0] == '#') hash.remove_prefix(1);
    if (hash.empty()) return v;
    query_params q;  // the shared names; a malformed pair leaves it as it was
    bool custom = false;
    for (const auto& part : split(hash, '&')) {
        size_t eq = part.find('=');
        if (eq == std::string::npos) continue;
        std::string name = percent_decode(std::string_view(part).substr(0, eq));
        std::string value = percent_decode(std::string_view(part).substr(eq + 1));
        if (name == "src")
            v.source = value;
        else if (name == "key")
            v.key = value;
        else if (name == "range") {
            size_t dots = value.find("..");
            if (dots != std::string::npos) {
                query_params r;  // both ends or neither
                if (apply_param(r, "since", value.substr(0, dots)).ok() && apply_param(r, "until", value.substr(dots + 2)).ok() &&
                    r.filter.since_ms != response_filter{}.since_ms && r.filter.until_ms != response_filter{}.until_ms) {
                    q.filter.since_ms = r.filter.since_ms;
                    q.filter.until_ms = r.filter.until_ms;
                    custom = true;
                }
            } else {
                for (date_preset p : {date_preset::all, date_preset::last_7_days, date_preset::last_30_days, date_preset::last_90_days,
                                      date_preset::last_365_days})
                    if (value == date_preset_name(p)) v.range = p, custom = false;
            }
        } else if (name == "since" || name == "until") {
            if (apply_param(q, name, value).ok()) custom = true;
        } else if (name == "by") {
            if (auto b = parse_time_bucket(value)) v.bucket = *b;  // the breakdown is bd=
        } else if (name == "bd") {
            v.breakdown = value == "none" ? "" : value;
        } else if (name == "x") {
            v.exclude_rule = value;
        } else if (name == "q") {
            v.text = value;
        } else if (name == "mention") {
            v.theme = value;
        } else if (name == "theme") {
            v.dark = value == "dark";
        } else if (name == "where" || name == "seg" || name == "segment" || name.rfind("a.", 0) == 0 || name.rfind("xa.", 0) == 0) {
            apply_param(q, name, value);
        }
    }
    // Whole UTC days, both ends needed, since before until.
    const response_filter open;
    if (custom && q.filter.since_ms != open.since_ms && q.filter.until_ms != open.until_ms && q.filter.since_ms < q.filter.until_ms) {
        v.range = date_preset::custom;
        v.custom_since_day = floor_div(q.filter.since_ms, ms_per_day);
        v.custom_until_day = floor_div(q.filter.until_ms - 1, ms_per_day);
    }
    v.segments = q.filter.segments;
    v.attributes = std::move(q.filter.attributes);
    return v;
}

response_filter filter_for(const view_settings& v, int64_t now_ms) {
    response_filter f;
    int64_t end_day = floor_div(now_ms, ms_per_day) + 1;  // exclusive: tomorrow 00:00 UTC
    int days = 0;
    switch (v.range) {
        case date_preset::all: break;
        case date_preset::last_7_days: days = 7; break;
        case date_preset::last_30_days: days = 30; break;
        case date_preset::last_90_days: days = 90; break;
        case date_preset::last_365_days: days = 365; break;
        case date_preset::custom:
            f.since_ms = v.custom_since_day * ms_per_day;
            f.until_ms = (v.custom_until_day + 1) * ms_per_day;
            break;
    }
    if (days) {
        f.since_ms = (end_day - days) * ms_per_day;
        f.until_ms = end_day * ms_per_day;
    }
    f.segments = v.segments;
    f.attributes = v.attributes;
    if (!v.exclude_rule.empty()) {
        attribute_filter rule = parse_exclude_rule(v.exclude_rule);
        if (!rule.key.empty()) add_condition(f.attributes, std::move(rule));
    }
    f.text = v.text;
    return f;
}

}  // namespace npskit
