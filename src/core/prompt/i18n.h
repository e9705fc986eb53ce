// npskit core: the prompt's words. English and French built in; every string overridable per
// survey; right-to-left direction for Arabic and Hebrew (their words come from overrides).
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

#include "small_text.h"

namespace npskit {

// X(id, English, French). {product} and {n} are filled in at render time.
#define NPSKIT_TEXTS(X)                                                                                                                   \
    X(question, "How likely are you to recommend {product} to a friend or colleague?",                                                    \
      "Quelle est la probabilit\u00e9 que vous recommandiez {product} \u00e0 un ami ou un coll\u00e8gue\u00a0?")                          \
    X(low_label, "Not at all likely", "Pas du tout probable")                                                                             \
    X(high_label, "Extremely likely", "Extr\u00eamement probable")                                                                        \
    X(score_label, "{n}, out of 10", "{n}, sur 10")                                                                                       \
    X(close, "Close", "Fermer")                                                                                                           \
    X(follow_detractor, "What disappointed you or was missing?", "Qu\u2019est-ce qui vous a d\u00e9\u00e7u ou vous a manqu\u00e9\u00a0?") \
    X(follow_passive, "What would make us a 10 for you?", "Que faudrait-il pour que nous m\u00e9ritions un 10\u00a0?")                    \
    X(follow_promoter, "What do you like most?", "Qu\u2019appr\u00e9ciez-vous le plus\u00a0?")                                            \
    X(comment_hint, "Optional", "Facultatif")                                                                                             \
    X(send, "Send", "Envoyer")                                                                                                            \
    X(skip, "Skip", "Passer")                                                                                                             \
    X(thanks, "Thank you for your feedback!", "Merci pour votre avis\u00a0!")                                                             \
    X(detractor_cta, "Get help", "Obtenir de l\u2019aide")                                                                                \
    X(passive_cta, "See the offer", "Voir l\u2019offre")                                                                                  \
    X(promoter_cta, "Leave a review", "Laisser un avis")                                                                                  \
    X(contact_question, "May we contact you about this?", "Pouvons-nous vous contacter \u00e0 ce sujet\u00a0?")                           \
    X(contact_yes, "Yes, contact me", "Oui, contactez-moi")                                                                               \
    X(contact_email, "We will write to {email}.", "Nous vous \u00e9crirons \u00e0 {email}.")                                              \
    X(contact_done, "Thank you, we will be in touch.", "Merci, nous vous contacterons.")                                                  \
    X(done, "Done", "Terminer")                                                                                                           \
    X(dialog_label, "Feedback survey", "Enqu\u00eate de satisfaction")

enum class text_id : uint8_t {
#define NPSKIT_X(id, en, fr) id,
    NPSKIT_TEXTS(NPSKIT_X)
#undef NPSKIT_X
        count
};

enum class language : uint8_t { en, fr };

// Views: of the built-in tables, or of override text that the caller keeps alive (the widget's
// config, re-read after every init()).
struct prompt_texts {
    char locale[9] = "en";  // what the record says: the language actually shown (NUL-terminated)
    bool rtl = false;
    std::string_view text[static_cast<int>(text_id::count)];
    std::string_view operator[](text_id id) const { return text[static_cast<int>(id)]; }
};

// "fr-CA" -> fr; anything else -> en.
language language_of(std::string_view locale_tag);
bool is_rtl_locale(std::string_view locale_tag);  // ar, he (and iw), fa, ur
// Built-in strings for the tag's language; `locale` keeps the tag's primary subtag ("fr", "ar").
prompt_texts texts_for_locale(std::string_view locale_tag);
// Overrides one string by its id name ("question", "follow_promoter"…), as a view of `value`.
// False for unknown names.
bool override_text(prompt_texts& texts, std::string_view name, std::string_view value);
const char* text_id_name(text_id id);
// Replaces every "{name}" in `tmpl` with `value`.
text fill_placeholder(std::string_view tmpl, std::string_view name, std::string_view value);

}  // namespace npskit
