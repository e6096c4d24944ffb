#include "gateway.h"

#include "controlapi.h"
#include "dataplane.h"
#include "feedbackstore.h"
#include "httpserver.h"
#include "loadgenerator.h"
#include "metricsregistry.h"
#include "rolloutcontroller.h"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include <cstdio>
#include <exception>
#include <optional>
#include <thread>
#include <vector>

namespace canary::gateway {

namespace net = boost::asio;

struct Gateway::Runtime
{
    net::io_context io;
    std::optional<net::executor_work_guard<net::io_context::executor_type>> work;
    std::vector<std::thread> threads;
};

Gateway::Gateway(GatewayConfig config, std::string token, const Clock &clock)
    : m_config(std::move(config))
    , m_runtime(std::make_unique<Runtime>())
    , m_controller(std::make_unique<RolloutController>(m_config, clock))
    , m_metrics(std::make_unique<MetricsRegistry>())
    , m_feedback(std::make_unique<FeedbackStore>(m_config.feedback.capacity,
                                                 std::chrono::seconds(m_config.feedback.ttlS)))
    , m_dataPlane(std::make_unique<DataPlane>(m_runtime->io, m_config, *m_controller, *m_metrics,
                                              *m_feedback, clock))
    , m_controlApi(std::make_unique<ControlApi>(*m_controller, std::move(token)))
{}

Gateway::~Gateway()
{
    stop();
}

std::uint16_t Gateway::listen(const std::string &host, std::uint16_t port)
{
    if (!m_server) {
        m_server = std::make_unique<HttpServer>(
            m_runtime->io, [this](HttpRequest &&request, HttpResponder respond) {
                handle(std::move(request), std::move(respond));
            });
    }
    return m_server->listen(host, port);
}

void Gateway::start(unsigned threads)
{
    m_runtime->work.emplace(m_runtime->io.get_executor());
    for (unsigned i = 0; i < std::max(1u, threads); ++i)
        m_runtime->threads.emplace_back([this] { serve(); });
}

void Gateway::serve()
{
    // An exception escaping a handler would end the thread and with it the process (terminate).
    // The request it belonged to is lost (its connection closes); every other one carries on.
    for (;;) {
        try {
            m_runtime->io.run();
            return; // stopped
        } catch (const std::exception &e) {
            std::fprintf(stderr, "canary-gateway: a request failed with an unexpected error: %s\n",
                         e.what());
        } catch (...) {
            std::fprintf(stderr, "canary-gateway: a request failed with an unexpected error\n");
        }
    }
}

void Gateway::startLoad(double rps)
{
    if (rps <= 0 || m_load)
        return;
    auto settings = m_config.load;
    settings.rps = rps;
    m_load = std::make_unique<LoadGenerator>(m_runtime->io, *m_dataPlane, settings, m_config.seed);
    m_load->start();
}

void Gateway::stop()
{
    if (m_load)
        m_load->stop();
    if (m_server)
        m_server->close();
    m_runtime->work.reset();
    m_runtime->io.stop();
    for (auto &thread : m_runtime->threads)
        thread.join();
    m_runtime->threads.clear();
}

HttpResponse Gateway::metricsResponse(const HttpRequest &request) const
{
    const auto state = m_controller->state();
    std::vector<MetricsRegistry::Occupant> occupants{
        {VariantRole::Production, state.production.version, state.production.weight.percent()}};
    if (state.canary)
        occupants.push_back(
            {VariantRole::Canary, state.canary->version, state.canary->weight.percent()});
    const auto format = MetricsRegistry::formatForAccept(request.header("Accept"));
    HttpResponse response;
    response.body = m_metrics->render(format, occupants);
    response.setHeader("Content-Type", std::string(MetricsRegistry::contentType(format)));
    return response;
}

void Gateway::handle(HttpRequest &&request, HttpResponder respond)
{
    const auto path = request.path();
    auto methodNotAllowed = [&](std::string_view allowed) {
        auto response = HttpResponse::problem(405, "method-not-allowed", "Method not allowed",
                                              std::string(path) + " accepts " +
                                                  std::string(allowed) + " only.");
        response.setHeader("Allow", std::string(allowed));
        respond(std::move(response));
    };
    if (ControlApi::handles(path))
        return respond(m_controlApi->handle(request));
    if (path == "/metrics") {
        if (request.method != "GET")
            return methodNotAllowed("GET");
        return respond(metricsResponse(request));
    }
    if (path == "/v1/predict") {
        if (request.method != "POST")
            return methodNotAllowed("POST");
        return m_dataPlane->handlePredict(std::move(request), std::move(respond));
    }
    if (path == "/v1/feedback") {
        if (request.method != "POST")
            return methodNotAllowed("POST");
        return respond(m_dataPlane->handleFeedback(request));
    }
    respond(HttpResponse::problem(404, "not-found", "Not found",
                                  "There is no resource at " + std::string(path.substr(0, 200)) +
                                      "; see /v1/rollout, /v1/predict, /v1/feedback, /metrics."));
}

} // namespace canary::gateway
