// HAProxy as a control plane and a metrics source, against a real haproxy (tests/support/
// haproxyprocess.h) in front of two real canary-gateway instances; and against a scripted
// runtime socket for the failures a real HAProxy will not produce on request.
#include "backends/haproxy/haproxybackend.h"
#include "backends/haproxy/haproxymetricssource.h"
#include "gatewayprocess.h"
#include "haproxyprocess.h"
#include "httpclient.h"

#include <QDeadlineTimer>
#include <QFile>
#include <QLocalServer>
#include <QLocalSocket>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>

using namespace canary;
using nlohmann::json;

namespace {

constexpr int kWaitMs = 10'000;

// Fast simulated models that never fail, so that every request is counted once at the gateway.
QByteArray gatewayConfig()
{
    const json simulate = {
        {"latency_p50_ms", 0.2}, {"latency_p99_ms", 1}, {"error_rate", 0}, {"accuracy", 0.9}};
    return QByteArray::fromStdString(
        json{{"production", {{"model", "m"}, {"version", "1"}, {"simulate", simulate}}}}.dump());
}

// The requests a gateway has served: canary_requests_total summed over its series.
double servedBy(GatewayProcess &gateway)
{
    HttpClient client(gateway.url());
    const HttpReply reply = client.get(QStringLiteral("/metrics"));
    if (reply.status != 200)
        return -1;
    double total = 0;
    for (const auto &line : reply.body.split('\n')) {
        if (line.startsWith("canary_requests_total{"))
            total += line.mid(line.lastIndexOf(' ') + 1).toDouble();
    }
    return total;
}

// A stand-in runtime socket: answers each command from a table (unknown commands get
// `fallback`), or never answers when `silent`, and records what it was sent.
class ScriptedRuntime final : public QObject
{
public:
    explicit ScriptedRuntime(const QString &path)
    {
        QLocalServer::removeServer(path);
        m_server.listen(path);
        connect(&m_server, &QLocalServer::newConnection, this, [this] {
            while (QLocalSocket *socket = m_server.nextPendingConnection()) {
                m_open.push_back(socket);
                connect(socket, &QLocalSocket::readyRead, this, [this, socket] {
                    m_buffer[socket] += socket->readAll();
                    if (!m_buffer[socket].contains('\n'))
                        return;
                    const std::string command = m_buffer[socket].trimmed().toStdString();
                    commands.push_back(command);
                    if (onCommand)
                        onCommand(command);
                    if (silent || silentFor.count(command))
                        return;
                    const auto it = answers.find(command);
                    socket->write(
                        QByteArray::fromStdString(it != answers.end() ? it->second : fallback));
                    socket->disconnectFromServer();
                });
            }
        });
    }

    bool listening() const { return m_server.isListening(); }

    std::map<std::string, std::string> answers;
    std::string fallback = "Unknown command.\n\n";
    bool silent = false;
    std::set<std::string> silentFor;                    // commands that get no answer
    std::function<void(const std::string &)> onCommand; // runs before the answer
    std::vector<std::string> commands;

private:
    QLocalServer m_server;
    std::vector<QLocalSocket *> m_open;
    std::map<QLocalSocket *, QByteArray> m_buffer;
};

std::string recordedStat()
{
    QFile file(QStringLiteral(CANARY_TEST_DATA "/haproxy/show-stat-2.6.csv"));
    return file.open(QIODevice::ReadOnly) ? file.readAll().toStdString() : std::string();
}

// A runtime at level admin whose backend "be" has prod at 256 and can at 64, and that takes the
// first change of a promotion (can to 256); each test scripts what follows it.
std::map<std::string, std::string> answersUpToTheFirstChange()
{
    return {{"show cli level", "admin\n\n"},
            {"show stat be 6 -1", recordedStat()},
            {"get weight be/prod", "256 (initial 256)\n\n"},
            {"get weight be/can", "64 (initial 0)\n\n"},
            {"set weight be/can 256", "\n"}};
}

} // namespace

class TestHaproxy final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void init();

    void readsTheState();
    void weightSplitsRealTraffic();
    void promoteAndRollbackMoveAllTraffic();
    void staticAlgorithmIsRefused_data();
    void staticAlgorithmIsRefused();
    void operatorSocketIsRefused();
    void tcpSocketWorks();
    void metricsAgreeWithRequestsSent();
    void unknownServerIsRejected();
    void unreachableSocket();
    void silentSocketTimesOut();
    void malformedStatIsABadAnswer();
    void halfAppliedChangeIsUndone();
    void failedUndoSaysWhereItStands();
    void unansweredSecondChangeIsReadBack_data();
    void unansweredSecondChangeIsReadBack();
    void failedReadIsAGap();
    void stagingIsRejected();
    void oversizedAnswerIsRefused();
    void goneContextOrPlaneGetsNoCallback();

private:
    std::unique_ptr<ControlPlane>
    control(const QString &socket, const QString &query,
            std::chrono::milliseconds timeout = std::chrono::seconds(5));
    std::unique_ptr<MetricsSource> metrics(const QString &query);
    ControlResult wait(const std::function<void(ControlPlane::Callback)> &start);
    MetricsReading readNow(MetricsSource &source, std::vector<std::chrono::milliseconds> windows);
    // Sends `count` predictions through HAProxy's frontend; all must answer 200.
    void sendThroughFrontend(int count);
    // The requests each gateway served since init().
    std::pair<double, double> servedSinceInit();

    QTemporaryDir m_dir;
    std::unique_ptr<GatewayProcess> m_production;
    std::unique_ptr<GatewayProcess> m_canary;
    std::unique_ptr<HaproxyProcess> m_haproxy;
    std::pair<double, double> m_servedAtInit;
    BackendOptions m_options;
    ManualClock m_clock;

    QString adminSocket() const { return m_haproxy->adminSocket(); }
    QString operatorSocket() const { return m_haproxy->operatorSocket(); }
};

void TestHaproxy::initTestCase()
{
    if (!QFile::exists(QString::fromLatin1(HaproxyProcess::kBinary)))
        QFAIL("haproxy is not installed (installer/deps-debian.sh installs it)");
    QVERIFY(m_dir.isValid());
    m_production = GatewayProcess::withConfig(gatewayConfig());
    m_canary = GatewayProcess::withConfig(gatewayConfig());
    QVERIFY2(m_production->start(), qPrintable(m_production->error()));
    QVERIFY2(m_canary->start(), qPrintable(m_canary->error()));

    HaproxyProcess::Config haproxyConfig;
    haproxyConfig.operatorSocket = true;
    haproxyConfig.adminTcpSocket = true;
    haproxyConfig.moreBackends = {{QStringLiteral("models_hash"), QStringLiteral("source")},
                                  {QStringLiteral("models_static"), QStringLiteral("static-rr")}};
    auto haproxy = std::make_unique<HaproxyProcess>();
    QVERIFY2(haproxy->start(m_production->port(), m_canary->port(), haproxyConfig),
             qPrintable(haproxy->error()));
    m_haproxy = std::move(haproxy);
}

void TestHaproxy::init()
{
    // Every test starts with all traffic on production, set through HAProxy itself.
    auto plane =
        control(adminSocket(), QStringLiteral("backend=models&production=prod&canary=can"));
    const ControlResult result = wait([&](auto done) { plane->rollback(0, this, done); });
    QVERIFY2(!result.error, result.error.message().c_str());
    m_servedAtInit = {servedBy(*m_production), servedBy(*m_canary)};
}

std::unique_ptr<ControlPlane> TestHaproxy::control(const QString &socket, const QString &query,
                                                   std::chrono::milliseconds timeout)
{
    m_options.timeout = timeout;
    const BackendContext context{m_options, nullptr, m_clock};
    std::string error;
    auto plane = makeHaproxyControlPlane(
        QUrl(QStringLiteral("haproxy+unix://%1?%2").arg(socket, query)), context, &error);
    if (!plane)
        qWarning("%s", error.c_str());
    return plane;
}

std::unique_ptr<MetricsSource> TestHaproxy::metrics(const QString &query)
{
    const BackendContext context{m_options, nullptr, m_clock};
    std::string error;
    auto source = makeHaproxyMetricsSource(
        QUrl(QStringLiteral("haproxy+unix://%1?%2").arg(adminSocket(), query)), context, &error);
    if (!source)
        qWarning("%s", error.c_str());
    return source;
}

ControlResult TestHaproxy::wait(const std::function<void(ControlPlane::Callback)> &start)
{
    std::optional<ControlResult> result;
    start([&result](ControlResult r) { result = std::move(r); });
    QDeadlineTimer deadline(kWaitMs);
    while (!result && !deadline.hasExpired())
        QCoreApplication::processEvents(QEventLoop::WaitForMoreEvents, 50);
    if (!result) {
        ControlResult none;
        none.error.kind = ControlError::Kind::Unreachable;
        none.error.detail = "the test got no callback";
        return none;
    }
    return *result;
}

MetricsReading TestHaproxy::readNow(MetricsSource &source,
                                    std::vector<std::chrono::milliseconds> windows)
{
    std::optional<MetricsReading> result;
    source.read(std::move(windows), this, [&result](MetricsReading r) { result = std::move(r); });
    QDeadlineTimer deadline(kWaitMs);
    while (!result && !deadline.hasExpired())
        QCoreApplication::processEvents(QEventLoop::WaitForMoreEvents, 50);
    if (!result) {
        MetricsReading none;
        none.error = "the test got no callback";
        return none;
    }
    return *result;
}

void TestHaproxy::sendThroughFrontend(int count)
{
    HttpClient client(QUrl(QStringLiteral("http://127.0.0.1:%1").arg(m_haproxy->frontendPort())));
    std::vector<HttpCall> calls(std::size_t(count),
                                HttpCall{"POST",
                                         QStringLiteral("/v1/predict"),
                                         R"({"label": 1})",
                                         {{"Content-Type", "application/json"}}});
    const auto replies = client.sendAll(calls, 30'000);
    int ok = 0;
    for (const auto &reply : replies)
        ok += reply.status == 200 ? 1 : 0;
    QCOMPARE(ok, count);
}

std::pair<double, double> TestHaproxy::servedSinceInit()
{
    return {servedBy(*m_production) - m_servedAtInit.first,
            servedBy(*m_canary) - m_servedAtInit.second};
}

void TestHaproxy::readsTheState()
{
    auto plane =
        control(adminSocket(), QStringLiteral("backend=models&production=prod&canary=can"));
    m_clock.advance(std::chrono::seconds(5));
    const ControlResult result = wait([&](auto done) { plane->fetchState(this, done); });
    QVERIFY2(!result.error, result.error.message().c_str());
    QVERIFY(result.state && result.state->canary);
    // HAProxy keeps no time of change: the state is as of the moment it was read.
    QCOMPARE(result.state->updatedAt, m_clock.now());
    QCOMPARE(result.state->production.model, std::string("prod"));
    QCOMPARE(result.state->canary->model, std::string("can"));
    QCOMPARE(result.state->canaryWeight().tenths(), 0);
    QCOMPARE(result.state->production.weight.tenths(), 1000);
}

void TestHaproxy::weightSplitsRealTraffic()
{
    auto plane =
        control(adminSocket(), QStringLiteral("backend=models&production=prod&canary=can"));
    const Weight asked = Weight::fromTenths(250);
    QCOMPARE(plane->nearestWeight(asked), asked); // 64 of 256
    const ControlResult result =
        wait([&](auto done) { plane->setCanaryWeight(asked, 0, this, done); });
    QVERIFY2(!result.error, result.error.message().c_str());
    QVERIFY(result.state);
    QCOMPARE(result.state->canaryWeight().tenths(), 250);

    sendThroughFrontend(2000);
    const auto [production, canary] = servedSinceInit();
    QCOMPARE(production + canary, 2000.0);
    qInfo("canary served %.0f of 2000 requests at 25 %%", canary);
    // Counted at the gateways: 25 ± 3 %.
    QVERIFY2(canary >= 440 && canary <= 560, qPrintable(QString::number(canary)));
}

void TestHaproxy::promoteAndRollbackMoveAllTraffic()
{
    auto plane =
        control(adminSocket(), QStringLiteral("backend=models&production=prod&canary=can"));
    ControlResult result = wait([&](auto done) { plane->promote(0, this, done); });
    QVERIFY2(!result.error, result.error.message().c_str());
    QCOMPARE(result.state->canaryWeight().tenths(), 1000);
    sendThroughFrontend(200);
    auto served = servedSinceInit();
    QCOMPARE(served.first, 0.0);
    QCOMPARE(served.second, 200.0);

    result = wait([&](auto done) { plane->rollback(0, this, done); });
    QVERIFY2(!result.error, result.error.message().c_str());
    QCOMPARE(result.state->canaryWeight().tenths(), 0);
    sendThroughFrontend(200);
    served = servedSinceInit();
    QCOMPARE(served.first, 200.0);
    QCOMPARE(served.second, 200.0);
}

void TestHaproxy::staticAlgorithmIsRefused_data()
{
    QTest::addColumn<QString>("backend");
    QTest::addColumn<QString>("because");
    // static-rr is known from show stat before anything is sent; a map-based hash (the default
    // hash-type) is not, and HAProxy's own refusal of the first (rising) weight says it.
    QTest::newRow("static-rr") << QStringLiteral("models_static")
                               << QStringLiteral("balances with \"static-rr\", a static algorithm");
    QTest::newRow("map-based source hash")
        << QStringLiteral("models_hash")
        << QStringLiteral("HAProxy answered \"Backend is using a static LB algorithm");
}

void TestHaproxy::staticAlgorithmIsRefused()
{
    QFETCH(QString, backend);
    QFETCH(QString, because);
    auto plane = control(adminSocket(),
                         QStringLiteral("backend=%1&production=prod&canary=can").arg(backend));
    const ControlResult before = wait([&](auto done) { plane->fetchState(this, done); });
    QVERIFY2(!before.error, before.error.message().c_str());
    const ControlResult result =
        wait([&](auto done) { plane->setCanaryWeight(Weight::fromTenths(250), 0, this, done); });
    QCOMPARE(result.error.kind, ControlError::Kind::Rejected);
    const std::string message = result.error.message();
    qInfo("%s", message.c_str());
    QVERIFY2(message.find("HAProxy runtime API at unix://") != std::string::npos, message.c_str());
    QVERIFY2(message.find(because.toStdString()) != std::string::npos, message.c_str());
    QVERIFY2(message.find("Nothing was changed") != std::string::npos, message.c_str());
    const ControlResult after = wait([&](auto done) { plane->fetchState(this, done); });
    QVERIFY(after.state && before.state);
    QCOMPARE(after.state->canaryWeight(), before.state->canaryWeight());
    QCOMPARE(after.state->production.weight, before.state->production.weight);
}

void TestHaproxy::operatorSocketIsRefused()
{
    auto plane =
        control(operatorSocket(), QStringLiteral("backend=models&production=prod&canary=can"));
    const ControlResult state = wait([&](auto done) { plane->fetchState(this, done); });
    QVERIFY2(!state.error, state.error.message().c_str()); // reading needs no admin level
    const ControlResult result = wait([&](auto done) { plane->promote(0, this, done); });
    QCOMPARE(result.error.kind, ControlError::Kind::Unauthorized);
    const std::string message = result.error.message();
    QVERIFY2(message.find("level \"operator\"") != std::string::npos, message.c_str());
    QVERIFY2(message.find("level admin") != std::string::npos, message.c_str());
    QVERIFY(!result.error.requestSent);
    QVERIFY(result.error.current);
    QCOMPARE(result.error.current->canaryWeight().tenths(), 0); // unchanged
    sendThroughFrontend(50);
    QCOMPARE(servedSinceInit().second, 0.0);
}

void TestHaproxy::tcpSocketWorks()
{
    m_options.timeout = std::chrono::seconds(5);
    const BackendContext context{m_options, nullptr, m_clock};
    std::string error;
    auto plane = makeHaproxyControlPlane(
        QUrl(QStringLiteral("haproxy+tcp://127.0.0.1:%1?backend=models&production=prod&canary=can")
                 .arg(m_haproxy->adminTcpPort())),
        context, &error);
    QVERIFY2(plane, error.c_str());
    const ControlResult result =
        wait([&](auto done) { plane->setCanaryWeight(Weight::fromTenths(100), 0, this, done); });
    QVERIFY2(!result.error, result.error.message().c_str());
    // 10 % is 26 of 256: what nearestWeight promised is what HAProxy reads back.
    QCOMPARE(result.state->canaryWeight(), plane->nearestWeight(Weight::fromTenths(100)));
    QCOMPARE(result.state->canaryWeight().tenths(), 102);
}

void TestHaproxy::metricsAgreeWithRequestsSent()
{
    auto plane =
        control(adminSocket(), QStringLiteral("backend=models&production=prod&canary=can"));
    QVERIFY(!wait([&](auto done) {
                 plane->setCanaryWeight(Weight::fromTenths(250), 0, this, done);
             }).error);
    auto source = metrics(QStringLiteral("backend=models&production=prod&canary=can"));
    QVERIFY(source);
    const std::vector<std::chrono::milliseconds> windows = {std::chrono::seconds(60),
                                                            std::chrono::seconds(1)};
    MetricsReading first = readNow(*source, windows);
    QVERIFY2(first.ok(), first.error.c_str());
    QCOMPARE(first.windows.size(), std::size_t(2));
    QVERIFY(!first.windows[0]); // a baseline only

    sendThroughFrontend(400);
    m_clock.advance(std::chrono::seconds(10));
    const MetricsReading second = readNow(*source, windows);
    QVERIFY2(second.ok(), second.error.c_str());
    QVERIFY(second.windows[0]);
    QVERIFY(!second.windows[1]); // the 1 s window holds only the newest reading
    const KpiSnapshot &window = *second.windows[0];
    QVERIFY(window.valid());
    QCOMPARE(window.readings, std::size_t(2));
    QCOMPARE(window.seconds(), 10.0);
    const auto [production, canary] = servedSinceInit();
    QCOMPARE(window.kpis.canary.requestsInWindow, canary);
    QCOMPARE(window.kpis.production.requestsInWindow, production);
    QCOMPARE(production + canary, 400.0);
    QCOMPARE(window.kpis.production.requestRate, production / 10.0);
    QCOMPARE(window.kpis.canary.errorRatio, 0.0);
    QCOMPARE(window.kpis.canary.weightPercent, 25.0);
    QCOMPARE(window.kpis.production.weightPercent, 75.0);
    QVERIFY(!window.kpis.canary.known(metrics::Kpi::LatencyP99));
    QVERIFY(!window.kpis.canary.known(metrics::Kpi::Accuracy));
    QVERIFY(window.kpis.canary.reason(metrics::Kpi::LatencyP99).find("Prometheus") !=
            std::string::npos);
    QVERIFY(std::isnan(window.kpis.canary.meanSeconds));
    QVERIFY2(window.kpis.canary.meanReason.find("HAProxy gives no latency sum") !=
                 std::string::npos,
             window.kpis.canary.meanReason.c_str());
}

void TestHaproxy::unknownServerIsRejected()
{
    auto plane =
        control(adminSocket(), QStringLiteral("backend=models&production=prod&canary=nope"));
    ControlResult result = wait([&](auto done) { plane->fetchState(this, done); });
    QCOMPARE(result.error.kind, ControlError::Kind::Rejected);
    QVERIFY2(result.error.message().find("backend models has no server nope") != std::string::npos,
             result.error.message().c_str());
    result = wait([&](auto done) { plane->promote(0, this, done); });
    QCOMPARE(result.error.kind, ControlError::Kind::Rejected);
    QVERIFY(!result.error.requestSent);

    auto noBackend = control(adminSocket(), QStringLiteral("backend=nobody&production=a&canary=b"));
    result = wait([&](auto done) { noBackend->fetchState(this, done); });
    QCOMPARE(result.error.kind, ControlError::Kind::Rejected);
    QVERIFY2(result.error.message().find("there is no backend nobody") != std::string::npos,
             result.error.message().c_str());
    auto source = metrics(QStringLiteral("backend=models&production=prod&canary=nope"));
    const MetricsReading reading = readNow(*source, {std::chrono::seconds(10)});
    QVERIFY(!reading.ok());
    QVERIFY2(reading.error.starts_with("HAProxy runtime API at unix://"), reading.error.c_str());
    QVERIFY2(reading.error.find("has no server nope") != std::string::npos, reading.error.c_str());
}

void TestHaproxy::unreachableSocket()
{
    const QString missing = m_dir.filePath(QStringLiteral("missing.sock"));
    auto plane = control(missing, QStringLiteral("backend=models&production=prod&canary=can"));
    const ControlResult result = wait([&](auto done) { plane->promote(0, this, done); });
    QCOMPARE(result.error.kind, ControlError::Kind::Unreachable);
    QVERIFY(!result.error.requestSent);
    const std::string message = result.error.message();
    QVERIFY2(message.find("HAProxy runtime API at unix://" + missing.toStdString()) !=
                 std::string::npos,
             message.c_str());
}

void TestHaproxy::silentSocketTimesOut()
{
    ScriptedRuntime runtime(m_dir.filePath(QStringLiteral("silent.sock")));
    QVERIFY(runtime.listening());
    runtime.silent = true;
    auto plane = control(m_dir.filePath(QStringLiteral("silent.sock")),
                         QStringLiteral("backend=be&production=prod&canary=can"),
                         std::chrono::milliseconds(300));
    const ControlResult result = wait([&](auto done) { plane->fetchState(this, done); });
    QCOMPARE(result.error.kind, ControlError::Kind::Unreachable);
    QVERIFY2(result.error.message().find("no answer within 300 ms") != std::string::npos,
             result.error.message().c_str());
}

void TestHaproxy::malformedStatIsABadAnswer()
{
    const QString path = m_dir.filePath(QStringLiteral("garbage.sock"));
    ScriptedRuntime runtime(path);
    runtime.answers["show stat be 6 -1"] = "# pxname,svname,weight\nbe,prod\n\n";
    auto plane = control(path, QStringLiteral("backend=be&production=prod&canary=can"));
    const ControlResult result = wait([&](auto done) { plane->fetchState(this, done); });
    QCOMPARE(result.error.kind, ControlError::Kind::BadAnswer);
    QVERIFY2(result.error.message().find("malformed answer to \"show stat be 6 -1\"") !=
                 std::string::npos,
             result.error.message().c_str());
}

void TestHaproxy::halfAppliedChangeIsUndone()
{
    const QString path = m_dir.filePath(QStringLiteral("half.sock"));
    ScriptedRuntime runtime(path);
    runtime.answers = answersUpToTheFirstChange();
    runtime.answers["set weight be/prod 0"] = "Permission denied\n\n";
    runtime.answers["set weight be/can 64"] = "\n";
    auto plane = control(path, QStringLiteral("backend=be&production=prod&canary=can"));
    const ControlResult result = wait([&](auto done) { plane->promote(0, this, done); });
    QCOMPARE(result.error.kind, ControlError::Kind::Unauthorized);
    const std::string message = result.error.message();
    QVERIFY2(message.find("The first change was undone: can is back at weight 64") !=
                 std::string::npos,
             message.c_str());
    const std::vector<std::string> sets(
        std::find(runtime.commands.begin(), runtime.commands.end(), "set weight be/can 256"),
        runtime.commands.end());
    QCOMPARE(sets.size(), std::size_t(6)); // set, set, undo, then the read back (3 commands)
    QCOMPARE(sets[1], std::string("set weight be/prod 0"));
    QCOMPARE(sets[2], std::string("set weight be/can 64"));
}

void TestHaproxy::failedUndoSaysWhereItStands()
{
    const QString path = m_dir.filePath(QStringLiteral("undo.sock"));
    ScriptedRuntime runtime(path);
    runtime.answers = answersUpToTheFirstChange();
    // Everything else (the second change and its undo) is refused.
    runtime.fallback = "Permission denied\n\n";
    auto plane = control(path, QStringLiteral("backend=be&production=prod&canary=can"));
    const ControlResult result = wait([&](auto done) { plane->promote(0, this, done); });
    QVERIFY(result.error);
    const std::string message = result.error.message();
    QVERIFY2(message.find("Undoing the first change (set weight be/can 64) failed too") !=
                 std::string::npos,
             message.c_str());
    QVERIFY2(message.find("can at weight 256 and prod at weight 256") != std::string::npos,
             message.c_str());
}

void TestHaproxy::unansweredSecondChangeIsReadBack_data()
{
    QTest::addColumn<bool>("applied");
    QTest::newRow("it applied") << true;
    QTest::newRow("it did not apply") << false;
}

void TestHaproxy::unansweredSecondChangeIsReadBack()
{
    QFETCH(bool, applied);
    const QString path = m_dir.filePath(QStringLiteral("unanswered.sock"));
    ScriptedRuntime runtime(path);
    runtime.answers = answersUpToTheFirstChange();
    runtime.answers["set weight be/can 64"] = "\n";
    runtime.silentFor = {"set weight be/prod 0"};
    runtime.onCommand = [&](const std::string &command) {
        if (command == "set weight be/can 256")
            runtime.answers["get weight be/can"] = "256 (initial 0)\n\n";
        if (command == "set weight be/can 64")
            runtime.answers["get weight be/can"] = "64 (initial 0)\n\n";
        if (command == "set weight be/prod 0" && applied)
            runtime.answers["get weight be/prod"] = "0 (initial 256)\n\n";
    };
    auto plane = control(path, QStringLiteral("backend=be&production=prod&canary=can"),
                         std::chrono::milliseconds(300));
    const ControlResult result = wait([&](auto done) { plane->promote(0, this, done); });
    const bool undone = std::find(runtime.commands.begin(), runtime.commands.end(),
                                  "set weight be/can 64") != runtime.commands.end();
    if (applied) {
        QVERIFY2(!result.error, result.error.message().c_str());
        QCOMPARE(result.state->canaryWeight().tenths(), 1000);
        QVERIFY(!undone);
    } else {
        QCOMPARE(result.error.kind, ControlError::Kind::Unreachable);
        const std::string message = result.error.message();
        QVERIFY2(message.find("\"set weight be/prod 0\" got no answer") != std::string::npos,
                 message.c_str());
        QVERIFY2(message.find("The first change was undone") != std::string::npos, message.c_str());
        QVERIFY(undone);
        QVERIFY(result.error.current);
        QCOMPARE(result.error.current->canaryWeight().tenths(), 200); // 64 of 256 + 64
    }
}

void TestHaproxy::failedReadIsAGap()
{
    const QString path = m_dir.filePath(QStringLiteral("gap.sock"));
    ScriptedRuntime runtime(path);
    std::string stat = recordedStat();
    runtime.answers["show stat be 4 -1"] = stat;
    const BackendContext context{m_options, nullptr, m_clock};
    std::string error;
    auto source = makeHaproxyMetricsSource(
        QUrl(QStringLiteral("haproxy+unix://%1?backend=be&production=prod&canary=can").arg(path)),
        context, &error);
    QVERIFY(source);
    const std::vector<std::chrono::milliseconds> windows = {std::chrono::seconds(60)};
    QVERIFY(readNow(*source, windows).ok());
    m_clock.advance(std::chrono::seconds(5));
    MetricsReading reading = readNow(*source, windows);
    QVERIFY(reading.ok());
    QVERIFY(reading.windows[0]);

    runtime.answers["show stat be 4 -1"] = "garbage\n";
    m_clock.advance(std::chrono::seconds(5));
    reading = readNow(*source, windows);
    QVERIFY(!reading.ok());
    QVERIFY2(reading.error.find("malformed answer") != std::string::npos, reading.error.c_str());

    runtime.answers["show stat be 4 -1"] = stat;
    m_clock.advance(std::chrono::seconds(5));
    reading = readNow(*source, windows);
    QVERIFY(reading.ok());
    QVERIFY(!reading.windows[0]); // a baseline: no window spans the failed read
    m_clock.advance(std::chrono::seconds(5));
    reading = readNow(*source, windows);
    QVERIFY(reading.windows[0]);
    QCOMPARE(reading.windows[0]->seconds(), 5.0);
}

void TestHaproxy::stagingIsRejected()
{
    auto plane =
        control(adminSocket(), QStringLiteral("backend=models&production=prod&canary=can"));
    const ControlResult result = wait([&](auto done) {
        plane->stageCanary(json{{"model", "m"}, {"version", "2"}}, 0, this, done);
    });
    QCOMPARE(result.error.kind, ControlError::Kind::Rejected);
    QVERIFY2(result.error.message().find("HAProxy cannot stage a model") != std::string::npos,
             result.error.message().c_str());
}

void TestHaproxy::oversizedAnswerIsRefused()
{
    const QString path = m_dir.filePath(QStringLiteral("large.sock"));
    ScriptedRuntime runtime(path);
    runtime.answers["show stat be 6 -1"] =
        "# pxname,svname,weight\n" + std::string(haproxy::kMaxStatBytes + 1, 'x') + "\n";
    auto plane = control(path, QStringLiteral("backend=be&production=prod&canary=can"));
    const ControlResult result = wait([&](auto done) { plane->fetchState(this, done); });
    QCOMPARE(result.error.kind, ControlError::Kind::BadAnswer);
    QCOMPARE(result.error.answerLimitBytes, haproxy::kMaxStatBytes);
    QVERIFY2(result.error.detail.starts_with("HAProxy runtime API at unix://"),
             result.error.detail.c_str());
}

void TestHaproxy::goneContextOrPlaneGetsNoCallback()
{
    const QString path = m_dir.filePath(QStringLiteral("gone.sock"));
    ScriptedRuntime runtime(path);
    runtime.silent = true;
    const QString query = QStringLiteral("backend=be&production=prod&canary=can");
    const auto timeout = std::chrono::milliseconds(200);
    int calls = 0;
    auto context = std::make_unique<QObject>();
    auto plane = control(path, query, timeout);
    plane->fetchState(context.get(), [&calls](ControlResult) { ++calls; });
    context.reset();
    auto gonePlane = control(path, query, timeout);
    gonePlane->fetchState(this, [&calls](ControlResult) { ++calls; });
    gonePlane.reset();
    // A third call started last times out last: once it has answered, the others would have.
    const ControlResult last = wait([&](auto done) { plane->fetchState(this, done); });
    QCOMPARE(last.error.kind, ControlError::Kind::Unreachable);
    QCOMPARE(calls, 0);
}

QTEST_GUILESS_MAIN(TestHaproxy)
#include "tst_haproxy.moc"
