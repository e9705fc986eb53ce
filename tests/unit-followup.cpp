// Tests for src/core/view/followup (the follow-up list: groups, order, filters, CSV) and
// src/core/follow_up_status (the statuses and the validation the collector and dashboard share).
#include <doctest/doctest.h>

#include "follow_up_status.h"
#include "followup.h"

using namespace npskit;

namespace {
response answer(std::string id, int score, int64_t ts, std::optional<std::string> comment = {}, std::optional<bool> contact = {},
                std::optional<std::string> email = {}) {
    response r;
    r.id = std::move(id);
    r.survey = "nps";
    r.score = score;
    r.ts_ms = ts;
    r.comment = std::move(comment);
    r.contact_ok = contact;
    r.email = std::move(email);
    return r;
}
std::vector<std::string> ids(const follow_up_book& book, const std::vector<follow_up_row>& rows) {
    std::vector<std::string> out;
    for (const auto& r : rows) out.push_back(book.records()[r.record].id);
    return out;
}
}  // namespace

TEST_CASE("follow_up_status") {
    SUBCASE("names round-trip") {
        for (int i = 0; i < follow_up_status_count; ++i) {
            follow_up_status s{};
            REQUIRE(parse_follow_up_status(follow_up_status_name(static_cast<follow_up_status>(i)), s));
            CHECK(static_cast<int>(s) == i);
        }
        follow_up_status s{};
        CHECK_FALSE(parse_follow_up_status("done", s));
        CHECK_FALSE(parse_follow_up_status("TODO", s));
        CHECK_FALSE(parse_follow_up_status("", s));
    }
    SUBCASE("by: 1 to 64 code points, no control character") {
        CHECK(check_follow_up_by("anna").empty());
        CHECK(check_follow_up_by(std::string(64, 'x')).empty());
        std::string e_acute;
        for (int i = 0; i < 64; ++i) e_acute += "\xc3\xa9";  // 64 code points, 128 bytes
        CHECK(check_follow_up_by(e_acute).empty());
        CHECK_FALSE(check_follow_up_by("").empty());
        CHECK_FALSE(check_follow_up_by(std::string(65, 'x')).empty());
        CHECK_FALSE(check_follow_up_by("an\nna").empty());
        CHECK_FALSE(check_follow_up_by("an\tna").empty());
        CHECK_FALSE(check_follow_up_by("a\x1b[31m").empty());
        CHECK_FALSE(check_follow_up_by("a\x7f").empty());
        CHECK_FALSE(check_follow_up_by("a\xc2\x85").empty());  // NEL, a C1 control
        CHECK_FALSE(check_follow_up_by("\xff").empty());
        CHECK(check_follow_up_by("<script>alert(1)</script>").empty());  // text, stored inertly
    }
    SUBCASE("note: up to 1,000 code points, lines and tabs kept") {
        CHECK(check_follow_up_note("").empty());
        CHECK(check_follow_up_note("called\n\tback").empty());
        CHECK(check_follow_up_note(std::string(1000, 'x')).empty());
        CHECK_FALSE(check_follow_up_note(std::string(1001, 'x')).empty());
        CHECK_FALSE(check_follow_up_note("a\rb").empty());
        CHECK_FALSE(check_follow_up_note(std::string("a\0b", 3)).empty());
    }
}

TEST_CASE("follow_up_group_of") {
    follow_up_group g{};
    CHECK(follow_up_group_of(answer("a", 3, 1, {}, true), g));
    CHECK(g == follow_up_group::detractor_contact);
    CHECK(follow_up_group_of(answer("a", 0, 1, "slow"), g));
    CHECK(g == follow_up_group::detractor_comment);
    CHECK_FALSE(follow_up_group_of(answer("a", 6, 1), g));
    CHECK_FALSE(follow_up_group_of(answer("a", 6, 1, "", false), g));  // an empty comment is none
    CHECK(follow_up_group_of(answer("a", 8, 1, "more export formats"), g));
    CHECK(g == follow_up_group::passive_comment);
    CHECK_FALSE(follow_up_group_of(answer("a", 7, 1), g));
    CHECK(follow_up_group_of(answer("a", 10, 1, "love it"), g));
    CHECK(g == follow_up_group::promoter_comment);
    CHECK(follow_up_group_of(answer("a", 9, 1), g));
    CHECK(g == follow_up_group::promoter);
    response shown = answer("s", -1, 1);
    shown.type = event_type::shown;
    CHECK_FALSE(follow_up_group_of(shown, g));
}

TEST_CASE("follow_up_list") {
    follow_up_book book;
    book.note(answer("old-contact", 2, 100, "call me", true, "a@example.com"));
    book.note(answer("new-comment", 4, 500, "too slow"));
    book.note(answer("new-contact", 1, 400, {}, true, "b@example.com"));
    book.note(answer("no-comment", 5, 600));  // not listed
    book.note(answer("passive", 7, 300, "add SSO"));
    book.note(answer("promoter-plain", 10, 900));
    book.note(answer("promoter-said", 9, 200, "great"));
    follow_up_marks marks;

    SUBCASE("groups in order, newest first within each") {
        follow_up_counts counts;
        auto rows = follow_up_list(book, marks, {}, &counts);
        CHECK(ids(book, rows) ==
              std::vector<std::string>{"new-contact", "old-contact", "new-comment", "passive", "promoter-said", "promoter-plain"});
        CHECK(counts.listed[0] == 3);
        CHECK(counts.open[0] == 3);
        CHECK(counts.listed[1] == 1);
        CHECK(counts.listed[2] == 2);
    }
    SUBCASE("one segment") {
        follow_up_query q;
        q.segments = 1u << static_cast<int>(segment::promoter);
        follow_up_counts counts;
        CHECK(ids(book, follow_up_list(book, marks, q, &counts)) == std::vector<std::string>{"promoter-said", "promoter-plain"});
        CHECK(counts.open[0] == 3);  // every segment counted: the tabs show them
        CHECK(counts.open[2] == 2);
    }
    SUBCASE("statuses: marked rows leave the open count and filter") {
        marks["new-contact"] = {"new-contact", follow_up_status::contacted, "anna", 1000, "left a message"};
        marks["passive"] = {"passive", follow_up_status::resolved, "bo", 1001, ""};
        follow_up_counts counts;
        follow_up_query q;
        q.statuses = 1u << static_cast<int>(follow_up_status::todo);
        auto rows = follow_up_list(book, marks, q, &counts);
        CHECK(ids(book, rows) == std::vector<std::string>{"old-contact", "new-comment", "promoter-said", "promoter-plain"});
        CHECK(counts.listed[0] == 3);
        CHECK(counts.open[0] == 2);
        CHECK(counts.open[1] == 0);
        q.statuses = 1u << static_cast<int>(follow_up_status::contacted);
        rows = follow_up_list(book, marks, q);
        REQUIRE(rows.size() == 1);
        CHECK(rows[0].mark->by == "anna");
        CHECK(rows[0].status == follow_up_status::contacted);
    }
    SUBCASE("the dashboard's filters apply (time range, text)") {
        response_filter f;
        f.since_ms = 350;
        CHECK(ids(book, follow_up_list(book, marks, {.filter = &f})) ==
              std::vector<std::string>{"new-contact", "new-comment", "promoter-plain"});
    }
    SUBCASE("a later record of an id updates it: a detractor's comment and opt-in arrive later") {
        book.note(answer("no-comment", 5, 600, "it crashed", true, "c@example.com"));
        auto rows = follow_up_list(book, marks, {});
        auto list = ids(book, rows);
        CHECK(list[0] == "no-comment");
        CHECK(std::count(list.begin(), list.end(), "no-comment") == 1);
        CHECK(book.records()[rows[0].record].email == "c@example.com");
        book.note(answer("new-comment", 4, 999, {}, true));  // an opt-in later: moves up a group, keeps its comment and time
        rows = follow_up_list(book, marks, {});
        CHECK(ids(book, rows)[1] == "new-comment");
        CHECK(book.records()[rows[1].record].comment == "too slow");
        CHECK(book.records()[rows[1].record].ts_ms == 500);
    }
}

TEST_CASE("follow_up_book keeps each group's newest") {
    follow_up_book book(3);
    for (int i = 0; i < 50; ++i) book.note(answer("p" + std::to_string(i), 10, 1000 + i));
    book.note(answer("d", 0, 1, "old but alone in its group"));
    auto rows = follow_up_list(book, {}, {});
    CHECK(ids(book, rows) == std::vector<std::string>{"d", "p49", "p48", "p47"});
    CHECK(book.dropped() == 47);
    CHECK(book.records().size() <= 4);
}

TEST_CASE("follow_up_open_count: on the list and to do, every group") {
    follow_up_book book;
    book.note(answer("d1", 2, 1000, "slow"));          // detractor_comment
    book.note(answer("d2", 1, 2000, {}, true));        // detractor_contact
    book.note(answer("d3", 0, 3000));                  // not on the list: nothing to act on
    book.note(answer("p1", 7, 4000, "more exports"));  // passive_comment
    book.note(answer("p2", 8, 5000));                  // not on the list
    book.note(answer("m1", 10, 6000));                 // promoter
    book.note(answer("m2", 9, 7000, "love it"));       // promoter_comment
    follow_up_marks marks;
    CHECK(follow_up_open_count(book, marks) == 5);
    auto mark = [&](const char* id, follow_up_status s) { marks[id] = {id, s, "anna", 8000, ""}; };
    mark("d1", follow_up_status::contacted);
    mark("m1", follow_up_status::resolved);
    mark("p1", follow_up_status::todo);      // marked, still to do
    mark("d3", follow_up_status::resolved);  // a mark on an answer not listed changes nothing
    CHECK(follow_up_open_count(book, marks) == 3);
    CHECK(follow_up_is_open(answer("p1", 7, 4000, "more exports"), marks));
    CHECK_FALSE(follow_up_is_open(answer("d1", 2, 1000, "slow"), marks));
    CHECK_FALSE(follow_up_is_open(answer("p2", 8, 5000), marks));
    // A later record of an id (the comment arrives) puts it on the list.
    book.note(answer("p2", 8, 5000, "cheaper"));
    CHECK(follow_up_open_count(book, marks) == 4);
}

TEST_CASE("follow_up_csv") {
    follow_up_book book;
    response r = answer("r1", 3, 1700000000000, "=HYPERLINK(\"http://evil\")", true, "x@example.com");
    r.attributes = {{"plan", "pro"}, {"-cmd", "@SUM(A1)"}};
    book.note(r);
    book.note(answer("r2", 9, 1700000001000));
    follow_up_marks marks;
    marks["r1"] = {"r1", follow_up_status::contacted, "anna", 1700000002000, "+called"};
    std::string csv = follow_up_csv(book, follow_up_list(book, marks, {}));
    CHECK(csv.find(
              "\"group\",\"status\",\"by\",\"marked_at\",\"note\",\"id\",\"ts\",\"score\",\"segment\",\"survey\",\"contact_ok\",\"email\","
              "\"comment\",\"plan\",\"'-cmd\"\r\n") == 0);
    CHECK(csv.find("\"detractor_contact\",\"contacted\",\"anna\",\"2023-11-14T22:13:22Z\",\"'+called\",\"r1\"") != std::string::npos);
    CHECK(csv.find("\"'=HYPERLINK(\"\"http://evil\"\")\",\"pro\",\"'@SUM(A1)\"\r\n") != std::string::npos);
    CHECK(csv.find("\"promoter\",\"todo\",\"\",\"\",\"\",\"r2\"") != std::string::npos);
}
