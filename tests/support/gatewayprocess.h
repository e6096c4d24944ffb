#pragma once

#include <QByteArray>
#include <QProcess>
#include <QStringList>
#include <QTemporaryDir>
#include <QUrl>

#include <memory>

// Runs the real canary-gateway binary for a test: on 127.0.0.1 with a free port and a token in a
// temporary file. Waits for its "listening on" line; stops it when destroyed.
class GatewayProcess final
{
public:
    explicit GatewayProcess(QStringList extraArguments = {});
    // A gateway on `configJson`, written to a file of its own and passed as --config.
    static std::unique_ptr<GatewayProcess> withConfig(const QByteArray &configJson,
                                                      const QStringList &extraArguments = {});
    ~GatewayProcess();
    GatewayProcess(const GatewayProcess &) = delete;
    GatewayProcess &operator=(const GatewayProcess &) = delete;

    // Starts on `port` (0: a free one). False with error() set when it did not come up.
    bool start(quint16 port = 0);
    // Starts again on the port it had before.
    bool restart();
    // SIGKILL, as a crash would.
    void kill();
    // SIGTERM; returns the exit code (-1 if it did not exit cleanly in time).
    int terminate();

    bool isRunning() const;
    QUrl url() const { return m_url; }
    quint16 port() const { return m_port; }
    QByteArray token() const { return m_token; }
    QString error() const { return m_error; }
    // A file in the process's temporary directory, e.g. for a config to pass with --config.
    QString tempPath(const QString &name) const { return m_dir.filePath(name); }

    static QString binaryPath();

private:
    QStringList m_extraArguments;
    QString m_setupError; // what went wrong before start(), which then fails with it
    QTemporaryDir m_dir;
    QByteArray m_token;
    std::unique_ptr<QProcess> m_process;
    QUrl m_url;
    quint16 m_port = 0;
    QString m_error;
};
