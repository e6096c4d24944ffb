#pragma once

#include "httpmessage.h"

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

namespace boost::asio {
class io_context;
}

namespace canary::gateway {

// An asynchronous HTTP/1.1 server (Boost.Beast) with keep-alive, bounded header and body sizes
// and idle timeouts. It parses requests into HttpRequest and hands them to the handler; the
// handler answers through the responder whenever it is ready, from any thread. Sizes beyond the
// limits are answered by the server itself (413, 431) and the connection is closed.
class HttpServer final
{
public:
    struct Limits
    {
        std::size_t headerBytes = 16 * 1024;
        std::size_t bodyBytes = 64 * 1024;
        std::chrono::milliseconds idleTimeout{60'000};
        std::chrono::milliseconds readTimeout{30'000};
        std::chrono::milliseconds writeTimeout{30'000};
    };

    HttpServer(boost::asio::io_context &io, HttpHandler handler);
    HttpServer(boost::asio::io_context &io, HttpHandler handler, Limits limits);
    ~HttpServer();
    HttpServer(const HttpServer &) = delete;
    HttpServer &operator=(const HttpServer &) = delete;

    // Binds and starts accepting. Returns the bound port (useful with port 0); throws
    // std::runtime_error with a readable message when the address cannot be bound.
    std::uint16_t listen(const std::string &host, std::uint16_t port);
    void close();

private:
    struct Impl;
    std::shared_ptr<Impl> m_impl;
};

} // namespace canary::gateway
