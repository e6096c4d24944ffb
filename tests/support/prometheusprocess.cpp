#include "prometheusprocess.h"

#include "childprocess.h"
#include "httpclient.h"

#include <QFile>

PrometheusProcess::~PrometheusProcess()
{
    stop();
}

void PrometheusProcess::stop()
{
    killAndWait(m_process);
}

bool PrometheusProcess::start(const QByteArray &scrapeConfigs)
{
    if (!QFile::exists(QString::fromLatin1(kBinary))) {
        m_error = QStringLiteral("prometheus is not installed (installer/deps-debian.sh "
                                 "installs it)");
        return false;
    }
    m_port = freeLocalPort();
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
    dieWithTest(m_process);
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
