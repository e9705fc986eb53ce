// npskit core: a follow-up status (issue 15's follow-up list), shared by the collector (which
// stores it beside the answer: PATCH /v1/responses/{id}/follow-up) and the dashboard (which
// shows it and, on file sources, keeps it in the page). One list of statuses, one validation.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

namespace npskit {

#define NPSKIT_FOLLOW_UP_STATUSES(X) \
    X(todo)                          \
    X(contacted)                     \
    X(resolved)

enum class follow_up_status : uint8_t {
#define NPSKIT_X(name) name,
    NPSKIT_FOLLOW_UP_STATUSES(NPSKIT_X)
#undef NPSKIT_X
};
constexpr int follow_up_status_count = 0
#define NPSKIT_X(name) +1
    NPSKIT_FOLLOW_UP_STATUSES(NPSKIT_X)
#undef NPSKIT_X
    ;
const char* follow_up_status_name(follow_up_status s);  // "todo" | "contacted" | "resolved"
bool parse_follow_up_status(std::string_view text, follow_up_status& out);

// Who marked it: a short name, not an account (the admin key is the authority).
constexpr size_t max_follow_up_by_chars = 64;      // code points
constexpr size_t max_follow_up_note_chars = 1000;  // code points
// "" when acceptable, else a sentence for people. `by`: 1..64 code points of valid UTF-8, no
// control character. `note`: 0..1000 code points, no control character but line feed and tab.
std::string check_follow_up_by(std::string_view by);
std::string check_follow_up_note(std::string_view note);

// One response's status as stored: who set it, when (server clock), and why.
struct follow_up_mark {
    std::string response_id;
    follow_up_status status = follow_up_status::todo;
    std::string by;
    int64_t at_ms = 0;  // Unix ms
    std::string note;
};

}  // namespace npskit
