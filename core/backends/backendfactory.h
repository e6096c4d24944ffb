#pragma once

#include "backends/controlplane.h"
#include "backends/httptransport.h"
#include "backends/metricssource.h"
#include "util/clock.h"

#include <QUrl>

#include <chrono>
#include <memory>
#include <string>

namespace canary {

// Everything a backend needs besides its URL. Secrets live here, never in a URL that is shown or
// saved (ConnectionProfile::displayUrl strips any that a user typed into one).
struct BackendOptions
{
    std::string token;           // Control API bearer token for mutations
    std::string metricsToken;    // Prometheus bearer token
    std::string metricsUser;     // Prometheus basic auth
    std::string metricsPassword; // Prometheus basic auth
    std::string queryFile;       // Prometheus query templates (JSON); empty: the built-in ones
    bool verifyTls = true;
    std::chrono::milliseconds timeout{5000};
};

// A backend and its metrics, as canaryctl and the console are told them: `--backend URL` and
// `--metrics URL` (docs/backends.md has every form). An empty metricsUrl means the backend's own
// metrics.
struct ConnectionProfile
{
    std::string backendUrl;
    std::string metricsUrl;
    BackendOptions options;
};

struct Backends
{
    std::unique_ptr<ControlPlane> control;
    std::unique_ptr<MetricsSource> metrics;
};

// Everything each kind's maker gets.
struct BackendContext
{
    const BackendOptions &options;
    HttpTransport *transport;
    const Clock &clock;
    // The URL as typed, case kept (QUrl lower-cases host names; SageMaker's names keep theirs),
    // and the backend's URL, for a metrics source that takes its target from the backend.
    std::string rawUrl = {};
    std::string backendUrl = {};
};

// Builds both sides of a profile. On a bad URL (an unknown scheme, a missing parameter) returns
// empty members and sets `error` to a sentence naming the URL and what is wrong with it.
Backends makeBackends(const ConnectionProfile &profile, HttpTransport *transport,
                      const Clock &clock, std::string *error);

std::unique_ptr<ControlPlane> makeControlPlane(const std::string &url,
                                               const BackendContext &context, std::string *error);
// `backendUrl` gives the default: the backend's own metrics when `url` is empty.
std::unique_ptr<MetricsSource> makeMetricsSource(const std::string &url,
                                                 const std::string &backendUrl,
                                                 const BackendContext &context, std::string *error);

// The URL without user info, for the status bar, logs and saved profiles.
std::string displayUrl(const std::string &url);

} // namespace canary
