// The collector's client addresses (src/collector/client_address.h): the bucket a rate limit or
// a per-address cap counts, and the client behind a trusted proxy. Native only (the HTTP layer).
#include <doctest/doctest.h>

#ifdef NPSKIT_HAS_HTTP
#include "client_address.h"

using namespace npskit;

TEST_CASE("client address: IPv4 is its own bucket, IPv6 shares its /64") {
    CHECK(address_bucket("192.0.2.1") == "192.0.2.1");
    CHECK(address_bucket("192.0.2.2") != address_bucket("192.0.2.1"));
    CHECK(address_bucket("2001:db8:1:2::1") == "2001:db8:1:2::/64");
    CHECK(address_bucket("2001:db8:1:2:ffff:ffff:ffff:ffff") == address_bucket("2001:db8:1:2::1"));
    CHECK(address_bucket("2001:db8:1:3::1") != address_bucket("2001:db8:1:2::1"));
    CHECK(address_bucket("::1") == "::/64");
    CHECK(address_bucket("::ffff:192.0.2.1") == "192.0.2.1");  // dual-stack socket, IPv4 client
    CHECK(address_bucket("not an address") == "not an address");
}

TEST_CASE("client address: networks") {
    auto n = parse_network("10.0.0.0/8");
    REQUIRE(n);
    CHECK(n->contains(*parse_ip("10.200.3.4")));
    CHECK_FALSE(n->contains(*parse_ip("11.0.0.1")));
    CHECK_FALSE(n->contains(*parse_ip("::1")));
    auto one = parse_network("127.0.0.1");
    REQUIRE(one);
    CHECK(one->prefix == 32);
    CHECK(parse_network("fd00::/8")->contains(*parse_ip("fd12::1")));
    CHECK(parse_network("0.0.0.0/0")->contains(*parse_ip("203.0.113.9")));
    CHECK_FALSE(parse_network("10.0.0.0/33"));
    CHECK_FALSE(parse_network("10.0.0.0/"));
    CHECK_FALSE(parse_network("example.com"));
    CHECK_FALSE(parse_network("10.0.0.0/8x"));
}

TEST_CASE("client address: forwarded headers count only from a trusted peer") {
    std::vector<ip_network> trusted = {*parse_network("127.0.0.1/32"), *parse_network("10.0.0.0/8")};
    // No trusted peer: the socket address, whatever the headers say.
    CHECK(client_address("198.51.100.7", "1.2.3.4", "for=5.6.7.8", trusted) == "198.51.100.7");
    CHECK(client_address("127.0.0.1", "1.2.3.4", "", {}) == "127.0.0.1");
    // From the proxy: the right-most entry that is not a proxy itself.
    CHECK(client_address("127.0.0.1", "203.0.113.5", "", trusted) == "203.0.113.5");
    CHECK(client_address("127.0.0.1", "6.6.6.6, 203.0.113.5, 10.1.2.3", "", trusted) == "203.0.113.5");
    CHECK(client_address("127.0.0.1", " 2001:db8::9 ", "", trusted) == "2001:db8::9");
    // Only proxies in the chain: the left-most of them.
    CHECK(client_address("127.0.0.1", "10.0.0.1", "", trusted) == "10.0.0.1");
    // Garbage ends the walk at the last known hop.
    CHECK(client_address("127.0.0.1", "unknown", "", trusted) == "127.0.0.1");
    CHECK(client_address("127.0.0.1", "", "", trusted) == "127.0.0.1");
    // Forwarded (RFC 7239) when there is no X-Forwarded-For: quoted, bracketed, with ports.
    CHECK(client_address("127.0.0.1", "", "for=192.0.2.60;proto=https;by=203.0.113.43", trusted) == "192.0.2.60");
    CHECK(client_address("127.0.0.1", "", "for=6.6.6.6, For=\"[2001:db8:cafe::17]:4711\"", trusted) == "2001:db8:cafe::17");
    CHECK(client_address("127.0.0.1", "", "for=192.0.2.43:80", trusted) == "192.0.2.43");
    CHECK(client_address("127.0.0.1", "", "for=_hidden", trusted) == "127.0.0.1");
    // X-Forwarded-For wins: a client's own Forwarded header passes through proxies that set XFF.
    CHECK(client_address("127.0.0.1", "203.0.113.5", "for=6.6.6.6", trusted) == "203.0.113.5");
}
#endif
