// The real canary-console on its regression demo, offscreen: the demo gateway's canary degrades,
// the built-in plan (started by the demo) judges it live and rolls it back, and the action log
// the console writes says so. Also the command line's refusals for the demo and plan options.
#include <QDir>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
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

// The action log's records, one JSON object a line.
QList<QJsonObject> records(const QString &path)
{
    QList<QJsonObject> out;
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return out;
    for (const QByteArray &line : file.readAll().split('\n')) {
        if (!line.trimmed().isEmpty())
            out << QJsonDocument::fromJson(line).object();
    }
    return out;
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
    const QString log =
        home.filePath(u".local/share/canary-console/canary-console/actions.jsonl"_s);
    // The plan's records: its start, the first step's weight (pending, then succeeded), and the
    // rollback, pending before it was sent and then its outcome.
    QJsonObject rollback;
    QTRY_VERIFY_WITH_TIMEOUT(
        [&] {
            for (const QJsonObject &record : records(log)) {
                if (record.value(u"action"_s).toString() == u"plan_rollback"_s &&
                    record.value(u"outcome"_s).toString() != u"pending"_s) {
                    rollback = record;
                    return true;
                }
            }
            return false;
        }(),
        90'000);
    console.terminate();
    QVERIFY(console.waitForFinished(10'000));

    QCOMPARE(rollback.value(u"outcome"_s).toString(), u"succeeded"_s);
    QCOMPARE(rollback.value(u"actor"_s).toString(), u"plan default"_s);
    const QString message = rollback.value(u"message"_s).toString();
    QVERIFY2(message.contains(u"a critical gate failed at step 1 of 3"_s), qPrintable(message));
    const QList<QJsonObject> all = records(log);
    bool pendingFirst = false;
    bool weightSet = false;
    for (const QJsonObject &record : all) {
        const QString action = record.value(u"action"_s).toString();
        if (action == u"plan_rollback"_s && record.value(u"outcome"_s).toString() == u"pending"_s)
            pendingFirst = true;
        if (action == u"plan_set_weight"_s &&
            record.value(u"outcome"_s).toString() == u"succeeded"_s)
            weightSet =
                record.value(u"parameters"_s).toObject().value(u"canary"_s).toDouble() == 5.0;
    }
    QVERIFY(pendingFirst);
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
