// The columnar store: appends, updates by id, dictionaries, comments pool.
#include <doctest/doctest.h>

#include "calendar.h"
#include "store.h"

using namespace npskit;

static response make(const std::string& id, int score, int64_t ts_ms, const char* plan = nullptr) {
    response r;
    r.id = id;
    r.survey = "product-nps";
    r.score = score;
    r.ts_ms = ts_ms;
    if (plan) r.attributes.emplace_back("plan", plan);
    return r;
}

TEST_CASE("appends keep one byte per score and dictionary-encode attributes") {
    response_store store;
    store.add(make("id-000001", 9, 1000, "pro"));
    store.add(make("id-000002", 3, 500, "free"));
    store.add(make("id-000003", 7, 2000, "pro"));
    REQUIRE(store.size() == 3);
    CHECK(store.slots == std::vector<uint8_t>{9, 3, 7});
    CHECK(store.min_time_ms == 500);
    CHECK(store.max_time_ms == 2000);
    const attribute_column* plan = store.attribute("plan");
    REQUIRE(plan);
    CHECK(plan->values.size() == 2);
    CHECK(plan->code_at(0) == plan->code_at(2));
    CHECK(plan->value_of(plan->code_at(1)) == "free");
    CHECK(store.attribute("survey")->values.size() == 1);
    CHECK(store.attribute("nope") == nullptr);
}

TEST_CASE("a later record with the same id updates the row (score first, comment later)") {
    response_store store;
    response first = make("same-id-1", 4, 1000);
    store.add(first);
    response update = first;
    update.comment = "Too slow on mobile";
    update.contact_ok = true;
    CHECK(store.add(update) == 0);
    CHECK(store.size() == 1);
    CHECK(store.comment(0) == "Too slow on mobile");
    CHECK(store.attribute("contact_ok")->value_of(store.attribute("contact_ok")->code_at(0)) == "true");
    store.add(update);  // replay: no change
    CHECK(store.size() == 1);
    CHECK(store.comment_pool.size() == std::string("Too slow on mobile").size());
}

TEST_CASE("display events use their own slots") {
    response_store store;
    response shown = make("shown-0001", -1, 10);
    shown.type = event_type::shown;
    response dismissed = make("dismiss-01", -1, 20);
    dismissed.type = event_type::dismissed;
    store.add(shown);
    store.add(dismissed);
    CHECK(store.slots == std::vector<uint8_t>{slot_shown, slot_dismissed});
}

TEST_CASE("attributes first seen late are missing (code 0) on earlier rows") {
    response_store store;
    store.add(make("id-000001", 9, 1));
    store.add(make("id-000002", 9, 2, "team"));
    const attribute_column* plan = store.attribute("plan");
    REQUIRE(plan);
    CHECK(plan->code_at(0) == 0);
    CHECK(plan->code_at(1) == 1);
}

TEST_CASE("memory per response stays small") {
    response_store store(store_desc{.index_ids = false});
    const int rows = 100000;
    store.reserve(rows);
    for (int i = 0; i < rows; ++i) {
        response r = make("", i % 11, i * 1000LL, i % 3 ? "pro" : "free");
        r.trigger = "trial_ended";
        r.page = "/app";
        r.locale = i % 2 ? "en" : "fr";
        r.attributes.emplace_back("country", i % 5 ? "FR" : "US");
        store.add(r);
    }
    // survey, trigger, page, locale, plan, country: 6 attributes → 1 + 8 + 6 + 12 = 27 bytes.
    double per_row = static_cast<double>(store.memory_bytes()) / rows;
    CHECK(per_row <= 32.0);
}

TEST_CASE("a finished load gives back the id index and the growth slack") {
    response_store store;  // ids indexed, no reserve: vectors grow by doubling
    const int rows = 100000;
    for (int i = 0; i < rows; ++i) {
        response r = make("id-" + std::to_string(1000000 + i), i % 11, i * 1000LL, i % 3 ? "pro" : "free");
        if (i % 4 == 0) r.comment = "Slow exports on Mondays";
        store.add(r);
    }
    const size_t comments = store.comment_pool.size();
    const double before = static_cast<double>(store.memory_bytes() - comments) / rows;
    CHECK(before > 32.0);  // the index alone is ≈ 25 B per id
    // An update by id before the release replaces the row...
    CHECK(store.add(make("id-1000005", 10, 5000)) == 5);
    store.shrink_to_fit();
    store.release_id_index();
    CHECK_FALSE(store.indexes_ids());
    CHECK(store.comment_pool.capacity() < comments + 64);  // libc++ rounds a string's capacity up a little
    const double after = static_cast<double>(store.memory_bytes() - comments) / rows;
    CHECK(after <= 32.0);
    // ...and the columns are unchanged by the shrink.
    CHECK(store.size() == rows);
    CHECK(store.slots[5] == 10);
    CHECK(store.comment(8) == "Slow exports on Mondays");
    CHECK(store.comment(9).empty());
    CHECK(store.attribute("plan")->value_of(store.attribute("plan")->code_at(3)) == "free");
    // After the release a record with a known id is a new row (no index to find it in).
    CHECK(store.add(make("id-1000005", 0, 6000)) == rows);
    CHECK(store.size() == rows + 1);
}

TEST_CASE("a store reserved from a close estimate keeps its columns when the load ends") {
    response_store store;
    const int rows = 10000;
    store.reserve(rows + rows / 20, rows * 4 + rows / 5);  // 5 % more than arrives, as the dashboard estimates
    const uint8_t* slots_before = store.slots.data();
    const char* pool_before = store.comment_pool.data();
    for (int i = 0; i < rows; ++i) {
        response r = make("id-" + std::to_string(1000000 + i), i % 11, i * 1000LL);
        if (i % 2 == 0) r.comment = "Too slow";  // 8 bytes every other row: the pool's estimate
        store.add(r);
    }
    CHECK(store.slots.data() == slots_before);  // reserved: no growth copy
    CHECK(store.comment_pool.data() == pool_before);
    store.shrink_to_fit();
    CHECK(store.slots.data() == slots_before);  // 5 % slack: not worth a copy of every column
    CHECK(store.comment_pool.data() == pool_before);
    CHECK(store.slots.capacity() < rows + rows / 10);
    CHECK(store.comment(4) == "Too slow");
}

// The same records, one store updating by id as they come, the other in a bulk load settled
// at the end: the same rows, values, comments and dictionaries.
static void check_bulk_equals_immediate(const std::vector<response>& records) {
    response_store immediate, bulk;
    bulk.begin_bulk();
    CHECK(bulk.in_bulk());
    for (const auto& r : records) immediate.add(r), bulk.add(r);
    bulk.end_bulk();
    CHECK_FALSE(bulk.in_bulk());
    REQUIRE(bulk.size() == immediate.size());
    CHECK(bulk.slots == immediate.slots);
    CHECK(bulk.times_ms == immediate.times_ms);
    CHECK(bulk.min_time_ms == immediate.min_time_ms);
    CHECK(bulk.max_time_ms == immediate.max_time_ms);
    CHECK(bulk.time_sorted == immediate.time_sorted);
    for (size_t row = 0; row < bulk.size(); ++row) {
        if (bulk.comment(row) != immediate.comment(row)) FAIL_CHECK("row " << row << " comment differs");
    }
    REQUIRE(bulk.attributes.size() == immediate.attributes.size());
    for (size_t a = 0; a < bulk.attributes.size(); ++a) {
        CHECK(bulk.attributes[a].key == immediate.attributes[a].key);
        CHECK(bulk.attributes[a].values == immediate.attributes[a].values);
        for (size_t row = 0; row < bulk.size(); ++row)
            if (bulk.attributes[a].code_at(row) != immediate.attributes[a].code_at(row))
                FAIL_CHECK("attribute " << a << " row " << row << " code differs");
    }
    // After the load the ids stay indexed: a live update finds its row in both.
    for (size_t i = 0; i < records.size(); i += records.size() / 7 + 1) {
        response update = records[i];
        update.score = 10;
        update.comment = "live update";
        CHECK(bulk.add(update) == immediate.add(update));
    }
    response fresh = make("id-brand-new", 4, 5);
    CHECK(bulk.add(fresh) == immediate.add(fresh));
    CHECK(bulk.add(fresh) == immediate.add(fresh));  // the new id is indexed too
    CHECK(bulk.size() == immediate.size());
    CHECK(bulk.slots == immediate.slots);
}

TEST_CASE("a bulk load settles repeated ids as add() does, and keeps them indexed") {
    SUBCASE("no repeated id") {
        std::vector<response> records;
        for (int i = 0; i < 5000; ++i)
            records.push_back(make("id-" + std::to_string(100000 + i), i % 11, i * 10LL, i % 2 ? "pro" : "free"));
        check_bulk_equals_immediate(records);
    }
    SUBCASE("scores then comments, display events, attributes added later, times out of order") {
        std::vector<response> records;
        uint64_t seed = 42;
        auto next = [&seed](uint64_t bound) {
            seed = seed * 6364136223846793005ull + 1442695040888963407ull;
            return (seed >> 33) % bound;
        };
        for (int i = 0; i < 20000; ++i) {
            // ~1 record in 4 repeats an id seen before (up to 5 times), sometimes much later.
            const uint64_t id = i > 100 && next(4) == 0 ? next(static_cast<uint64_t>(i)) : static_cast<uint64_t>(i) + 1000000;
            response r = make("id-" + std::to_string(id), static_cast<int>(next(11)),
                              static_cast<int64_t>(id % 1000000) * 1000 + static_cast<int64_t>(next(3)) * 7, nullptr);
            if (next(5) == 0) r.type = next(2) ? event_type::shown : event_type::dismissed, r.score = -1;
            if (next(3) == 0) r.comment = next(6) == 0 ? std::string() : "comment " + std::to_string(next(50));
            if (next(2) == 0) r.attributes.emplace_back("plan", next(2) ? "pro" : "free");
            if (next(7) == 0) r.attributes.emplace_back("zone", "z" + std::to_string(next(4)));
            if (next(9) == 0) r.page = "/p" + std::to_string(next(3));
            records.push_back(r);
        }
        response no_id = make("", 7, 3);  // records without an id always append
        records.push_back(no_id);
        records.push_back(no_id);
        check_bulk_equals_immediate(records);
    }
}

TEST_CASE("an update with an empty comment clears the stored one, in a bulk load too") {
    for (bool bulk : {false, true}) {
        response_store store;
        if (bulk) store.begin_bulk();
        response r = make("id-000001", 3, 1000);
        r.comment = "Too slow";
        store.add(r);
        r.comment = "";
        store.add(r);
        response other = make("id-000002", 3, 1000);
        other.comment = "Kept";
        store.add(other);
        other.comment.reset();  // absent: the stored one stays
        store.add(other);
        store.end_bulk();
        REQUIRE(store.size() == 2);
        CHECK(store.comment(0).empty());
        CHECK(store.comment(1) == "Kept");
    }
}

TEST_CASE("hash_text is stable") {
    CHECK(hash_text("") == 14695981039346656037ull);
    CHECK(hash_text("a") == 0xaf63dc4c8601ec8cull);
}

TEST_CASE("id index: open addressing keeps every id through growth") {
    id_index index;
    for (uint32_t i = 0; i < 100000; ++i) {
        auto [row, inserted] = index.insert(hash_text("id-" + std::to_string(i)), i);
        CHECK(inserted);
        CHECK(row == i);
    }
    CHECK(index.size() == 100000);
    for (uint32_t i = 0; i < 100000; i += 997) {
        auto [row, inserted] = index.insert(hash_text("id-" + std::to_string(i)), 4242424);
        CHECK_FALSE(inserted);
        CHECK(row == i);
    }
    CHECK(index.insert(0, 7).second);  // a zero hash is stored (as 1), not taken for "empty"
    CHECK(index.insert(0, 8).first == 7);
    // ≤ 32 bytes per id at any load between growths
    CHECK(static_cast<double>(index.memory_bytes()) / index.size() <= 32.0);
}

// [SECTION] Caps: attribute keys, values per key, sparse columns
static response with_attrs(const std::string& id, int score, std::vector<std::pair<std::string, std::string>> attrs) {
    response r = make(id, score, 1000);
    r.attributes = std::move(attrs);
    return r;
}

TEST_CASE("keys beyond max_attribute_keys are not indexed, counted and said") {
    response_store store(store_desc{.max_attribute_keys = 3});
    for (int i = 0; i < 10; ++i) store.add(with_attrs("id-" + std::to_string(i), 9, {{"key" + std::to_string(i), "v"}}));
    size_t host_columns = 0;
    for (const auto& a : store.attributes) host_columns += a.key.rfind("key", 0) == 0;
    CHECK(host_columns == 3);
    CHECK(store.attribute("key2"));
    CHECK_FALSE(store.attribute("key3"));
    CHECK(store.attribute("survey"));  // the record's own fields are not capped
    CHECK(store.size() == 10);         // every row is stored
    CHECK(store.unindexed_keys() == 7);
    CHECK(store.unindexed_values == 7);
    CHECK(store.limits_note().find("7 attribute keys beyond the first 3") != std::string::npos);
    // A key seen again beyond the cap is one key, not two.
    store.add(with_attrs("id-x", 9, {{"key5", "w"}}));
    CHECK(store.unindexed_keys() == 7);
    CHECK(store.unindexed_values == 8);
}

static response in_survey(const std::string& id, const std::string& survey, std::vector<std::pair<std::string, std::string>> attrs) {
    response r = with_attrs(id, 9, std::move(attrs));
    r.survey = survey;
    return r;
}

TEST_CASE("the key cap counts per survey: one survey's flood leaves another its keys") {
    response_store store(store_desc{.max_attribute_keys = 3});
    for (int i = 0; i < 1000; ++i) store.add(in_survey("a-" + std::to_string(i), "flood", {{"fresh" + std::to_string(i), "v"}}));
    CHECK(store.attribute("fresh2"));
    CHECK_FALSE(store.attribute("fresh3"));
    CHECK(store.unindexed_keys() == 997);
    // Survey b's own keys are indexed although "flood" used up its cap long ago.
    size_t row = store.add(in_survey("b-1", "other", {{"plan", "pro"}, {"country", "FR"}, {"fresh0", "x"}}));
    REQUIRE(store.attribute("plan"));
    REQUIRE(store.attribute("country"));
    CHECK(store.attribute("plan")->value_of(store.attribute("plan")->code_at(row)) == "pro");
    CHECK(store.attribute("country")->value_of(store.attribute("country")->code_at(row)) == "FR");
    // A key another survey made a column of counts against b's cap too, and is indexed for b.
    CHECK(store.attribute("fresh0")->value_of(store.attribute("fresh0")->code_at(row)) == "x");
    // b's fourth key is beyond b's cap: its rows keep no code there, and the note counts it.
    row = store.add(in_survey("b-2", "other", {{"fresh1", "y"}, {"plan", "team"}}));
    CHECK(store.attribute("fresh1")->code_at(row) == 0);
    CHECK(store.attribute("plan")->value_of(store.attribute("plan")->code_at(row)) == "team");  // counted already
    CHECK(store.unindexed_keys() == 998);  // fresh1: indexed for "flood", left out for "other"
    CHECK(store.unindexed_values == 998);
    CHECK(store.size() == 1002);       // every row is stored
    CHECK(store.attribute("survey"));  // the record's own fields are not capped
    CHECK(store.limits_note().find("998 attribute keys beyond the first 3") != std::string::npos);
}

TEST_CASE("a host attribute named like a record field uses the field's column, uncapped") {
    response_store store(store_desc{.max_attribute_keys = 1});
    response first = in_survey("p-0", "s", {});
    first.page = "/home";  // the record's own field makes the column
    store.add(first);
    size_t row = store.add(in_survey("p-1", "s", {{"a", "1"}, {"page", "/x"}}));
    CHECK(store.attribute("a"));
    REQUIRE(store.attribute("page"));
    CHECK(store.attribute("page")->value_of(store.attribute("page")->code_at(row)) == "/x");
    CHECK(store.unindexed_keys() == 0);
}

TEST_CASE("many surveys × keys: columns are found by key and rows stay right") {
    response_store store(store_desc{.max_attribute_keys = 4});
    for (int s = 0; s < 50; ++s)
        for (int k = 0; k < 6; ++k)
            store.add(in_survey("m-" + std::to_string(s) + "-" + std::to_string(k), "s" + std::to_string(s),
                                {{"k" + std::to_string(s) + "x" + std::to_string(k), std::to_string(k)}}));
    CHECK(store.size() == 300);
    CHECK(store.unindexed_keys() == 100);  // keys 4 and 5 of each survey
    for (int s = 0; s < 50; ++s) {
        const attribute_column* c = store.attribute("k" + std::to_string(s) + "x3");
        REQUIRE(c);
        CHECK(c->value_of(c->code_at(static_cast<size_t>(s * 6 + 3))) == "3");
        CHECK(c->code_at(static_cast<size_t>(s * 6 + 2)) == 0);
        CHECK_FALSE(store.attribute("k" + std::to_string(s) + "x4"));
    }
    // A dense column (on every row) still gets a code slot for each new row.
    response_store dense(store_desc{.max_attribute_keys = 2});
    for (int i = 0; i < 200; ++i) dense.add(in_survey("d-" + std::to_string(i), "s", {{"plan", i % 2 ? "pro" : "free"}}));
    REQUIRE(dense.attribute("plan"));
    CHECK(dense.attribute("plan")->dense());
    CHECK(dense.attribute("plan")->value_of(dense.attribute("plan")->code_at(199)) == "pro");
    CHECK(dense.attribute("plan")->value_of(dense.attribute("plan")->code_at(198)) == "free");
}

TEST_CASE("values beyond max_attribute_values share \"(other)\", and the note says so") {
    response_store store(store_desc{.max_attribute_values = 4});
    for (int i = 0; i < 10; ++i) store.add(with_attrs("id-" + std::to_string(i), 9, {{"page", "/p" + std::to_string(i)}}));
    const attribute_column* page = store.attribute("page");
    REQUIRE(page);
    CHECK(page->values.size() == 5);
    CHECK(page->values.back() == "(other)");
    CHECK(page->value_of(page->code_at(3)) == "/p3");
    CHECK(page->value_of(page->code_at(4)) == "(other)");
    CHECK(page->code_at(9) == page->other);
    CHECK(page->other_rows == 6);
    CHECK(page->find("/p2") == 3);  // known values keep their codes
    CHECK(store.limits_note().find("\"page\" has more than 4 distinct values: 6 rows grouped as \"(other)\"") != std::string::npos);
    response_store plain;
    plain.add(make("id-1", 9, 1, "pro"));
    CHECK(plain.limits_note().empty());
}

TEST_CASE("a key seen once costs one entry, not a column as long as every row") {
    response_store store(store_desc{.index_ids = false});
    for (int i = 0; i < 20000; ++i) store.add(make("", 9, i, "pro"));
    store.add(with_attrs("", 9, {{"rare", "x"}}));
    const attribute_column* rare = store.attribute("rare");
    REQUIRE(rare);
    CHECK_FALSE(rare->dense());
    CHECK(rare->entries() == 1);
    CHECK(rare->memory_bytes() < 64);
    CHECK(rare->code_at(20000) == 1);
    CHECK(rare->code_at(19999) == 0);
    CHECK(store.attribute("plan")->dense());
}

TEST_CASE("a sparse column turns dense when filled, and queries give the same results either way") {
    // Rows carry "tier" on every 5th row, then on every row: the column starts sparse and turns
    // dense part-way. A reference built from the records checks every code and grouping.
    response_store store(store_desc{.index_ids = true});
    std::vector<std::string> expect;
    bool was_sparse = false;
    for (int i = 0; i < 3000; ++i) {
        response r = make("id-" + std::to_string(i), i % 11, 1000 + i);
        const bool has = i < 1000 ? i % 5 == 0 : true;
        std::string v = has ? (i % 3 ? "gold" : "silver") : "";
        if (has) r.attributes.emplace_back("tier", v);
        store.add(r);
        expect.push_back(v);
        if (i == 999) was_sparse = !store.attribute("tier")->dense();
    }
    // Updates of early rows (the same id) set codes on rows that had none: an insert mid-column.
    response late = make("id-1", 1, 1001);
    late.attributes.emplace_back("tier", "bronze");
    store.add(late);
    expect[1] = "bronze";
    const attribute_column* tier = store.attribute("tier");
    REQUIRE(tier);
    CHECK(was_sparse);
    CHECK(tier->dense());
    size_t gold = 0, silver = 0, bronze = 0;
    for (size_t row = 0; row < store.size(); ++row) {
        if (std::string(tier->value_of(tier->code_at(row))) != expect[row]) FAIL_CHECK("row " << row);
        gold += expect[row] == "gold", silver += expect[row] == "silver", bronze += expect[row] == "bronze";
    }
    // A column that stays below a third of the rows stays sparse; spread out for a query it
    // reads as code_at does.
    response_store sparse(store_desc{.index_ids = false});
    for (int i = 0; i < 3000; ++i) {
        response r = make("", 5, i);
        if (i % 7 == 0) r.attributes.emplace_back("tier", i % 2 ? "gold" : "silver");
        sparse.add(r);
    }
    const attribute_column* st = sparse.attribute("tier");
    REQUIRE(st);
    CHECK_FALSE(st->dense());
    std::vector<uint16_t> scratch;
    const uint16_t* spread = st->dense_codes(sparse.size(), scratch);
    for (size_t row = 0; row < sparse.size(); ++row)
        if (spread[row] != st->code_at(row) || (st->code_at(row) != 0) != (row % 7 == 0)) FAIL_CHECK("sparse row " << row);
    CHECK(bronze == 1);
    CHECK(gold + silver + bronze == 1000 / 5 + 2000 + 1);
}
