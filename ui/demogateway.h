#pragma once

#include <QByteArray>
#include <QObject>
#include <QProcess>
#include <QString>
#include <QTemporaryDir>
#include <QTimer>

#include <memory>

namespace canary {

// The demo backend beside the console: runs the canary-gateway installed next to the console
// binary with simulated models under load, on a free loopback port with a fresh random token,
// and stops it when the console goes.
class DemoGateway final : public QObject
{
    Q_OBJECT

public:
    static constexpr int kStartTimeoutMs = 10'000;

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
