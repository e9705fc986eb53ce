#include "follow_up_status.h"

#include "schema.h"

namespace npskit {

const char* follow_up_status_name(follow_up_status s) {
    switch (s) {
#define NPSKIT_X(name) \
    case follow_up_status::name: return #name;
        NPSKIT_FOLLOW_UP_STATUSES(NPSKIT_X)
#undef NPSKIT_X
    }
    return "todo";
}

bool parse_follow_up_status(std::string_view text, follow_up_status& out) {
#define NPSKIT_X(name)                \
    if (text == #name) {              \
        out = follow_up_status::name; \
        return true;                  \
    }
    NPSKIT_FOLLOW_UP_STATUSES(NPSKIT_X)
#undef NPSKIT_X
    return false;
}

namespace {
// C0, DEL and C1 controls (U+0080..U+009F, C2 80..C2 9F in UTF-8): they would rewrite a
// terminal or a log line; line feed and tab only where `allow_lines`.
bool has_control(std::string_view text, bool allow_lines) {
    for (size_t i = 0; i < text.size(); ++i) {
        auto c = static_cast<unsigned char>(text[i]);
        if (allow_lines && (c == '\n' || c == '\t')) continue;
        if (c < 0x20 || c == 0x7f) return true;
        if (c == 0xc2 && i + 1 < text.size() && static_cast<unsigned char>(text[i + 1]) < 0xa0) return true;
    }
    return false;
}
}  // namespace

std::string check_follow_up_by(std::string_view by) {
    if (by.empty()) return "by is required: a short name of who follows up";
    if (!is_valid_utf8(by)) return "by is not valid UTF-8";
    if (utf8_length(by) > max_follow_up_by_chars) return "by is longer than 64 characters";
    if (has_control(by, false)) return "by contains a control character";
    return {};
}

std::string check_follow_up_note(std::string_view note) {
    if (!is_valid_utf8(note)) return "note is not valid UTF-8";
    if (utf8_length(note) > max_follow_up_note_chars) return "note is longer than 1,000 characters";
    if (has_control(note, true)) return "note contains a control character (only line feeds and tabs are kept)";
    return {};
}

}  // namespace npskit
