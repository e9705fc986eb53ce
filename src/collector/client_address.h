// npskit collector: whose request is it. The address a limit counts (IPv4 address, IPv6 /64)
// and the client behind a trusted reverse proxy (X-Forwarded-For / Forwarded only from peers
// in --trusted-proxy). Pure functions: tests/unit-client_address.cpp.
#pragma once
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace npskit {

struct ip_address {
    bool v6 = false;
    std::array<uint8_t, 16> bytes{};  // IPv4 in the first 4
};
// "192.0.2.1", "2001:db8::1", "[2001:db8::1]", "::ffff:192.0.2.1" (read as IPv4); a zone or
// port is not accepted.
std::optional<ip_address> parse_ip(std::string_view text);

struct ip_network {
    ip_address base;
    int prefix = 0;  // bits
    bool contains(const ip_address& a) const;
};
// "127.0.0.1/32", "10.0.0.0/8", "fd00::/8"; a bare address is its own /32 or /128.
std::optional<ip_network> parse_network(std::string_view text);

// The key of a rate bucket or a per-address cap: an IPv4 address as is, an IPv6 address as its
// /64 ("2001:db8:1:2::/64": one customer's network is one client), text that is not an
// address as is.
std::string address_bucket(std::string_view address);

// The client's address: the socket peer, unless the peer is a trusted proxy; then the right-most
// X-Forwarded-For entry that is not itself a trusted proxy (or, without X-Forwarded-For, the
// right-most Forwarded for=). An entry that is not an address ends the walk at the peer.
std::string client_address(const std::string& peer, std::string_view x_forwarded_for, std::string_view forwarded,
                           const std::vector<ip_network>& trusted);

}  // namespace npskit
