#include "i18n.h"

#include "json_text.h"

namespace npskit {

// Each table is one literal, its strings NUL-separated in text_id order: no tables of pointers
// (57 relocated addresses in the widget's data).
static const char english[] =
#define NPSKIT_X(id, en, fr) en "\0"
    NPSKIT_TEXTS(NPSKIT_X)
#undef NPSKIT_X
    ;
static const char french[] =
#define NPSKIT_X(id, en, fr) fr "\0"
    NPSKIT_TEXTS(NPSKIT_X)
#undef NPSKIT_X
    ;
static const char names[] =
#define NPSKIT_X(id, en, fr) #id "\0"
    NPSKIT_TEXTS(NPSKIT_X)
#undef NPSKIT_X
    ;

// The k-th string of a table.
static const char* nth(const char* table, int k) {
    while (k--) table += __builtin_strlen(table) + 1;
    return table;
}

const char* text_id_name(text_id id) { return nth(names, static_cast<int>(id)); }

// The primary subtag, lower case, into `out` (9 bytes): "fr-CA" -> "fr". Empty when longer than 8.
static void primary_subtag(std::string_view tag, char* out) {
    size_t n = 0;
    for (char c : tag) {
        if (c == '-' || c == '_') break;
        if (n == 8) return void(out[0] = 0);
        out[n++] = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    }
    out[n] = 0;
}

// On a primary subtag (lower case, NUL-terminated).
static bool is_french(const char* p) { return p[0] == 'f' && p[1] == 'r' && !p[2]; }
static bool is_rtl(const char* p) {
    static const char rtl[] = "arheiwfaur";  // Arabic, Hebrew (and its old code), Persian, Urdu
    for (int k = 0; k < 10; k += 2)
        if (p[0] == rtl[k] && p[1] == rtl[k + 1] && !p[2]) return true;
    return false;
}

language language_of(std::string_view locale_tag) {
    char p[9] = {};
    primary_subtag(locale_tag, p);
    return is_french(p) ? language::fr : language::en;
}

bool is_rtl_locale(std::string_view locale_tag) {
    char p[9] = {};
    primary_subtag(locale_tag, p);
    return is_rtl(p);
}

prompt_texts texts_for_locale(std::string_view locale_tag) {
    prompt_texts t;
    primary_subtag(locale_tag, t.locale);
    const char* table = is_french(t.locale) ? french : english;
    for (int k = 0; k < static_cast<int>(text_id::count); ++k) {
        t.text[k] = table;  // up to its NUL
        table += t.text[k].size() + 1;
    }
    bool valid = t.locale[0] && t.locale[1];  // 2 to 8 letters
    for (const char* c = t.locale; *c; ++c) valid = valid && *c >= 'a' && *c <= 'z';
    if (!valid) __builtin_memcpy(t.locale, "en", 3);
    t.rtl = is_rtl(t.locale);
    return t;
}

bool override_text(prompt_texts& texts, std::string_view name, std::string_view value) {
    for (int k = 0; k < static_cast<int>(text_id::count); ++k) {
        if (same(name, nth(names, k))) {
            texts.text[k] = value;
            return true;
        }
    }
    return false;
}

text fill_placeholder(std::string_view tmpl, std::string_view name, std::string_view value) {
    text out;
    size_t i = 0;
    while (i < tmpl.size()) {
        if (tmpl[i] == '{' && tmpl.substr(i + 1, name.size()) == name && i + 1 + name.size() < tmpl.size() &&
            tmpl[i + 1 + name.size()] == '}') {
            out += value;
            i += name.size() + 2;
        } else {
            out += tmpl[i++];
        }
    }
    return out;
}

}  // namespace npskit
