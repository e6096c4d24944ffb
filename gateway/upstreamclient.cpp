#include "upstreamclient.h"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <memory>
#include <optional>

namespace canary::gateway {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace {

class Call final : public std::enable_shared_from_this<Call>
{
public:
    Call(net::io_context &io, UpstreamClient::Callback done)
        : m_strand(net::make_strand(io))
        , m_resolver(m_strand)
        , m_stream(m_strand)
        , m_timer(m_strand)
        , m_done(std::move(done))
    {}

    void start(const UpstreamUrl &url, std::string body, std::chrono::milliseconds timeout)
    {
        m_request.method(http::verb::post);
        m_request.target(url.path);
        m_request.version(11);
        m_request.set(http::field::host,
                      url.host + (url.port == 80 ? std::string() : ":" + std::to_string(url.port)));
        m_request.set(http::field::user_agent, "canary-gateway");
        m_request.set(http::field::content_type, "application/json");
        m_request.set(http::field::accept, "application/json");
        m_request.keep_alive(false);
        m_request.body() = std::move(body);
        m_request.prepare_payload();
        m_parser.body_limit(UpstreamClient::kMaxResponseBytes);

        auto self = shared_from_this();
        net::dispatch(m_strand, [self, url, timeout] {
            self->m_timer.expires_after(timeout);
            self->m_timer.async_wait([self, timeout](beast::error_code ec) {
                if (!ec)
                    self->finish({false,
                                  0,
                                  {},
                                  "no answer within " + std::to_string(timeout.count()) + " ms"});
            });
            self->m_resolver.async_resolve(
                url.host, std::to_string(url.port),
                [self](beast::error_code ec, tcp::resolver::results_type results) {
                    if (ec)
                        return self->fail("cannot resolve the upstream host", ec);
                    self->m_stream.async_connect(
                        results, [self](beast::error_code cec, const tcp::endpoint &) {
                            if (cec)
                                return self->fail("cannot connect to the upstream", cec);
                            self->write();
                        });
                });
        });
    }

private:
    void write()
    {
        http::async_write(m_stream, m_request,
                          [self = shared_from_this()](beast::error_code ec, std::size_t) {
                              if (ec)
                                  return self->fail("cannot send to the upstream", ec);
                              self->read();
                          });
    }

    void read()
    {
        http::async_read(
            m_stream, m_buffer, m_parser,
            [self = shared_from_this()](beast::error_code ec, std::size_t) {
                if (ec)
                    return self->fail("cannot read the upstream's answer", ec);
                auto &message = self->m_parser.get();
                self->finish({true, int(message.result_int()), std::move(message.body()), {}});
            });
    }

    void fail(const std::string &what, beast::error_code ec)
    {
        finish({false, 0, {}, what + ": " + ec.message()});
    }

    // Runs on the strand; the first outcome wins, later ones (cancellations) are dropped.
    void finish(UpstreamClient::Result result)
    {
        if (m_finished)
            return;
        m_finished = true;
        m_timer.cancel();
        m_resolver.cancel();
        beast::error_code ec;
        m_stream.socket().shutdown(tcp::socket::shutdown_both, ec);
        m_stream.close();
        auto done = std::move(m_done);
        done(std::move(result));
    }

    net::strand<net::io_context::executor_type> m_strand;
    tcp::resolver m_resolver;
    beast::tcp_stream m_stream;
    net::steady_timer m_timer;
    beast::flat_buffer m_buffer;
    http::request<http::string_body> m_request;
    http::response_parser<http::string_body> m_parser;
    UpstreamClient::Callback m_done;
    bool m_finished = false;
};

} // namespace

void UpstreamClient::post(const UpstreamUrl &url, std::string jsonBody,
                          std::chrono::milliseconds timeout, Callback done)
{
    std::make_shared<Call>(m_io, std::move(done))->start(url, std::move(jsonBody), timeout);
}

} // namespace canary::gateway
