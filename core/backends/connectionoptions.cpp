#include "connectionoptions.h"

#include "util/tokenfile.h"

#include <QUrl>

namespace canary {

ConnectionOptions::ConnectionOptions()
    : m_backend(QStringLiteral("backend"),
                QStringLiteral("The backend that moves traffic: http(s)://HOST:PORT (Control API), "
                               "haproxy+unix:///PATH?backend=B&production=S1&canary=S2 or "
                               "haproxy+tcp://HOST:PORT?backend=... (docs/backends.md)."),
                QStringLiteral("URL"))
    , m_url(QStringLiteral("url"),
            QStringLiteral("A Control API backend, http(s)://HOST:PORT: short for --backend."),
            QStringLiteral("URL"))
    , m_metrics({QStringLiteral("metrics"), QStringLiteral("metrics-url")},
                QStringLiteral("Where the KPIs are read: prometheus+http(s)://HOST:PORT[?job=JOB], "
                               "haproxy+..., or an http(s)://.../metrics URL to scrape. Default: "
                               "the backend's own."),
                QStringLiteral("URL"))
    , m_tokenFile(QStringLiteral("token-file"),
                  QStringLiteral("File whose first line is the Control API bearer token "
                                 "(default: $CANARY_TOKEN)."),
                  QStringLiteral("FILE"))
    , m_metricsTokenFile(QStringLiteral("metrics-token-file"),
                         QStringLiteral("File whose first line is the Prometheus bearer token "
                                        "(default: $CANARY_METRICS_TOKEN)."),
                         QStringLiteral("FILE"))
    , m_metricsUser(QStringLiteral("metrics-user"),
                    QStringLiteral("Prometheus basic auth user (with --metrics-password-file)."),
                    QStringLiteral("USER"))
    , m_metricsPasswordFile(
          QStringLiteral("metrics-password-file"),
          QStringLiteral("File whose first line is the Prometheus basic auth password."),
          QStringLiteral("FILE"))
    , m_queries(QStringLiteral("queries"),
                QStringLiteral("Prometheus query file (JSON, docs/prometheus.md); default: the "
                               "built-in queries for canary-gateway."),
                QStringLiteral("FILE"))
    , m_insecure(QStringLiteral("insecure"), QStringLiteral("Do not verify TLS certificates."))
{}

void ConnectionOptions::addTo(QCommandLineParser &parser) const
{
    parser.addOptions({m_backend, m_url, m_metrics, m_tokenFile, m_metricsTokenFile, m_metricsUser,
                       m_metricsPasswordFile, m_queries, m_insecure});
}

bool ConnectionOptions::namesBackend(const QCommandLineParser &parser) const
{
    return parser.isSet(m_backend) || parser.isSet(m_url);
}

bool ConnectionOptions::anyGiven(const QCommandLineParser &parser) const
{
    for (const QCommandLineOption *option :
         {&m_backend, &m_url, &m_metrics, &m_tokenFile, &m_metricsTokenFile, &m_metricsUser,
          &m_metricsPasswordFile, &m_queries, &m_insecure}) {
        if (parser.isSet(*option))
            return true;
    }
    return false;
}

std::optional<ConnectionProfile> ConnectionOptions::read(const QCommandLineParser &parser,
                                                         const QString &fallbackUrl,
                                                         const QString &fallbackName,
                                                         QString *error) const
{
    ConnectionProfile profile;
    if (parser.isSet(m_backend) && parser.isSet(m_url)) {
        *error = QStringLiteral("--backend and --url both name the backend; give one");
        return std::nullopt;
    }
    if (parser.isSet(m_backend)) {
        profile.backendUrl = parser.value(m_backend).trimmed().toStdString();
    } else {
        // --url (and a fallback such as CANARY_URL) keep meaning what they always meant: a
        // Control API server.
        const QString controlApi =
            parser.isSet(m_url) ? parser.value(m_url).trimmed() : fallbackUrl;
        const QString scheme = QUrl(controlApi).scheme().toLower();
        if (!scheme.isEmpty() && scheme != QStringLiteral("http") &&
            scheme != QStringLiteral("https")) {
            *error = QStringLiteral("%1 \"%2\" is not a Control API URL (http:// or https://); "
                                    "give other kinds of backend with --backend")
                         .arg(parser.isSet(m_url) ? QStringLiteral("--url") : fallbackName,
                              QString::fromStdString(displayUrl(controlApi.toStdString())));
            return std::nullopt;
        }
        profile.backendUrl = controlApi.toStdString();
    }
    profile.metricsUrl = parser.value(m_metrics).trimmed().toStdString();

    BackendOptions &options = profile.options;
    options.verifyTls = !parser.isSet(m_insecure);
    options.queryFile = parser.value(m_queries).trimmed().toStdString();
    if (parser.isSet(m_metricsUser) != parser.isSet(m_metricsPasswordFile)) {
        *error = QStringLiteral("--metrics-user and --metrics-password-file go together");
        return std::nullopt;
    }
    options.metricsUser = parser.value(m_metricsUser).toStdString();
    const auto secret = [&](const QCommandLineOption &file, const char *environment,
                            std::string *into) {
        if (!parser.isSet(file)) {
            if (environment)
                *into = qEnvironmentVariable(environment).trimmed().toStdString();
            return true;
        }
        const auto value = readTokenFile(parser.value(file), error);
        if (value)
            *into = value->toStdString();
        return value.has_value();
    };
    if (!secret(m_tokenFile, "CANARY_TOKEN", &options.token) ||
        !secret(m_metricsTokenFile, "CANARY_METRICS_TOKEN", &options.metricsToken) ||
        !secret(m_metricsPasswordFile, nullptr, &options.metricsPassword))
        return std::nullopt;
    return profile;
}

} // namespace canary
