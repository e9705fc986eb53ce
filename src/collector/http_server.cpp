// npskit collector: the event-driven HTTP layer (see http_server.h).
//
// [SECTION] Limits, requests, responses
// [SECTION] Connection: read header → check limits → read body → handler → write → keep-alive
// [SECTION] Streams (text/event-stream, chunked)
// [SECTION] Server: accept loop, caps per address, workers, stop
#include "http_server.h"
#include "client_address.h"

#include <sys/resource.h>
#include <unistd.h>

#include <atomic>
#include <boost/asio.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <cstdio>
#include <deque>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>

#include <nlohmann/json.hpp>

namespace npskit {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;
using steady = std::chrono::steady_clock;

//-----------------------------------------------------------------------------
// [SECTION] Limits, requests, responses
//-----------------------------------------------------------------------------
http_limits with_defaults(http_limits l) {
    auto pick = [](auto& value, auto fallback) {
        if (value == 0) value = fallback;
    };
    pick(l.header_bytes, size_t{16} << 10);
    pick(l.header_count, size_t{100});
    pick(l.request_line_bytes, size_t{8} << 10);
    pick(l.body_bytes, size_t{64} << 10);
    pick(l.request_ms, 10000);
    pick(l.idle_ms, 5000);
    pick(l.write_ms, 10000);
    pick(l.connections, size_t{16384});
    pick(l.connections_per_address, size_t{4096});
    pick(l.streams, size_t{16384});
    pick(l.streams_per_address, size_t{4096});
    pick(l.accept_backlog, 1024);
    pick(l.stream_buffer_bytes, size_t{1} << 20);
    return l;
}

namespace {

bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i) {
        char x = a[i], y = b[i];
        if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
        if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
        if (x != y) return false;
    }
    return true;
}

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// %XX decoding; in a query string '+' is a space (as HTML forms and cpp-httplib read it).
std::string percent_decode(std::string_view s, bool plus_is_space) {
    std::string out;
    out.reserve(s.size());
    for (size_t i = 0; i < s.size(); ++i) {
        char c = s[i];
        if (c == '%' && i + 2 < s.size()) {
            int hi = hex_value(s[i + 1]), lo = hex_value(s[i + 2]);
            if (hi >= 0 && lo >= 0) {
                out += static_cast<char>(hi * 16 + lo);
                i += 2;
                continue;
            }
        }
        out += plus_is_space && c == '+' ? ' ' : c;
    }
    return out;
}

void parse_query(std::string_view query, std::vector<std::pair<std::string, std::string>>& out) {
    size_t start = 0;
    while (start <= query.size()) {
        size_t amp = query.find('&', start);
        if (amp == std::string_view::npos) amp = query.size();
        std::string_view item = query.substr(start, amp - start);
        if (!item.empty()) {
            size_t eq = item.find('=');
            if (eq == std::string_view::npos)
                out.emplace_back(percent_decode(item, true), "");
            else
                out.emplace_back(percent_decode(item.substr(0, eq), true), percent_decode(item.substr(eq + 1), true));
        }
        start = amp + 1;
    }
}

bool all_digits(std::string_view s) {
    if (s.empty() || s.size() > 19) return false;
    for (char c : s)
        if (c < '0' || c > '9') return false;
    return true;
}

}  // namespace

std::string http_request::header(std::string_view name) const {
    for (const auto& [k, v] : headers)
        if (iequals(k, name)) return v;
    return {};
}
size_t http_request::header_count(std::string_view name) const {
    size_t n = 0;
    for (const auto& h : headers) n += iequals(h.first, name);
    return n;
}
bool http_request::has_param(std::string_view name) const { return param_count(name) > 0; }
std::string http_request::param(std::string_view name, size_t index) const {
    for (const auto& [k, v] : params)
        if (k == name && index-- == 0) return v;
    return {};
}
size_t http_request::param_count(std::string_view name) const {
    size_t n = 0;
    for (const auto& p : params) n += p.first == name;
    return n;
}

void http_response::set_header(std::string name, std::string value) {
    for (auto& h : headers)
        if (iequals(h.first, name)) {
            h.second = std::move(value);
            return;
        }
    headers.emplace_back(std::move(name), std::move(value));
}

http_response error_response(collector_error code, std::string_view field, std::string_view message) {
    const collector_error_info& e = info(code);
    nlohmann::json body = {
        {"errors", nlohmann::json::array({{{"code", e.code}, {"field", field}, {"message", message.empty() ? e.message : message}}})}};
    http_response r;
    r.status = e.status;
    r.set_content(body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace), "application/json");
    return r;
}

//-----------------------------------------------------------------------------
// [SECTION] Connection
//-----------------------------------------------------------------------------
namespace {
struct connection;
}

struct http_server::impl {
    http_server_desc desc;
    // One io_context per I/O thread, each run by its thread alone: a connection lives on one of
    // them for its whole life (its handlers never run concurrently, no strand needed), spread
    // round-robin at accept. ios[0] also runs the acceptor.
    std::vector<std::unique_ptr<net::io_context>> ios;
    size_t next_io = 0;            // accept handler only
    net::io_context stream_io{1};  // open streams, on a thread of their own
    tcp::acceptor acceptor;
    net::steady_timer accept_retry;
    net::thread_pool workers;
    size_t capacity = 0;
    // The caps' counts, shared by the I/O threads: every check and change under count_mutex, so
    // each cap holds exactly as with one thread.
    std::mutex count_mutex;
    size_t open = 0, open_streams = 0;
    std::unordered_map<std::string, size_t> per_address, streams_per_address;
    std::unordered_map<void*, std::weak_ptr<connection>> live;
    std::atomic<bool> stopping{false};
    std::shared_ptr<const std::string> last_event, last_framed;  // stream thread: the chunk framing of the last fan-out

    static std::vector<std::unique_ptr<net::io_context>> make_ios(int n) {
        std::vector<std::unique_ptr<net::io_context>> v;
        for (int i = 0; i < std::max(1, n); ++i) v.push_back(std::make_unique<net::io_context>(1));
        return v;
    }
    explicit impl(http_server_desc d)
        : desc(std::move(d)),
          ios(make_ios(desc.io_threads)),
          acceptor(*ios[0]),
          accept_retry(*ios[0]),
          workers(static_cast<size_t>(std::max(1, desc.workers))) {
        desc.limits = with_defaults(desc.limits);
    }
    void accept();
};

namespace {

class exchange_impl final : public http_exchange {
public:
    exchange_impl(std::shared_ptr<connection> c, uint64_t generation) : conn_(std::move(c)), generation_(generation) {}
    ~exchange_impl() override;
    const http_request& request() const override;
    void respond(http_response response) override;
    std::shared_ptr<http_stream> open_stream(http_response head, std::function<void()> on_close) override;

private:
    std::shared_ptr<connection> conn_;
    uint64_t generation_;
    std::atomic<bool> answered_{false};
};

class stream_impl final : public http_stream {
public:
    explicit stream_impl(std::shared_ptr<connection> c) : conn_(std::move(c)) {}
    void send(std::shared_ptr<const std::string> event) override;
    void close() override;
    bool closed() const override { return closed_.load(); }
    std::atomic<bool> closed_{false};
    std::shared_ptr<connection> conn_;
};

enum class phase { request, idle, write, drain, stream };

struct connection : std::enable_shared_from_this<connection> {
    http_server::impl& server;
    net::io_context& io;  // the I/O thread this connection's handlers run on
    tcp::socket socket;
    net::steady_timer timer;
    beast::flat_buffer buffer;
    std::optional<http::request_parser<http::string_body>> parser;
    std::string address;
    std::string bucket;  // what the per-address caps count: the address, an IPv6 /64
    http_request request;
    steady::time_point started{};
    std::string out;
    phase at = phase::request;
    bool timed_out = false, closed = false, keep_alive = true, head_only = false;
    uint64_t generation = 0;
    // Stream state.
    stream_impl* stream = nullptr;
    std::function<void()> on_stream_close;
    std::deque<std::shared_ptr<const std::string>> pending;
    std::vector<std::shared_ptr<const std::string>> in_flight;
    size_t pending_bytes = 0, stream_bytes = 0;
    bool writing = false;
    char scratch[4096];
    size_t drained = 0;

    connection(http_server::impl& s, net::io_context& on, tcp::socket sock, std::string addr)
        : server(s),
          io(on),
          socket(std::move(sock)),
          timer(on),
          buffer(s.desc.limits.header_bytes + 65536),
          address(std::move(addr)),
          bucket(address_bucket(address)) {}

    const http_limits& limits() const { return server.desc.limits; }

    void arm(phase p, int ms) {
        at = p;
        timer.expires_after(std::chrono::milliseconds(ms));
        timer.async_wait([self = shared_from_this(), p](beast::error_code ec) {
            if (ec || self->closed || self->at != p) return;
            if (p == phase::request) {
                // The whole-request deadline: stop the read and answer 408.
                self->timed_out = true;
                beast::error_code ignored;
                self->socket.cancel(ignored);
            } else {
                self->close_now();
            }
        });
    }
    void disarm() {
        at = phase::stream;
        timer.cancel();
    }

    void start() {
        started = steady::now();
        arm(phase::request, limits().request_ms);
        read_header();
    }

    // Keep-alive: wait (idle limit) for the first byte of the next request, then its deadline runs.
    void wait_next() {
        if (buffer.size() > 0) {
            started = steady::now();
            arm(phase::request, limits().request_ms);
            read_header();
            return;
        }
        arm(phase::idle, limits().idle_ms);
        socket.async_wait(tcp::socket::wait_read, [self = shared_from_this()](beast::error_code ec) {
            if (ec || self->closed) return self->close_now();
            self->started = steady::now();
            self->arm(phase::request, self->limits().request_ms);
            self->read_header();
        });
    }

    void read_header() {
        request = http_request{};
        request.remote_addr = address;
        parser.emplace();
        parser->header_limit(static_cast<std::uint32_t>(limits().header_bytes));
        parser->body_limit(boost::none);  // decided from Content-Length once the header is read
        http::async_read_header(socket, buffer, *parser,
                                [self = shared_from_this()](beast::error_code ec, size_t) { self->on_header(ec); });
    }

    void on_header(beast::error_code ec) {
        if (closed) return;
        if (timed_out) return refuse(collector_error::request_timeout);
        if (ec == http::error::header_limit || ec == http::error::buffer_overflow) return refuse(collector_error::header_too_large);
        if (ec == http::error::end_of_stream || ec == net::error::eof || ec == net::error::connection_reset ||
            ec == net::error::operation_aborted)
            return close_now();
        if (ec) return refuse(collector_error::bad_request);

        auto& msg = parser->get();
        request.method.assign(msg.method_string().data(), msg.method_string().size());
        request.target.assign(msg.target().data(), msg.target().size());
        request.remote_addr = address;
        size_t count = 0;
        for (const auto& field : msg) {
            request.headers.emplace_back(std::string(field.name_string().data(), field.name_string().size()),
                                         std::string(field.value().data(), field.value().size()));
            ++count;
        }
        std::string_view target = request.target;
        size_t q = target.find('?');
        request.path = percent_decode(target.substr(0, q), false);
        if (q != std::string_view::npos) {
            request.query = std::string(target.substr(q + 1));
            parse_query(request.query, request.params);
        }
        keep_alive = msg.keep_alive();
        head_only = request.method == "HEAD";

        if (request.method.size() + request.target.size() + 10 > limits().request_line_bytes) return refuse(collector_error::uri_too_long);
        if (count > limits().header_count)
            return refuse(collector_error::too_many_headers, "more than " + std::to_string(limits().header_count) + " header lines");
        // One plain Content-Length or no body: anything else could be framed differently by a
        // proxy in front (request smuggling), so it is refused and the connection closed.
        if (request.header_count("Transfer-Encoding")) return refuse(collector_error::length_required);
        size_t lengths = request.header_count("Content-Length");
        std::string length = request.header("Content-Length");
        if (lengths > 1) return refuse(collector_error::bad_framing, "more than one Content-Length header");
        if (lengths == 1 && !all_digits(length))
            return refuse(collector_error::bad_framing, "Content-Length must be a plain decimal number");
        bool has_body = lengths == 1 && length.find_first_not_of('0') != std::string::npos;
        bool body_method = request.method == "POST" || request.method == "PUT" || request.method == "PATCH";
        if (body_method && lengths == 0) return refuse(collector_error::length_required, "a request body needs a Content-Length");
        if (!body_method && has_body) return refuse(collector_error::bad_framing, request.method + " requests carry no body here");
        if (!has_body) return dispatch();
        uint64_t declared = std::stoull(length);
        if (declared > limits().body_bytes)
            return refuse(collector_error::too_large, "the body is larger than " + std::to_string(limits().body_bytes / 1024) + " KB");
        parser->body_limit(limits().body_bytes);
        if (iequals(request.header("Expect"), "100-continue")) {
            static const std::string go_on = "HTTP/1.1 100 Continue\r\n\r\n";
            net::async_write(socket, net::buffer(go_on), [self = shared_from_this()](beast::error_code e, size_t) {
                if (e) return self->close_now();
                self->read_body();
            });
            return;
        }
        read_body();
    }

    void read_body() {
        http::async_read(socket, buffer, *parser, [self = shared_from_this()](beast::error_code ec, size_t) {
            if (self->closed) return;
            if (self->timed_out) return self->refuse(collector_error::request_timeout);
            if (ec == http::error::body_limit) return self->refuse(collector_error::too_large);
            if (ec) return self->close_now();
            self->request.body = std::move(self->parser->get().body());
            self->dispatch();
        });
    }

    void dispatch() {
        timer.cancel();
        at = phase::write;  // waiting for the handler: no read deadline runs, the write one starts later
        parser.reset();
        ++generation;
        auto exchange = std::make_shared<exchange_impl>(shared_from_this(), generation);
        if (server.desc.handler)
            server.desc.handler(exchange);
        else
            exchange->respond(error_response(collector_error::not_found));
    }

    // Answers with an error and ends the connection: the rest of the request (if any) is unread.
    void refuse(collector_error code, std::string_view message = {}) {
        if (request.method.empty()) request.method = "-";
        if (request.remote_addr.empty()) request.remote_addr = address;
        parser.reset();
        ++generation;
        http_response r = error_response(code, "", message);
        r.close = true;
        write_answer(std::move(r), generation, true);
    }

    void write_answer(http_response r, uint64_t for_generation, bool drain_after = false) {
        if (closed || for_generation != generation || at == phase::stream) return;
        bool close_after = r.close || !keep_alive || server.stopping;
        out.clear();
        out.reserve(r.body.size() + 256);
        out += "HTTP/1.1 ";
        out += std::to_string(r.status);
        out += ' ';
        auto reason = http::obsolete_reason(static_cast<http::status>(r.status));
        out.append(reason.data(), reason.size());
        out += "\r\n";
        for (const auto& [k, v] : server.desc.default_headers) (((out += k) += ": ") += v) += "\r\n";
        for (const auto& [k, v] : r.headers) (((out += k) += ": ") += v) += "\r\n";
        if (!r.content_type.empty()) ((out += "Content-Type: ") += r.content_type) += "\r\n";
        ((out += "Content-Length: ") += std::to_string(r.body.size())) += "\r\n";
        if (close_after) out += "Connection: close\r\n";
        out += "\r\n";
        if (!head_only) out += r.body;
        int status = r.status;
        size_t body_size = r.body.size();
        arm(phase::write, limits().write_ms);
        net::async_write(socket, net::buffer(out),
                         [self = shared_from_this(), status, body_size, close_after, drain_after](beast::error_code ec, size_t) {
                             self->log(status, body_size);
                             if (ec || self->closed) return self->close_now();
                             if (drain_after) return self->drain();
                             if (close_after) return self->close_now();
                             self->wait_next();
                         });
    }

    void log(int status, size_t out_bytes) {
        if (!server.desc.log) return;
        double ms = std::chrono::duration<double, std::milli>(steady::now() - started).count();
        server.desc.log(request, status, ms, out_bytes);
    }

    // After a refusal with unread request bytes: stop sending, then read and drop what the
    // client still sends (bounded: 1 s, 1 MB) so the close is not a reset that could destroy
    // the answer in the client's receive buffer.
    void drain() {
        beast::error_code ignored;
        socket.shutdown(tcp::socket::shutdown_send, ignored);
        arm(phase::drain, 1000);
        drain_some();
    }
    void drain_some() {
        socket.async_read_some(net::buffer(scratch), [self = shared_from_this()](beast::error_code ec, size_t n) {
            self->drained += n;
            if (ec || self->closed || self->drained > (size_t{1} << 20)) return self->close_now();
            self->drain_some();
        });
    }

    void close_now() {
        if (closed) return;
        closed = true;
        beast::error_code ignored;
        if (!on_stream_thread) timer.cancel();  // the timer belongs to the connection's I/O thread
        socket.shutdown(tcp::socket::shutdown_both, ignored);
        socket.close(ignored);
        bool was_stream = stream != nullptr;
        if (was_stream) {
            stream->closed_ = true;
            stream = nullptr;
            log(200, stream_bytes);
            pending.clear();
            if (auto done = std::move(on_stream_close)) done();
        }
        {
            http_server::impl* srv = &server;
            std::lock_guard<std::mutex> lock(srv->count_mutex);
            srv->live.erase(this);
            --srv->open;
            if (auto it = srv->per_address.find(bucket); it != srv->per_address.end() && --it->second == 0) srv->per_address.erase(it);
            if (was_stream) {
                --srv->open_streams;
                if (auto it = srv->streams_per_address.find(bucket); it != srv->streams_per_address.end() && --it->second == 0)
                    srv->streams_per_address.erase(it);
            }
        }
    }
    bool on_stream_thread = false;

    //-------------------------------------------------------------------------
    // [SECTION] Streams
    //-------------------------------------------------------------------------
    std::shared_ptr<http_stream> open_stream(http_response head, std::function<void()> on_close) {
        if (closed) return nullptr;
        {
            std::lock_guard<std::mutex> lock(server.count_mutex);
            if (server.open_streams >= limits().streams || server.streams_per_address[bucket] >= limits().streams_per_address) {
                if (server.streams_per_address[bucket] == 0) server.streams_per_address.erase(bucket);
                return nullptr;
            }
            ++server.open_streams;
            ++server.streams_per_address[bucket];
        }
        auto s = std::make_shared<stream_impl>(shared_from_this());
        stream = s.get();
        on_stream_close = std::move(on_close);
        disarm();
        std::string text = "HTTP/1.1 200 OK\r\n";
        for (const auto& [k, v] : server.desc.default_headers) (((text += k) += ": ") += v) += "\r\n";
        for (const auto& [k, v] : head.headers) (((text += k) += ": ") += v) += "\r\n";
        text += "Content-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n";
        // Streams live on their own thread: a fan-out to thousands of sockets never queues in
        // front of a request's next step on the I/O thread.
        beast::error_code ec;
        auto protocol = socket.local_endpoint(ec).protocol();
        auto fd = ec ? -1 : socket.release(ec);
        if (ec) {
            close_now();
            return s;
        }
        on_stream_thread = true;
        socket = tcp::socket(server.stream_io, protocol, fd);
        net::post(server.stream_io, [self = shared_from_this(), head = std::make_shared<const std::string>(std::move(text))] {
            self->pending.push_back(head);
            self->pump();
            self->watch_for_close();
        });
        return s;
    }

    // A stream's client never sends again: reading tells when it went away.
    void watch_for_close() {
        socket.async_read_some(net::buffer(scratch), [self = shared_from_this()](beast::error_code ec, size_t) {
            if (ec || self->closed) return self->close_now();
            self->watch_for_close();
        });
    }

    void queue_event(std::shared_ptr<const std::string> event) {
        if (closed || !stream || event->empty()) return;
        // A fan-out queues one event on every stream in a row: frame it as a chunk once.
        if (server.last_event != event) {
            char size[24];
            int n = std::snprintf(size, sizeof size, "%zx\r\n", event->size());
            auto framed = std::make_shared<std::string>();
            framed->reserve(static_cast<size_t>(n) + event->size() + 2);
            framed->append(size, static_cast<size_t>(n)).append(*event).append("\r\n");
            server.last_event = event;
            server.last_framed = std::move(framed);
        }
        pending_bytes += server.last_framed->size();
        pending.push_back(server.last_framed);
        if (writing && steady::now() - write_started > std::chrono::milliseconds(limits().write_ms)) return close_now();
        if (pending_bytes > limits().stream_buffer_bytes) return close_now();  // a reader this slow only costs memory
        pump();
    }

    void end_stream() {
        if (closed || !stream) return;
        pending.push_back(std::make_shared<const std::string>("0\r\n\r\n"));
        pending_bytes += 5;
        closing_stream = true;
        pump();
    }
    bool closing_stream = false;

    // No timer per stream write (thousands of streams, every event): a write still in flight
    // after write_ms is found when the next event is queued, and the buffer cap bounds the rest.
    void pump() {
        if (writing || closed) return;
        if (pending.empty()) {
            if (closing_stream) close_now();
            return;
        }
        writing = true;
        write_started = steady::now();
        in_flight.assign(pending.begin(), pending.end());
        pending.clear();
        std::vector<net::const_buffer> buffers;
        buffers.reserve(in_flight.size());
        for (const auto& p : in_flight) buffers.emplace_back(net::buffer(*p));
        net::async_write(socket, buffers, [self = shared_from_this()](beast::error_code ec, size_t n) {
            self->writing = false;
            self->in_flight.clear();
            self->stream_bytes += n;
            self->pending_bytes = 0;
            for (const auto& p : self->pending) self->pending_bytes += p->size();
            if (ec) return self->close_now();
            self->pump();
        });
    }
    steady::time_point write_started{};
};

exchange_impl::~exchange_impl() {
    // A handler that forgot to answer must not leave the client waiting forever.
    if (!answered_) respond(error_response(collector_error::unavailable, "", "the request was not answered"));
}
const http_request& exchange_impl::request() const { return conn_->request; }
void exchange_impl::respond(http_response response) {
    if (answered_.exchange(true)) return;
    net::post(conn_->io, [c = conn_, g = generation_, r = std::move(response)]() mutable { c->write_answer(std::move(r), g); });
}
std::shared_ptr<http_stream> exchange_impl::open_stream(http_response head, std::function<void()> on_close) {
    if (answered_) return nullptr;
    auto s = conn_->open_stream(std::move(head), std::move(on_close));
    if (s) answered_ = true;
    return s;
}

void stream_impl::send(std::shared_ptr<const std::string> event) {
    if (closed_) return;
    net::post(conn_->server.stream_io, [c = conn_, e = std::move(event)]() mutable { c->queue_event(std::move(e)); });
}
void stream_impl::close() {
    net::post(conn_->server.stream_io, [c = conn_] { c->end_stream(); });
}

std::string address_text(const tcp::endpoint& endpoint) {
    auto a = endpoint.address();
    if (a.is_v6() && a.to_v6().is_v4_mapped()) a = net::ip::make_address_v4(net::ip::v4_mapped, a.to_v6());
    return a.to_string();
}

}  // namespace

//-----------------------------------------------------------------------------
// [SECTION] Server
//-----------------------------------------------------------------------------
void http_server::impl::accept() {
    net::io_context& on = *ios[next_io];
    acceptor.async_accept(on, [this, &on](beast::error_code ec, tcp::socket socket) {
        if (stopping) return;
        if (ec) {
            // Out of descriptors (EMFILE/ENFILE) or a transient error: wait instead of spinning.
            accept_retry.expires_after(std::chrono::milliseconds(50));
            accept_retry.async_wait([this](beast::error_code) { accept(); });
            return;
        }
        beast::error_code e;
        std::string address = address_text(socket.remote_endpoint(e));
        if (e) return accept();
        // An IPv6 client has a /64 to pick addresses from: the cap counts the /64.
        std::string bucket = address_bucket(address);
        std::unique_lock<std::mutex> lock(count_mutex);
        size_t& mine = per_address[bucket];
        if (open >= capacity || mine >= desc.limits.connections_per_address) {
            if (mine == 0) per_address.erase(bucket);
            lock.unlock();
            // One small answer straight into the socket's send buffer, then close: a refused
            // connection holds nothing.
            static const std::string text = [] {
                http_response r = error_response(collector_error::too_many_connections);
                return "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nRetry-After: 5\r\nContent-Length: " +
                       std::to_string(r.body.size()) + "\r\nConnection: close\r\n\r\n" + r.body;
            }();
            socket.non_blocking(true, e);
            socket.write_some(net::buffer(text), e);
            socket.shutdown(tcp::socket::shutdown_both, e);
            socket.close(e);
            if (desc.log_refusal) desc.log_refusal("too_many_connections", address);
            return accept();
        }
        ++mine;
        ++open;
        socket.set_option(tcp::no_delay(true), e);
        auto c = std::make_shared<connection>(*this, on, std::move(socket), std::move(address));
        live.emplace(c.get(), c);
        lock.unlock();
        next_io = (next_io + 1) % ios.size();
        // Its first read starts on its own thread.
        if (&on == ios[0].get())
            c->start();
        else
            net::post(on, [c] { c->start(); });
        accept();
    });
}

http_server::http_server(http_server_desc desc) : impl_(std::make_unique<impl>(std::move(desc))) {}
http_server::~http_server() { impl_->workers.join(); }

int http_server::listen(std::string& error) {
    // Each connection is a descriptor: take the hard limit, and hold what it allows.
    rlimit nofile{};
    size_t fds = 1024;
    if (getrlimit(RLIMIT_NOFILE, &nofile) == 0) {
        if (nofile.rlim_cur < nofile.rlim_max) {
            rlimit raised = nofile;
            raised.rlim_cur = nofile.rlim_max;
            if (setrlimit(RLIMIT_NOFILE, &raised) == 0) nofile = raised;
        }
        fds = nofile.rlim_cur == RLIM_INFINITY ? size_t{1} << 20 : static_cast<size_t>(nofile.rlim_cur);
    }
    // Room for the database, files being served, and the refusal of one more connection.
    impl_->capacity = std::min(impl_->desc.limits.connections, fds > 128 ? fds - 64 : fds / 2);

    beast::error_code ec;
    auto address = net::ip::make_address(impl_->desc.bind, ec);
    if (ec) {
        error = "not an IP address: " + impl_->desc.bind;
        return 0;
    }
    tcp::endpoint endpoint(address, static_cast<unsigned short>(impl_->desc.port));
    auto& a = impl_->acceptor;
    a.open(endpoint.protocol(), ec);
    if (!ec) a.set_option(net::socket_base::reuse_address(true), ec);
    if (!ec) a.bind(endpoint, ec);
    if (!ec) a.listen(impl_->desc.limits.accept_backlog, ec);
    if (ec) {
        error = ec.message();
        return 0;
    }
    return a.local_endpoint().port();
}

size_t http_server::connection_capacity() const { return impl_->capacity; }

void http_server::run() {
    auto guard = net::make_work_guard(impl_->stream_io);
    std::thread streams([this] {
        // Acknowledging a write comes before pushing an event sooner: on a busy machine the
        // stream thread yields to the I/O thread (Linux: a nice value per thread).
        setpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()), 5);
        impl_->stream_io.run();
    });
    std::vector<net::executor_work_guard<net::io_context::executor_type>> io_guards;
    std::vector<std::thread> io_threads;
    for (size_t i = 1; i < impl_->ios.size(); ++i) {
        io_guards.push_back(net::make_work_guard(*impl_->ios[i]));
        io_threads.emplace_back([this, i] { impl_->ios[i]->run(); });
    }
    impl_->accept();
    impl_->ios[0]->run();
    for (auto& g : io_guards) g.reset();
    for (size_t i = 1; i < impl_->ios.size(); ++i) net::post(*impl_->ios[i], [this, i] { impl_->ios[i]->stop(); });
    for (auto& t : io_threads) t.join();
    guard.reset();
    net::post(impl_->stream_io, [this] { impl_->stream_io.stop(); });
    streams.join();
}

void http_server::stop() {
    net::post(*impl_->ios[0], [this] {
        impl* s = impl_.get();
        s->stopping = true;
        beast::error_code ignored;
        s->acceptor.close(ignored);
        s->accept_retry.cancel();
        std::vector<std::shared_ptr<connection>> all;
        {
            std::lock_guard<std::mutex> lock(s->count_mutex);
            for (auto& [key, weak] : s->live)
                if (auto c = weak.lock()) all.push_back(std::move(c));
        }
        // Each connection is closed on its own thread; run() then stops the other I/O threads
        // behind these closes (one thread per io_context runs its handlers in order).
        for (auto& c : all) {
            // on_stream_thread is set on the connection's own thread: ask there.
            auto close = [s, c] {
                if (c->on_stream_thread)
                    net::post(s->stream_io, [c] { c->close_now(); });
                else
                    c->close_now();
            };
            if (&c->io == s->ios[0].get())
                close();
            else
                net::post(c->io, close);
        }
        s->ios[0]->stop();
    });
}

void http_server::offload(std::function<void()> work) { net::post(impl_->workers, std::move(work)); }

namespace {
// A fan-out in slices: each slice queues the next behind whatever else is ready, so a request
// waits for one slice of socket writes, never for thousands.
void send_slice(net::io_context& io, std::shared_ptr<std::vector<std::shared_ptr<http_stream>>> streams,
                std::shared_ptr<const std::string> event, size_t from) {
    constexpr size_t slice = 64;
    size_t to = std::min(streams->size(), from + slice);
    for (size_t i = from; i < to; ++i) static_cast<stream_impl&>(*(*streams)[i]).conn_->queue_event(event);
    if (to < streams->size()) net::post(io, [&io, streams, event, to] { send_slice(io, streams, event, to); });
}
}  // namespace

void http_server::send_all(std::vector<std::shared_ptr<http_stream>> streams, std::shared_ptr<const std::string> event) {
    auto list = std::make_shared<std::vector<std::shared_ptr<http_stream>>>(std::move(streams));
    net::io_context& io = impl_->stream_io;
    net::post(io, [&io, list, event = std::move(event)] { send_slice(io, list, event, 0); });
}

}  // namespace npskit
