#pragma once

#include "gatewayconfig.h"
#include "httpmessage.h"

#include "util/clock.h"

#include <cstdint>
#include <memory>
#include <string>

namespace canary::gateway {

class ControlApi;
class DataPlane;
class FeedbackStore;
class HttpServer;
class LoadGenerator;
class MetricsRegistry;
class RolloutController;

// The whole gateway: one io_context run by a few threads, the HTTP server, the rollout state,
// the data plane, metrics and (for the demo) the load generator.
class Gateway final
{
public:
    Gateway(GatewayConfig config, std::string token, const Clock &clock = SystemClock::instance());
    ~Gateway();
    Gateway(const Gateway &) = delete;
    Gateway &operator=(const Gateway &) = delete;

    // Binds (port 0 picks a free one) and returns the port; throws std::runtime_error.
    std::uint16_t listen(const std::string &host, std::uint16_t port);
    // Runs the io_context on `threads` threads; returns at once.
    void start(unsigned threads);
    // In-process traffic through the same predict path; rps 0 does nothing.
    void startLoad(double rps);
    // Stops accepting, stops the threads and drops whatever is still pending.
    void stop();

    // Routes one request (used by the server; callable directly).
    void handle(HttpRequest &&request, HttpResponder respond);

    const GatewayConfig &config() const { return m_config; }
    RolloutController &controller() { return *m_controller; }
    MetricsRegistry &metrics() { return *m_metrics; }
    DataPlane &dataPlane() { return *m_dataPlane; }

private:
    HttpResponse metricsResponse(const HttpRequest &request) const;
    // One io thread's loop: runs the io_context until stop(), surviving a handler's exception.
    void serve();

    struct Runtime;
    const GatewayConfig m_config;
    std::unique_ptr<Runtime> m_runtime; // io_context and threads: first in, last out
    std::unique_ptr<RolloutController> m_controller;
    std::unique_ptr<MetricsRegistry> m_metrics;
    std::unique_ptr<FeedbackStore> m_feedback;
    std::unique_ptr<DataPlane> m_dataPlane;
    std::unique_ptr<ControlApi> m_controlApi;
    std::unique_ptr<HttpServer> m_server;
    std::unique_ptr<LoadGenerator> m_load;
};

} // namespace canary::gateway
