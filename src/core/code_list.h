// npskit core: the two lookups of an enumerable code list (sokol's _SG_LOG_ITEMS style), so every
// list (schema errors, import errors, rule decisions, …) spells them once:
//   #define NPSKIT_SCHEMA_ERRORS(X) X(not_json, "is not valid JSON") …
//   NPSKIT_CODE_LIST_LOOKUPS(schema_error_code, NPSKIT_SCHEMA_ERRORS, schema_error_name, schema_error_text)
// defines `const char* schema_error_name(schema_error_code)` ("not_json") and
// `const char* schema_error_text(schema_error_code)` (its sentence); "?" for a value off the list.
#pragma once

// Laid out by hand: clang-format 14 joins a macro that ends in `;` with the next #define.
// clang-format off
#define NPSKIT_CODE_NAME_CASE(name, text) \
    case code_enum::name: return #name;
#define NPSKIT_CODE_TEXT_CASE(name, text) \
    case code_enum::name: return text;
#define NPSKIT_CODE_LIST_LOOKUPS(Enum, LIST, name_fn, text_fn) \
    const char* name_fn(Enum code) {                           \
        using code_enum = Enum;                                \
        switch (code) { LIST(NPSKIT_CODE_NAME_CASE) }          \
        return "?";                                            \
    }                                                          \
    const char* text_fn(Enum code) {                           \
        using code_enum = Enum;                                \
        switch (code) { LIST(NPSKIT_CODE_TEXT_CASE) }          \
        return "?";                                            \
    }
// clang-format on
