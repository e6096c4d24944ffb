#include "demogateway.h"

#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRandomGenerator>
#include <QUrl>

#ifdef Q_OS_LINUX
#include <csignal>

#include <sys/prctl.h>
#include <unistd.h>
#endif

namespace canary {

namespace {

constexpr qsizetype kMaxLine = 4096;
constexpr qsizetype kStderrTail = 2048;
const QByteArray kListening = "canary-gateway listening on ";

} // namespace

DemoGateway::DemoGateway(QObject *parent)
    : QObject(parent)
    , m_program(defaultProgram())
{
    m_startTimer.setSingleShot(true);
    connect(&m_startTimer, &QTimer::timeout, this, [this] {
        fail(tr("The demo gateway did not start listening within %1 s.")
                 .arg(kStartTimeoutMs / 1000));
    });
}

DemoGateway::~DemoGateway()
{
    stop();
}

QString DemoGateway::defaultProgram()
{
    return QDir(QCoreApplication::applicationDirPath()).filePath(QStringLiteral("canary-gateway"));
}

std::optional<DemoGateway::Scenario> DemoGateway::scenarioFromName(const QString &name)
{
    if (name == QLatin1String("healthy"))
        return Scenario::Healthy;
    if (name == QLatin1String("regression"))
        return Scenario::Regression;
    return std::nullopt;
}

QByteArray DemoGateway::configFor(Scenario scenario, std::chrono::seconds degradeAfter)
{
    if (scenario == Scenario::Healthy)
        return {};
    // The gateway's demo models (GatewayConfig::demo()), written out so a scenario can be added.
    const auto variant = [](const char *version, double p50, double p99, double errors,
                            double accuracy) {
        return QJsonObject{
            {QStringLiteral("model"), QStringLiteral("fraud-model")},
            {QStringLiteral("version"), QLatin1String(version)},
            {QStringLiteral("simulate"), QJsonObject{{QStringLiteral("latency_p50_ms"), p50},
                                                     {QStringLiteral("latency_p99_ms"), p99},
                                                     {QStringLiteral("error_rate"), errors},
                                                     {QStringLiteral("accuracy"), accuracy}}}};
    };
    QJsonObject canary = variant("2.4.0", 35, 110, 0.004, 0.94);
    canary.insert(QStringLiteral("weight"), 10);
    // A regression a few minutes in, big enough for the judge to catch within a minute at a 5 %
    // canary (about 15 requests/s of the demo's 300): errors up sevenfold, the tail nearly
    // threefold; the median stays, as with a model that fails on some inputs.
    const QJsonObject degrade{
        {QStringLiteral("at_s"), double(degradeAfter.count())},
        {QStringLiteral("variant"), QStringLiteral("canary")},
        {QStringLiteral("simulate"), QJsonObject{{QStringLiteral("error_rate"), 0.03},
                                                 {QStringLiteral("latency_p99_ms"), 320}}}};
    const QJsonObject config{{QStringLiteral("routing_salt"), QStringLiteral("canary-demo")},
                             {QStringLiteral("production"), variant("2.3.0", 40, 120, 0.005, 0.92)},
                             {QStringLiteral("canary"), canary},
                             {QStringLiteral("scenario"), QJsonArray{degrade}}};
    return QJsonDocument(config).toJson(QJsonDocument::Indented);
}

void DemoGateway::setScenario(Scenario scenario, std::chrono::seconds degradeAfter)
{
    m_scenario = scenario;
    m_degradeAfter = degradeAfter;
}

bool DemoGateway::isRunning() const
{
    return m_process && m_process->state() != QProcess::NotRunning;
}

void DemoGateway::start()
{
    stop();
    m_stopping = false;
    m_url.clear();
    m_stdout.clear();
    m_stderrTail.clear();
    if (!QFile::exists(m_program)) {
        fail(tr("The demo needs canary-gateway next to the console, but %1 does not exist.")
                 .arg(QDir::toNativeSeparators(m_program)));
        return;
    }
    m_dir = std::make_unique<QTemporaryDir>();
    const QString tokenPath = m_dir->filePath(QStringLiteral("token"));
    QByteArray random(24, Qt::Uninitialized);
    for (char &c : random)
        c = static_cast<char>(QRandomGenerator::system()->bounded(256));
    m_token = random.toHex();
    QFile tokenFile(tokenPath);
    if (!m_dir->isValid() || !tokenFile.open(QIODevice::WriteOnly) ||
        tokenFile.write(m_token + '\n') < 0) {
        fail(tr("Cannot write the demo token file: %1").arg(tokenFile.errorString()));
        return;
    }
    tokenFile.close();
    tokenFile.setPermissions(QFile::ReadOwner | QFile::WriteOwner);

    QStringList arguments = {QStringLiteral("--demo"), QStringLiteral("--listen"),
                             QStringLiteral("127.0.0.1:0"), QStringLiteral("--token-file"),
                             tokenPath};
    if (const QByteArray config = configFor(m_scenario, m_degradeAfter); !config.isEmpty()) {
        QFile configFile(m_dir->filePath(QStringLiteral("gateway.json")));
        if (!configFile.open(QIODevice::WriteOnly) || configFile.write(config) != config.size()) {
            fail(tr("Cannot write the demo gateway's config: %1").arg(configFile.errorString()));
            return;
        }
        arguments << QStringLiteral("--config") << configFile.fileName();
    }

    m_process = std::make_unique<QProcess>();
    connect(m_process.get(), &QProcess::readyReadStandardOutput, this, &DemoGateway::onStdout);
    connect(m_process.get(), &QProcess::readyReadStandardError, this, &DemoGateway::onStderr);
    connect(m_process.get(), &QProcess::finished, this, &DemoGateway::onFinished);
    connect(m_process.get(), &QProcess::errorOccurred, this, [this](QProcess::ProcessError error) {
        if (error == QProcess::FailedToStart)
            fail(tr("Cannot start the demo gateway: %1").arg(m_process->errorString()));
    });
#ifdef Q_OS_LINUX
    // However the console ends, even by SIGKILL, the kernel then sends the gateway SIGTERM. This
    // runs in the child between fork and exec; if the console died in between, the child would
    // already belong to another parent and must not start.
    m_process->setChildProcessModifier([parent = ::getpid()] {
        ::prctl(PR_SET_PDEATHSIG, SIGTERM);
        if (::getppid() != parent)
            ::_exit(127);
    });
#endif
    m_startTimer.start(kStartTimeoutMs);
    m_process->start(m_program, arguments);
}

void DemoGateway::stop()
{
    m_startTimer.stop();
    if (!m_process)
        return;
    m_stopping = true;
    m_process->disconnect(this);
    if (m_process->state() != QProcess::NotRunning) {
        m_process->terminate();
        if (!m_process->waitForFinished(3000)) {
            m_process->kill();
            m_process->waitForFinished(3000);
        }
    }
    m_process.reset();
    m_dir.reset();
}

void DemoGateway::onStdout()
{
    m_stdout += m_process->readAllStandardOutput();
    qsizetype newline;
    while ((newline = m_stdout.indexOf('\n')) >= 0) {
        const QByteArray line = m_stdout.left(newline).trimmed();
        m_stdout.remove(0, newline + 1);
        if (!m_url.isEmpty() || !line.startsWith(kListening))
            continue;
        const QUrl url(QString::fromUtf8(line.mid(kListening.size())));
        if (!url.isValid() || url.port() <= 0) {
            fail(tr("The demo gateway reported an address that cannot be used: %1")
                     .arg(QString::fromUtf8(line)));
            return;
        }
        m_startTimer.stop();
        m_url = url.toString(QUrl::StripTrailingSlash);
        Q_EMIT ready(m_url, token());
    }
    if (m_stdout.size() > kMaxLine)
        m_stdout.clear(); // a line that long is not the one we wait for
}

void DemoGateway::onStderr()
{
    m_stderrTail += m_process->readAllStandardError();
    if (m_stderrTail.size() > kStderrTail)
        m_stderrTail = m_stderrTail.right(kStderrTail);
}

void DemoGateway::onFinished(int exitCode, QProcess::ExitStatus status)
{
    if (m_stopping)
        return;
    const QString last = QString::fromUtf8(m_stderrTail).trimmed().section(QLatin1Char('\n'), -1);
    QString message = status == QProcess::CrashExit
                          ? tr("The demo gateway crashed.")
                          : tr("The demo gateway stopped (exit code %1).").arg(exitCode);
    if (!last.isEmpty())
        message += QLatin1Char(' ') + last;
    fail(message);
}

void DemoGateway::fail(const QString &message)
{
    m_startTimer.stop();
    Q_EMIT failed(message);
}

} // namespace canary
