// canaryctl, the real binary, against the real gateway on loopback.
#include "gatewayprocess.h"
#include "httpclient.h"

#include <QFile>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <memory>

using nlohmann::json;

namespace {

struct Run
{
    int exitCode = -1;
    QString out;
    QString err;
};

} // namespace

class TestCanaryctl final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init();
    void cleanup();

    void versionAndHelp();
    void statusJson();
    void statusHuman();
    void setWeight();
    void setWeightRefused_data();
    void setWeightRefused();
    void confirmationNeededWithoutTerminal_data();
    void confirmationNeededWithoutTerminal();
    void rollbackStagePromote();
    void confirmationOnTerminal_data();
    void confirmationOnTerminal();
    void unreachable();
    void watchPrintsBothVariants();
    void metricsLintAcceptsGatewayMetrics_data();
    void metricsLintAcceptsGatewayMetrics();
    void metricsLintReportsPositions();

private:
    Run canaryctl(const QStringList &arguments, const QProcessEnvironment &env = {},
                  int timeoutMs = 20'000);
    QStringList withToken(QStringList arguments) const;
    json rollout();

    std::unique_ptr<GatewayProcess> m_gateway;
    std::unique_ptr<HttpClient> m_http;
    QTemporaryDir m_dir;
};

void TestCanaryctl::init()
{
    // Some traffic, so that `watch` has numbers to show.
    m_gateway = std::make_unique<GatewayProcess>(
        QStringList{QStringLiteral("--load"), QStringLiteral("200")});
    QVERIFY2(m_gateway->start(), qPrintable(m_gateway->error()));
    m_http = std::make_unique<HttpClient>(m_gateway->url());
}

void TestCanaryctl::cleanup()
{
    m_http.reset();
    m_gateway.reset();
}

Run TestCanaryctl::canaryctl(const QStringList &arguments, const QProcessEnvironment &env,
                             int timeoutMs)
{
    QProcess process;
    QProcessEnvironment environment =
        env.isEmpty() ? QProcessEnvironment::systemEnvironment() : env;
    environment.remove(QStringLiteral("CANARY_URL"));
    if (env.isEmpty())
        environment.remove(QStringLiteral("CANARY_TOKEN"));
    process.setProcessEnvironment(environment);
    process.setStandardInputFile(QProcess::nullDevice()); // never a terminal
    QStringList args{QStringLiteral("--url"), m_gateway->url().toString()};
    args += arguments;
    process.start(QStringLiteral(CANARYCTL_BIN), args);
    Run run;
    if (!process.waitForFinished(timeoutMs)) {
        process.kill();
        process.waitForFinished();
        run.err = QStringLiteral("timed out");
        return run;
    }
    run.exitCode = process.exitStatus() == QProcess::NormalExit ? process.exitCode() : -1;
    run.out = QString::fromUtf8(process.readAllStandardOutput());
    run.err = QString::fromUtf8(process.readAllStandardError());
    return run;
}

QStringList TestCanaryctl::withToken(QStringList arguments) const
{
    const QString tokenFile = m_gateway->tempPath(QStringLiteral("ctl-token"));
    QFile file(tokenFile);
    if (!file.exists() && file.open(QIODevice::WriteOnly))
        file.write(m_gateway->token() + "\n");
    return QStringList{QStringLiteral("--token-file"), tokenFile} + arguments;
}

json TestCanaryctl::rollout()
{
    return m_http->get(QStringLiteral("/v1/rollout")).json();
}

void TestCanaryctl::versionAndHelp()
{
    Run version = canaryctl({QStringLiteral("--version")});
    QCOMPARE(version.exitCode, 0);
    QVERIFY2(version.out.startsWith(QStringLiteral("canaryctl ")), qPrintable(version.out));
    QVERIFY(version.out.contains(QStringLiteral("libcurl")));
    Run help = canaryctl({QStringLiteral("--help")});
    QCOMPARE(help.exitCode, 0);
    QVERIFY(help.out.contains(QStringLiteral("Exit codes")));
    Run bad = canaryctl({QStringLiteral("explode")});
    QCOMPARE(bad.exitCode, 2);
}

void TestCanaryctl::statusJson()
{
    Run run = canaryctl({QStringLiteral("status"), QStringLiteral("--json")});
    QCOMPARE(run.exitCode, 0);
    const json printed = json::parse(run.out.toStdString(), nullptr, false);
    QVERIFY2(printed.is_object(), qPrintable(run.out));
    QVERIFY(sameJson(printed, rollout()));
}

void TestCanaryctl::statusHuman()
{
    Run run = canaryctl({QStringLiteral("status")});
    QCOMPARE(run.exitCode, 0);
    QVERIFY2(run.out.contains(QStringLiteral("production")), qPrintable(run.out));
    QVERIFY(run.out.contains(QStringLiteral("canary")));
    QVERIFY(run.out.contains(QStringLiteral("revision 1")));
}

void TestCanaryctl::setWeight()
{
    Run run = canaryctl(withToken({QStringLiteral("set-weight"), QStringLiteral("25%")}));
    QVERIFY2(run.exitCode == 0, qPrintable(run.err));
    const json state = rollout();
    QCOMPARE(state.at("variants").at(1).at("weight").get<double>(), 25.0);
    QCOMPARE(state.at("variants").at(0).at("weight").get<double>(), 75.0);
    QCOMPARE(state.at("revision").get<int>(), 2);
}

void TestCanaryctl::setWeightRefused_data()
{
    QTest::addColumn<QStringList>("arguments");
    QTest::addColumn<QString>("envToken");
    QTest::addColumn<int>("exitCode");
    QTest::addColumn<QString>("message");

    QTest::newRow("no-token") << QStringList{QStringLiteral("set-weight"), QStringLiteral("5")}
                              << QString() << 2 << "needs a token";
    QTest::newRow("wrong-token") << QStringList{QStringLiteral("set-weight"), QStringLiteral("5")}
                                 << "not-the-token" << 4 << "401";
    QTest::newRow("too-fine") << QStringList{QStringLiteral("set-weight"), QStringLiteral("12.55")}
                              << "unused" << 2 << "finer resolution";
    QTest::newRow("not-a-number") << QStringList{QStringLiteral("set-weight"),
                                                 QStringLiteral("lots")}
                                  << "unused" << 2 << "not a weight";
    QTest::newRow("out-of-range") << QStringList{QStringLiteral("set-weight"),
                                                 QStringLiteral("101")}
                                  << "unused" << 2 << "outside";
}

void TestCanaryctl::setWeightRefused()
{
    QFETCH(QStringList, arguments);
    QFETCH(QString, envToken);
    QFETCH(int, exitCode);
    QFETCH(QString, message);

    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.remove(QStringLiteral("CANARY_TOKEN"));
    if (!envToken.isEmpty())
        env.insert(QStringLiteral("CANARY_TOKEN"), envToken);
    const json before = rollout();
    Run run = canaryctl(arguments, env);
    QCOMPARE(run.exitCode, exitCode);
    QVERIFY2(run.err.contains(message), qPrintable(run.err));
    QVERIFY(sameJson(rollout(), before)); // nothing applied
}

void TestCanaryctl::confirmationNeededWithoutTerminal_data()
{
    QTest::addColumn<QString>("command");
    QTest::newRow("promote") << "promote";
    QTest::newRow("rollback") << "rollback";
}

void TestCanaryctl::confirmationNeededWithoutTerminal()
{
    QFETCH(QString, command);
    const json before = rollout();
    Run run = canaryctl(withToken({command}));
    QCOMPARE(run.exitCode, 2);
    QVERIFY2(run.err.contains(QStringLiteral("--yes")), qPrintable(run.err));
    QVERIFY(sameJson(rollout(), before));
}

void TestCanaryctl::rollbackStagePromote()
{
    Run rollback = canaryctl(withToken({QStringLiteral("rollback"), QStringLiteral("--yes")}));
    QVERIFY2(rollback.exitCode == 0, qPrintable(rollback.err));
    QCOMPARE(rollout().at("state").get<std::string>(), std::string("rolled_back"));

    // A second rollback is a no-op, not an error.
    Run again = canaryctl(withToken({QStringLiteral("rollback"), QStringLiteral("--yes")}));
    QCOMPARE(again.exitCode, 0);

    // Raising the weight of a rolled-back canary is refused by the gateway: exit 4.
    Run refused = canaryctl(withToken({QStringLiteral("set-weight"), QStringLiteral("5")}));
    QCOMPARE(refused.exitCode, 4);
    QVERIFY2(refused.err.contains(QStringLiteral("409")), qPrintable(refused.err));

    Run stage = canaryctl(withToken({QStringLiteral("stage"), QStringLiteral("--model"),
                                     QStringLiteral("fraud-model"),
                                     QStringLiteral("--model-version"), QStringLiteral("2.5.0")}));
    QVERIFY2(stage.exitCode == 0, qPrintable(stage.err));
    json state = rollout();
    QCOMPARE(state.at("state").get<std::string>(), std::string("canary"));
    QCOMPARE(state.at("variants").at(1).at("version").get<std::string>(), std::string("2.5.0"));
    QCOMPARE(state.at("variants").at(1).at("weight").get<double>(), 0.0);

    QCOMPARE(canaryctl(withToken({QStringLiteral("set-weight"), QStringLiteral("50")})).exitCode,
             0);
    Run promote = canaryctl(
        withToken({QStringLiteral("promote"), QStringLiteral("--yes"), QStringLiteral("--json")}));
    QVERIFY2(promote.exitCode == 0, qPrintable(promote.err));
    state = rollout();
    QVERIFY(sameJson(json::parse(promote.out.toStdString()), state));
    QCOMPARE(state.at("state").get<std::string>(), std::string("promoted"));
    QCOMPARE(state.at("variants").size(), size_t(1));
    QCOMPARE(state.at("variants").at(0).at("version").get<std::string>(), std::string("2.5.0"));
    QCOMPARE(state.at("variants").at(0).at("weight").get<double>(), 100.0);
}

void TestCanaryctl::confirmationOnTerminal_data()
{
    QTest::addColumn<QByteArray>("answer");
    QTest::addColumn<int>("exitCode");
    QTest::addColumn<QString>("stateAfter");
    QTest::newRow("declined") << QByteArray("n\n") << 5 << "canary";
    QTest::newRow("empty-means-no") << QByteArray("\n") << 5 << "canary";
    QTest::newRow("confirmed") << QByteArray("y\n") << 0 << "rolled_back";
}

void TestCanaryctl::confirmationOnTerminal()
{
    QFETCH(QByteArray, answer);
    QFETCH(int, exitCode);
    QFETCH(QString, stateAfter);
    // script(1) gives canaryctl a pseudo-terminal, so it asks; the answer is typed into it.
    const QStringList ctl = {QStringLiteral(CANARYCTL_BIN), QStringLiteral("--url"),
                             m_gateway->url().toString()};
    const QString command = (ctl + withToken({QStringLiteral("rollback")})).join(QLatin1Char(' '));
    QProcess process;
    process.start(QStringLiteral("script"),
                  {QStringLiteral("-qfec"), command, QStringLiteral("/dev/null")});
    QVERIFY(process.waitForStarted());
    QByteArray seen;
    QTRY_VERIFY_WITH_TIMEOUT((seen += process.readAllStandardOutput()).contains("[y/N]") ||
                                 process.state() == QProcess::NotRunning,
                             15'000);
    process.write(answer);
    QVERIFY(process.waitForFinished(15'000));
    QCOMPARE(process.exitCode(), exitCode);
    QCOMPARE(QString::fromStdString(rollout().at("state").get<std::string>()), stateAfter);
}

void TestCanaryctl::unreachable()
{
    const QUrl live = m_gateway->url();
    m_gateway->kill();
    Run run = canaryctl({QStringLiteral("status")});
    QCOMPARE(run.exitCode, 3);
    QVERIFY2(run.err.contains(QStringLiteral("unreachable")), qPrintable(run.err));
    Q_UNUSED(live);
}

void TestCanaryctl::watchPrintsBothVariants()
{
    Run run = canaryctl({QStringLiteral("watch"), QStringLiteral("--interval"),
                         QStringLiteral("0.5"), QStringLiteral("--count"), QStringLiteral("2")});
    QVERIFY2(run.exitCode == 0, qPrintable(run.err));
    const QStringList lines = run.out.split(QLatin1Char('\n'), Qt::SkipEmptyParts);
    QStringList production, canary;
    for (const QString &line : lines) {
        if (line.startsWith(QStringLiteral("production ")))
            production << line;
        else if (line.startsWith(QStringLiteral("canary ")))
            canary << line;
    }
    QCOMPARE(production.size(), 2);
    QCOMPARE(canary.size(), 2);
    // Production serves ~90 % of 200 req/s: its req/s column is a positive number.
    const QStringList columns = production.last().split(QLatin1Char(' '), Qt::SkipEmptyParts);
    QVERIFY2(columns.size() >= 8, qPrintable(production.last()));
    bool number = false;
    const double rate = columns.at(3).toDouble(&number);
    QVERIFY2(number && rate > 0, qPrintable(production.last()));
    QVERIFY(columns.at(1) == QStringLiteral("2.3.0"));
}

void TestCanaryctl::metricsLintAcceptsGatewayMetrics_data()
{
    QTest::addColumn<bool>("openMetrics");
    QTest::newRow("prometheus-text") << false;
    QTest::newRow("openmetrics") << true;
}

void TestCanaryctl::metricsLintAcceptsGatewayMetrics()
{
    QFETCH(bool, openMetrics);
    HttpHeaders headers;
    if (openMetrics)
        headers.emplace_back("Accept", "application/openmetrics-text; version=1.0.0");
    const HttpReply metrics = m_http->get(QStringLiteral("/metrics"), headers);
    QCOMPARE(metrics.status, 200);
    const QString path = m_dir.filePath(QStringLiteral("metrics.txt"));
    QFile file(path);
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write(metrics.body);
    file.close();
    QStringList args{QStringLiteral("metrics-lint"), path};
    if (openMetrics)
        args.insert(1, QStringLiteral("--openmetrics"));
    Run run = canaryctl(args);
    QVERIFY2(run.exitCode == 0, qPrintable(run.out + run.err));
    QVERIFY(run.out.isEmpty());
}

void TestCanaryctl::metricsLintReportsPositions()
{
    const QString path = m_dir.filePath(QStringLiteral("broken.txt"));
    QFile file(path);
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write("# TYPE ok counter\nok 1\nbroken{a=\"x\" 2\n");
    file.close();
    Run run = canaryctl({QStringLiteral("metrics-lint"), path});
    QCOMPARE(run.exitCode, 1);
    QVERIFY2(run.out.startsWith(path + QStringLiteral(":3:")), qPrintable(run.out));
}

QTEST_GUILESS_MAIN(TestCanaryctl)
#include "tst_canaryctl.moc"
