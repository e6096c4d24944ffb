// The command-line words canaryctl and canary-console share for a backend and its metrics: what
// a command line becomes, and the sentences for the ones that do not fit.
#include "backends/connectionoptions.h"

#include <QFile>
#include <QTemporaryDir>
#include <QTest>

using namespace canary;

class TestConnectionOptions final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void commandLines_data();
    void commandLines();
    void secretsFromFilesAndEnvironment();
    void unreadableSecretFileIsNamed();
};

namespace {

QStringList words(std::initializer_list<const char *> list)
{
    QStringList out;
    for (const char *word : list)
        out << QString::fromUtf8(word);
    return out;
}

} // namespace

void TestConnectionOptions::commandLines_data()
{
    QTest::addColumn<QStringList>("arguments");
    QTest::addColumn<QString>("backend");
    QTest::addColumn<QString>("metrics");
    QTest::addColumn<QString>("error"); // a fragment; empty when the line is good

    const char *haproxy = "haproxy+unix:///run/h.sock?backend=be&production=p&canary=c";
    const auto row = [](const char *name, QStringList arguments, const char *backend,
                        const char *metrics, QString error) {
        QTest::newRow(name) << arguments << QString::fromUtf8(backend) << QString::fromUtf8(metrics)
                            << error;
    };
    row("fallback", {}, "http://127.0.0.1:8080", "", {});
    row("--url", words({"--url", " http://gw:8080 "}), "http://gw:8080", "", {});
    row("--backend haproxy, --metrics prometheus",
        words({"--backend", haproxy, "--metrics", "prometheus+http://p:9090?job=j"}), haproxy,
        "prometheus+http://p:9090?job=j", {});
    row("--metrics-url is --metrics", words({"--url", "http://gw", "--metrics-url", "http://gw/m"}),
        "http://gw", "http://gw/m", {});
    row("both", words({"--url", "http://a", "--backend", "http://b"}), "", "",
        QStringLiteral("--backend and --url both name the backend"));
    row("--url of another kind", words({"--url", haproxy}), "", "",
        QStringLiteral("--url \"%1\" is not a Control API URL").arg(QString::fromUtf8(haproxy)));
    row("user without password", words({"--metrics-user", "ops"}), "", "",
        QStringLiteral("--metrics-user and --metrics-password-file go together"));
}

void TestConnectionOptions::commandLines()
{
    QFETCH(QStringList, arguments);
    QFETCH(QString, backend);
    QFETCH(QString, metrics);
    QFETCH(QString, error);

    const ConnectionOptions options;
    QCommandLineParser parser;
    options.addTo(parser);
    QVERIFY2(parser.parse(QStringList{QStringLiteral("prog")} + arguments),
             qPrintable(parser.errorText()));
    QString why;
    const auto profile =
        options.read(parser, QStringLiteral("http://127.0.0.1:8080"), QStringLiteral("X"), &why);
    if (!error.isEmpty()) {
        QVERIFY(!profile);
        QVERIFY2(why.contains(error), qPrintable(why));
        return;
    }
    QVERIFY2(profile, qPrintable(why));
    QCOMPARE(QString::fromStdString(profile->backendUrl), backend);
    QCOMPARE(QString::fromStdString(profile->metricsUrl), metrics);
    QCOMPARE(options.namesBackend(parser), !arguments.isEmpty()); // every good row names one
}

void TestConnectionOptions::secretsFromFilesAndEnvironment()
{
    QTemporaryDir dir;
    const auto write = [&](const QString &name, const QByteArray &text) {
        QFile file(dir.filePath(name));
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write(text);
    };
    write(QStringLiteral("token"), "control-secret\n");
    write(QStringLiteral("password"), "hunter2\nignored\n");
    qputenv("CANARY_TOKEN", "from-environment");
    qputenv("CANARY_METRICS_TOKEN", "metrics-from-environment");

    const ConnectionOptions options;
    QCommandLineParser parser;
    options.addTo(parser);
    QVERIFY(parser.parse({QStringLiteral("prog"), QStringLiteral("--url"),
                          QStringLiteral("https://gw"), QStringLiteral("--token-file"),
                          dir.filePath(QStringLiteral("token")), QStringLiteral("--metrics-user"),
                          QStringLiteral("ops"), QStringLiteral("--metrics-password-file"),
                          dir.filePath(QStringLiteral("password")), QStringLiteral("--insecure"),
                          QStringLiteral("--queries"), QStringLiteral("q.json")}));
    QString why;
    const auto profile = options.read(parser, {}, {}, &why);
    QVERIFY2(profile, qPrintable(why));
    QCOMPARE(profile->options.token, std::string("control-secret")); // the file wins
    QCOMPARE(profile->options.metricsToken, std::string("metrics-from-environment"));
    QCOMPARE(profile->options.metricsUser, std::string("ops"));
    QCOMPARE(profile->options.metricsPassword, std::string("hunter2"));
    QCOMPARE(profile->options.queryFile, std::string("q.json"));
    QVERIFY(!profile->options.verifyTls);
    qunsetenv("CANARY_TOKEN");
    qunsetenv("CANARY_METRICS_TOKEN");
}

void TestConnectionOptions::unreadableSecretFileIsNamed()
{
    const ConnectionOptions options;
    QCommandLineParser parser;
    options.addTo(parser);
    QVERIFY(parser.parse({QStringLiteral("prog"), QStringLiteral("--url"),
                          QStringLiteral("http://gw"), QStringLiteral("--metrics-token-file"),
                          QStringLiteral("/nonexistent/metrics-token")}));
    QString why;
    QVERIFY(!options.read(parser, {}, {}, &why));
    QVERIFY2(why.contains(QStringLiteral("/nonexistent/metrics-token")), qPrintable(why));
}

QTEST_APPLESS_MAIN(TestConnectionOptions)
#include "tst_connectionoptions.moc"
