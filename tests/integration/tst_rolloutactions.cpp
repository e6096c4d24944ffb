// RolloutActions against the real gateway: every lever, the 412 race, refusals, and the action log.
// What the actions decide on their own (busy, no state yet, an unwritable log, which numbers are
// recorded, what a failure says) is tested on the fakes in tests/unit/tst_actionslogic.cpp.
#include "backends/controlapi/controlclient.h"
#include "backends/httptransport.h"
#include "backends/scrape/scrapesource.h"
#include "console/actionlog.h"
#include "console/rolloutactions.h"
#include "console/rolloutmonitor.h"
#include "gatewayprocess.h"
#include "httpclient.h"

#include <QFile>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include <memory>

using namespace canary;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

std::vector<json> readLines(const QString &path)
{
    std::vector<json> lines;
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly | QIODevice::Text))
        return lines;
    while (!file.atEnd())
        lines.push_back(json::parse(file.readLine().toStdString(), nullptr, false));
    return lines;
}

} // namespace

class TestRolloutActions final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init();
    void cleanup();

    void setWeight();
    void rollbackStagePromote();
    void conflictShowsTheNewRevision();
    void failures_data();
    void failures();

private:
    void startMonitor();
    json rollout() { return m_http->get(QStringLiteral("/v1/rollout")).json(); }
    HttpReply directPut(const QString &path, const QByteArray &body, int revision);
    void waitForSuccess(const QString &fragment);
    std::unique_ptr<ControlClient> makeClient(std::string token);

    HttpTransport m_transport;
    std::unique_ptr<GatewayProcess> m_gateway;
    std::unique_ptr<HttpClient> m_http;
    std::unique_ptr<ControlClient> m_client;
    std::unique_ptr<ScrapeMetricsSource> m_metrics;
    std::unique_ptr<RolloutMonitor> m_monitor;
    std::unique_ptr<ControlClient> m_wrongTokenClient;
    std::unique_ptr<RolloutActions> m_actions;
    std::unique_ptr<ActionLog> m_log;
    std::unique_ptr<QSignalSpy> m_succeeded;
    std::unique_ptr<QSignalSpy> m_failed;
    std::unique_ptr<QSignalSpy> m_busy;
    QTemporaryDir m_dir;
};

std::unique_ptr<ControlClient> TestRolloutActions::makeClient(std::string token)
{
    ControlEndpoint endpoint;
    endpoint.baseUrl = m_gateway->url().toString().toStdString();
    endpoint.token = std::move(token);
    endpoint.timeout = 3000ms;
    return std::make_unique<ControlClient>(&m_transport, endpoint);
}

void TestRolloutActions::init()
{
    m_gateway = std::make_unique<GatewayProcess>(
        QStringList{QStringLiteral("--load"), QStringLiteral("200")});
    QVERIFY2(m_gateway->start(), qPrintable(m_gateway->error()));
    m_http = std::make_unique<HttpClient>(m_gateway->url());
    m_client = makeClient(m_gateway->token().toStdString());
    MonitorSettings settings;
    settings.pollInterval = 200ms;
    m_metrics = std::make_unique<ScrapeMetricsSource>(
        &m_transport, m_client->endpoint().baseUrl + "/metrics", SystemClock::instance());
    m_monitor = std::make_unique<RolloutMonitor>(m_client.get(), m_metrics.get(),
                                                 QtScheduler::instance(), settings);
    m_actions = std::make_unique<RolloutActions>(m_client.get(), m_monitor.get());
    const QString logPath = m_dir.filePath(
        QStringLiteral("%1.jsonl").arg(QString::fromLatin1(QTest::currentTestFunction())));
    QFile::remove(logPath);
    m_log = std::make_unique<ActionLog>(logPath);
    m_log->setActor("ops-tester");
    m_actions->setActionLog(m_log.get());
    m_succeeded = std::make_unique<QSignalSpy>(m_actions.get(), &RolloutActions::succeeded);
    m_failed = std::make_unique<QSignalSpy>(m_actions.get(), &RolloutActions::failed);
    m_busy = std::make_unique<QSignalSpy>(m_actions.get(), &RolloutActions::busyChanged);
}

void TestRolloutActions::cleanup()
{
    m_busy.reset();
    m_failed.reset();
    m_succeeded.reset();
    m_actions.reset();
    m_monitor.reset();
    m_metrics.reset();
    m_client.reset();
    m_log.reset();
    m_http.reset();
    m_gateway.reset();
}

void TestRolloutActions::startMonitor()
{
    m_monitor->start();
    // Two good scrapes: a state to act on and KPIs for the log.
    QTRY_VERIFY_WITH_TIMEOUT(m_monitor->latestKpis().has_value(), 10'000);
    QVERIFY(m_monitor->state().has_value());
}

HttpReply TestRolloutActions::directPut(const QString &path, const QByteArray &body, int revision)
{
    return m_http->send({"PUT",
                         path,
                         body,
                         {{"Authorization", "Bearer " + m_gateway->token()},
                          {"If-Match", '"' + QByteArray::number(revision) + '"'},
                          {"Content-Type", "application/json"}}});
}

void TestRolloutActions::waitForSuccess(const QString &fragment)
{
    QVERIFY(m_actions->busy());
    QTRY_COMPARE_WITH_TIMEOUT(m_succeeded->count() + m_failed->count(), 1, 5000);
    if (!m_failed->isEmpty())
        QFAIL(qPrintable(m_failed->first().at(0).toString()));
    const QString summary = m_succeeded->takeFirst().at(0).toString();
    QVERIFY2(summary.contains(fragment), qPrintable(summary));
    QVERIFY(!m_actions->busy());
}

void TestRolloutActions::setWeight()
{
    startMonitor();
    // What the console shows at the moment success is announced.
    std::optional<std::int64_t> revisionShown;
    std::string outcomeRecorded;
    connect(m_actions.get(), &RolloutActions::succeeded, this, [&] {
        revisionShown = m_monitor->state()->revision;
        outcomeRecorded = m_log->records().back().outcome;
    });
    m_actions->setCanaryWeight(Weight::fromTenths(250));
    waitForSuccess(QStringLiteral("Canary weight set to 25.0 %"));
    QCOMPARE(revisionShown, std::optional<std::int64_t>(2));
    QCOMPARE(outcomeRecorded, std::string("succeeded"));
    QCOMPARE(m_busy->count(), 2);
    QCOMPARE(m_busy->at(0).at(0).toBool(), true);
    QCOMPARE(m_busy->at(1).at(0).toBool(), false);

    QCOMPARE(m_monitor->state()->revision, 2);
    QCOMPARE(m_monitor->state()->canaryWeight(), Weight::fromTenths(250));
    const json state = rollout();
    QCOMPARE(state.at("revision").get<int>(), 2);
    QCOMPARE(state.at("variants").at(1).at("weight").get<double>(), 25.0);

    // One record in memory, two lines in the file (pending, then the result), with the KPIs.
    QCOMPARE(m_log->records().size(), std::size_t(1));
    const ActionRecord &record = m_log->records().front();
    QCOMPARE(record.action, std::string("set_weight"));
    QCOMPARE(record.outcome, std::string("succeeded"));
    QCOMPARE(record.revision, std::optional<std::int64_t>(1));
    QCOMPARE(record.resultRevision, std::optional<std::int64_t>(2));
    QCOMPARE(record.actor, std::string("ops-tester"));
    QVERIFY(record.production.requestsInWindow > 0);
    QVERIFY(record.production.p99Ms > 0);
    QVERIFY(record.production.errorPercent >= 0);

    const auto lines = readLines(m_log->path());
    QCOMPARE(lines.size(), std::size_t(2));
    QCOMPARE(lines[0].at("outcome").dump(), json("pending").dump());
    QCOMPARE(lines[1].at("outcome").dump(), json("succeeded").dump());
    QCOMPARE(lines[0].at("id").dump(), lines[1].at("id").dump());
    QCOMPARE(lines[1].at("parameters").dump(), (json{{"canary", 25.0}}.dump()));
    QCOMPARE(lines[1].at("revision").dump(), json(1).dump());
    QCOMPARE(lines[1].at("result_revision").dump(), json(2).dump());
    QCOMPARE(lines[1].at("message").dump(), json("Canary weight set to 25.0 %").dump());
    const json &kpis = lines[1].at("kpis");
    for (const char *variant : {"production", "canary"}) {
        for (const char *field : {"error_percent", "p99_ms", "accuracy_percent", "requests"})
            QVERIFY2(kpis.at(variant).contains(field), field);
    }
    QVERIFY(kpis.at("production").at("requests").get<double>() > 0);
    QVERIFY(kpis.at("production").at("p99_ms").get<double>() > 0);
}

void TestRolloutActions::rollbackStagePromote()
{
    startMonitor();
    m_actions->rollback();
    waitForSuccess(QStringLiteral("Rolled back: canary fraud-model 2.4.0 is at 0 %"));
    QVERIFY(m_monitor->state()->phase == RolloutPhase::RolledBack);
    QCOMPARE(rollout().at("state").dump(), json("rolled_back").dump());

    m_actions->stageCanary({{"model", "fraud-model"}, {"version", "2.5.0"}});
    waitForSuccess(QStringLiteral("Staged canary fraud-model 2.5.0 at 0.0 %"));
    QVERIFY(m_monitor->state()->phase == RolloutPhase::Canary);
    QCOMPARE(rollout().at("variants").at(1).at("version").dump(), json("2.5.0").dump());

    m_actions->setCanaryWeight(Weight::fromTenths(50));
    waitForSuccess(QStringLiteral("5.0 %"));

    m_actions->promote();
    waitForSuccess(QStringLiteral("Promoted: fraud-model 2.5.0 is production at 100 %"));
    QVERIFY(m_monitor->state()->phase == RolloutPhase::Promoted);
    const json state = rollout();
    QCOMPARE(state.at("state").dump(), json("promoted").dump());
    QCOMPARE(state.at("revision").get<int>(), 5);
    QCOMPARE(state.at("variants").size(), std::size_t(1));
    QCOMPARE(state.at("variants").at(0).at("version").dump(), json("2.5.0").dump());
    QTRY_COMPARE(m_monitor->state()->revision, 5);

    std::vector<std::string> actions;
    for (const auto &record : m_log->records()) {
        actions.push_back(record.action);
        QCOMPARE(record.outcome, std::string("succeeded"));
        QVERIFY(record.kpisTime.has_value());
    }
    QCOMPARE(actions,
             (std::vector<std::string>{"rollback", "stage_canary", "set_weight", "promote"}));
    QCOMPARE(readLines(m_log->path()).size(), std::size_t(8));

    // Every action is a marker on the charts' time axis, at the moment it was asked for, and the
    // new models it brought are markers too.
    std::vector<std::string> labels;
    for (const TimelineEvent &event : m_monitor->events()) {
        if (event.kind == TimelineEvent::Kind::Action)
            labels.push_back(event.label);
    }
    QCOMPARE(labels,
             (std::vector<std::string>{"roll back", "stage 2.5.0", "weight 5.0 %", "promote"}));
    QCOMPARE(m_monitor->events().front().time, m_log->records().front().time);
    const bool productionChanged =
        std::any_of(m_monitor->events().begin(), m_monitor->events().end(), [](const auto &e) {
            return e.kind == TimelineEvent::Kind::VersionChange &&
                   e.role == std::optional<VariantRole>(VariantRole::Production) &&
                   e.label == "2.5.0";
        });
    QVERIFY(productionChanged);
}

void TestRolloutActions::conflictShowsTheNewRevision()
{
    startMonitor();
    m_monitor->stop(); // so the monitor cannot notice the change below on its own
    QTRY_VERIFY(!m_monitor->isPolling());
    QCOMPARE(directPut(QStringLiteral("/v1/rollout/weights"), R"({"canary": 40})", 1).status, 200);
    QCOMPARE(m_monitor->state()->revision, 1);

    QSignalSpy stateSpy(m_monitor.get(), &RolloutMonitor::stateChanged);
    m_actions->setCanaryWeight(Weight::fromTenths(200));
    QVERIFY(m_actions->busy());
    QTRY_COMPARE_WITH_TIMEOUT(m_failed->count(), 1, 5000);
    QCOMPARE(m_succeeded->count(), 0);
    const QString message = m_failed->first().at(0).toString();
    QVERIFY2(message.contains(QStringLiteral("Someone else changed the rollout (now revision 2)")),
             qPrintable(message));
    QCOMPARE(m_failed->first().at(1).toBool(), true);
    QVERIFY(!m_actions->busy());
    // The problem's rollout is shown at once, without waiting for a poll.
    QCOMPARE(stateSpy.count(), 1);
    QCOMPARE(m_monitor->state()->revision, 2);
    QCOMPARE(m_monitor->state()->canaryWeight(), Weight::fromTenths(400));
    QCOMPARE(rollout().at("variants").at(1).at("weight").get<double>(), 40.0); // not ours

    QCOMPARE(m_log->records().size(), std::size_t(1));
    QCOMPARE(m_log->records().front().outcome, std::string("conflict"));
    QCOMPARE(m_log->records().front().resultRevision, std::optional<std::int64_t>(2));

    // Deciding again on the shown revision works.
    m_failed->clear();
    m_actions->setCanaryWeight(Weight::fromTenths(200));
    waitForSuccess(QStringLiteral("20.0 %"));
    QCOMPARE(rollout().at("revision").get<int>(), 3);
}

void TestRolloutActions::failures_data()
{
    QTest::addColumn<QString>("situation");
    QTest::addColumn<QString>("fragment");
    QTest::addColumn<QString>("hint");

    QTest::newRow("401 wrong token") << "wrong-token"
                                     << "401 Unauthorized"
                                     << "check the token";
    QTest::newRow("409 state does not allow it") << "rolled-back"
                                                 << "409 "
                                                 << "Nothing was applied.";
    QTest::newRow("400 unknown member") << "bad-stage"
                                        << "400 "
                                        << "nothing was applied.";
    // The port is closed: the request never left, so the console must not say it may have arrived.
    QTest::newRow("unreachable") << "killed"
                                 << "backend unreachable"
                                 << "Check the connection. The request was not sent; nothing was "
                                    "applied.";
}

void TestRolloutActions::failures()
{
    QFETCH(QString, situation);
    QFETCH(QString, fragment);
    QFETCH(QString, hint);

    startMonitor();
    if (situation == QStringLiteral("wrong-token")) {
        // The monitor keeps reading through m_client; only the actions use the wrong token.
        m_wrongTokenClient = makeClient("not-the-token");
        m_actions = std::make_unique<RolloutActions>(m_wrongTokenClient.get(), m_monitor.get());
        m_actions->setActionLog(m_log.get());
        m_failed = std::make_unique<QSignalSpy>(m_actions.get(), &RolloutActions::failed);
    } else if (situation == QStringLiteral("rolled-back")) {
        QCOMPARE(m_http
                     ->send({"POST",
                             QStringLiteral("/v1/rollout/rollback"),
                             "{}",
                             {{"Authorization", "Bearer " + m_gateway->token()},
                              {"If-Match", "\"1\""},
                              {"Content-Type", "application/json"}}})
                     .status,
                 200);
        QTRY_VERIFY(m_monitor->state()->phase == RolloutPhase::RolledBack);
    } else if (situation == QStringLiteral("killed")) {
        m_gateway->kill();
    }
    const json before = m_gateway->isRunning() ? rollout() : json();

    if (situation == QStringLiteral("bad-stage"))
        m_actions->stageCanary({{"model", "m"}, {"version", "1"}, {"colour", "red"}});
    else
        m_actions->setCanaryWeight(Weight::fromTenths(150));
    QVERIFY(m_actions->busy());
    QTRY_COMPARE_WITH_TIMEOUT(m_failed->count(), 1, 8000);
    const QString message = m_failed->first().at(0).toString();
    QVERIFY2(message.contains(fragment), qPrintable(message));
    QVERIFY2(message.contains(hint), qPrintable(message));
    QVERIFY2(!message.contains(QStringLiteral("..")), qPrintable(message));
    QVERIFY2(!message.contains(QStringLiteral("not known")), qPrintable(message));
    QCOMPARE(m_failed->first().at(1).toBool(), false);
    if (m_gateway->isRunning())
        QCOMPARE(rollout().dump(), before.dump()); // nothing applied
    QVERIFY(!m_actions->busy());
    QCOMPARE(m_log->records().size(), std::size_t(1));
    QCOMPARE(m_log->records().front().outcome, std::string("failed"));
    QCOMPARE(QString::fromStdString(m_log->records().front().message), message);
}

QTEST_GUILESS_MAIN(TestRolloutActions)
#include "tst_rolloutactions.moc"
