#include "prometheusprocess.h"

#include "httpclient.h"

#include <QFile>
#include <QTcpServer>

#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

namespace {

quint16 freePort()
{
    QTcpServer server;
    return server.listen(QHostAddress::LocalHost, 0) ? server.serverPort() : 0;
}

} // namespace

PrometheusProcess::~PrometheusProcess()
{
    stop();
}

void PrometheusProcess::stop()
{
    if (m_process.state() != QProcess::NotRunning) {
        m_process.kill();
        m_process.waitForFinished(5000);
    }
}

bool PrometheusProcess::start(const QByteArray &scrapeConfigs)
{
    if (!QFile::exists(QString::fromLatin1(kBinary))) {
        m_error = QStringLiteral("prometheus is not installed (installer/deps-debian.sh "
                                 "installs it)");
        return false;
    }
    m_port = freePort();
    const QString config = m_dir.filePath(QStringLiteral("prometheus.yml"));
    QFile file(config);
    if (!m_dir.isValid() || m_port == 0 || !file.open(QIODevice::WriteOnly)) {
        m_error = QStringLiteral("no temporary directory or no free port for prometheus");
        return false;
    }
    file.write("global:\n"
               "  scrape_interval: 1s\n"
               "  evaluation_interval: 1s\n"
               "scrape_configs:\n" +
               scrapeConfigs);
    file.close();
    m_process.setProcessChannelMode(QProcess::ForwardedErrorChannel);
    m_process.setChildProcessModifier([parent = ::getpid()] {
        ::prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (::getppid() != parent)
            ::_exit(127);
    });
    m_process.start(
        QString::fromLatin1(kBinary),
        {QStringLiteral("--config.file=") + config,
         QStringLiteral("--storage.tsdb.path=") + m_dir.filePath(QStringLiteral("data")),
         QStringLiteral("--web.listen-address=127.0.0.1:%1").arg(m_port),
         QStringLiteral("--log.level=warn")});
    if (!m_process.waitForStarted(5000)) {
        m_error = m_process.errorString();
        return false;
    }
    return true;
}

bool PrometheusProcess::ready()
{
    HttpClient client(url());
    return running() && client.get(QStringLiteral("/-/ready")).status == 200;
}
