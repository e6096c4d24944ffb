#pragma once

#include "backends/backendfactory.h"

#include <QCommandLineOption>
#include <QCommandLineParser>
#include <QString>

#include <optional>

namespace canary {

// The command-line words for a backend and its metrics, in one place so that canaryctl and
// canary-console take the same options with the same meaning (docs/backends.md):
//   --backend URL, --url URL (a Control API backend), --metrics URL, --token-file FILE,
//   --metrics-token-file FILE, --metrics-user USER, --metrics-password-file FILE,
//   --queries FILE, --insecure
// Secrets come from files or the environment (CANARY_TOKEN, CANARY_METRICS_TOKEN), never from the
// command line itself, where `ps` shows them.
class ConnectionOptions final
{
public:
    ConnectionOptions();

    void addTo(QCommandLineParser &parser) const;
    // Whether the command line names a backend (--backend or --url).
    bool namesBackend(const QCommandLineParser &parser) const;
    // Whether any of these options is given.
    bool anyGiven(const QCommandLineParser &parser) const;

    // The profile the options describe. Without --backend or --url the backend is `fallbackUrl`
    // (a Control API URL; `fallbackName` says where it came from, e.g. CANARY_URL). nullopt with
    // `error` set (a sentence naming the option) when the options do not fit together or a secret
    // file cannot be read; the URLs themselves are judged by the factory.
    std::optional<ConnectionProfile> read(const QCommandLineParser &parser,
                                          const QString &fallbackUrl, const QString &fallbackName,
                                          QString *error) const;

private:
    QCommandLineOption m_backend;
    QCommandLineOption m_url;
    QCommandLineOption m_metrics;
    QCommandLineOption m_tokenFile;
    QCommandLineOption m_metricsTokenFile;
    QCommandLineOption m_metricsUser;
    QCommandLineOption m_metricsPasswordFile;
    QCommandLineOption m_queries;
    QCommandLineOption m_insecure;
};

} // namespace canary
