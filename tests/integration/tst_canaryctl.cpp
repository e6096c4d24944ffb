// canaryctl, the real binary, against the real gateway on loopback.
#include "audit/sqliteauditstore.h"
#include "backendcheck.h"
#include "gatewayprocess.h"
#include "haproxyprocess.h"
#include "httpclient.h"
#include "prometheusprocess.h"
#include "scriptedbackend.h"

#include <QEventLoop>
#include <QFile>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>

#include <cmath>
#include <functional>
#include <memory>
#include <set>

using nlohmann::json;

namespace {

struct Run
{
    int exitCode = -1;
    QString out;
    QString err;
    QByteArray rawOut;
};

// Forwards every Control API and metrics request to the real gateway and lets a test bend the
// answer on its way back: a backend that is right in everything but one thing.
class BendingProxy final
{
public:
    using Bend = std::function<void(const ScriptedRequest &, HttpReply &)>;

    BendingProxy(const QUrl &upstream, Bend bend)
        : m_upstream(upstream)
        , m_bend(std::move(bend))
    {
        for (const QByteArray &path :
             {QByteArray("/v1/rollout"), QByteArray("/v1/rollout/weights"),
              QByteArray("/v1/rollout/promote"), QByteArray("/v1/rollout/rollback"),
              QByteArray("/v1/rollout/canary"), QByteArray("/metrics"),
              QByteArray(canary::ctl::kMissingPath)})
            m_backend.handle(path,
                             [this](const ScriptedRequest &request) { return forward(request); });
    }

    QString url() const { return QString::fromStdString(m_backend.url()); }

private:
    std::optional<ScriptedReply> forward(const ScriptedRequest &request)
    {
        HttpCall call{request.method, QString::fromLatin1(request.path), request.body, {}};
        for (const auto &[name, value] : request.headers) {
            if (name == "authorization" || name == "if-match" || name == "content-type" ||
                name == "accept")
                call.headers.emplace_back(name, value);
        }
        HttpReply reply = m_upstream.send(call);
        m_bend(request, reply);
        ScriptedReply out;
        out.status = reply.status;
        out.contentType = reply.header("content-type");
        out.body = reply.body;
        for (const QByteArray &name : {QByteArray("etag"), QByteArray("www-authenticate")}) {
            if (const QByteArray value = reply.header(name); !value.isEmpty())
                out.headers.append({name, value});
        }
        return out;
    }

    ScriptedBackend m_backend;
    HttpClient m_upstream;
    Bend m_bend;
};

// Rewrites the rollout document in an answer, when the answer carries one.
void bendDocument(HttpReply &reply, const std::function<void(json &)> &change)
{
    json document = reply.json();
    if (!document.is_object() || !document.contains("revision"))
        return;
    change(document);
    reply.body = QByteArray::fromStdString(document.dump());
}

struct CheckLines
{
    std::set<QString> passed;
    std::set<QString> failed;
    QString summary;
};

CheckLines parseCheckLines(const QString &out)
{
    CheckLines lines;
    for (const QString &line : out.split(QLatin1Char('\n'), Qt::SkipEmptyParts)) {
        const QStringList words = line.split(QLatin1Char(' '), Qt::SkipEmptyParts);
        if (words.value(0) == QStringLiteral("PASS"))
            lines.passed.insert(words.value(1));
        else if (words.value(0) == QStringLiteral("FAIL"))
            lines.failed.insert(words.value(1));
        else if (line.startsWith(QStringLiteral("check-backend: ")))
            lines.summary = line;
    }
    return lines;
}

// Runs `commandLine` (a shell line that runs canaryctl) on a pseudo-terminal from script(1), so
// that canaryctl asks; types `answer` once it has asked "[y/N]". Its exit code, and in rawOut all
// it printed, the question included.
void answerOnTerminal(const QString &commandLine, const QByteArray &answer, Run *run)
{
    QProcess process;
    process.start(QStringLiteral("script"),
                  {QStringLiteral("-qfec"), commandLine, QStringLiteral("/dev/null")});
    QVERIFY(process.waitForStarted());
    QTRY_VERIFY_WITH_TIMEOUT((run->rawOut += process.readAllStandardOutput()).contains("[y/N]") ||
                                 process.state() == QProcess::NotRunning,
                             15'000);
    process.write(answer);
    QVERIFY(process.waitForFinished(15'000));
    run->exitCode = process.exitCode();
}

// Sends predictions to `url` at a steady pace while the event loop runs (the test's own, or the
// one that waits for canaryctl), so that counters move while canaryctl watches them.
class Traffic final : public QObject
{
public:
    Traffic(const QUrl &url, std::chrono::milliseconds every)
        : m_url(url)
    {
        connect(&m_timer, &QTimer::timeout, this, [this] { send(); });
        m_timer.start(every);
    }

    int answered() const { return m_answered; }

private:
    void send()
    {
        if (m_inFlight >= 16)
            return; // a slow answer must not pile up requests
        QNetworkRequest request(m_url);
        request.setHeader(QNetworkRequest::ContentTypeHeader, QByteArray("application/json"));
        QNetworkReply *reply = m_manager.post(request, QByteArray(R"({"label": 1})"));
        ++m_inFlight;
        connect(reply, &QNetworkReply::finished, this, [this, reply] {
            --m_inFlight;
            if (reply->error() == QNetworkReply::NoError)
                ++m_answered;
            reply->deleteLater();
        });
    }

    QUrl m_url;
    QNetworkAccessManager m_manager;
    QTimer m_timer;
    int m_inFlight = 0;
    int m_answered = 0;
};

// The rows of the tables `watch` printed, per variant, split into columns.
struct WatchTables
{
    QList<QStringList> production;
    QList<QStringList> canary;
    QStringList notes;
};

WatchTables parseWatch(const QString &out)
{
    WatchTables tables;
    for (const QString &line : out.split(QLatin1Char('\n'), Qt::SkipEmptyParts)) {
        const QStringList columns = line.split(QLatin1Char(' '), Qt::SkipEmptyParts);
        if (line.startsWith(QStringLiteral("production ")))
            tables.production << columns;
        else if (line.startsWith(QStringLiteral("canary ")))
            tables.canary << columns;
        else if (line.startsWith(QStringLiteral("note: ")))
            tables.notes << line;
    }
    return tables;
}

// The columns of a table row from the right (a version may be blank): req/s, error %, p50, p95,
// p99, accuracy ("-" or "90.0 %").
QString fromRight(const QStringList &row, int column)
{
    // An accuracy prints as two words ("90.0 %"), an unknown one as one ("-").
    const int shift = row.last() == QStringLiteral("%") ? 1 : 0;
    return row.value(row.size() - 1 - shift - column);
}

bool isNumber(const QString &text)
{
    bool ok = false;
    text.toDouble(&ok);
    return ok;
}

} // namespace

Q_DECLARE_METATYPE(BendingProxy::Bend)

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
    void actionsAreRecorded();
    void unopenableTrailSendsNothing();
    void staleRevisionIsRecordedAsConflict();
    void actionsGoToTheConsolesTrailByDefault();
    void confirmationOnTerminal_data();
    void confirmationOnTerminal();
    void unreachable();
    void watchPrintsBothVariants();
    void metricsLintAcceptsGatewayMetrics_data();
    void metricsLintAcceptsGatewayMetrics();
    void metricsLintReportsPositions();
    void metricsLintHasNoSizeCap();
    void checkBackendGatewayConforms_data();
    void checkBackendGatewayConforms();
    void checkBackendFindsDeviations_data();
    void checkBackendFindsDeviations();
    void checkBackendUnreachable();
    void checkBackendMutatingNeedsToken();
    void statusJsonAsSent_data();
    void statusJsonAsSent();
    void backendTextCannotDriveTheTerminal_data();
    void backendTextCannotDriveTheTerminal();
    void actionWithoutAnswerSaysWhetherItWasSent();
    void watchCountEndsWhenEveryRoundFails_data();
    void watchCountEndsWhenEveryRoundFails();
    void watchIsSingleFlight();
    void watchSaysWhichFeedFailed();
    void backendWorksAsUrl();
    void badUrlOrOptionIsAUsageError_data();
    void badUrlOrOptionIsAUsageError();
    void metricsCredentialsReachPrometheus_data();
    void metricsCredentialsReachPrometheus();
    void haproxySetWeightChangesStatus_data();
    void haproxySetWeightChangesStatus();
    void haproxyConfirmationSaysChangesAreNotDetected();
    void haproxyWatchCounts();
    void haproxyWatchWithPrometheusMetrics();
    void simulateRunsAnExampleScenario();
    void judgeComparesSamples_data();
    void judgeComparesSamples();
    void judgeNamesTheBadLine_data();
    void judgeNamesTheBadLine();

private:
    // Two gateways behind a real haproxy, started by the first test that needs them and kept for
    // the rest; each such test starts with all traffic on production.
    void startHaproxy();
    // startHaproxy(), the canary set to 25 % and predictions sent through HAProxy's frontend
    // every 5 ms into `traffic` for as long as it lives.
    void startHaproxyWithTraffic(std::unique_ptr<Traffic> *traffic);

    Run canaryctl(const QStringList &arguments, const QProcessEnvironment &env = {},
                  int timeoutMs = 20'000);
    QStringList withToken(QStringList arguments) const;
    QString trailFile() const { return m_dir.filePath(QStringLiteral("audit.sqlite3")); }
    // The audit trail at `path`, oldest entry first.
    std::vector<canary::audit::AuditEntry> trail(const QString &path);
    json rollout();

    std::unique_ptr<GatewayProcess> m_gateway;
    std::unique_ptr<HttpClient> m_http;
    QTemporaryDir m_dir;
    std::unique_ptr<GatewayProcess> m_production;
    std::unique_ptr<GatewayProcess> m_canary;
    std::unique_ptr<HaproxyProcess> m_haproxy;
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
    // The actions write to the console's audit trail unless --db names one: never the user's.
    if (!env.contains(QStringLiteral("XDG_DATA_HOME")))
        environment.insert(QStringLiteral("XDG_DATA_HOME"), m_dir.path());
    process.setProcessEnvironment(environment);
    process.setStandardInputFile(QProcess::nullDevice()); // never a terminal
    // The test's gateway is the backend unless the test names another one.
    QStringList args;
    if (!arguments.contains(QStringLiteral("--backend")))
        args = QStringList{QStringLiteral("--url"), m_gateway->url().toString()};
    args += arguments;
    process.start(QStringLiteral(CANARYCTL_BIN), args);
    // Wait in an event loop, not in waitForFinished(): scripted backends in this process must
    // keep answering while canaryctl runs.
    QEventLoop loop;
    QObject::connect(&process, &QProcess::finished, &loop, &QEventLoop::quit);
    QTimer::singleShot(timeoutMs, &loop, &QEventLoop::quit);
    if (process.state() != QProcess::NotRunning)
        loop.exec();
    Run run;
    if (process.state() != QProcess::NotRunning) {
        process.kill();
        process.waitForFinished();
        run.err = QStringLiteral("timed out");
        return run;
    }
    run.exitCode = process.exitStatus() == QProcess::NormalExit ? process.exitCode() : -1;
    run.rawOut = process.readAllStandardOutput();
    run.out = QString::fromUtf8(run.rawOut);
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

std::vector<canary::audit::AuditEntry> TestCanaryctl::trail(const QString &path)
{
    std::string error;
    const auto store = canary::audit::SqliteAuditStore::open(path.toStdString(), &error);
    if (!store) {
        qWarning("%s", error.c_str());
        return {};
    }
    return store->query({}, &error).value_or(std::vector<canary::audit::AuditEntry>{});
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

void TestCanaryctl::actionsAreRecorded()
{
    QTemporaryDir dir;
    const QString db = dir.filePath(QStringLiteral("trail.sqlite3"));
    const QStringList onTrail = {QStringLiteral("--db"), db};
    const double canaryBefore = rollout().at("variants").at(1).at("weight").get<double>();
    Run weight = canaryctl(
        withToken(QStringList{QStringLiteral("set-weight"), QStringLiteral("25")} + onTrail));
    QVERIFY2(weight.exitCode == 0, qPrintable(weight.err));
    Run rollback = canaryctl(
        withToken(QStringList{QStringLiteral("rollback"), QStringLiteral("--yes")} + onTrail));
    QVERIFY2(rollback.exitCode == 0, qPrintable(rollback.err));
    // The gateway refuses to raise a rolled-back canary: sent, refused, recorded as failed.
    Run refused = canaryctl(
        withToken(QStringList{QStringLiteral("set-weight"), QStringLiteral("5")} + onTrail));
    QCOMPARE(refused.exitCode, 4);

    const std::vector<canary::audit::AuditEntry> entries = trail(db);
    QCOMPARE(entries.size(), std::size_t(3));
    const canary::audit::AuditEntry &set = entries[0];
    QCOMPARE(set.action, std::string("set_weight"));
    QCOMPARE(set.parameters.at("canary").get<double>(), 25.0);
    QCOMPARE(set.outcome, std::string("succeeded"));
    QCOMPARE(set.automatic, false);
    QCOMPARE(set.backendKind, std::string("Control API"));
    QCOMPARE(set.backendAddress, m_gateway->url().toString().toStdString());
    QCOMPARE(set.stateBefore, std::string("canary"));
    QCOMPARE(set.revisionBefore, std::optional<std::int64_t>(1));
    QCOMPARE(set.revisionAfter, std::optional<std::int64_t>(2));
    QCOMPARE(set.stateAfter, std::string("canary"));
    QVERIFY(set.finishedAt.has_value());
    QVERIFY2(set.message.find("canary weight set to 25.0 %") != std::string::npos,
             set.message.c_str());
    // The rollout it was decided on: the weights before the change.
    QCOMPARE(set.snapshot.at("variants").at("canary").at("weight_percent").get<double>(),
             canaryBefore);
    QVERIFY(set.snapshot.at("variants").at("production").at("model").is_string());
    const canary::audit::AuditEntry &back = entries[1];
    QCOMPARE(back.action, std::string("rollback"));
    QCOMPARE(back.outcome, std::string("succeeded"));
    QCOMPARE(back.revisionBefore, std::optional<std::int64_t>(2));
    QCOMPARE(back.stateAfter, std::string("rolled_back"));
    QCOMPARE(back.snapshot.at("variants").at("canary").at("weight_percent").get<double>(), 25.0);
    const canary::audit::AuditEntry &failed = entries[2];
    QCOMPARE(failed.action, std::string("set_weight"));
    QCOMPARE(failed.outcome, std::string("failed"));
    QCOMPARE(failed.stateBefore, std::string("rolled_back"));
    QVERIFY2(failed.message.find("409") != std::string::npos, failed.message.c_str());
    QVERIFY(!failed.revisionAfter.has_value());
}

void TestCanaryctl::unopenableTrailSendsNothing()
{
    QTemporaryDir dir; // a directory is no SQLite file
    const json before = rollout();
    Run run = canaryctl(withToken(
        {QStringLiteral("set-weight"), QStringLiteral("25"), QStringLiteral("--db"), dir.path()}));
    QCOMPARE(run.exitCode, 1);
    QVERIFY2(run.err.contains(QStringLiteral("Nothing was sent: the set-weight could not be "
                                             "recorded.")),
             qPrintable(run.err));
    QVERIFY(sameJson(rollout(), before)); // nothing applied
    Run promote = canaryctl(withToken(
        {QStringLiteral("promote"), QStringLiteral("--yes"), QStringLiteral("--db"), dir.path()}));
    QCOMPARE(promote.exitCode, 1);
    QVERIFY(sameJson(rollout(), before));
}

void TestCanaryctl::staleRevisionIsRecordedAsConflict()
{
    // The rollout is read at revision 1; by the time the change arrives someone else made it 5.
    ScriptedBackend backend;
    json read = rollout();
    backend.answer("GET", "/v1/rollout",
                   ScriptedReply::json(200, QByteArray::fromStdString(read.dump())));
    json current = read;
    current["revision"] = 5;
    const json problem = {{"title", "Precondition Failed"},
                          {"detail", "the rollout is at revision 5"},
                          {"rollout", current}};
    backend.answer("PUT", "/v1/rollout/weights",
                   ScriptedReply::text(412, "application/problem+json",
                                       QByteArray::fromStdString(problem.dump())));
    QTemporaryDir dir;
    const QString db = dir.filePath(QStringLiteral("trail.sqlite3"));
    Run run = canaryctl(
        withToken({QStringLiteral("--url"), QString::fromStdString(backend.url()),
                   QStringLiteral("set-weight"), QStringLiteral("5"), QStringLiteral("--db"), db}));
    QCOMPARE(run.exitCode, 4);
    QCOMPARE(backend.requests("/v1/rollout/weights"), 1);
    const std::vector<canary::audit::AuditEntry> entries = trail(db);
    QCOMPARE(entries.size(), std::size_t(1));
    QCOMPARE(entries.front().outcome, std::string("conflict"));
    QCOMPARE(entries.front().revisionBefore,
             std::optional<std::int64_t>(read.at("revision").get<std::int64_t>()));
    QCOMPARE(entries.front().revisionAfter, std::optional<std::int64_t>(5));
    QVERIFY2(entries.front().message.find("412") != std::string::npos,
             entries.front().message.c_str());
}

void TestCanaryctl::actionsGoToTheConsolesTrailByDefault()
{
    QTemporaryDir home;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.remove(QStringLiteral("CANARY_TOKEN"));
    env.insert(QStringLiteral("XDG_DATA_HOME"), home.path());
    Run run = canaryctl(withToken({QStringLiteral("set-weight"), QStringLiteral("10")}), env);
    QVERIFY2(run.exitCode == 0, qPrintable(run.err));
    const std::vector<canary::audit::AuditEntry> entries =
        trail(home.filePath(QStringLiteral("canary-console/canary-console/audit.sqlite3")));
    QCOMPARE(entries.size(), std::size_t(1));
    QCOMPARE(entries.front().action, std::string("set_weight"));
    QCOMPARE(entries.front().outcome, std::string("succeeded"));
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
    const QStringList ctl = {QStringLiteral(CANARYCTL_BIN), QStringLiteral("--url"),
                             m_gateway->url().toString()};
    const QString command =
        (ctl + withToken({QStringLiteral("rollback"), QStringLiteral("--db"), trailFile()}))
            .join(QLatin1Char(' '));
    Run run;
    answerOnTerminal(command, answer, &run);
    if (QTest::currentTestFailed())
        return;
    QCOMPARE(run.exitCode, exitCode);
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

// A 72 MiB exposition (over the old 64 MiB cap) is linted in one streaming pass, and an error
// at its very end is found with its line.
void TestCanaryctl::metricsLintHasNoSizeCap()
{
    const QString path = m_dir.filePath(QStringLiteral("large.txt"));
    QFile file(path);
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write("# TYPE big counter\n");
    QByteArray block;
    for (int i = 0; i < 4096; ++i)
        block += "big_total{series=\"" + QByteArray::number(i) + "\"} 1234567\n";
    qint64 lines = 2;
    while (file.size() < 72LL * 1024 * 1024) {
        QCOMPARE(file.write(block), block.size());
        lines += 4096;
    }
    file.write("big_total{series=\"last\" 1\n"); // unterminated label set
    file.close();
    Run run = canaryctl({QStringLiteral("metrics-lint"), path});
    QCOMPARE(run.exitCode, 1);
    QVERIFY2(
        run.out.startsWith(path + QLatin1Char(':') + QString::number(lines) + QLatin1Char(':')),
        qPrintable(run.out.left(300)));
    QVERIFY(!run.err.contains(QStringLiteral("MiB")));
    QFile::remove(path);
}

void TestCanaryctl::checkBackendGatewayConforms_data()
{
    QTest::addColumn<bool>("mutating");
    QTest::addColumn<int>("checks");
    QTest::newRow("read-only") << false << 10;
    QTest::newRow("mutating") << true << 25;
}

void TestCanaryctl::checkBackendGatewayConforms()
{
    QFETCH(bool, mutating);
    QFETCH(int, checks);
    const json before = rollout();
    QStringList args{QStringLiteral("check-backend")};
    if (mutating)
        args = withToken(args + QStringList{QStringLiteral("--mutating")});
    Run run = canaryctl(args, {}, 60'000);
    QVERIFY2(run.exitCode == 0, qPrintable(run.out + run.err));
    const CheckLines lines = parseCheckLines(run.out);
    QVERIFY2(lines.failed.empty(), qPrintable(run.out));
    QCOMPARE(int(lines.passed.size()), checks);
    QCOMPARE(lines.summary, QStringLiteral("check-backend: %1 checks, 0 failed").arg(checks));
    const json after = rollout();
    if (!mutating) {
        QVERIFY(sameJson(after, before));
        return;
    }
    // Restored: the same state, production and canary (at a later revision).
    QVERIFY(sameJson(after.at("state"), before.at("state")));
    QVERIFY(sameJson(after.at("variants"), before.at("variants")));
    QVERIFY(after.at("revision").get<int>() > before.at("revision").get<int>());
    QVERIFY2(run.out.contains(QStringLiteral("note  restored: state canary")), qPrintable(run.out));
}

void TestCanaryctl::checkBackendFindsDeviations_data()
{
    using Bend = BendingProxy::Bend;
    QTest::addColumn<bool>("mutating");
    QTest::addColumn<Bend>("bend");
    QTest::addColumn<QStringList>("failing");

    auto isDocument = [](const ScriptedRequest &request) {
        return request.path.startsWith("/v1/rollout");
    };
    QTest::newRow("stable-with-a-canary")
        << false << Bend([=](const ScriptedRequest &request, HttpReply &reply) {
               if (isDocument(request))
                   bendDocument(reply, [](json &doc) { doc["state"] = "stable"; });
           })
        << QStringList{QStringLiteral("rollout-state")};
    QTest::newRow("stable-after-stage")
        << true << Bend([=](const ScriptedRequest &request, HttpReply &reply) {
               if (!isDocument(request))
                   return;
               // A backend that forgets to switch to "canary" while the new canary is at 0 %.
               bendDocument(reply, [](json &doc) {
                   const json &variants = doc["variants"];
                   if (doc["state"] == "canary" && variants.size() == 2 &&
                       variants[1]["weight"] == 0)
                       doc["state"] = "stable";
               });
           })
        << QStringList{QStringLiteral("stage"), QStringLiteral("restage")};
    QTest::newRow("empty-canary-after-promote")
        << true << Bend([=](const ScriptedRequest &request, HttpReply &reply) {
               if (!isDocument(request))
                   return;
               bendDocument(reply, [](json &doc) {
                   if (doc["state"] == "promoted")
                       doc["variants"].push_back(
                           {{"name", "canary"}, {"model", ""}, {"version", ""}, {"weight", 0}});
               });
           })
        << QStringList{QStringLiteral("promote"), QStringLiteral("promote-repeat")};
    QTest::newRow("missing-etag") << false
                                  << Bend([](const ScriptedRequest &request, HttpReply &reply) {
                                         if (request.path == "/v1/rollout")
                                             std::erase_if(reply.headers, [](const auto &h) {
                                                 return h.first.toLower() == "etag";
                                             });
                                     })
                                  << QStringList{QStringLiteral("etag")};
    QTest::newRow("plain-text-404")
        << false << Bend([](const ScriptedRequest &request, HttpReply &reply) {
               if (request.path == canary::ctl::kMissingPath) {
                   reply.body = "Not Found";
                   for (auto &[name, value] : reply.headers) {
                       if (name.toLower() == "content-type")
                           value = "text/plain";
                   }
               }
           })
        << QStringList{QStringLiteral("problem-json")};
    // Neither format parses, so the names and labels cannot be checked either.
    QTest::newRow("metrics-do-not-parse")
        << false << Bend([](const ScriptedRequest &request, HttpReply &reply) {
               if (request.path == "/metrics")
                   reply.body += "canary_requests_total{variant=\"canary\" 1\n";
           })
        << QStringList{QStringLiteral("metrics-text"), QStringLiteral("metrics-openmetrics"),
                       QStringLiteral("metrics-names"), QStringLiteral("metrics-labels")};
    QTest::newRow("missing-variant-label")
        << false << Bend([](const ScriptedRequest &request, HttpReply &reply) {
               if (request.path == "/metrics")
                   reply.body.replace("variant=\"canary\",", "");
           })
        << QStringList{QStringLiteral("metrics-labels")};
}

void TestCanaryctl::checkBackendFindsDeviations()
{
    QFETCH(bool, mutating);
    QFETCH(BendingProxy::Bend, bend);
    QFETCH(QStringList, failing);

    BendingProxy proxy(m_gateway->url(), bend);
    QStringList args{QStringLiteral("--url"), proxy.url(), QStringLiteral("check-backend")};
    if (mutating)
        args = withToken(args + QStringList{QStringLiteral("--mutating")});
    Run run = canaryctl(args, {}, 60'000);
    QVERIFY2(run.exitCode == 1, qPrintable(run.out + run.err));
    const CheckLines lines = parseCheckLines(run.out);
    const std::set<QString> expected(failing.begin(), failing.end());
    if (lines.failed != expected)
        qWarning("%s", qPrintable(run.out));
    QCOMPARE(QStringList(lines.failed.begin(), lines.failed.end()),
             QStringList(expected.begin(), expected.end()));
    const int checks = int(lines.passed.size() + lines.failed.size());
    QCOMPARE(checks, mutating ? 25 : 10);
    QCOMPARE(lines.summary,
             QStringLiteral("check-backend: %1 checks, %2 failed").arg(checks).arg(failing.size()));
}

void TestCanaryctl::checkBackendUnreachable()
{
    m_gateway->kill();
    Run run = canaryctl({QStringLiteral("check-backend")});
    QCOMPARE(run.exitCode, 3);
    QVERIFY2(run.out.contains(QStringLiteral("FAIL  rollout-read")), qPrintable(run.out));
    QVERIFY2(run.out.contains(QStringLiteral("check-backend: 1 check, 1 failed")),
             qPrintable(run.out));
}

void TestCanaryctl::checkBackendMutatingNeedsToken()
{
    const json before = rollout();
    Run run = canaryctl({QStringLiteral("check-backend"), QStringLiteral("--mutating")});
    QCOMPARE(run.exitCode, 2);
    QVERIFY2(run.err.contains(QStringLiteral("needs a token")), qPrintable(run.err));
    QVERIFY(sameJson(rollout(), before));
}

void TestCanaryctl::statusJsonAsSent_data()
{
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<QByteArray>("printed");

    // Extra members (top level and in a variant), another key order, numbers as the backend
    // wrote them: all printed exactly as they came, plus a newline.
    const QByteArray compact =
        R"({"variants":[{"weight":90.0,"model":"m","name":"production","version":"1","gpu":"a100"},)"
        R"({"name":"canary","weight":1e1,"version":"2","model":"m"}],"x-team":{"owner":"fraud"},)"
        R"("updated_at":"2026-11-26T12:00:00.250Z","state":"canary","revision":7})";
    QTest::newRow("compact") << compact << compact + "\n";
    const QByteArray pretty = "{\n\t\"revision\": 7,\r\n  \"state\": \"stable\",\n"
                              "  \"updated_at\": \"2026-11-26T12:00:00Z\",\n  \"variants\": [\n"
                              "    {\"name\": \"production\", \"model\": \"m\", \"version\": "
                              "\"1\", \"weight\": 100}\n  ]\n}\n";
    QTest::newRow("pretty-with-newline") << pretty << pretty;
    // Control characters inside JSON strings are escaped by JSON itself: shown as sent.
    const QByteArray escaped =
        R"({"revision":7,"state":"stable","updated_at":"2026-11-26T12:00:00Z","variants":)"
        R"([{"name":"production","model":"m\u001b[2J\u001b]0;owned\u0007","version":"1","weight":100}]})";
    QTest::newRow("escaped-controls") << escaped << escaped + "\n";
    // A right-to-left override as a raw UTF-8 character would act on the terminal: the same JSON
    // is printed with non-ASCII characters escaped instead.
    const QByteArray bidi =
        "{\"revision\":7,\"state\":\"stable\",\"updated_at\":\"2026-11-26T12:00:00Z\","
        "\"variants\":[{\"name\":\"production\",\"model\":\"evil\xe2\x80\xaegpj\","
        "\"version\":\"1\",\"weight\":100}]}";
    QTest::newRow("raw-bidi-override")
        << bidi
        << QByteArray(R"({"revision":7,"state":"stable","updated_at":"2026-11-26T12:00:00Z",)"
                      R"("variants":[{"model":"evil\u202egpj","name":"production","version":"1",)"
                      R"("weight":100}]})"
                      "\n");
}

void TestCanaryctl::statusJsonAsSent()
{
    QFETCH(QByteArray, body);
    QFETCH(QByteArray, printed);
    ScriptedBackend backend;
    backend.answer("GET", "/v1/rollout", ScriptedReply::json(200, body));
    Run run = canaryctl({QStringLiteral("--url"), QString::fromStdString(backend.url()),
                         QStringLiteral("status"), QStringLiteral("--json")});
    QVERIFY2(run.exitCode == 0, qPrintable(run.err));
    QCOMPARE(run.rawOut, printed);
    QVERIFY(sameJson(json::parse(run.rawOut.toStdString()), json::parse(body.toStdString())));
}

void TestCanaryctl::backendTextCannotDriveTheTerminal_data()
{
    QTest::addColumn<QStringList>("arguments");
    QTest::addColumn<int>("exitCode");
    QTest::addColumn<QByteArray>("shown"); // the hostile text as it must appear, neutralised

    const QByteArray model = "m\\x1b[2J\\x1b]0;owned\\x07";
    QTest::newRow("status") << QStringList{QStringLiteral("status")} << 0 << model;
    QTest::newRow("watch") << QStringList{QStringLiteral("watch"), QStringLiteral("--interval"),
                                          QStringLiteral("0.1"), QStringLiteral("--count"),
                                          QStringLiteral("1")}
                           << 0 << QByteArray("2\\u009b2J\\u202e");
    QTest::newRow("promote") << QStringList{QStringLiteral("promote"), QStringLiteral("--yes")} << 0
                             << model;
    QTest::newRow("problem-detail")
        << QStringList{QStringLiteral("set-weight"), QStringLiteral("5")} << 4
        << QByteArray("409 Conflict: held by \\x1b]0;owned\\x07 \\u009b");
    QTest::newRow("check-backend") << QStringList{QStringLiteral("check-backend")} << 1 << model;
}

void TestCanaryctl::backendTextCannotDriveTheTerminal()
{
    QFETCH(QStringList, arguments);
    QFETCH(int, exitCode);
    QFETCH(QByteArray, shown);

    // Clear the screen and retitle the window from a model name; CSI (C1) and a right-to-left
    // override in a version. JSON carries them escaped, as it must.
    const QByteArray variants =
        R"([{"name":"production","model":"m\u001b[2J\u001b]0;owned\u0007","version":"1",)"
        R"("weight":90},{"name":"canary","model":"c","version":"2\u009b2J\u202e","weight":10}])";
    const QByteArray document =
        R"({"revision":4,"state":"canary","updated_at":"2026-11-26T12:00:00Z","variants":)" +
        variants + "}";
    ScriptedBackend backend;
    backend.answer("GET", "/v1/rollout", ScriptedReply::json(200, document));
    backend.answer(
        "POST", "/v1/rollout/promote",
        ScriptedReply::json(
            200, R"({"revision":5,"state":"promoted","updated_at":"2026-11-26T12:00:01Z",)"
                 R"("variants":[{"name":"production","model":"m\u001b[2J\u001b]0;owned\u0007",)"
                 R"("version":"2","weight":100}]})"));
    // A problem detail with an OSC sequence and a C1 control (CSI).
    backend.answer("PUT", "/v1/rollout/weights",
                   ScriptedReply::text(409, "application/problem+json",
                                       "{\"type\":\"urn:canary:problem:conflict\",\"title\":"
                                       "\"Conflict\",\"status\":409,\"detail\":\"held by "
                                       "\\u001b]0;owned\\u0007 \\u009b\"}"));
    backend.answer("GET", "/metrics",
                   ScriptedReply::text(200, "text/plain; version=0.0.4",
                                       "# TYPE canary_requests_total counter\n"
                                       "canary_requests_total{variant=\"production\",version="
                                       "\"1\"} 5\n"
                                       "canary_requests_total{variant=\"canary\",version=\"2\"} "
                                       "1\n"));
    Run run = canaryctl(withToken(
        QStringList{QStringLiteral("--url"), QString::fromStdString(backend.url())} + arguments));
    QVERIFY2(run.exitCode == exitCode, qPrintable(run.out + run.err));
    const QByteArray all = run.rawOut + run.err.toUtf8();
    for (const QByteArray &forbidden : {QByteArray("\x1b"), QByteArray("\x07"),
                                        QByteArray("\xc2\x9b"), QByteArray("\xe2\x80\xae")})
        QVERIFY2(!all.contains(forbidden), all.toHex(' ').constData());
    QVERIFY2(all.contains(shown), all.constData());
}

void TestCanaryctl::actionWithoutAnswerSaysWhetherItWasSent()
{
    // The rollout is read, then the action meets silence: it may have been applied.
    ScriptedBackend backend;
    backend.answer("GET", "/v1/rollout",
                   ScriptedReply::json(200, QByteArray::fromStdString(rollout().dump())));
    const QStringList args{QStringLiteral("--url"),      QString::fromStdString(backend.url()),
                           QStringLiteral("--timeout"),  QStringLiteral("0.5"),
                           QStringLiteral("set-weight"), QStringLiteral("5")};
    Run silent = canaryctl(withToken(args));
    QCOMPARE(silent.exitCode, 3);
    QVERIFY2(silent.err.contains(QStringLiteral("canaryctl: backend unreachable: ")),
             qPrintable(silent.err));
    QVERIFY2(silent.err.contains(QStringLiteral("the request may have arrived")),
             qPrintable(silent.err));
    QCOMPARE(backend.requests("/v1/rollout/weights"), 1);

    // Nothing listens: nothing was sent, and it says so.
    backend.close();
    Run refused = canaryctl(withToken(args));
    QCOMPARE(refused.exitCode, 3);
    QVERIFY2(refused.err.contains(QStringLiteral("the request was not sent")),
             qPrintable(refused.err));
    QVERIFY(!refused.err.contains(QStringLiteral("may have arrived")));
}

void TestCanaryctl::watchCountEndsWhenEveryRoundFails_data()
{
    QTest::addColumn<bool>("garbage"); // false: nothing listens at all
    QTest::newRow("backend-down") << false;
    QTest::newRow("backend-answers-garbage") << true;
}

void TestCanaryctl::watchCountEndsWhenEveryRoundFails()
{
    QFETCH(bool, garbage);
    ScriptedBackend backend;
    if (garbage) {
        for (const QByteArray &path : {QByteArray("/v1/rollout"), QByteArray("/metrics")})
            backend.answer("GET", path,
                           ScriptedReply::text(200, "text/html", "<html>\x01{not metrics</html>"));
    } else {
        backend.close();
    }
    Run run = canaryctl({QStringLiteral("--url"), QString::fromStdString(backend.url()),
                         QStringLiteral("watch"), QStringLiteral("--interval"),
                         QStringLiteral("0.1"), QStringLiteral("--count"), QStringLiteral("3")});
    QVERIFY2(run.exitCode == 3, qPrintable(run.err));
    const QStringList errors = run.err.split(QLatin1Char('\n'), Qt::SkipEmptyParts);
    // One line per failed round, naming both feeds; besides them only the line that says the
    // feeds are lost (the third miss in a row).
    int failedRounds = 0;
    for (const QString &line : errors) {
        QVERIFY2(line.startsWith(QStringLiteral("canaryctl: ")), qPrintable(line));
        if (line.contains(QStringLiteral("Rollout unreadable")) &&
            line.contains(QStringLiteral("Metrics unreadable")))
            ++failedRounds;
        else
            QVERIFY2(line.contains(QStringLiteral(" lost: 3 polls missed")), qPrintable(line));
    }
    QCOMPARE(failedRounds, 3);
    QVERIFY(run.out.isEmpty()); // no table without numbers
}

// A backend slower than the interval gets one scrape at a time, never a pile of them whose
// answers could come back out of order.
void TestCanaryctl::watchIsSingleFlight()
{
    ScriptedBackend backend; // answers nothing: each request ends by its timeout
    Run run = canaryctl({QStringLiteral("--url"), QString::fromStdString(backend.url()),
                         QStringLiteral("--timeout"), QStringLiteral("1.5"),
                         QStringLiteral("watch"), QStringLiteral("--interval"),
                         QStringLiteral("0.1"), QStringLiteral("--count"), QStringLiteral("2")});
    QVERIFY2(run.exitCode == 3, qPrintable(run.err));
    QCOMPARE(backend.requests("/metrics"), 2);
    QVERIFY(backend.requests("/v1/rollout") <= 3);
}

// The metrics can fail while the rollout answers: the lines say which, and --count still ends.
void TestCanaryctl::watchSaysWhichFeedFailed()
{
    ScriptedBackend backend;
    backend.answer("GET", "/v1/rollout",
                   ScriptedReply::json(200, QByteArray::fromStdString(rollout().dump())));
    backend.answer("GET", "/metrics", ScriptedReply::text(200, "text/plain", "{not metrics"));
    Run run = canaryctl({QStringLiteral("--url"), QString::fromStdString(backend.url()),
                         QStringLiteral("watch"), QStringLiteral("--interval"),
                         QStringLiteral("0.1"), QStringLiteral("--count"), QStringLiteral("2")});
    QVERIFY2(run.exitCode == 3, qPrintable(run.err));
    QVERIFY2(run.err.contains(QStringLiteral("Metrics unreadable")), qPrintable(run.err));
    QVERIFY2(run.err.contains(QStringLiteral("The rollout (Control API at ")), qPrintable(run.err));
    QVERIFY2(run.err.contains(QStringLiteral(") is read fine.")), qPrintable(run.err));
    QVERIFY2(!run.err.contains(QStringLiteral("Rollout unreadable")), qPrintable(run.err));
    QVERIFY(run.out.isEmpty());
}

void TestCanaryctl::backendWorksAsUrl()
{
    const QString url = m_gateway->url().toString();
    Run viaUrl = canaryctl({QStringLiteral("--url"), url, QStringLiteral("status")});
    Run viaBackend = canaryctl({QStringLiteral("--backend"), url, QStringLiteral("status")});
    QVERIFY2(viaBackend.exitCode == 0, qPrintable(viaBackend.err));
    QCOMPARE(viaBackend.out, viaUrl.out);
    QVERIFY(viaBackend.out.contains(QStringLiteral("revision 1")));

    // A change through --backend needs the token as through --url, and applies.
    Run refused = canaryctl(
        {QStringLiteral("--backend"), url, QStringLiteral("set-weight"), QStringLiteral("5")});
    QCOMPARE(refused.exitCode, 2);
    QVERIFY2(refused.err.contains(QStringLiteral("needs a token")), qPrintable(refused.err));
    Run applied = canaryctl(withToken(
        {QStringLiteral("--backend"), url, QStringLiteral("set-weight"), QStringLiteral("5")}));
    QVERIFY2(applied.exitCode == 0, qPrintable(applied.err));
    QCOMPARE(rollout().at("variants").at(1).at("weight").get<double>(), 5.0);

    // The old --metrics-url still names the metrics.
    Run watch = canaryctl({QStringLiteral("--backend"), url, QStringLiteral("--metrics-url"),
                           url + QStringLiteral("/metrics"), QStringLiteral("watch"),
                           QStringLiteral("--interval"), QStringLiteral("0.2"),
                           QStringLiteral("--count"), QStringLiteral("1")});
    QVERIFY2(watch.exitCode == 0, qPrintable(watch.err));
    QCOMPARE(parseWatch(watch.out).canary.size(), 1);
}

void TestCanaryctl::badUrlOrOptionIsAUsageError_data()
{
    QTest::addColumn<QStringList>("arguments");
    QTest::addColumn<QString>("message");

    // No socket is there: a refusal that came from sending would be exit 3, not 2.
    const QString haproxy = QStringLiteral("haproxy+unix:///nonexistent/admin.sock?backend=models&"
                                           "production=prod&canary=can");
    QTest::newRow("unknown-scheme")
        << QStringList{QStringLiteral("--backend"), QStringLiteral("ftp://127.0.0.1:21"),
                       QStringLiteral("status")}
        << "has a scheme (ftp://) that is not a backend kind; known: http://, https://, "
           "haproxy+unix://, haproxy+tcp://";
    QTest::newRow("not-a-url") << QStringList{QStringLiteral("--backend"),
                                              QStringLiteral("not a url"), QStringLiteral("status")}
                               << "is not a URL; it should start with one of http://";
    QTest::newRow("prometheus-is-no-backend")
        << QStringList{QStringLiteral("--backend"), QStringLiteral("prometheus+http://127.0.0.1:9"),
                       QStringLiteral("status")}
        << "has a scheme (prometheus+http://) that is not a backend kind";
    QTest::newRow("haproxy-lacks-canary")
        << QStringList{QStringLiteral("--backend"),
                       QStringLiteral("haproxy+unix:///run/h.sock?backend=models&production=prod"),
                       QStringLiteral("status")}
        << "lacks canary";
    QTest::newRow("unknown-metrics-scheme")
        << QStringList{QStringLiteral("--metrics"), QStringLiteral("gopher://127.0.0.1:70"),
                       QStringLiteral("watch")}
        << "has a scheme (gopher://) that is not a metrics source kind";
    QTest::newRow("url-is-control-api-only")
        << QStringList{QStringLiteral("--url"), haproxy, QStringLiteral("status")}
        << "is not a Control API URL (http:// or https://); give other kinds of backend with "
           "--backend";
    QTest::newRow("backend-and-url")
        << QStringList{QStringLiteral("--backend"), haproxy, QStringLiteral("--url"),
                       QStringLiteral("http://127.0.0.1:1"), QStringLiteral("status")}
        << "--backend and --url both name the backend; give one";
    QTest::newRow("unreadable-query-file")
        << QStringList{QStringLiteral("--metrics"), QStringLiteral("prometheus+http://127.0.0.1:9"),
                       QStringLiteral("--queries"), QStringLiteral("/nonexistent/queries.json"),
                       QStringLiteral("status")}
        << "The Prometheus query file /nonexistent/queries.json cannot be read";
    QTest::newRow("user-without-password")
        << QStringList{QStringLiteral("--metrics"), QStringLiteral("prometheus+http://127.0.0.1:9"),
                       QStringLiteral("--metrics-user"), QStringLiteral("ops"),
                       QStringLiteral("status")}
        << "--metrics-user and --metrics-password-file go together";
    QTest::newRow("unreadable-metrics-token")
        << QStringList{QStringLiteral("--metrics-token-file"), QStringLiteral("/nonexistent/token"),
                       QStringLiteral("status")}
        << "/nonexistent/token";
    QTest::newRow("stage-on-haproxy")
        << QStringList{QStringLiteral("--backend"), haproxy,
                       QStringLiteral("stage"),     QStringLiteral("--model"),
                       QStringLiteral("m"),         QStringLiteral("--model-version"),
                       QStringLiteral("2")}
        << "stage: A HAProxy backend cannot stage a model: the canary is what its canary server "
           "runs. Deploy the new model there with your own tooling, then move its weight here. "
           "Nothing was sent.";
    QTest::newRow("check-backend-on-haproxy")
        << QStringList{QStringLiteral("--backend"), haproxy, QStringLiteral("check-backend")}
        << "check-backend checks a Control API server, and unix:///nonexistent/admin.sock is a "
           "HAProxy backend";
    QTest::newRow("check-backend-with-prometheus")
        << QStringList{QStringLiteral("--metrics"), QStringLiteral("prometheus+http://127.0.0.1:9"),
                       QStringLiteral("check-backend")}
        << "is a Prometheus source; leave --metrics out";
}

void TestCanaryctl::badUrlOrOptionIsAUsageError()
{
    QFETCH(QStringList, arguments);
    QFETCH(QString, message);
    const json before = rollout();
    Run run = canaryctl(arguments);
    QCOMPARE(run.exitCode, 2);
    QVERIFY2(run.err.contains(message), qPrintable(run.err));
    QVERIFY(run.out.isEmpty());
    QVERIFY(sameJson(rollout(), before));
}

void TestCanaryctl::metricsCredentialsReachPrometheus_data()
{
    QTest::addColumn<QStringList>("arguments"); // FILE stands for a file holding the secret
    QTest::addColumn<QString>("environmentToken");
    QTest::addColumn<QByteArray>("authorization");

    QTest::newRow("token-file") << QStringList{QStringLiteral("--metrics-token-file"),
                                               QStringLiteral("FILE")}
                                << QString() << QByteArray("Bearer s3cret");
    QTest::newRow("token-from-environment")
        << QStringList() << QStringLiteral("s3cret") << QByteArray("Bearer s3cret");
    QTest::newRow("basic-auth") << QStringList{QStringLiteral("--metrics-user"),
                                               QStringLiteral("ops"),
                                               QStringLiteral("--metrics-password-file"),
                                               QStringLiteral("FILE")}
                                << QString() << "Basic " + QByteArray("ops:s3cret").toBase64();
}

// A stand-in Prometheus that knows no samples: every KPI is unknown, and each request's
// Authorization header is recorded.
void TestCanaryctl::metricsCredentialsReachPrometheus()
{
    QFETCH(QStringList, arguments);
    QFETCH(QString, environmentToken);
    QFETCH(QByteArray, authorization);

    const QString secretFile = m_dir.filePath(QStringLiteral("metrics-secret"));
    QFile file(secretFile);
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write("s3cret\n");
    file.close();
    arguments.replaceInStrings(QStringLiteral("FILE"), secretFile);

    ScriptedBackend prometheus;
    std::set<QByteArray> seen;
    const auto answer = [&seen](const char *resultType) {
        return [&seen, resultType](const ScriptedRequest &request) -> std::optional<ScriptedReply> {
            for (const auto &[name, value] : request.headers) {
                if (name == "authorization")
                    seen.insert(value);
            }
            return ScriptedReply::json(200, QByteArray(R"({"status":"success","data":)"
                                                       R"({"resultType":")") +
                                                resultType + R"(","result":[]}})");
        };
    };
    prometheus.handle("/api/v1/query", answer("vector"));
    prometheus.handle("/api/v1/query_range", answer("matrix"));

    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.remove(QStringLiteral("CANARY_TOKEN"));
    env.remove(QStringLiteral("CANARY_METRICS_TOKEN"));
    if (!environmentToken.isEmpty())
        env.insert(QStringLiteral("CANARY_METRICS_TOKEN"), environmentToken);
    Run run = canaryctl(
        arguments +
            QStringList{QStringLiteral("--metrics"),
                        QStringLiteral("prometheus+") + QString::fromStdString(prometheus.url()),
                        QStringLiteral("watch"), QStringLiteral("--interval"),
                        QStringLiteral("0.1"), QStringLiteral("--count"), QStringLiteral("1")},
        env);
    QVERIFY2(run.exitCode == 0, qPrintable(run.out + run.err));
    QVERIFY(prometheus.requests("/api/v1/query_range") > 0); // the back-fill
    QVERIFY(prometheus.requests("/api/v1/query") > 0);
    QCOMPARE(seen, std::set<QByteArray>{authorization});
    // Nothing is known, and nothing is made up: every KPI column is "-".
    const WatchTables tables = parseWatch(run.out);
    QCOMPARE(tables.canary.size(), 1);
    for (int column : {0, 1, 2, 3, 4, 5})
        QCOMPARE(fromRight(tables.canary.last(), column), QStringLiteral("-"));
    QVERIFY2(!run.out.contains(QStringLiteral("s3cret")) &&
                 !run.err.contains(QStringLiteral("s3cret")),
             qPrintable(run.err));
}

void TestCanaryctl::startHaproxy()
{
    if (!m_haproxy) {
        // Fast simulated models that never fail.
        const QByteArray config = R"({"production": {"model": "m", "version": "1", "simulate":
            {"latency_p50_ms": 0.5, "latency_p99_ms": 2, "error_rate": 0, "accuracy": 0.9}}})";
        m_production = GatewayProcess::withConfig(config);
        m_canary = GatewayProcess::withConfig(config);
        QVERIFY2(m_production->start(), qPrintable(m_production->error()));
        QVERIFY2(m_canary->start(), qPrintable(m_canary->error()));
        auto haproxy = std::make_unique<HaproxyProcess>();
        QVERIFY2(haproxy->start(m_production->port(), m_canary->port()),
                 qPrintable(haproxy->error()));
        m_haproxy = std::move(haproxy);
    }
    Run reset = canaryctl({QStringLiteral("--backend"), m_haproxy->backendUrl(),
                           QStringLiteral("rollback"), QStringLiteral("--yes")});
    QVERIFY2(reset.exitCode == 0, qPrintable(reset.err));
}

void TestCanaryctl::startHaproxyWithTraffic(std::unique_ptr<Traffic> *traffic)
{
    startHaproxy();
    if (QTest::currentTestFailed())
        return;
    const Run set = canaryctl({QStringLiteral("--backend"), m_haproxy->backendUrl(),
                               QStringLiteral("set-weight"), QStringLiteral("25")});
    QVERIFY2(set.exitCode == 0, qPrintable(set.err));
    *traffic = std::make_unique<Traffic>(
        QUrl(QStringLiteral("http://127.0.0.1:%1/v1/predict").arg(m_haproxy->frontendPort())),
        std::chrono::milliseconds(5));
}

void TestCanaryctl::haproxySetWeightChangesStatus_data()
{
    QTest::addColumn<QString>("asked");
    QTest::addColumn<QString>("applied");
    QTest::addColumn<QString>("message");
    // 25 % is 64 of 256: exact. 10 % is 26 of 256 = 10.2 %: said, and shown by status.
    QTest::newRow("exact") << "25"
                           << "25.0"
                           << "canary weight set to 25.0 %\n";
    QTest::newRow("nearest") << "10"
                             << "10.2"
                             << "canary weight set to 10.2 % (10.0 % asked; HAProxy applies "
                                "10.2 %)\n";
}

void TestCanaryctl::haproxySetWeightChangesStatus()
{
    QFETCH(QString, asked);
    QFETCH(QString, applied);
    QFETCH(QString, message);
    startHaproxy();
    if (QTest::currentTestFailed())
        return;
    const QStringList backend{QStringLiteral("--backend"), m_haproxy->backendUrl()};
    // No token: HAProxy's changes rest on the socket's access level, not on a bearer token.
    Run set = canaryctl(backend + QStringList{QStringLiteral("set-weight"), asked});
    QVERIFY2(set.exitCode == 0, qPrintable(set.err));
    QVERIFY2(set.out.startsWith(message), qPrintable(set.out));

    Run status = canaryctl(backend + QStringList{QStringLiteral("status")});
    QVERIFY2(status.exitCode == 0, qPrintable(status.err));
    QVERIFY2(status.out.contains(QStringLiteral("(HAProxy, no revisions, read ")),
             qPrintable(status.out));
    const QRegularExpression canaryLine(
        QStringLiteral("^canary +can +%1 %$").arg(QRegularExpression::escape(applied)),
        QRegularExpression::MultilineOption);
    QVERIFY2(canaryLine.match(status.out).hasMatch(), qPrintable(status.out));

    // Without a body from the backend, --json is the state in the Control API's shape.
    Run asJson =
        canaryctl(backend + QStringList{QStringLiteral("status"), QStringLiteral("--json")});
    QVERIFY2(asJson.exitCode == 0, qPrintable(asJson.err));
    const json document = json::parse(asJson.out.toStdString(), nullptr, false);
    QVERIFY2(document.is_object(), qPrintable(asJson.out));
    QCOMPARE(document.at("variants").at(1).at("weight").get<double>(), applied.toDouble());
    QCOMPARE(document.at("variants").at(1).at("model").get<std::string>(), std::string("can"));
}

void TestCanaryctl::haproxyConfirmationSaysChangesAreNotDetected()
{
    startHaproxy();
    if (QTest::currentTestFailed())
        return;
    const QString command =
        QStringLiteral("%1 --backend '%2' promote --db '%3'")
            .arg(QStringLiteral(CANARYCTL_BIN), m_haproxy->backendUrl(), trailFile());
    Run run;
    answerOnTerminal(command, "n\n", &run); // "n" declines
    if (QTest::currentTestFailed())
        return;
    QCOMPARE(run.exitCode, 5);
    QVERIFY2(run.rawOut.contains("Promote can to production at 100 %? (HAProxy numbers no states: "
                                 "a change someone else makes at the same time cannot be "
                                 "detected) [y/N]"),
             run.rawOut.constData());
    Run status =
        canaryctl({QStringLiteral("--backend"), m_haproxy->backendUrl(), QStringLiteral("status")});
    QVERIFY2(status.out.contains(QStringLiteral("0.0 %")), qPrintable(status.out));
}

void TestCanaryctl::haproxyWatchCounts()
{
    std::unique_ptr<Traffic> traffic;
    startHaproxyWithTraffic(&traffic);
    if (QTest::currentTestFailed())
        return;
    const QStringList backend{QStringLiteral("--backend"), m_haproxy->backendUrl()};
    Run run = canaryctl(backend + QStringList{QStringLiteral("watch"), QStringLiteral("--interval"),
                                              QStringLiteral("0.3"), QStringLiteral("--count"),
                                              QStringLiteral("3")});
    QVERIFY2(run.exitCode == 0, qPrintable(run.out + run.err));
    QVERIFY(traffic->answered() > 0);
    const WatchTables tables = parseWatch(run.out);
    QCOMPARE(tables.production.size(), 3);
    QCOMPARE(tables.canary.size(), 3);
    // What HAProxy cannot give is said once, at the start.
    QCOMPARE(tables.notes.size(), 1);
    QVERIFY2(run.out.startsWith(QStringLiteral("note: HAProxy's counters give request and 5xx "
                                               "rates and weights, but no accuracy and no true "
                                               "latency quantiles")),
             qPrintable(run.out));
    for (const QList<QStringList> &rows : {tables.production, tables.canary}) {
        const QStringList &row = rows.last();
        QVERIFY2(isNumber(fromRight(row, 5)) && fromRight(row, 5).toDouble() > 0,
                 qPrintable(row.join(QLatin1Char(' ')))); // req/s
        for (int quantileOrAccuracy : {0, 1, 2, 3})
            QCOMPARE(fromRight(row, quantileOrAccuracy), QStringLiteral("-"));
    }
    QCOMPARE(tables.production.last().at(2), QStringLiteral("75.0")); // weight, from HAProxy
    QCOMPARE(tables.canary.last().at(2), QStringLiteral("25.0"));
    QVERIFY2(!run.out.contains(QStringLiteral("revision")), qPrintable(run.out));
}

void TestCanaryctl::haproxyWatchWithPrometheusMetrics()
{
    std::unique_ptr<Traffic> traffic;
    startHaproxyWithTraffic(&traffic);
    if (QTest::currentTestFailed())
        return;
    const QStringList backend{QStringLiteral("--backend"), m_haproxy->backendUrl()};
    // Both gateways serve as "production"; Prometheus labels the second one's series as the
    // canary, as a deployment labels its canary pods. Each gateway's own (empty) canary series
    // are dropped so that they cannot be mixed in.
    const QByteArray jobs = QStringLiteral("  - job_name: prod\n"
                                           "    static_configs:\n"
                                           "      - targets: ['127.0.0.1:%1']\n"
                                           "    metric_relabel_configs:\n"
                                           "      - source_labels: [variant]\n"
                                           "        regex: canary\n"
                                           "        action: drop\n"
                                           "  - job_name: can\n"
                                           "    static_configs:\n"
                                           "      - targets: ['127.0.0.1:%2']\n"
                                           "    metric_relabel_configs:\n"
                                           "      - source_labels: [variant]\n"
                                           "        regex: canary\n"
                                           "        action: drop\n"
                                           "      - source_labels: [variant]\n"
                                           "        regex: production\n"
                                           "        target_label: variant\n"
                                           "        replacement: canary\n")
                                .arg(m_production->port())
                                .arg(m_canary->port())
                                .toUtf8();
    PrometheusProcess prometheus;
    QVERIFY2(prometheus.start(jobs), qPrintable(prometheus.error()));
    QTRY_VERIFY_WITH_TIMEOUT(prometheus.ready(), 15'000);
    // Ready to watch once Prometheus has two scrapes of the canary with traffic between them.
    HttpClient api(prometheus.url());
    const auto canaryRate = [&] {
        const HttpReply reply =
            api.send({"POST",
                      QStringLiteral("/api/v1/query"),
                      "query=sum(rate(canary_requests_total%7Bvariant%3D%22canary%22%7D%5B10s%5D))",
                      {{"Content-Type", "application/x-www-form-urlencoded"}}});
        const json result = reply.json().value("data", json::object()).value("result", json());
        return result.is_array() && !result.empty()
                   ? std::stod(result.at(0).at("value").at(1).get<std::string>())
                   : 0.0;
    };
    QTRY_VERIFY_WITH_TIMEOUT(canaryRate() > 0, 15'000);

    Run run = canaryctl(
        backend +
        QStringList{QStringLiteral("--metrics"),
                    QStringLiteral("prometheus+http://127.0.0.1:%1").arg(prometheus.port()),
                    QStringLiteral("watch"), QStringLiteral("--interval"), QStringLiteral("0.5"),
                    QStringLiteral("--count"), QStringLiteral("2")});
    QVERIFY2(run.exitCode == 0, qPrintable(run.out + run.err));
    const WatchTables tables = parseWatch(run.out);
    QCOMPARE(tables.production.size(), 2);
    QCOMPARE(tables.canary.size(), 2);
    // Prometheus has history: said once, before the first table; and it lacks nothing.
    QCOMPARE(tables.notes.size(), 1);
    QVERIFY2(
        QRegularExpression(QStringLiteral("^note: back-filled \\d+ points? from Prometheus at "))
            .match(run.out)
            .hasMatch(),
        qPrintable(run.out));
    for (const QList<QStringList> &rows : {tables.production, tables.canary}) {
        const QStringList &row = rows.last();
        const QString line = row.join(QLatin1Char(' '));
        QVERIFY2(fromRight(row, 5).toDouble() > 0, qPrintable(line)); // req/s
        for (int quantile : {1, 2, 3})                                // p99, p95, p50
            QVERIFY2(isNumber(fromRight(row, quantile)), qPrintable(line));
    }
    QCOMPARE(tables.canary.last().at(2), QStringLiteral("25.0"));
}

namespace {

QString writeSample(const QTemporaryDir &dir, const QString &name, const QByteArray &lines)
{
    const QString path = dir.filePath(name);
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly) || file.write(lines) != lines.size())
        return {};
    return path;
}

} // namespace

void TestCanaryctl::simulateRunsAnExampleScenario()
{
    // The shipped benchmark scenario, a few runs of two quick policies; no backend is needed.
    const QString scenario = QStringLiteral(CANARY_TEST_DATA) +
                             QStringLiteral("/../../docs/examples/scenarios/errors-1-to-2.json");
    const QStringList arguments = {QStringLiteral("simulate"),
                                   QStringLiteral("--scenario"),
                                   scenario,
                                   QStringLiteral("--runs"),
                                   QStringLiteral("3"),
                                   QStringLiteral("--policies"),
                                   QStringLiteral("oracle,flagger-5")};
    const Run run = canaryctl(arguments + QStringList{QStringLiteral("--json")});
    QVERIFY2(run.exitCode == 0, qPrintable(run.out + run.err));
    const json document = json::parse(run.out.toStdString());
    QCOMPARE(document.at("scenario").get<std::string>(), std::string("errors-1-to-2"));
    QCOMPARE(document.at("policies").size(), std::size_t(2));
    QCOMPARE(document.at("policies")[1].at("name").get<std::string>(), std::string("flagger-5"));
    const Run human = canaryctl(arguments);
    QCOMPARE(human.exitCode, 0);
    QVERIFY2(human.out.contains(QStringLiteral("Scenario errors-1-to-2: 3 runs")),
             qPrintable(human.out));
    const Run missing = canaryctl({QStringLiteral("simulate"), QStringLiteral("--scenario"),
                                   m_dir.filePath(QStringLiteral("none.json"))});
    QCOMPARE(missing.exitCode, 2);
    QVERIFY2(missing.err.contains(QStringLiteral("Cannot open the scenario file")),
             qPrintable(missing.err));
}

void TestCanaryctl::judgeComparesSamples_data()
{
    QTest::addColumn<QString>("kind");
    QTest::addColumn<QByteArray>("canary");
    QTest::addColumn<QByteArray>("production");
    QTest::addColumn<int>("exitCode");
    QTest::addColumn<QString>("verdict");
    QTest::addColumn<double>("pValue");
    QTest::addColumn<double>("estimate");
    QTest::addColumn<double>("ciLow");
    QTest::addColumn<double>("ciHigh");
    // R's ?wilcox.test x and y as two samples; the numbers are worked out by hand in
    // tests/unit/tst_fixedhorizon.cpp (U = 58, p = 0.132919, shift 0.56, CI -0.37 to 1.183).
    QTest::newRow("latency, R example")
        << QStringLiteral("latency")
        << QByteArray("1.83\n0.50\n1.62\n2.48\n1.68\n1.88\n1.55\n3.06\n1.30\n")
        << QByteArray("0.878\n0.647\n0.598\n2.05\n1.06\n1.29\n1.06\n3.14\n1.29\n") << 0
        << QStringLiteral("no-difference") << 0.132919 << 0.56 << -0.37 << 1.183;
    // Newcombe (1998): 9/10 against 3/10, interval 0.1705 to 0.8090; pooled z p = 0.006170.
    QTest::newRow("proportion, Newcombe 9/10-3/10")
        << QStringLiteral("proportion") << QByteArray("1\n1\n1\n1\n1\n1\n1\n1\n1\n0\n")
        << QByteArray("1\n1\n1\n0\n0\n0\n0\n0\n0\n0\n") << 1 << QStringLiteral("worse") << 0.006170
        << 0.6 << 0.1705 << 0.8090;
}

void TestCanaryctl::judgeComparesSamples()
{
    QFETCH(QString, kind);
    QFETCH(QByteArray, canary);
    QFETCH(QByteArray, production);
    QFETCH(int, exitCode);
    QFETCH(QString, verdict);
    QFETCH(double, pValue);
    QFETCH(double, estimate);
    QFETCH(double, ciLow);
    QFETCH(double, ciHigh);
    const QString canaryPath = writeSample(m_dir, QStringLiteral("canary.txt"), canary);
    const QString productionPath = writeSample(m_dir, QStringLiteral("production.txt"), production);
    QVERIFY(!canaryPath.isEmpty() && !productionPath.isEmpty());
    const QStringList arguments = {QStringLiteral("judge"),
                                   QStringLiteral("--production"),
                                   productionPath,
                                   QStringLiteral("--canary"),
                                   canaryPath,
                                   QStringLiteral("--kind"),
                                   kind};
    const Run run = canaryctl(arguments + QStringList{QStringLiteral("--json")});
    QVERIFY2(run.exitCode == exitCode, qPrintable(run.out + run.err));
    const json document = json::parse(run.out.toStdString());
    QCOMPARE(QString::fromStdString(document.at("verdict").get<std::string>()), verdict);
    QVERIFY(std::abs(document.at("p_value").get<double>() - pValue) < 5e-6);
    QVERIFY(std::abs(document.at("estimate").get<double>() - estimate) < 1e-9);
    QVERIFY(std::abs(document.at("ci_low").get<double>() - ciLow) < 5e-5);
    QVERIFY(std::abs(document.at("ci_high").get<double>() - ciHigh) < 5e-5);
    if (kind == QStringLiteral("latency"))
        QCOMPARE(document.at("u").get<double>(), 58.0);
    // Without --json: one line that says the same.
    const Run human = canaryctl(arguments);
    QCOMPARE(human.exitCode, exitCode);
    QCOMPARE(human.out.count(QLatin1Char('\n')), 1);
    QVERIFY2(human.out.startsWith(verdict + QStringLiteral(": ")), qPrintable(human.out));
}

void TestCanaryctl::judgeNamesTheBadLine_data()
{
    QTest::addColumn<QString>("kind");
    QTest::addColumn<QByteArray>("canary");
    QTest::addColumn<QString>("message");
    QTest::newRow("garbage") << QStringLiteral("latency") << QByteArray("1.5\n\n2x\n")
                             << QStringLiteral(
                                    "canary.txt:3: expected a finite number, found \"2x\".");
    QTest::newRow("not 0 or 1") << QStringLiteral("proportion") << QByteArray("0\n1\n0.5\n")
                                << QStringLiteral("canary.txt:3: expected 0 or 1, found \"0.5\".");
    QTest::newRow("empty") << QStringLiteral("latency") << QByteArray("\n")
                           << QStringLiteral("canary.txt holds no values.");
}

void TestCanaryctl::judgeNamesTheBadLine()
{
    QFETCH(QString, kind);
    QFETCH(QByteArray, canary);
    QFETCH(QString, message);
    const QString canaryPath = writeSample(m_dir, QStringLiteral("canary.txt"), canary);
    const QString productionPath = writeSample(m_dir, QStringLiteral("production.txt"), "1\n0\n");
    const Run run =
        canaryctl({QStringLiteral("judge"), QStringLiteral("--production"), productionPath,
                   QStringLiteral("--canary"), canaryPath, QStringLiteral("--kind"), kind});
    QCOMPARE(run.exitCode, 2);
    QVERIFY2(run.err.contains(message), qPrintable(run.err));
    QVERIFY(run.out.isEmpty());
    // A file that is not there is named too.
    const Run missing = canaryctl({QStringLiteral("judge"), QStringLiteral("--production"),
                                   m_dir.filePath(QStringLiteral("absent.txt")),
                                   QStringLiteral("--canary"), canaryPath});
    QCOMPARE(missing.exitCode, 2);
    QVERIFY2(missing.err.contains(QStringLiteral("absent.txt")), qPrintable(missing.err));
}

QTEST_GUILESS_MAIN(TestCanaryctl)
#include "tst_canaryctl.moc"
