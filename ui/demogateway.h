#pragma once

#include <QByteArray>
#include <QObject>
#include <QProcess>
#include <QString>
#include <QTemporaryDir>
#include <QTimer>

#include <chrono>
#include <memory>
#include <optional>

namespace canary {

// The demo backend beside the console: runs the canary-gateway installed next to the console
// binary with simulated models under load, on a free loopback port with a fresh random token,
// and stops it when the console goes.
class DemoGateway final : public QObject
{
    Q_OBJECT

public:
    static constexpr int kStartTimeoutMs = 10'000;

    // What the demo's canary does.
    enum class Scenario {
        Healthy,    // the gateway's own demo models: a canary a little better than production
        Regression, // the same canary, until it degrades: errors 0.4 % → 3 %, p99 110 → 320 ms
    };
    static constexpr std::chrono::seconds kDefaultDegradeAfter{150};
    // "healthy", "regression"; nullopt for any other name.
    static std::optional<Scenario> scenarioFromName(const QString &name);
    // The gateway config (docs/gateway.md) of a scenario whose canary degrades `degradeAfter`
    // seconds after the gateway starts; empty for Healthy, which runs the gateway's built-in one.
    static QByteArray configFor(Scenario scenario, std::chrono::seconds degradeAfter);
    // Applies from the next start().
    void setScenario(Scenario scenario, std::chrono::seconds degradeAfter = kDefaultDegradeAfter);
    Scenario scenario() const { return m_scenario; }
    std::chrono::seconds degradeAfter() const { return m_degradeAfter; }

    explicit DemoGateway(QObject *parent = nullptr);
    ~DemoGateway() override;

    // applicationDirPath()/canary-gateway
    static QString defaultProgram();
    void setProgram(const QString &program) { m_program = program; }
    QString program() const { return m_program; }

    void start();
    void stop();
    bool isRunning() const;
    QString url() const { return m_url; }
    QString token() const { return QString::fromLatin1(m_token); }

Q_SIGNALS:
    void ready(const QString &url, const QString &token);
    void failed(const QString &message);

private:
    void onStdout();
    void onStderr();
    void onFinished(int exitCode, QProcess::ExitStatus status);
    void fail(const QString &message);

    QString m_program;
    Scenario m_scenario = Scenario::Healthy;
    std::chrono::seconds m_degradeAfter = kDefaultDegradeAfter;
    std::unique_ptr<QTemporaryDir> m_dir;
    std::unique_ptr<QProcess> m_process;
    QTimer m_startTimer;
    QByteArray m_token;
    QByteArray m_stdout;
    QByteArray m_stderrTail;
    QString m_url;
    bool m_stopping = false;
};

} // namespace canary
