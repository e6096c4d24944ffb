#include "gatewayprocess.h"

#include "childprocess.h"

#include <QDeadlineTimer>
#include <QFile>
#include <QRandomGenerator>

GatewayProcess::GatewayProcess(QStringList extraArguments)
    : m_extraArguments(std::move(extraArguments))
{
    m_token = QByteArray::number(QRandomGenerator::global()->generate64(), 16) +
              QByteArray::number(QRandomGenerator::global()->generate64(), 16);
    QFile file(m_dir.filePath(QStringLiteral("token")));
    if (file.open(QIODevice::WriteOnly))
        file.write(m_token + '\n');
}

std::unique_ptr<GatewayProcess> GatewayProcess::withConfig(const QByteArray &configJson,
                                                           const QStringList &extraArguments)
{
    auto gateway = std::make_unique<GatewayProcess>(extraArguments);
    QFile file(gateway->tempPath(QStringLiteral("gateway.json")));
    if (!file.open(QIODevice::WriteOnly) || file.write(configJson) != configJson.size())
        gateway->m_setupError = QStringLiteral("cannot write %1").arg(file.fileName());
    gateway->m_extraArguments.prepend(file.fileName());
    gateway->m_extraArguments.prepend(QStringLiteral("--config"));
    return gateway;
}

GatewayProcess::~GatewayProcess()
{
    if (isRunning() && terminate() != 0)
        kill();
}

QString GatewayProcess::binaryPath()
{
    return QString::fromUtf8(CANARY_GATEWAY_BIN);
}

bool GatewayProcess::isRunning() const
{
    return m_process && m_process->state() != QProcess::NotRunning;
}

bool GatewayProcess::start(quint16 port)
{
    if (isRunning()) {
        m_error = QStringLiteral("already running");
        return false;
    }
    if (!m_setupError.isEmpty()) {
        m_error = m_setupError;
        return false;
    }
    m_process = std::make_unique<QProcess>();
    m_process->setProcessChannelMode(QProcess::ForwardedErrorChannel);
    QStringList arguments{QStringLiteral("--listen"), QStringLiteral("127.0.0.1:%1").arg(port),
                          QStringLiteral("--token-file"), m_dir.filePath(QStringLiteral("token"))};
    arguments += m_extraArguments;
    dieWithTest(*m_process);
    m_process->start(binaryPath(), arguments);
    if (!m_process->waitForStarted(5000)) {
        m_error = QStringLiteral("cannot start %1: %2").arg(binaryPath(), m_process->errorString());
        return false;
    }
    const QByteArray prefix = "canary-gateway listening on ";
    QDeadlineTimer deadline(10'000);
    while (!deadline.hasExpired()) {
        if (!m_process->canReadLine() &&
            !m_process->waitForReadyRead(int(deadline.remainingTime())))
            break;
        while (m_process->canReadLine()) {
            const QByteArray line = m_process->readLine().trimmed();
            if (line.startsWith(prefix)) {
                m_url = QUrl(QString::fromUtf8(line.mid(prefix.size())));
                m_port = quint16(m_url.port());
                return m_url.isValid() && m_port != 0;
            }
        }
    }
    m_error = QStringLiteral("no \"listening on\" line (exit code %1)").arg(m_process->exitCode());
    kill();
    return false;
}

bool GatewayProcess::restart()
{
    if (isRunning())
        kill();
    return start(m_port);
}

void GatewayProcess::kill()
{
    if (m_process)
        killAndWait(*m_process);
}

int GatewayProcess::terminate()
{
    if (!isRunning())
        return -1;
    m_process->terminate();
    if (!m_process->waitForFinished(10'000) || m_process->exitStatus() != QProcess::NormalExit)
        return -1;
    return m_process->exitCode();
}
