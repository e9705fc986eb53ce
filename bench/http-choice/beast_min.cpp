// Minimal Boost.Beast server for the HTTP layer choice (BENCHMARKS.md): 202 on POST, one thread. Not built by CMake.
#include <boost/asio.hpp>
#include <boost/beast.hpp>
#include <memory>
namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;
struct session : std::enable_shared_from_this<session> {
    beast::tcp_stream stream;
    beast::flat_buffer buffer{16384};
    std::optional<http::request_parser<http::string_body>> parser;
    http::response<http::string_body> res;
    explicit session(tcp::socket s) : stream(std::move(s)) {}
    void read() {
        parser.emplace();
        parser->header_limit(16384);
        parser->body_limit(65536);
        stream.expires_after(std::chrono::seconds(10));  // whole request
        http::async_read(stream, buffer, *parser, [self = shared_from_this()](beast::error_code ec, size_t) {
            if (ec) {
                if (ec == http::error::body_limit || ec == http::error::header_limit) self->fail(ec == http::error::body_limit ? 413 : 431);
                return;
            }
            self->answer();
        });
    }
    void fail(int status) {
        res = {};
        res.result(status);
        res.keep_alive(false);
        res.prepare_payload();
        http::async_write(stream, res, [self = shared_from_this()](beast::error_code, size_t) {
            self->stream.socket().shutdown(tcp::socket::shutdown_send);
        });
    }
    void answer() {
        auto& req = parser->get();
        res = {};
        res.version(11);
        res.result(req.method() == http::verb::post ? 202 : 200);
        res.set(http::field::content_type, "application/json");
        res.body() = "{\"id\":\"x\"}";
        res.keep_alive(req.keep_alive());
        res.prepare_payload();
        http::async_write(stream, res, [self = shared_from_this()](beast::error_code ec, size_t) {
            if (!ec && self->res.keep_alive()) self->read();
        });
    }
};
void accept(tcp::acceptor& a) {
    a.async_accept([&a](beast::error_code ec, tcp::socket s) {
        if (!ec) {
            s.set_option(tcp::no_delay(true));
            std::make_shared<session>(std::move(s))->read();
        }
        accept(a);
    });
}
int main(int argc, char** argv) {
    net::io_context io{1};
    tcp::acceptor a(io, tcp::endpoint(net::ip::make_address("127.0.0.1"), static_cast<unsigned short>(argc > 1 ? atoi(argv[1]) : 9102)));
    a.listen(1024);
    accept(a);
    io.run();
}
