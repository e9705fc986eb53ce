#!/usr/bin/env python3
# Writes themes-labelled.ndjson: 360 schema v1 answers (English and French) whose comments carry
# planted themes known per comment (attribute "planted", "|"-separated), in filler text common to every segment, for
# tests/unit-themes.cpp. Deterministic: python3 tests/data/themes-labelled.py > tests/data/themes-labelled.ndjson
import json, random

rng = random.Random(17)
# theme -> (segment, English phrasings, French phrasings)
THEMES = {
    "billing":    ("detractor", ["billing is wrong again", "the billing page charged us twice", "billing errors on every invoice"],
                                ["la facturation est encore fausse", "erreurs de facturation sur chaque facture", "la facture est fausse"]),
    "support":    ("detractor", ["support tickets stay open for days", "nobody answers our support ticket", "support ticket ignored"],
                                ["le support ne répond pas aux tickets", "ticket de support sans réponse", "support injoignable"]),
    "speed":      ("detractor", ["so slow to load", "the app is slow and freezes", "slow exports"],
                                ["tellement lent à charger", "application lente", "exports lents"]),
    "offline":    ("detractor", ["missing offline mode", "no offline mode on the train", "we need offline mode"],
                                ["pas de mode hors ligne", "il manque le mode hors ligne", "mode hors ligne absent"]),
    "price":      ("detractor", ["too expensive for a small team", "the price went up", "way too expensive"],
                                ["beaucoup trop cher", "le prix a augmenté", "trop cher pour une petite équipe"]),
    "onboarding": ("promoter",  ["onboarding was smooth", "great onboarding session", "the onboarding guide helped"],
                                ["onboarding très fluide", "super onboarding", "l'onboarding nous a aidés"]),
    "integrations": ("promoter", ["the slack integration is perfect", "love the integrations", "integrations with our crm work"],
                                 ["les intégrations sont parfaites", "intégration slack impeccable", "j'adore les intégrations"]),
    "reports":    ("promoter",  ["the reports save hours", "beautiful reports", "weekly reports are clear"],
                                ["les rapports nous font gagner du temps", "rapports magnifiques", "rapports hebdomadaires clairs"]),
    "templates":  ("passive",   ["more templates would help", "few templates", "templates are limited"],
                                ["plus de modèles serait utile", "peu de modèles", "modèles limités"]),
    "mobile":     ("passive",   ["the mobile app lacks features", "mobile app is basic", "mobile version needs work"],
                                ["l'application mobile est limitée", "version mobile basique", "mobile à améliorer"]),
}
# Filler shared by every segment: frequent words that must not become themes.
FILLER = {"en": ["I use it every week with my team.", "We really use it a lot.", "Very much part of our day.",
                 "We set it up last year.", "Our team uses it every day.", "Honestly,", "Overall,", ""],
          "fr": ["On l'utilise chaque semaine avec l'équipe.", "Nous l'utilisons vraiment beaucoup.", "Toute l'équipe l'utilise.",
                 "Installé l'an dernier.", "Franchement,", "Bref,", ""]}
SCORES = {"detractor": range(0, 7), "passive": range(7, 9), "promoter": range(9, 11)}

rows = []
by_segment = {s: [t for t, v in THEMES.items() if v[0] == s] for s in SCORES}
for i in range(360):
    seg = ["detractor", "passive", "promoter"][i % 3]
    lang = "fr" if i % 5 in (1, 3) else "en"
    planted = [rng.choice(by_segment[seg])]
    if rng.random() < 0.25:
        other = rng.choice(by_segment[seg])
        if other not in planted: planted.append(other)
    parts = [rng.choice(FILLER[lang])]
    for t in planted:
        parts.append(rng.choice(THEMES[t][1 if lang == "en" else 2]) + ".")
    if rng.random() < 0.5: parts.append(rng.choice(FILLER[lang]))
    rng.shuffle(parts)
    comment = " ".join(p for p in parts if p).strip()
    rows.append({"v": 1, "id": f"labelled-{i:03d}", "survey": "s", "score": rng.choice(list(SCORES[seg])),
                 "ts": f"2026-02-{1 + i % 28:02d}T10:00:00Z", "locale": lang, "comment": comment,
                 "attributes": {"planted": "|".join(planted)}})
for r in rows:
    print(json.dumps(r, ensure_ascii=False))
