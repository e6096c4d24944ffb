#pragma once

#include "gatewayconfig.h"

#include <chrono>
#include <functional>
#include <string>

namespace boost::asio {
class io_context;
}

namespace canary::gateway {

// Posts one JSON request to an http:// upstream and reports the answer, asynchronously, within a
// deadline that covers name resolution, connecting, writing and reading. One connection per call.
class UpstreamClient final
{
public:
    static constexpr std::size_t kMaxResponseBytes = 1024 * 1024;

    struct Result
    {
        bool ok = false; // transport worked; `status` is the upstream's
        int status = 0;
        std::string body;
        std::string error; // why, when !ok
    };
    using Callback = std::function<void(Result)>;

    explicit UpstreamClient(boost::asio::io_context &io)
        : m_io(io)
    {}

    void post(const UpstreamUrl &url, std::string jsonBody, std::chrono::milliseconds timeout,
              Callback done);

private:
    boost::asio::io_context &m_io;
};

} // namespace canary::gateway
