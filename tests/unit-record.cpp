// The record's one declaration (schema.h, NPSKIT_RECORD_FIELDS): a field added in one line flows
// through read, write, merge, store and the import fast path. This file compiles its own copy of
// the modules that expand the list, with two throwaway fields added through the test hook, in a
// namespace of its own (npskit_extra), so the rest of the test binary keeps the real record.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

// The one line a new field takes (here two: one an update may change, one that stays the first).
#define NPSKIT_TEST_EXTRA_FIELDS(X)                                   \
    X(device, "device", text, max_text_chars, update_wins, attribute) \
    X(channel, "channel", text, max_page_chars, first_wins, not_stored)

#define npskit npskit_extra
#include "../src/collector/merge.cpp"
#include "../src/core/calendar.cpp"
#include "../src/core/hash_text.cpp"
#include "../src/core/import.cpp"
#include "../src/core/import_csv.cpp"
#include "../src/core/import_json.cpp"
#include "../src/core/import_peers.cpp"
#include "../src/core/prompt/json_text.cpp"
#include "../src/core/response_view.cpp"
#include "../src/core/schema.cpp"
#include "../src/core/store.cpp"
#undef npskit

namespace {
using namespace npskit_extra;

const char* const with_device =
    R"({"v":1,"id":"rec-00000001","type":"response","survey":"s","score":9,"ts":"2026-01-10T12:00:00Z","device":"ipad","channel":"email"})";

response parsed(std::string_view text) {
    parse_result r = parse_response(text);
    REQUIRE(r.ok());
    return r.value;
}
}  // namespace

TEST_CASE("record: a field added to the list is read, validated and written") {
    CHECK(record_field_count == 16);
    response r = parsed(with_device);
    CHECK(r.device == std::optional<std::string>("ipad"));
    CHECK(r.channel == std::optional<std::string>("email"));
    SUBCASE("validated by its kind and limit") {
        const std::string text = R"({"v":1,"id":"rec-00000001","survey":"s","score":9,"ts":"2026-01-10T12:00:00Z","device":7,"channel":")" +
                                 std::string(600, 'x') + "\"}";
        parse_result bad = parse_response(std::string_view(text));
        REQUIRE(bad.errors.size() == 2);
        CHECK(bad.errors[0].field == "channel");
        CHECK(bad.errors[0].code == schema_error_code::too_long);
        CHECK(bad.errors[1].field == "device");
        CHECK(bad.errors[1].code == schema_error_code::wrong_type);
    }
    SUBCASE("written by both writers, read back the same") {
        nlohmann::json j = nlohmann::json::parse(response_to_json(r));
        CHECK(j["device"] == "ipad");
        CHECK(j["channel"] == "email");
        CHECK(nlohmann::json::parse(write_response_json(r)) == j);
        CHECK(response_to_json(parsed(response_to_json(r))) == response_to_json(r));
    }
    SUBCASE("viewed and owned again") {
        std::vector<response_view::attribute> attributes;
        response_view v = view_of(r, attributes);
        CHECK(v.device == std::optional<std::string_view>("ipad"));
        response back;
        CHECK(response_to_json(response_from(v, back)) == response_to_json(r));
    }
}

TEST_CASE("record: an added field merges by its update rule") {
    response stored = parsed(with_device);
    response update = stored;
    update.comment = "later";
    update.device.reset();
    update.channel = "web";
    response m = merge_update(stored, update);
    CHECK(m.device == std::optional<std::string>("ipad"));    // absent in the update: kept
    CHECK(m.channel == std::optional<std::string>("email"));  // first_wins: the first write stays
    CHECK(m.comment == std::optional<std::string>("later"));
    update.device = "phone";
    CHECK(merge_update(stored, update).device == std::optional<std::string>("phone"));  // present: wins
}

TEST_CASE("record: an added field is stored by its store rule") {
    response_store store;
    store.add(parsed(with_device));
    const attribute_column* device = store.attribute("device");
    REQUIRE(device);
    CHECK(device->value_of(device->code_at(0)) == "ipad");
    CHECK(store.attribute("channel") == nullptr);  // not_stored
}

TEST_CASE("record: the import fast path reads an added field in place") {
    const std::string first = std::string(with_device) + "\n", text = first;  // the same record again
    for (bool fast : {true, false}) {
        CAPTURE(fast);
        importer_desc desc;
        desc.fast_path = fast;
        std::vector<std::string> devices;
        bool in_place = false;
        response_importer importer(desc, [&](const response_view& v) {
            REQUIRE(v.device);
            devices.emplace_back(*v.device);
            // The fast path's views point into the input; the DOM path's into a parsed copy.
            in_place = v.device->data() >= text.data() && v.device->data() < text.data() + text.size();
        });
        importer.feed(first);  // (the first chunk is copied while the format is detected)
        importer.feed(text);   // a whole line of a later chunk is read where it is
        importer.finish();
        CHECK(importer.stats().accepted == 2);
        CHECK(devices == std::vector<std::string>{"ipad", "ipad"});
        CHECK(in_place == fast);
    }
    SUBCASE("a peer's record carries it under its name") {
        std::vector<response> rows;
        import_text("{\"score\":7,\"date\":\"2026-01-02\",\"device\":\"tv\"}\n", {}, [&](const response& r) { rows.push_back(r); });
        REQUIRE(rows.size() == 1);
        CHECK(rows[0].device == std::optional<std::string>("tv"));
    }
}
