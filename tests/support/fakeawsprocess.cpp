#include "fakeawsprocess.h"

#include "childprocess.h"
#include "httpclient.h"

#include <QDeadlineTimer>
#include <QFile>
#include <QJsonDocument>
#include <QUrl>

#ifndef CANARY_FAKE_AWS_SCRIPT
#error "CANARY_FAKE_AWS_SCRIPT must name tests/fakeaws/fake_aws.py"
#endif

FakeAwsProcess::~FakeAwsProcess()
{
    stop();
}

void FakeAwsProcess::stop()
{
    killAndWait(m_process);
    m_port = 0;
}

bool FakeAwsProcess::start(const QJsonObject &scenario)
{
    stop();
    if (!QFile::exists(QString::fromLatin1(kPython))) {
        m_error = QStringLiteral("/usr/bin/python3 is not installed");
        return false;
    }
    const QString path = m_dir.filePath(QStringLiteral("scenario.json"));
    QFile file(path);
    if (!m_dir.isValid() || !file.open(QIODevice::WriteOnly | QIODevice::Truncate)) {
        m_error = QStringLiteral("no temporary directory for the fake AWS scenario");
        return false;
    }
    file.write(QJsonDocument(scenario).toJson());
    file.close();
    m_process.setProcessChannelMode(QProcess::ForwardedErrorChannel);
    dieWithTest(m_process);
    m_process.start(QString::fromLatin1(kPython),
                    {QString::fromUtf8(CANARY_FAKE_AWS_SCRIPT), QStringLiteral("--port"),
                     QStringLiteral("0"), QStringLiteral("--scenario"), path});
    if (!m_process.waitForStarted(5000)) {
        m_error = m_process.errorString();
        return false;
    }
    const QDeadlineTimer deadline(kStartTimeoutMs);
    QByteArray seen;
    while (!deadline.hasExpired()) {
        if (m_process.canReadLine() ||
            m_process.waitForReadyRead(int(qMax<qint64>(1, deadline.remainingTime())))) {
            while (m_process.canReadLine()) {
                const QByteArray line = m_process.readLine().trimmed();
                seen += line + '\n';
                if (line.startsWith("LISTENING ")) {
                    bool ok = false;
                    const uint value = line.mid(10).toUInt(&ok);
                    if (ok && value > 0 && value <= 65535) {
                        m_port = quint16(value);
                        return true;
                    }
                }
            }
        } else if (m_process.state() != QProcess::Running) {
            break;
        }
    }
    m_error = QStringLiteral("fake_aws.py did not print LISTENING within %1 ms (output: %2)")
                  .arg(kStartTimeoutMs)
                  .arg(QString::fromUtf8(seen));
    stop();
    return false;
}

bool FakeAwsProcess::control(const QJsonObject &command)
{
    if (m_port == 0)
        return false;
    HttpClient client{QUrl(url())};
    const HttpReply reply = client.send({"POST",
                                         QStringLiteral("/_fake/control"),
                                         QJsonDocument(command).toJson(QJsonDocument::Compact),
                                         {{"Content-Type", "application/json"}}});
    if (reply.status != 200) {
        m_error = QStringLiteral("/_fake/control: %1 %2")
                      .arg(reply.status)
                      .arg(reply.error.isEmpty() ? QString::fromUtf8(reply.body) : reply.error);
        return false;
    }
    return QJsonDocument::fromJson(reply.body).object().value(QStringLiteral("ok")).toBool();
}

QJsonObject FakeAwsProcess::variant(const QString &name, double weight, const QString &image)
{
    return QJsonObject{{QStringLiteral("name"), name},
                       {QStringLiteral("weight"), weight},
                       {QStringLiteral("instances"), 1},
                       {QStringLiteral("image"), image}};
}

QJsonObject FakeAwsProcess::variantMetrics(double latencyMs, double error5xx)
{
    return QJsonObject{{QStringLiteral("latencyMs"), latencyMs},
                       {QStringLiteral("sigma"), 0.3},
                       {QStringLiteral("error5xx"), error5xx},
                       {QStringLiteral("error4xx"), 0.001}};
}

QJsonArray FakeAwsProcess::getArray(const QString &path)
{
    if (m_port == 0)
        return {};
    HttpClient client{QUrl(url())};
    const HttpReply reply = client.get(path);
    if (reply.status != 200) {
        m_error = QStringLiteral("%1: %2 %3").arg(path).arg(reply.status).arg(reply.error);
        return {};
    }
    return QJsonDocument::fromJson(reply.body).array();
}

QJsonArray FakeAwsProcess::requests()
{
    return getArray(QStringLiteral("/_fake/requests"));
}

QJsonArray FakeAwsProcess::endpoints()
{
    return getArray(QStringLiteral("/_fake/state"));
}
