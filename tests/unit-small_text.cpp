// small_text: the widget's string (src/core/small_text.h), checked natively like every core module.
#include <doctest/doctest.h>

#include <string>

#include "small_text.h"

using namespace npskit;

TEST_CASE("small_text: append, assign, compare") {
    small_text t;
    CHECK(t.empty());
    CHECK(std::string_view(t.c_str()) == "");
    t += "npskit";
    t += ':';
    t += std::string_view("queue");
    CHECK(t == "npskit:queue");
    CHECK(t.size() == 12);
    CHECK(t.c_str()[12] == 0);
    std::string big;
    for (int k = 0; k < 1000; ++k) {
        t += "0123456789";
        big += "0123456789";
    }
    CHECK(std::string_view(t).substr(12) == big);
    t = "short";
    CHECK(t == "short");
    CHECK(t != "shorter");
    t.clear();
    CHECK(t.empty());
    CHECK(t.c_str()[0] == 0);
}

TEST_CASE("small_text: copies, moves, swaps and self-references") {
    small_text a = "first";
    small_text b = a;  // a copy owns its bytes
    b += "!";
    CHECK(a == "first");
    CHECK(b == "first!");
    small_text c = std::move(b);
    CHECK(c == "first!");
    CHECK(b.empty());
    a.swap(c);
    CHECK(a == "first!");
    CHECK(c == "first");
    a = std::string_view(a).substr(1, 4);  // assigning a part of itself
    CHECK(a == "irst");
    a += std::string_view(a);  // appending itself (its bytes may move while it grows)
    CHECK(a == "irstirst");
    for (int k = 0; k < 6; ++k) a += std::string_view(a);
    CHECK(a.size() == 8 * 64);
    CHECK(std::string_view(a).substr(8 * 63) == "irstirst");
    a = a;  // NOLINT: self-assignment
    CHECK(a.size() == 8 * 64);
}

TEST_CASE("small_text: resize zero-fills (the widget reads storage into it)") {
    small_text t = "ab";
    t.resize(5);
    REQUIRE(t.size() == 5);
    CHECK(t.data()[2] == 0);
    CHECK(t.data()[4] == 0);
    t.data()[2] = 'c';
    t.resize(3);
    CHECK(t == "abc");
}
