#include "backendfactory.h"

#include "backends/aws/awsbackend.h"
#include "backends/controlapi/controlclient.h"
#include "backends/haproxy/haproxybackend.h"
#include "backends/prometheus/prometheussource.h"
#include "backends/scrape/scrapesource.h"

#include <array>
#include <string_view>

namespace canary {

namespace {

std::string urlProblem(const std::string &url, const std::string &problem)
{
    return "the URL \"" + displayUrl(url) + "\" " + problem;
}

// Control API: http(s)://HOST:PORT, the base the /v1 paths hang off.
std::unique_ptr<ControlPlane> makeControlApi(const QUrl &url, const BackendContext &context,
                                             std::string *error)
{
    if (url.host().isEmpty()) {
        *error = urlProblem(url.toString().toStdString(), "has no host");
        return nullptr;
    }
    if (url.hasQuery() || url.hasFragment()) {
        *error = urlProblem(url.toString().toStdString(),
                            "has a query or fragment; a Control API URL is scheme, host, port "
                            "and an optional path prefix");
        return nullptr;
    }
    ControlEndpoint endpoint;
    endpoint.baseUrl = url.toString(QUrl::RemoveUserInfo).toStdString();
    endpoint.token = context.options.token;
    endpoint.verifyTls = context.options.verifyTls;
    endpoint.timeout = context.options.timeout;
    return std::make_unique<ControlClient>(context.transport, std::move(endpoint));
}

// Any Prometheus text / OpenMetrics endpoint, scraped by the console itself.
std::unique_ptr<MetricsSource> makeScrape(const QUrl &url, const BackendContext &context,
                                          std::string *error)
{
    if (url.host().isEmpty()) {
        *error = urlProblem(url.toString().toStdString(), "has no host");
        return nullptr;
    }
    auto source = std::make_unique<ScrapeMetricsSource>(
        context.transport, url.toString(QUrl::RemoveUserInfo).toStdString(), context.clock);
    source->scraper().setVerifyTls(context.options.verifyTls);
    source->scraper().setTimeout(context.options.timeout);
    return source;
}

// A Control API server's own metrics: its /metrics.
std::unique_ptr<MetricsSource> controlApiMetrics(const QUrl &backendUrl,
                                                 const BackendContext &context, std::string *error)
{
    QUrl metrics = backendUrl;
    QString path = metrics.path();
    while (path.endsWith(QLatin1Char('/')))
        path.chop(1);
    metrics.setPath(path + QStringLiteral("/metrics"));
    return makeScrape(metrics, context, error);
}

using ControlMaker = std::unique_ptr<ControlPlane> (*)(const QUrl &, const BackendContext &,
                                                       std::string *);
using MetricsMaker = std::unique_ptr<MetricsSource> (*)(const QUrl &, const BackendContext &,
                                                        std::string *);

// One entry per URL scheme: the whole of what the factory knows about a kind. `control` builds
// it as --backend, `metrics` as --metrics, `ownMetrics` the metrics of a backend given without
// --metrics (nullptr: the kind has none of its own and --metrics is required).
struct KindEntry
{
    std::string_view scheme;
    ControlMaker control;
    MetricsMaker metrics;
    MetricsMaker ownMetrics;

    bool serves(bool asControl) const
    {
        return asControl ? control != nullptr : metrics != nullptr;
    }
};

constexpr std::array kKinds = {
    KindEntry{"http", makeControlApi, makeScrape, controlApiMetrics},
    KindEntry{"https", makeControlApi, makeScrape, controlApiMetrics},
    KindEntry{"haproxy+unix", makeHaproxyControlPlane, makeHaproxyMetricsSource,
              makeHaproxyMetricsSource},
    KindEntry{"haproxy+tcp", makeHaproxyControlPlane, makeHaproxyMetricsSource,
              makeHaproxyMetricsSource},
    KindEntry{"sagemaker", makeSageMakerControlPlane, nullptr, makeCloudWatchSource},
    KindEntry{"cloudwatch", nullptr, makeCloudWatchSource, nullptr},
    KindEntry{"prometheus+http", nullptr, makePrometheusSource, nullptr},
    KindEntry{"prometheus+https", nullptr, makePrometheusSource, nullptr},
};

std::string knownSchemes(bool control)
{
    std::string list;
    for (const KindEntry &entry : kKinds) {
        if (!entry.serves(control))
            continue;
        if (!list.empty())
            list += ", ";
        list += std::string(entry.scheme) + "://";
    }
    return list;
}

const KindEntry *findKind(const std::string &url, bool control, QUrl *parsed, std::string *error)
{
    *parsed = QUrl(QString::fromStdString(url), QUrl::StrictMode);
    if (url.empty() || !parsed->isValid() || parsed->scheme().isEmpty()) {
        *error =
            urlProblem(url, "is not a URL; it should start with one of " + knownSchemes(control));
        return nullptr;
    }
    const std::string scheme = parsed->scheme().toLower().toStdString();
    for (const KindEntry &entry : kKinds) {
        if (entry.scheme == scheme && entry.serves(control))
            return &entry;
    }
    *error = urlProblem(url, std::string("has a scheme (") + scheme + "://) that is not a " +
                                 (control ? "backend" : "metrics source") +
                                 " kind; known: " + knownSchemes(control));
    return nullptr;
}

} // namespace

std::string displayUrl(const std::string &url)
{
    const QUrl parsed(QString::fromStdString(url));
    if (!parsed.isValid() || parsed.userInfo().isEmpty())
        return url;
    return parsed.toString(QUrl::RemoveUserInfo).toStdString();
}

std::unique_ptr<ControlPlane> makeControlPlane(const std::string &url,
                                               const BackendContext &context, std::string *error)
{
    QUrl parsed;
    const KindEntry *kind = findKind(url, true, &parsed, error);
    if (!kind)
        return nullptr;
    BackendContext withUrl = context;
    withUrl.rawUrl = url;
    withUrl.backendUrl = url;
    return kind->control(parsed, withUrl, error);
}

std::unique_ptr<MetricsSource> makeMetricsSource(const std::string &url,
                                                 const std::string &backendUrl,
                                                 const BackendContext &context, std::string *error)
{
    QUrl parsed;
    BackendContext withUrl = context;
    withUrl.backendUrl = backendUrl;
    withUrl.rawUrl = url.empty() ? backendUrl : url;
    if (!url.empty()) {
        const KindEntry *kind = findKind(url, false, &parsed, error);
        return kind ? kind->metrics(parsed, withUrl, error) : nullptr;
    }
    const KindEntry *kind = findKind(backendUrl, true, &parsed, error);
    if (!kind)
        return nullptr;
    if (!kind->ownMetrics) {
        *error = "the backend " + displayUrl(backendUrl) +
                 " has no metrics of its own; give a metrics source (--metrics)";
        return nullptr;
    }
    return kind->ownMetrics(parsed, withUrl, error);
}

Backends makeBackends(const ConnectionProfile &profile, HttpTransport *transport,
                      const Clock &clock, std::string *error)
{
    const BackendContext context{profile.options, transport, clock};
    Backends backends;
    backends.control = makeControlPlane(profile.backendUrl, context, error);
    if (!backends.control)
        return {};
    backends.metrics = makeMetricsSource(profile.metricsUrl, profile.backendUrl, context, error);
    if (!backends.metrics)
        return {};
    return backends;
}

} // namespace canary
