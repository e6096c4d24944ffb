// The real canary-console on its regression demo, offscreen: the demo gateway's canary degrades,
// the built-in plan (started by the demo) judges it live and rolls it back, and the audit trail
// the console writes says so. Also the command line's refusals for the demo and plan options.
#include "audit/sqliteauditstore.h"

#include <QDir>
#include <QFile>
#include <QProcess>
#include <QProcessEnvironment>
#include <QTemporaryDir>
#include <QTest>

using namespace Qt::StringLiterals;

namespace {

// The console with a home of its own: settings, keychain fallbacks and the action log go there.
void prepare(QProcess &console, const QTemporaryDir &home)
{
    QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
    environment.insert(u"HOME"_s, home.path());
    environment.insert(u"XDG_CONFIG_HOME"_s, home.filePath(u".config"_s));
    environment.insert(u"XDG_DATA_HOME"_s, home.filePath(u".local/share"_s));
    environment.insert(u"QT_QPA_PLATFORM"_s, u"offscreen"_s);
    console.setProcessEnvironment(environment);
    console.setProgram(QStringLiteral(CANARY_CONSOLE_BIN));
}

// The audit trail's entries, read while the console writes (WAL lets a reader in); none until
// the console has created the file (opening it here must not create it first).
std::vector<canary::audit::AuditEntry> entries(const QString &path)
{
    if (!QFile::exists(path))
        return {};
    std::string error;
    const auto store = canary::audit::SqliteAuditStore::open(path.toStdString(), &error);
    const auto all = store ? store->query({}, &error) : std::nullopt;
    return all.value_or(std::vector<canary::audit::AuditEntry>{});
}

} // namespace

class TestConsoleRegression final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void planRollsBackTheDegradedCanary();
    void refusals_data();
    void refusals();
};

void TestConsoleRegression::planRollsBackTheDegradedCanary()
{
    QTemporaryDir home;
    QVERIFY(home.isValid());
    QProcess console;
    prepare(console, home);
    console.setArguments({u"--demo"_s, u"regression"_s, u"--degrade-after"_s, u"0"_s});
    console.start();
    QVERIFY2(console.waitForStarted(), qPrintable(console.errorString()));
    const QString trail =
        home.filePath(u".local/share/canary-console/canary-console/audit.sqlite3"_s);
    // The plan's entries: its start, the first step's weight, and the rollback with its outcome.
    canary::audit::AuditEntry rollback;
    QTRY_VERIFY_WITH_TIMEOUT(
        [&] {
            for (const auto &e : entries(trail)) {
                if (e.action == "plan_rollback" && e.outcome != "pending") {
                    rollback = e;
                    return true;
                }
            }
            return false;
        }(),
        90'000);
    console.terminate();
    QVERIFY(console.waitForFinished(10'000));

    QCOMPARE(rollback.outcome, std::string("succeeded"));
    QCOMPARE(rollback.actor, std::string("auto"));
    QVERIFY(rollback.automatic);
    QCOMPARE(rollback.plan, std::string("default"));
    QCOMPARE(rollback.backendKind, std::string("Control API"));
    QVERIFY2(rollback.reason.find("a critical gate failed at step 1 of 3") != std::string::npos,
             rollback.reason.c_str());
    QVERIFY2(rollback.snapshot.contains("judgement"), rollback.snapshot.dump().c_str());
    // The numbers of that moment: both variants' KPIs of the console's decision snapshot.
    QVERIFY2(rollback.snapshot.contains("production") && rollback.snapshot.contains("canary"),
             rollback.snapshot.dump().c_str());
    QVERIFY(rollback.revisionBefore.has_value());
    QCOMPARE(rollback.stateBefore, std::string("canary"));
    QVERIFY(rollback.finishedAt.has_value());
    bool weightSet = false;
    for (const auto &e : entries(trail)) {
        if (e.action == "plan_set_weight" && e.outcome == "succeeded")
            weightSet = e.parameters.value("canary", 0.0) == 5.0;
    }
    QVERIFY(weightSet);
}

void TestConsoleRegression::refusals_data()
{
    QTest::addColumn<QStringList>("arguments");
    QTest::addColumn<QString>("said");
    QTest::newRow("unknown demo") << QStringList{u"--demo"_s, u"broken"_s}
                                  << u"unknown demo 'broken' (the demos are 'healthy' and "
                                     u"'regression')"_s;
    QTest::newRow("degrade without regression")
        << QStringList{u"--demo"_s, u"--degrade-after"_s, u"20"_s}
        << u"--degrade-after needs --demo regression"_s;
    QTest::newRow("degrade not a number")
        << QStringList{u"--demo"_s, u"regression"_s, u"--degrade-after"_s, u"soon"_s}
        << u"--degrade-after needs a whole number of seconds from 0 to 86400, not 'soon'"_s;
    QTest::newRow("plan file missing")
        << QStringList{u"--plan"_s, u"/nonexistent/plan.json"_s} << u"/nonexistent/plan.json"_s;
}

void TestConsoleRegression::refusals()
{
    QFETCH(QStringList, arguments);
    QFETCH(QString, said);
    QTemporaryDir home;
    QProcess console;
    prepare(console, home);
    console.setArguments(arguments);
    console.start();
    QVERIFY(console.waitForFinished(10'000));
    QCOMPARE(console.exitCode(), 2);
    const QString error = QString::fromUtf8(console.readAllStandardError());
    QVERIFY2(error.contains(said), qPrintable(error));
    QVERIFY2(error.startsWith(u"canary-console: "_s), qPrintable(error));
}

QTEST_GUILESS_MAIN(TestConsoleRegression)
#include "tst_consoleregression.moc"
