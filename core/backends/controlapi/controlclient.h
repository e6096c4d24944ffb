#pragma once

#include "backends/controlplane.h"
#include "backends/httptransport.h"

#include <nlohmann/json.hpp>

#include <QObject>

#include <optional>
#include <string>

namespace canary {

struct ControlEndpoint
{
    std::string baseUrl; // e.g. http://127.0.0.1:8080 (no trailing /v1)
    std::string token;   // bearer token for mutations; may be empty for read-only use
    bool verifyTls = true;
    std::chrono::milliseconds timeout{5000};
};

// Client of the Canary Control API v1 (docs/control-api.md): the control plane of the reference
// gateway and of any server that speaks the API. It has revisions (If-Match) and staging.
class ControlClient final : public ControlPlane
{
    Q_OBJECT

public:
    ControlClient(HttpTransport *transport, ControlEndpoint endpoint, QObject *parent = nullptr);

    const ControlEndpoint &endpoint() const { return m_endpoint; }

    ControlPlaneCapabilities capabilities() const override;
    std::string address() const override { return m_endpoint.baseUrl; }
    void fetchState(QObject *context, Callback onDone) override;
    void setCanaryWeight(Weight weight, std::int64_t revision, QObject *context,
                         Callback onDone) override;
    void promote(std::int64_t revision, QObject *context, Callback onDone) override;
    void rollback(std::int64_t revision, QObject *context, Callback onDone) override;
    void stageCanary(const nlohmann::json &canary, std::int64_t revision, QObject *context,
                     Callback onDone) override;

    // Turns one HTTP answer into a result; public so it can be tested without a server.
    static ControlResult interpretAnswer(const HttpResponse &response);

    // The largest answer accepted; a larger one is a BadAnswer with answerLimitBytes set.
    static constexpr std::size_t kMaxAnswerBytes = 1024 * 1024;

private:
    void send(const char *method, const char *path, std::optional<std::int64_t> revision,
              std::string body, QObject *context, Callback onDone);

    HttpTransport *m_transport;
    ControlEndpoint m_endpoint;
};

} // namespace canary
