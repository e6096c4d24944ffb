#pragma once

#include <QByteArray>
#include <QProcess>
#include <QString>
#include <QTemporaryDir>
#include <QUrl>

// The real Prometheus server (/usr/bin/prometheus, installer/deps-debian.sh) for a test: on a free
// 127.0.0.1 port with a temporary config and data directory, scraping every second. Killed when
// destroyed, and when the test process dies.
class PrometheusProcess final
{
public:
    static constexpr const char *kBinary = "/usr/bin/prometheus";

    PrometheusProcess() = default;
    ~PrometheusProcess();
    PrometheusProcess(const PrometheusProcess &) = delete;
    PrometheusProcess &operator=(const PrometheusProcess &) = delete;

    // `scrapeConfigs` is the YAML list under `scrape_configs:`, each item indented by two spaces.
    // Returns once the process runs; ready() says when it answers.
    bool start(const QByteArray &scrapeConfigs);
    // True once /-/ready answers 200 (a blocking request; poll it with QTRY_VERIFY).
    bool ready();
    void stop();

    bool running() const { return m_process.state() == QProcess::Running; }
    quint16 port() const { return m_port; }
    QUrl url() const { return QUrl(QStringLiteral("http://127.0.0.1:%1").arg(m_port)); }
    QString error() const { return m_error; }

private:
    QTemporaryDir m_dir;
    QProcess m_process;
    quint16 m_port = 0;
    QString m_error;
};
