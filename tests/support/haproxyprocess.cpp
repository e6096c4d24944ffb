#include "haproxyprocess.h"

#include <QDeadlineTimer>
#include <QFile>
#include <QLocalSocket>
#include <QTcpServer>

#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

namespace {

constexpr int kReadyWithinMs = 10'000;

quint16 freePort()
{
    QTcpServer server;
    return server.listen(QHostAddress::LocalHost, 0) ? server.serverPort() : 0;
}

} // namespace

HaproxyProcess::~HaproxyProcess()
{
    if (m_process.state() != QProcess::NotRunning) {
        m_process.kill();
        m_process.waitForFinished(5000);
    }
}

QString HaproxyProcess::backendUrl() const
{
    return QStringLiteral("haproxy+unix://%1?backend=models&production=prod&canary=can")
        .arg(adminSocket());
}

bool HaproxyProcess::start(quint16 productionPort, quint16 canaryPort)
{
    if (!QFile::exists(QString::fromLatin1(kBinary))) {
        m_error = QStringLiteral("haproxy is not installed (installer/deps-debian.sh installs it)");
        return false;
    }
    m_frontendPort = freePort();
    if (!m_dir.isValid() || m_frontendPort == 0) {
        m_error = QStringLiteral("no temporary directory or no free port for haproxy");
        return false;
    }
    const QString config = QStringLiteral("global\n"
                                          "    stats socket %1 level admin\n"
                                          "defaults\n"
                                          "    mode http\n"
                                          "    timeout connect 2s\n"
                                          "    timeout client 10s\n"
                                          "    timeout server 10s\n"
                                          "frontend web\n"
                                          "    bind 127.0.0.1:%2\n"
                                          "    default_backend models\n"
                                          "backend models\n"
                                          "    balance roundrobin\n"
                                          "    server prod 127.0.0.1:%3 weight 256\n"
                                          "    server can 127.0.0.1:%4 weight 0\n")
                               .arg(adminSocket())
                               .arg(m_frontendPort)
                               .arg(productionPort)
                               .arg(canaryPort);
    QFile file(m_dir.filePath(QStringLiteral("haproxy.cfg")));
    if (!file.open(QIODevice::WriteOnly) || file.write(config.toUtf8()) < 0) {
        m_error = QStringLiteral("cannot write %1").arg(file.fileName());
        return false;
    }
    file.close();

    m_process.setProcessChannelMode(QProcess::ForwardedChannels);
    m_process.setChildProcessModifier([parent = ::getpid()] {
        ::prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (::getppid() != parent)
            ::_exit(127);
    });
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
