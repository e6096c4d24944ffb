// The demo's gateway ends with the console, however the console ends: the real canary-console
// --demo runs offscreen, and each way of ending it must leave no canary-gateway behind (and, for
// the signals that can be caught, no token folder either).
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <csignal>
#include <optional>

#include <signal.h>
#include <sys/types.h>

using namespace Qt::StringLiterals;

namespace {

struct ProcessInfo
{
    qint64 pid = 0;
    qint64 parent = 0;
    QString name;
    char state = '?';
    QString startTime; // with the pid, tells this process from a later one given the same pid
};

std::optional<ProcessInfo> processInfo(qint64 pid)
{
    QFile file(u"/proc/%1/stat"_s.arg(pid));
    if (!file.open(QIODevice::ReadOnly))
        return std::nullopt;
    const QByteArray stat = file.readAll();
    // "pid (name) state ppid ...": the name may hold spaces and parentheses, so split at the last
    // ')'.
    const qsizetype open = stat.indexOf('(');
    const qsizetype close = stat.lastIndexOf(')');
    if (open < 0 || close < open)
        return std::nullopt;
    const QList<QByteArray> fields = stat.mid(close + 2).split(' ');
    if (fields.size() < 20)
        return std::nullopt;
    ProcessInfo info;
    info.pid = pid;
    info.name = QString::fromUtf8(stat.mid(open + 1, close - open - 1));
    info.state = fields[0].isEmpty() ? '?' : fields[0][0];
    info.parent = fields[1].toLongLong();
    info.startTime = QString::fromLatin1(fields[19]);
    return info;
}

std::optional<ProcessInfo> gatewayChildOf(qint64 parent)
{
    const QStringList entries = QDir(u"/proc"_s).entryList(QDir::Dirs | QDir::NoDotAndDotDot);
    for (const QString &entry : entries) {
        bool numeric = false;
        const qint64 pid = entry.toLongLong(&numeric);
        if (!numeric)
            continue;
        const auto info = processInfo(pid);
        if (info && info->parent == parent && info->name == u"canary-gateway"_s)
            return info;
    }
    return std::nullopt;
}

// Gone: no such process any more, or only its exit status is left for a parent to collect.
bool isGone(const ProcessInfo &gateway)
{
    const auto now = processInfo(gateway.pid);
    return !now || now->startTime != gateway.startTime || now->state == 'Z' || now->state == 'X';
}

QString tokenFolderOf(qint64 pid)
{
    QFile file(u"/proc/%1/cmdline"_s.arg(pid));
    if (!file.open(QIODevice::ReadOnly))
        return {};
    const QList<QByteArray> arguments = file.readAll().split('\0');
    for (qsizetype i = 0; i + 1 < arguments.size(); ++i) {
        if (arguments[i] == "--token-file")
            return QFileInfo(QString::fromLocal8Bit(arguments[i + 1])).absolutePath();
    }
    return {};
}

// Should the test fail, the gateway it left behind is ended, so failures do not pile up processes.
struct GatewayReaper
{
    std::optional<ProcessInfo> gateway;
    QString tokenFolder;
    ~GatewayReaper()
    {
        if (gateway && !isGone(*gateway))
            ::kill(static_cast<pid_t>(gateway->pid), SIGKILL);
        if (!tokenFolder.isEmpty())
            QDir(tokenFolder).removeRecursively();
    }
};

} // namespace

class TestDemoShutdown final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void gatewayEndsWithTheConsole_data();
    void gatewayEndsWithTheConsole();
};

void TestDemoShutdown::gatewayEndsWithTheConsole_data()
{
    QTest::addColumn<int>("signal");
    QTest::addColumn<bool>("orderly"); // the console runs its shutdown and exits with 0
    QTest::newRow("SIGTERM") << int(SIGTERM) << true;
    QTest::newRow("SIGINT") << int(SIGINT) << true;
    QTest::newRow("SIGHUP") << int(SIGHUP) << true;
    QTest::newRow("SIGKILL") << int(SIGKILL) << false;
}

void TestDemoShutdown::gatewayEndsWithTheConsole()
{
    QFETCH(int, signal);
    QFETCH(bool, orderly);

    // A home of its own: no settings, keychain or desktop session of the person running this.
    QTemporaryDir home;
    QVERIFY(home.isValid());
    QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
    environment.insert(u"HOME"_s, home.path());
    environment.insert(u"XDG_CONFIG_HOME"_s, home.filePath(u"config"_s));
    environment.insert(u"XDG_DATA_HOME"_s, home.filePath(u"data"_s));
    environment.insert(u"XDG_CACHE_HOME"_s, home.filePath(u"cache"_s));
    environment.insert(u"QT_QPA_PLATFORM"_s, u"offscreen"_s);
    environment.insert(u"DBUS_SESSION_BUS_ADDRESS"_s, u"unix:path=/nonexistent"_s);

    QProcess console;
    console.setProcessEnvironment(environment);
    console.setProcessChannelMode(QProcess::ForwardedErrorChannel);
    console.start(QStringLiteral(CANARY_CONSOLE_BIN), {u"--demo"_s});
    QVERIFY2(console.waitForStarted(), qPrintable(console.errorString()));

    GatewayReaper reaper;
    std::optional<ProcessInfo> &gateway = reaper.gateway;
    QTRY_VERIFY_WITH_TIMEOUT((gateway = gatewayChildOf(console.processId())).has_value(), 15'000);
    QString &tokenFolder = reaper.tokenFolder;
    QTRY_VERIFY((tokenFolder = tokenFolderOf(gateway->pid)).size() > 0);
    QVERIFY2(QFileInfo::exists(tokenFolder), qPrintable(tokenFolder));
    // Let the console get as far as connecting, as a person would have it when ending it.
    QTest::qWait(300);

    QCOMPARE(::kill(static_cast<pid_t>(console.processId()), signal), 0);
    QVERIFY(console.waitForFinished(10'000));
    if (orderly) {
        QCOMPARE(console.exitStatus(), QProcess::NormalExit);
        QCOMPARE(console.exitCode(), 0);
    } else {
        QCOMPARE(console.exitStatus(), QProcess::CrashExit);
    }
    QTRY_VERIFY2_WITH_TIMEOUT(
        isGone(*gateway), qPrintable(u"canary-gateway %1 still runs"_s.arg(gateway->pid)), 10'000);
    if (orderly) {
        QVERIFY2(!QFileInfo::exists(tokenFolder), qPrintable(tokenFolder));
    }
    // After SIGKILL nothing in the console can remove the folder (it holds only the random demo
    // token); the reaper does.
}

QTEST_GUILESS_MAIN(TestDemoShutdown)
#include "tst_demoshutdown.moc"
