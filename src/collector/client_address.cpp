// npskit collector: client addresses (see client_address.h).
#include "client_address.h"

#include <arpa/inet.h>

#include <cstdio>

namespace npskit {

namespace {
std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}
bool is_trusted(const ip_address& a, const std::vector<ip_network>& trusted) {
    for (const ip_network& n : trusted)
        if (n.contains(a)) return true;
    return false;
}
std::string to_text(const ip_address& a) {
    char buf[INET6_ADDRSTRLEN] = {};
    inet_ntop(a.v6 ? AF_INET6 : AF_INET, a.bytes.data(), buf, sizeof buf);
    return buf;
}
}  // namespace

std::optional<ip_address> parse_ip(std::string_view text) {
    if (text.size() >= 2 && text.front() == '[' && text.back() == ']') text = text.substr(1, text.size() - 2);
    if (text.empty() || text.size() >= INET6_ADDRSTRLEN) return std::nullopt;
    std::string s(text);
    ip_address a;
    if (inet_pton(AF_INET, s.c_str(), a.bytes.data()) == 1) return a;
    if (inet_pton(AF_INET6, s.c_str(), a.bytes.data()) != 1) return std::nullopt;
    a.v6 = true;
    static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (std::equal(mapped, mapped + 12, a.bytes.begin())) {
        // An IPv4 client on a dual-stack socket is that IPv4 address.
        ip_address v4;
        std::copy(a.bytes.begin() + 12, a.bytes.end(), v4.bytes.begin());
        return v4;
    }
    return a;
}

bool ip_network::contains(const ip_address& a) const {
    if (a.v6 != base.v6) return false;
    int bits = prefix;
    for (size_t i = 0; bits > 0; ++i, bits -= 8) {
        uint8_t mask = bits >= 8 ? 0xff : static_cast<uint8_t>(0xff << (8 - bits));
        if ((a.bytes[i] & mask) != (base.bytes[i] & mask)) return false;
    }
    return true;
}

std::optional<ip_network> parse_network(std::string_view text) {
    text = trim(text);
    size_t slash = text.find('/');
    std::optional<ip_address> a = parse_ip(text.substr(0, slash));
    if (!a) return std::nullopt;
    int max = a->v6 ? 128 : 32;
    int prefix = max;
    if (slash != std::string_view::npos) {
        std::string_view p = text.substr(slash + 1);
        if (p.empty() || p.size() > 3) return std::nullopt;
        prefix = 0;
        for (char c : p) {
            if (c < '0' || c > '9') return std::nullopt;
            prefix = prefix * 10 + (c - '0');
        }
        if (prefix > max) return std::nullopt;
    }
    return ip_network{*a, prefix};
}

std::string address_bucket(std::string_view address) {
    std::optional<ip_address> a = parse_ip(address);
    if (!a) return std::string(address);
    if (!a->v6) return to_text(*a);
    std::fill(a->bytes.begin() + 8, a->bytes.end(), uint8_t{0});
    return to_text(*a) + "/64";
}

std::string client_address(const std::string& peer, std::string_view x_forwarded_for, std::string_view forwarded,
                           const std::vector<ip_network>& trusted) {
    std::optional<ip_address> p = parse_ip(peer);
    if (trusted.empty() || !p || !is_trusted(*p, trusted)) return peer;
    // Entries right to left: each hop appends the address it saw, so the right-most ones were
    // written by our proxies and the first untrusted one is the client. Left of it is whatever
    // the client sent, which nobody vouches for.
    std::vector<std::string_view> hops;
    auto split = [&](std::string_view list, auto&& each) {
        size_t start = 0;
        while (start <= list.size()) {
            size_t comma = list.find(',', start);
            if (comma == std::string_view::npos) comma = list.size();
            each(trim(list.substr(start, comma - start)));
            start = comma + 1;
        }
    };
    if (!trim(x_forwarded_for).empty()) {
        split(x_forwarded_for, [&](std::string_view e) { hops.push_back(e); });
    } else {
        // Forwarded: for=192.0.2.1;proto=https, for="[2001:db8::1]:4711"
        split(forwarded, [&](std::string_view element) {
            std::string_view value;
            size_t start = 0;
            while (start <= element.size()) {
                size_t semi = element.find(';', start);
                if (semi == std::string_view::npos) semi = element.size();
                std::string_view pair = trim(element.substr(start, semi - start));
                if (pair.size() > 4 && (pair[0] | 0x20) == 'f' && (pair[1] | 0x20) == 'o' && (pair[2] | 0x20) == 'r' && pair[3] == '=')
                    value = pair.substr(4);
                start = semi + 1;
            }
            if (value.size() >= 2 && value.front() == '"' && value.back() == '"') value = value.substr(1, value.size() - 2);
            // A port after the address: "[v6]:port" or "v4:port".
            if (!value.empty() && value.front() == '[') {
                if (size_t close = value.find(']'); close != std::string_view::npos) value = value.substr(0, close + 1);
            } else if (value.find(':') == value.rfind(':') && value.find(':') != std::string_view::npos) {
                value = value.substr(0, value.find(':'));
            }
            hops.push_back(value);
        });
    }
    std::string client = peer;
    for (auto it = hops.rbegin(); it != hops.rend(); ++it) {
        std::optional<ip_address> a = parse_ip(*it);
        if (!a) break;  // "unknown", an obfuscated name, garbage: stop at the last known hop
        client = to_text(*a);
        if (!is_trusted(*a, trusted)) break;
    }
    return client;
}

}  // namespace npskit
