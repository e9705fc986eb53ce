// npskit collector: the event-driven HTTP/1.1 layer (Boost.Beast on a few Asio threads).
// No thread per connection: a slow client or an open SSE stream costs a buffer, not a
// thread. Every limit is enforced while reading (docs/http-api.md, "Limits"):
// - request line + headers: bytes bounded by the parser as they arrive (431), header count (431),
//   request-line length (414); malformed or ambiguous framing: 400/411 and the connection closes
// - body: refused from Content-Length before any body byte is read (413)
// - one deadline for the whole request, headers and body (408); an idle keep-alive limit
// - connections in total and per client address, SSE streams in total and per address (503)
// - a bounded accept queue (the listen backlog)
// Routes never see Beast: they get an http_request and answer through an http_exchange, from
// any thread (the answer is posted back to the connection's I/O thread).
#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "collector_errors.h"

namespace npskit {

struct http_limits {
    size_t header_bytes = 0;             // = 16 KB: request line + header lines
    size_t header_count = 0;             // = 100 header lines
    size_t request_line_bytes = 0;       // = 8 KB: method, target, version
    size_t body_bytes = 0;               // = 64 KB (schema_limits::max_body_bytes)
    int request_ms = 0;                  // = 10 s: first byte to last body byte, not per read
    int idle_ms = 0;                     // = 5 s: keep-alive wait for a next request
    int write_ms = 0;                    // = 10 s: writing one answer (or one stream event)
    size_t connections = 0;              // = 16384 in total (also bounded by RLIMIT_NOFILE)
    size_t connections_per_address = 0;  // = 4096
    size_t streams = 0;                  // = 16384 open SSE streams in total
    size_t streams_per_address = 0;      // = 4096
    int accept_backlog = 0;              // = 1024 connections waiting to be accepted
    size_t stream_buffer_bytes = 0;      // = 1 MB unsent on one stream: a reader that slow is closed
};
// Zero fields take their defaults (the one place they are written).
http_limits with_defaults(http_limits limits);

struct http_request {
    std::string method;  // upper case as sent; HEAD is answered as GET without the body
    std::string target;  // as sent
    std::string path;    // percent-decoded, without the query
    std::string query;   // raw, after '?'
    std::vector<std::pair<std::string, std::string>> headers;
    std::vector<std::pair<std::string, std::string>> params;  // decoded query parameters
    std::string body;
    std::string remote_addr;

    std::string header(std::string_view name) const;  // first value, case-insensitive name; "" if absent
    size_t header_count(std::string_view name) const;
    bool has_param(std::string_view name) const;
    std::string param(std::string_view name, size_t index = 0) const;
    size_t param_count(std::string_view name) const;
};

struct http_response {
    int status = 200;
    std::string content_type;
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers;
    bool close = false;  // end the connection after this answer

    void set_header(std::string name, std::string value);
    void set_content(std::string text, std::string type) {
        body = std::move(text);
        content_type = std::move(type);
    }
};

// {"errors":[{"code","field","message"}]} with the code's status; message "" = the list's sentence.
http_response error_response(collector_error code, std::string_view field = {}, std::string_view message = {});

// An open text/event-stream answer. send() may be called from any thread; bytes queue in the
// connection's buffer and a reader that falls stream_buffer_bytes behind is closed.
class http_stream {
public:
    virtual ~http_stream() = default;
    virtual void send(std::shared_ptr<const std::string> event) = 0;
    virtual void close() = 0;
    virtual bool closed() const = 0;
};

// One request: answer it once with respond(), or open a stream.
class http_exchange {
public:
    virtual ~http_exchange() = default;
    virtual const http_request& request() const = 0;
    virtual void respond(http_response response) = 0;  // any thread
    // The connection's I/O thread only (inside the handler). Sends head (status 200, its headers) and returns the
    // stream, or nullptr when the stream caps are reached (the caller answers 503). on_close runs
    // on the I/O thread once the stream ends, whoever ended it.
    virtual std::shared_ptr<http_stream> open_stream(http_response head, std::function<void()> on_close) = 0;
};

struct http_server_desc {
    std::string bind = "127.0.0.1";
    int port = 8080;  // 0: any free port
    http_limits limits;
    int workers = 4;  // threads for offload() (storage reads, files)
    // I/O threads, each with its own connections (spread at accept): parsing and answering
    // requests is the collector's busiest work, and one thread caps it at one core.
    int io_threads = 2;
    std::vector<std::pair<std::string, std::string>> default_headers;
    // Runs on an I/O thread (several at once) for every request that passed the limits; must
    // not block and must be thread-safe.
    std::function<void(std::shared_ptr<http_exchange>)> handler;
    // After each answer is written (or each stream ended): one log line.
    std::function<void(const http_request&, int status, double ms, size_t out_bytes)> log;
    // Limit refusals before a request exists (connection caps): one log line each.
    std::function<void(std::string_view what, const std::string& remote_addr)> log_refusal;
};

class http_server {
public:
    explicit http_server(http_server_desc desc);
    ~http_server();
    // Binds and listens; returns the port (0 on failure, with the reason in error).
    int listen(std::string& error);
    void run();                                // serves on the calling thread until stop()
    void stop();                               // any thread: closes every connection, run() returns
    void offload(std::function<void()> work);  // runs work on a worker thread
    // send() on each stream, in one hop to the stream thread (a fan-out to thousands of streams).
    void send_all(std::vector<std::shared_ptr<http_stream>> streams, std::shared_ptr<const std::string> event);
    size_t connection_capacity() const;  // connections it can hold (limits and RLIMIT_NOFILE)

    struct impl;  // the Asio state, in http_server.cpp only

private:
    std::unique_ptr<impl> impl_;
};

}  // namespace npskit
