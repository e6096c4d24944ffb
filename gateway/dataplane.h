#pragma once

#include "feedbackstore.h"
#include "gatewayconfig.h"
#include "httpmessage.h"
#include "metricsregistry.h"
#include "rolloutcontroller.h"
#include "router.h"
#include "scenario.h"
#include "upstreamclient.h"

#include "util/clock.h"

#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

namespace boost::asio {
class io_context;
}

namespace canary::gateway {

// Serves predictions (sticky routing, simulated or proxied models) and scores labels sent back
// as feedback. The HTTP handlers and the in-process load generator share the same path.
class DataPlane final
{
public:
    static constexpr std::size_t kMaxKeyBytes = 256;

    struct PredictRequest
    {
        std::optional<std::string> key;
        std::optional<nlohmann::json> label; // a scalar, never null
        std::optional<nlohmann::json> inputs;
        std::chrono::steady_clock::time_point arrival = std::chrono::steady_clock::now();
    };

    struct PredictResult
    {
        int status = 200;
        VariantRole variant = VariantRole::Production;
        std::string version;
        std::string requestId;
        nlohmann::json body; // the answer document or a problem document
    };
    using PredictCallback = std::function<void(PredictResult)>;

    struct FeedbackResult
    {
        int status = 200;
        nlohmann::json body;
    };

    DataPlane(boost::asio::io_context &io, const GatewayConfig &config,
              RolloutController &controller, MetricsRegistry &metrics, FeedbackStore &feedback,
              const Clock &clock);

    // Answers asynchronously (after the simulated latency or the upstream's answer).
    void predict(PredictRequest request, PredictCallback done);
    FeedbackResult feedback(const std::string &requestId, const nlohmann::json &label);

    void handlePredict(HttpRequest &&request, HttpResponder respond);
    HttpResponse handleFeedback(const HttpRequest &request);

private:
    void complete(const PredictResult &result, bool failed,
                  std::chrono::steady_clock::time_point arrival, const nlohmann::json *prediction);
    std::string requestIdFor(std::uint64_t sequence) const;

    boost::asio::io_context &m_io;
    RolloutController &m_controller;
    MetricsRegistry &m_metrics;
    FeedbackStore &m_feedback;
    const Clock &m_clock;
    Router m_router;
    Scenario m_scenario;
    UpstreamClient m_upstream;
    const std::uint64_t m_seed;
    const std::uint64_t m_instance; // random per process, part of every request id
    const SystemTime m_start;
    std::atomic<std::uint64_t> m_sequence{0};
};

} // namespace canary::gateway
