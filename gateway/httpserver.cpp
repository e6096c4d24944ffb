#include "httpserver.h"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <array>
#include <iostream>
#include <optional>
#include <stdexcept>

namespace canary::gateway {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace {

struct Shared
{
    HttpHandler handler;
    HttpServer::Limits limits;
};

class Connection final : public std::enable_shared_from_this<Connection>
{
public:
    Connection(tcp::socket &&socket, std::shared_ptr<const Shared> shared)
        : m_stream(std::move(socket))
        , m_shared(std::move(shared))
    {}

    void start()
    {
        net::dispatch(m_stream.get_executor(), [self = shared_from_this()] { self->readHeader(); });
    }

private:
    void readHeader()
    {
        m_parser.emplace();
        m_parser->header_limit(std::uint32_t(m_shared->limits.headerBytes));
        m_parser->body_limit(m_shared->limits.bodyBytes);
        // The first byte of a new request may take as long as the idle timeout allows.
        m_stream.expires_after(m_shared->limits.idleTimeout);
        http::async_read_header(
            m_stream, m_buffer, *m_parser,
            [self = shared_from_this()](beast::error_code ec, std::size_t) { self->onHeader(ec); });
    }

    void onHeader(beast::error_code ec)
    {
        if (ec)
            return onReadError(ec);
        const auto &header = m_parser->get();
        if (equalsIgnoreCase(std::string_view(header[http::field::expect]), "100-continue")) {
            auto cont = std::make_shared<http::response<http::empty_body>>(http::status::continue_,
                                                                           header.version());
            m_stream.expires_after(m_shared->limits.writeTimeout);
            http::async_write(
                m_stream, *cont,
                [self = shared_from_this(), cont](beast::error_code wec, std::size_t) {
                    if (wec)
                        return self->close();
                    self->readBody();
                });
            return;
        }
        readBody();
    }

    void readBody()
    {
        m_stream.expires_after(m_shared->limits.readTimeout);
        http::async_read(
            m_stream, m_buffer, *m_parser,
            [self = shared_from_this()](beast::error_code ec, std::size_t) { self->onRead(ec); });
    }

    void onReadError(beast::error_code ec)
    {
        if (ec == http::error::body_limit) {
            return sendAndClose(HttpResponse::problem(
                413, "payload-too-large", "Payload too large",
                "The request body exceeds " + std::to_string(m_shared->limits.bodyBytes) +
                    " bytes; send a smaller document."));
        }
        if (ec == http::error::header_limit) {
            return sendAndClose(HttpResponse::problem(
                431, "malformed-request", "Request header fields too large",
                "The request headers exceed " + std::to_string(m_shared->limits.headerBytes) +
                    " bytes."));
        }
        if (ec.category() == make_error_code(http::error::bad_target).category() &&
            ec != http::error::end_of_stream && ec != http::error::partial_message) {
            return sendAndClose(
                HttpResponse::problem(400, "malformed-request", "Bad request",
                                      "The request is not valid HTTP/1.1: " + ec.message() + "."));
        }
        // end of stream, timeout, reset: nothing to answer.
        close();
    }

    void onRead(beast::error_code ec)
    {
        if (ec)
            return onReadError(ec);
        auto message = m_parser->release();
        HttpRequest request;
        request.arrival = std::chrono::steady_clock::now();
        request.method = std::string(message.method_string());
        request.target = std::string(message.target());
        for (const auto &field : message)
            request.headers.emplace_back(std::string(field.name_string()),
                                         std::string(field.value()));
        request.body = std::move(message.body());
        const bool keepAlive = message.keep_alive();
        const unsigned version = message.version();
        // The handler may take a while (simulated latency, upstream): no read deadline meanwhile.
        m_stream.expires_never();
        m_shared->handler(std::move(request), [self = shared_from_this(), keepAlive,
                                               version](HttpResponse response) {
            net::post(self->m_stream.get_executor(),
                      [self, keepAlive, version, response = std::move(response)]() mutable {
                          self->write(std::move(response), keepAlive, version);
                      });
        });
    }

    void write(HttpResponse response, bool keepAlive, unsigned version)
    {
        auto message = std::make_shared<http::response<http::string_body>>();
        message->version(version);
        message->result(static_cast<unsigned>(response.status));
        message->set(http::field::server, "canary-gateway");
        message->set(http::field::cache_control, "no-store");
        for (auto &[name, value] : response.headers)
            message->set(name, value);
        message->body() = std::move(response.body);
        message->keep_alive(keepAlive);
        message->prepare_payload();
        m_stream.expires_after(m_shared->limits.writeTimeout);
        http::async_write(m_stream, *message,
                          [self = shared_from_this(), message](beast::error_code ec, std::size_t) {
                              if (ec)
                                  return self->close();
                              if (!message->keep_alive())
                                  return self->lingeringClose();
                              self->readHeader();
                          });
    }

    // Closing with unread request bytes in the socket makes the kernel send a reset, and the
    // client may lose our answer (a 413, say). So half-close, discard what still arrives for a
    // short while, then close.
    void lingeringClose()
    {
        beast::error_code ec;
        m_stream.socket().shutdown(tcp::socket::shutdown_send, ec);
        m_stream.expires_after(kLingerTime);
        drain();
    }

    void drain()
    {
        m_stream.async_read_some(net::buffer(m_discard),
                                 [self = shared_from_this()](beast::error_code ec, std::size_t n) {
                                     self->m_drained += n;
                                     if (ec || self->m_drained > kLingerBytes)
                                         return self->m_stream.close();
                                     self->drain();
                                 });
    }

    void sendAndClose(HttpResponse response)
    {
        const unsigned version =
            m_parser && m_parser->is_header_done() ? m_parser->get().version() : 11;
        write(std::move(response), false, version);
    }

    void close()
    {
        beast::error_code ec;
        m_stream.socket().shutdown(tcp::socket::shutdown_send, ec);
        m_stream.close();
    }

    static constexpr auto kLingerTime = std::chrono::seconds(2);
    static constexpr std::size_t kLingerBytes = 4 * 1024 * 1024;

    beast::tcp_stream m_stream;
    beast::flat_buffer m_buffer;
    std::array<char, 8192> m_discard;
    std::size_t m_drained = 0;
    std::optional<http::request_parser<http::string_body>> m_parser;
    std::shared_ptr<const Shared> m_shared;
};

} // namespace

struct HttpServer::Impl : std::enable_shared_from_this<HttpServer::Impl>
{
    Impl(net::io_context &io, std::shared_ptr<const Shared> s)
        : ioc(io)
        , acceptor(net::make_strand(io))
        , shared(std::move(s))
    {}

    void accept()
    {
        acceptor.async_accept(net::make_strand(ioc), [self = shared_from_this()](
                                                         beast::error_code ec, tcp::socket socket) {
            if (ec == net::error::operation_aborted || !self->acceptor.is_open())
                return;
            if (ec)
                std::cerr << "canary-gateway: accept failed: " << ec.message() << '\n';
            else
                std::make_shared<Connection>(std::move(socket), self->shared)->start();
            self->accept();
        });
    }

    net::io_context &ioc;
    tcp::acceptor acceptor;
    std::shared_ptr<const Shared> shared;
};

HttpServer::HttpServer(net::io_context &io, HttpHandler handler)
    : HttpServer(io, std::move(handler), Limits{})
{}

HttpServer::HttpServer(net::io_context &io, HttpHandler handler, Limits limits)
    : m_impl(std::make_shared<Impl>(
          io, std::make_shared<const Shared>(Shared{std::move(handler), limits})))
{}

HttpServer::~HttpServer()
{
    close();
}

std::uint16_t HttpServer::listen(const std::string &host, std::uint16_t port)
{
    beast::error_code ec;
    const auto address = net::ip::make_address(host, ec);
    if (ec)
        throw std::runtime_error("\"" + host + "\" is not an IP address");
    const tcp::endpoint endpoint(address, port);
    auto &acceptor = m_impl->acceptor;
    auto failed = [&](const char *what) {
        return std::runtime_error(std::string(what) + " " + host + ":" + std::to_string(port) +
                                  ": " + ec.message());
    };
    acceptor.open(endpoint.protocol(), ec);
    if (ec)
        throw failed("cannot open a socket for");
    acceptor.set_option(net::socket_base::reuse_address(true), ec);
    acceptor.bind(endpoint, ec);
    if (ec)
        throw failed("cannot bind");
    acceptor.listen(net::socket_base::max_listen_connections, ec);
    if (ec)
        throw failed("cannot listen on");
    const auto bound = acceptor.local_endpoint(ec).port();
    m_impl->accept();
    return bound;
}

void HttpServer::close()
{
    if (!m_impl)
        return;
    net::post(m_impl->acceptor.get_executor(), [impl = m_impl] {
        beast::error_code ec;
        impl->acceptor.close(ec);
    });
}

} // namespace canary::gateway
