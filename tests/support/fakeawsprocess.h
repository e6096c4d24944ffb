#pragma once

#include <QJsonArray>
#include <QJsonObject>
#include <QProcess>
#include <QString>
#include <QTemporaryDir>

// tests/fakeaws/fake_aws.py for a test: a local SageMaker and CloudWatch that check every
// request's SigV4 signature, on a free 127.0.0.1 port, with a scenario written to a temporary
// file (its keys are described at the top of fake_aws.py). Killed when destroyed, and when the
// test process dies. Blocking calls: needs a QCoreApplication.
class FakeAwsProcess final
{
public:
    static constexpr const char *kPython = "/usr/bin/python3";
    static constexpr int kStartTimeoutMs = 10'000;

    // Pieces of a scenario: a production variant with one instance, and a variant's metrics
    // (log-normal latency with sigma 0.3, 0.1 % 4XX errors).
    static QJsonObject variant(const QString &name, double weight, const QString &image);
    static QJsonObject variantMetrics(double latencyMs, double error5xx);

    FakeAwsProcess() = default;
    ~FakeAwsProcess();
    FakeAwsProcess(const FakeAwsProcess &) = delete;
    FakeAwsProcess &operator=(const FakeAwsProcess &) = delete;

    // Returns once the fake has printed "LISTENING <port>", or false (see error()).
    bool start(const QJsonObject &scenario);
    void stop();

    bool running() const { return m_process.state() == QProcess::Running; }
    quint16 port() const { return m_port; }
    QString url() const { return QStringLiteral("http://127.0.0.1:%1").arg(m_port); }
    QString error() const { return m_error; }

    // POST /_fake/control: true when the fake answered {"ok": true}.
    bool control(const QJsonObject &command);
    // GET /_fake/requests: every request so far (time, service, action, accessKeyId,
    // signatureOk, status, errorType); empty when the fake does not answer.
    QJsonArray requests();
    // GET /_fake/state: each endpoint as DescribeEndpoint would answer it, unsigned (no request
    // recorded); empty when the fake does not answer.
    QJsonArray endpoints();

private:
    QJsonArray getArray(const QString &path);

    QTemporaryDir m_dir;
    QProcess m_process;
    quint16 m_port = 0;
    QString m_error;
};
