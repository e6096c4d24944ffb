#include "haproxyprocess.h"

#include "childprocess.h"

#include <QDeadlineTimer>
#include <QFile>
#include <QLocalSocket>

namespace {

constexpr int kReadyWithinMs = 10'000;

} // namespace

HaproxyProcess::~HaproxyProcess()
{
    killAndWait(m_process);
}

QString HaproxyProcess::backendUrl() const
{
    return QStringLiteral("haproxy+unix://%1?backend=models&production=prod&canary=can")
        .arg(adminSocket());
}

QString HaproxyProcess::configText(quint16 productionPort, quint16 canaryPort,
                                   const Config &config) const
{
    QString text = QStringLiteral("global\n"
                                  "    stats socket %1 level admin\n")
                       .arg(adminSocket());
    if (config.operatorSocket)
        text += QStringLiteral("    stats socket %1 level operator\n").arg(operatorSocket());
    if (config.adminTcpSocket)
        text +=
            QStringLiteral("    stats socket ipv4@127.0.0.1:%1 level admin\n").arg(m_adminTcpPort);
    text += QStringLiteral("defaults\n"
                           "    mode http\n"
                           "    timeout connect 2s\n"
                           "    timeout client 10s\n"
                           "    timeout server 10s\n"
                           "frontend web\n"
                           "    bind 127.0.0.1:%1\n"
                           "    default_backend models\n")
                .arg(m_frontendPort);
    std::vector<Backend> backends{{QStringLiteral("models"), QStringLiteral("roundrobin")}};
    backends.insert(backends.end(), config.moreBackends.begin(), config.moreBackends.end());
    for (const Backend &backend : backends) {
        text += QStringLiteral("backend %1\n"
                               "    balance %2\n"
                               "    server prod 127.0.0.1:%3 weight %4\n"
                               "    server can 127.0.0.1:%5 weight %6\n")
                    .arg(backend.name, backend.balance)
                    .arg(productionPort)
                    .arg(config.productionWeight)
                    .arg(canaryPort)
                    .arg(config.canaryWeight);
    }
    return text;
}

bool HaproxyProcess::start(quint16 productionPort, quint16 canaryPort)
{
    return start(productionPort, canaryPort, Config());
}

bool HaproxyProcess::start(quint16 productionPort, quint16 canaryPort, const Config &config)
{
    if (!QFile::exists(QString::fromLatin1(kBinary))) {
        m_error = QStringLiteral("haproxy is not installed (installer/deps-debian.sh installs it)");
        return false;
    }
    m_frontendPort = freeLocalPort();
    m_adminTcpPort = config.adminTcpSocket ? freeLocalPort() : 0;
    if (!m_dir.isValid() || m_frontendPort == 0 || (config.adminTcpSocket && m_adminTcpPort == 0)) {
        m_error = QStringLiteral("no temporary directory or no free port for haproxy");
        return false;
    }
    QFile file(m_dir.filePath(QStringLiteral("haproxy.cfg")));
    if (!file.open(QIODevice::WriteOnly) ||
        file.write(configText(productionPort, canaryPort, config).toUtf8()) < 0) {
        m_error = QStringLiteral("cannot write %1").arg(file.fileName());
        return false;
    }
    file.close();

    m_process.setProcessChannelMode(QProcess::ForwardedChannels);
    dieWithTest(m_process);
    m_process.start(QString::fromLatin1(kBinary),
                    {QStringLiteral("-db"), QStringLiteral("-f"), file.fileName()});
    if (!m_process.waitForStarted(5000)) {
        m_error = m_process.errorString();
        return false;
    }
    QDeadlineTimer deadline(kReadyWithinMs);
    while (!deadline.hasExpired() && m_process.state() == QProcess::Running) {
        QLocalSocket probe;
        probe.connectToServer(adminSocket());
        if (probe.waitForConnected(200))
            return true;
        m_process.waitForFinished(50); // returns at once when it exits; paces the probe
    }
    m_error = QStringLiteral("haproxy did not open %1 (exit code %2)")
                  .arg(adminSocket())
                  .arg(m_process.exitCode());
    return false;
}
