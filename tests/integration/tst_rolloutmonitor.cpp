// RolloutMonitor on real backends over loopback: the real gateway (live traffic, a kill, a restart
// on the same port), hand-made backends that answer badly or not at all, and the Control API's
// /metrics scraped for real (windows, relabels, counter resets). The monitor's own logic (single
// flight, lateness, health, backoff, epochs, events, back-fill) is tested on virtual time with
// the fakes in tests/unit/tst_monitorlogic.cpp.
#include "backends/httptransport.h"
#include "console/rolloutmonitor.h"
#include "gatewayprocess.h"
#include "monitorrig.h"
#include "scriptedbackend.h"

#include <QCoreApplication>
#include <QDeadlineTimer>
#include <QSignalSpy>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTest>
#include <QTimer>

#include <algorithm>
#include <cmath>
#include <memory>

using namespace canary;
using namespace std::chrono_literals;
using metrics::Kpi;

namespace {

const QByteArray kState =
    R"({"revision":3,"state":"canary","updated_at":"2026-11-26T12:00:00.000Z",)"
    R"("variants":[{"name":"production","model":"m","version":"1","weight":75},)"
    R"({"name":"canary","model":"m","version":"2","weight":25}]})";

const QByteArray kMetrics = "# TYPE canary_requests_total counter\n"
                            "canary_requests_total{variant=\"production\",version=\"1\"} 10\n";

QByteArray httpAnswer(int status, const QByteArray &contentType, const QByteArray &body)
{
    return "HTTP/1.1 " + QByteArray::number(status) + " X\r\nContent-Type: " + contentType +
           "\r\nContent-Length: " + QByteArray::number(body.size()) +
           "\r\nConnection: close\r\n\r\n" + body;
}

// A backend that answers each path with a canned response (or with silence when there is none)
// and counts the requests per path.
class FakeBackend final : public QObject
{
public:
    FakeBackend()
    {
        QVERIFY(m_server.listen(QHostAddress::LocalHost, 0));
        connect(&m_server, &QTcpServer::newConnection, this, [this] {
            while (QTcpSocket *socket = m_server.nextPendingConnection()) {
                auto buffer = std::make_shared<QByteArray>();
                connect(socket, &QTcpSocket::readyRead, this, [this, socket, buffer] {
                    *buffer += socket->readAll();
                    if (!buffer->contains("\r\n\r\n"))
                        return;
                    const QByteArray path = buffer->split(' ').value(1);
                    buffer->clear();
                    ++m_requests[path];
                    const QByteArray answer = m_answers.value(path);
                    if (answer.isEmpty())
                        return; // silence: the client's timeout must end it
                    socket->write(answer);
                    socket->disconnectFromHost();
                });
            }
        });
    }
    void answer(const QByteArray &path, QByteArray response) { m_answers[path] = response; }
    int requests(const QByteArray &path) const { return m_requests.value(path); }
    std::string url() const { return "http://127.0.0.1:" + std::to_string(m_server.serverPort()); }

private:
    QTcpServer m_server;
    QHash<QByteArray, QByteArray> m_answers;
    QHash<QByteArray, int> m_requests;
};

std::size_t pointsWhere(const metrics::TimeSeries &series, auto predicate)
{
    std::size_t count = 0;
    for (std::size_t i = 0; i < series.size(); ++i)
        count += predicate(series.at(i)) ? 1 : 0;
    return count;
}

bool hasPositiveRate(const RolloutMonitor &monitor, VariantRole role)
{
    return pointsWhere(monitor.history().series(role, Kpi::RequestRate),
                       [](const metrics::TimePoint &p) { return !p.isGap() && p.value > 0; }) > 0;
}

// Runs the event loop until the poll in flight has landed; false if it has not within `limit`.
// QTRY_VERIFY looks every 50 ms, longer than a loopback poll takes; this looks after every event.
bool waitForPoll(const RolloutMonitor &monitor, std::chrono::milliseconds limit = 5000ms)
{
    QDeadlineTimer deadline(limit);
    QTimer wake; // the loop wakes at least this often, so the deadline is seen
    wake.start(20);
    while (monitor.isPolling() && !deadline.hasExpired())
        QCoreApplication::processEvents(QEventLoop::WaitForMoreEvents);
    return !monitor.isPolling();
}

// Moves the manual clock on, polls at once and waits until both answers are in.
void pollOnce(RolloutMonitor &monitor, ManualClock &clock, std::chrono::milliseconds step)
{
    clock.advance(step);
    monitor.refreshNow();
    QVERIFY(waitForPoll(monitor));
}

std::vector<LinkHealth> healthSequence(const QSignalSpy &spy)
{
    std::vector<LinkHealth> out;
    for (const auto &arguments : spy)
        out.push_back(arguments.at(0).value<LinkHealth>());
    return out;
}

} // namespace

class TestRolloutMonitor final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void liveKpisForBothVariants();
    void outageGapAndRecovery();
    void badAnswersNameTheFailingFeed_data();
    void badAnswersNameTheFailingFeed();
    void slowBackendIsNeverPolledTwice();
    void decisionSnapshotCoversItsWindow();
    void relabelAndRestartOfCounters();
    void oneVersionsResetIsTold();

private:
    MonitorRig monitorFor(const std::string &baseUrl, const Clock &clock, MonitorSettings settings,
                          std::chrono::milliseconds timeout = 2000ms);
    MonitorRig monitorFor(const std::string &baseUrl, Scheduler &scheduler,
                          MonitorSettings settings);
    HttpTransport m_transport;
};

MonitorRig TestRolloutMonitor::monitorFor(const std::string &baseUrl, const Clock &clock,
                                          MonitorSettings settings,
                                          std::chrono::milliseconds timeout)
{
    ConnectionProfile profile;
    profile.backendUrl = baseUrl;
    profile.options.timeout = timeout;
    return MonitorRig(&m_transport, profile, clock, settings);
}

MonitorRig TestRolloutMonitor::monitorFor(const std::string &baseUrl, Scheduler &scheduler,
                                          MonitorSettings settings)
{
    ConnectionProfile profile;
    profile.backendUrl = baseUrl;
    return MonitorRig(&m_transport, profile, scheduler, settings);
}

void TestRolloutMonitor::liveKpisForBothVariants()
{
    GatewayProcess gateway({QStringLiteral("--load"), QStringLiteral("200")});
    QVERIFY2(gateway.start(), qPrintable(gateway.error()));
    MonitorSettings settings;
    settings.pollInterval = 200ms;
    auto monitor =
        monitorFor(gateway.url().toString().toStdString(), SystemClock::instance(), settings);
    QSignalSpy stateSpy(monitor.get(), &RolloutMonitor::stateChanged);
    QSignalSpy kpiSpy(monitor.get(), &RolloutMonitor::kpisUpdated);
    QSignalSpy healthSpy(monitor.get(), &RolloutMonitor::healthChanged);
    // Says why, should a poll fail where none may.
    connect(monitor.get(), &RolloutMonitor::pollFailed, this,
            [](const QString &reason) { qWarning("poll failed: %s", qPrintable(reason)); });
    QCOMPARE(monitor->health(), LinkHealth::Connecting);
    monitor->start();

    QTRY_VERIFY_WITH_TIMEOUT(hasPositiveRate(*monitor, VariantRole::Production) &&
                                 hasPositiveRate(*monitor, VariantRole::Canary),
                             10'000);
    QTRY_VERIFY(kpiSpy.count() >= 3);
    // On a loaded machine a 200 ms poll can come back late and count as missed for a moment, so
    // only the first and the settled health are asserted; failures would show in pollFailed.
    QTRY_COMPARE(monitor->health(), LinkHealth::Live);
    QCOMPARE(healthSequence(healthSpy).front(), LinkHealth::Live);
    QCOMPARE(monitor->missedPolls(), 0);
    QVERIFY(monitor->lastError().isEmpty());
    QVERIFY(monitor->lastGoodUpdate().has_value());

    // The state did not change between polls, so it was announced once.
    QVERIFY(monitor->state().has_value());
    QCOMPARE(monitor->state()->revision, 1);
    QCOMPARE(monitor->state()->canaryWeight().tenths(), 100);
    QCOMPARE(stateSpy.count(), 1);

    const auto &kpis = *monitor->latestKpis();
    QVERIFY(kpis.ok());
    QCOMPARE(kpis.canary.weightPercent, 10.0);
    QVERIFY(kpis.production.p99Seconds > 0);
    // No gap was recorded while everything answered.
    QCOMPARE(pointsWhere(monitor->history().series(VariantRole::Production, Kpi::RequestRate),
                         [](const metrics::TimePoint &p) { return p.isGap(); }),
             std::size_t(0));
    monitor->stop();
}

void TestRolloutMonitor::outageGapAndRecovery()
{
    GatewayProcess gateway({QStringLiteral("--load"), QStringLiteral("200")});
    QVERIFY2(gateway.start(), qPrintable(gateway.error()));
    MonitorSettings settings;
    settings.pollInterval = 200ms;
    settings.maxBackoff = 800ms;
    auto monitor =
        monitorFor(gateway.url().toString().toStdString(), SystemClock::instance(), settings);
    monitor->start();
    const auto &rates = monitor->history().series(VariantRole::Production, Kpi::RequestRate);
    QTRY_VERIFY_WITH_TIMEOUT(rates.size() >= 3, 10'000);
    QCOMPARE(monitor->health(), LinkHealth::Live);

    QSignalSpy healthSpy(monitor.get(), &RolloutMonitor::healthChanged);
    QSignalSpy failedSpy(monitor.get(), &RolloutMonitor::pollFailed);
    gateway.kill();
    QTRY_COMPARE_WITH_TIMEOUT(monitor->health(), LinkHealth::Lost, 5000);
    QCOMPARE(healthSequence(healthSpy),
             (std::vector<LinkHealth>{LinkHealth::Stale, LinkHealth::Lost}));
    QVERIFY(failedSpy.count() >= 3);
    QVERIFY2(monitor->lastError().contains(QStringLiteral("unreachable")),
             qPrintable(monitor->lastError()));

    // Exactly one gap, at the end; the good time does not move while lost.
    const auto lastGood = monitor->lastGoodUpdate();
    QVERIFY(lastGood.has_value());
    QVERIFY(rates.back().isGap());
    const metrics::TimePoint firstPoint = rates.front();
    const SystemTime gapTime = rates.back().time;
    const std::size_t sizeWhileLost = rates.size();
    QTRY_VERIFY(monitor->missedPolls() >= 4);
    QCOMPARE(monitor->lastGoodUpdate(), lastGood);
    QCOMPARE(rates.size(), sizeWhileLost);
    QVERIFY(monitor->currentPollInterval() > settings.pollInterval);

    // Back on the same port: live again at the normal pace, the history kept.
    healthSpy.clear();
    QSignalSpy kpiSpy(monitor.get(), &RolloutMonitor::kpisUpdated);
    QVERIFY2(gateway.restart(), qPrintable(gateway.error()));
    QTRY_COMPARE_WITH_TIMEOUT(monitor->health(), LinkHealth::Live, 5000);
    QCOMPARE(healthSequence(healthSpy), std::vector<LinkHealth>{LinkHealth::Live});
    QCOMPARE(monitor->currentPollInterval(), settings.pollInterval);
    QVERIFY(*monitor->lastGoodUpdate() > *lastGood);
    QTRY_VERIFY_WITH_TIMEOUT(rates.size() >= sizeWhileLost + 2, 5000);
    QCOMPARE(rates.front(), firstPoint);
    const std::size_t gapIndex = rates.lowerIndex(gapTime);
    QVERIFY(rates.at(gapIndex).isGap());
    // The first good scrape after the outage was only a baseline: the next point starts a new
    // window, never one that spans the outage.
    for (std::size_t i = gapIndex + 1; i < rates.size(); ++i)
        QVERIFY(!rates.at(i).isGap());
    QCOMPARE(pointsWhere(rates, [](const metrics::TimePoint &p) { return p.isGap(); }),
             std::size_t(1));
    QVERIFY(rates.back().time > gapTime);
    QVERIFY(monitor->lastError().isEmpty());
    // No KPI window after the restart reaches back to before the outage.
    QVERIFY(!kpiSpy.isEmpty());
    for (const auto &arguments : kpiSpy) {
        const auto kpis = arguments.at(0).value<metrics::KpiResult>();
        const auto windowStart =
            kpis.time - std::chrono::milliseconds(std::llround(kpis.elapsedSeconds * 1000));
        QVERIFY2(windowStart > gapTime,
                 qPrintable(QStringLiteral("a %1 s window reaches back across the outage")
                                .arg(kpis.elapsedSeconds)));
    }
}

void TestRolloutMonitor::badAnswersNameTheFailingFeed_data()
{
    QTest::addColumn<QByteArray>("rollout");
    QTest::addColumn<QByteArray>("metrics");
    QTest::addColumn<QString>("errorFragment");
    QTest::addColumn<bool>("metricsFail");

    const QByteArray goodState = httpAnswer(200, "application/json", kState);
    const QByteArray goodMetrics = httpAnswer(200, "text/plain; version=0.0.4", kMetrics);
    QTest::newRow("metrics-unparsable-state-good")
        << goodState
        << httpAnswer(200, "text/plain; version=0.0.4", "# TYPE a counter\na_total 1\nbad line\n")
        << "Metrics unreadable: metrics answer does not parse: line 3" << true;
    QTest::newRow("rollout-garbage-json")
        << httpAnswer(200, "application/json", "{\"revision\": 3, ") << goodMetrics
        << "Rollout unreadable: malformed answer from the backend: the body is not JSON" << false;
    QTest::newRow("rollout-wrong-shape")
        << httpAnswer(200, "application/json", R"({"revision":"three"})") << goodMetrics
        << "Rollout unreadable: malformed answer" << false;
    QTest::newRow("rollout-server-error") << httpAnswer(500, "text/plain", "boom") << goodMetrics
                                          << "Rollout unreadable: 500" << false;
    QTest::newRow("metrics-garbage")
        << goodState << httpAnswer(200, "text/plain; version=0.0.4", "canary_requests_total{{{ 1\n")
        << "Metrics unreadable: metrics answer does not parse" << true;
    QTest::newRow("metrics-404") << goodState << httpAnswer(404, "text/plain", "no")
                                 << "Metrics unreadable: metrics endpoint answered HTTP 404"
                                 << true;
}

// The sentences of the real Control API client and scraper, as the monitor shows them. How the
// feeds go Stale and Lost and back is tst_monitorlogic's.
void TestRolloutMonitor::badAnswersNameTheFailingFeed()
{
    QFETCH(QByteArray, rollout);
    QFETCH(QByteArray, metrics);
    QFETCH(QString, errorFragment);
    QFETCH(bool, metricsFail);

    FakeBackend backend;
    backend.answer("/v1/rollout", rollout);
    backend.answer("/metrics", metrics);
    ManualClock clock;
    ManualScheduler scheduler(clock); // one poll, the one start() sends
    auto monitor = monitorFor(backend.url(), scheduler, MonitorSettings{});
    QSignalSpy failedSpy(monitor.get(), &RolloutMonitor::pollFailed);
    QSignalSpy kpiSpy(monitor.get(), &RolloutMonitor::kpisUpdated);
    monitor->start();
    QVERIFY(waitForPoll(*monitor));

    QCOMPARE(monitor->missedPolls(), 1);
    QCOMPARE(monitor->health(), LinkHealth::Stale);
    QVERIFY2(monitor->lastError().contains(errorFragment), qPrintable(monitor->lastError()));
    QCOMPARE(failedSpy.count(), 1); // announced once the poll's answers are all in
    QCOMPARE(failedSpy.first().at(0).toString(), monitor->lastError());
    // The feed that answered well is Live and used: a broken /metrics never hides a valid
    // rollout, nor the other way round.
    const FeedStatus &failing = metricsFail ? monitor->metricsFeed() : monitor->stateFeed();
    const FeedStatus &working = metricsFail ? monitor->stateFeed() : monitor->metricsFeed();
    QCOMPARE(failing.health, LinkHealth::Stale);
    QCOMPARE(working.health, LinkHealth::Live);
    QCOMPARE(monitor->state().has_value(), metricsFail);
    const auto &rates = monitor->history().series(VariantRole::Production, Kpi::RequestRate);
    if (metricsFail) {
        QCOMPARE(monitor->state()->revision, 3);
        // Nothing but one gap: a bad answer never becomes a flat line or a zero.
        QCOMPARE(rates.size(), std::size_t(1));
        QVERIFY(rates.front().isGap());
    }
    QCOMPARE(kpiSpy.count(), 0); // one good scrape is a baseline, not a window
}

void TestRolloutMonitor::slowBackendIsNeverPolledTwice()
{
    FakeBackend backend; // answers nothing
    MonitorSettings settings;
    settings.pollInterval = 50ms;
    settings.maxBackoff = 50ms;
    auto monitor = monitorFor(backend.url(), SystemClock::instance(), settings, 1000ms);
    QSignalSpy healthSpy(monitor.get(), &RolloutMonitor::healthChanged);
    QSignalSpy failedSpy(monitor.get(), &RolloutMonitor::pollFailed);
    monitor->start();

    // Late answers count as missed polls, so a hanging backend shows at once...
    QTRY_COMPARE_WITH_TIMEOUT(monitor->health(), LinkHealth::Lost, 2000);
    QCOMPARE(healthSequence(healthSpy),
             (std::vector<LinkHealth>{LinkHealth::Stale, LinkHealth::Lost}));
    QVERIFY2(monitor->lastError().contains(QStringLiteral("No answer from the backend for")),
             qPrintable(monitor->lastError()));
    // ...and yet no second request of either kind went out while the first was pending.
    QTRY_COMPARE(backend.requests("/v1/rollout"), 1);
    QTRY_COMPARE(backend.requests("/metrics"), 1);
    monitor->refreshNow();
    QCOMPARE(backend.requests("/v1/rollout"), 1);

    // When the timeouts end the first poll, the next goes out; still one at a time.
    QTRY_VERIFY_WITH_TIMEOUT(backend.requests("/v1/rollout") == 2, 5000);
    QTRY_COMPARE(backend.requests("/metrics"), 2);
    monitor->stop();
    const bool timedOut = std::any_of(failedSpy.begin(), failedSpy.end(), [](const auto &args) {
        return args.at(0).toString().contains(QStringLiteral("backend unreachable"));
    });
    QVERIFY(timedOut);
    QCOMPARE(backend.requests("/v1/rollout"), 2);
}

QTEST_GUILESS_MAIN(TestRolloutMonitor)
#include "tst_rolloutmonitor.moc"

namespace {

QByteArray rolloutDocument(int revision, const char *state, const char *productionVersion,
                           const char *canaryVersion, int canaryWeight)
{
    QByteArray variants = QByteArrayLiteral(R"({"name":"production","model":"m","version":")") +
                          productionVersion + R"(","weight":)" +
                          QByteArray::number(100 - canaryWeight) + "}";
    if (canaryVersion)
        variants += QByteArrayLiteral(R"(,{"name":"canary","model":"m","version":")") +
                    canaryVersion + R"(","weight":)" + QByteArray::number(canaryWeight) + "}";
    return QByteArrayLiteral(R"({"revision":)") + QByteArray::number(revision) + R"(,"state":")" +
           state + R"(","updated_at":"2026-11-26T12:00:00.000Z","variants":[)" + variants + "]}";
}

} // namespace

void TestRolloutMonitor::decisionSnapshotCoversItsWindow()
{
    ScriptedBackend backend;
    backend.answer("GET", "/v1/rollout",
                   ScriptedReply::json(200, rolloutDocument(3, "canary", "1", "2", 10)));
    // Each scrape adds 50 production and 5 canary requests, one canary error.
    int scrapes = 0;
    bool metricsBroken = false;
    backend.handle("/metrics", [&](const ScriptedRequest &) -> std::optional<ScriptedReply> {
        if (metricsBroken)
            return ScriptedReply::text(503, "text/plain", "down");
        ++scrapes;
        const QByteArray body =
            "# TYPE canary_requests_total counter\n"
            "canary_requests_total{variant=\"production\",version=\"1\"} " +
            QByteArray::number(1000 + 50 * scrapes) +
            "\ncanary_requests_total{variant=\"canary\",version=\"2\"} " +
            QByteArray::number(100 + 5 * scrapes) +
            "\n# TYPE canary_request_errors_total counter\n"
            "canary_request_errors_total{variant=\"production\",version=\"1\"} 0\n"
            "canary_request_errors_total{variant=\"canary\",version=\"2\"} " +
            QByteArray::number(scrapes) + "\n";
        return ScriptedReply::text(200, "text/plain; version=0.0.4", body);
    });
    ManualClock clock;
    MonitorSettings settings;
    settings.pollInterval = 60s; // polls only when asked
    settings.kpiWindow = 10s;
    settings.decisionWindow = 30s;
    auto monitor = monitorFor(backend.url(), clock, settings);
    QSignalSpy kpiSpy(monitor.get(), &RolloutMonitor::kpisUpdated);
    monitor->start();
    QVERIFY(waitForPoll(*monitor));
    QCOMPARE(backend.requests("/metrics"), 1);
    QVERIFY(!monitor->snapshot().valid()); // one scrape is a baseline, not a window
    for (int i = 0; i < 10; ++i) {
        clock.advance(5s);
        monitor->refreshNow();
        QVERIFY(waitForPoll(*monitor));
    }
    QCOMPARE(kpiSpy.count(), 10);
    const KpiSnapshot &snapshot = monitor->snapshot();
    QVERIFY(snapshot.valid());
    QVERIFY(monitor->numbersAreLive());
    // The 30 s before the newest scrape: seven scrapes, 5 s apart.
    QCOMPARE(snapshot.to, clock.now());
    QCOMPARE(snapshot.from, clock.now() - 30s);
    QCOMPARE(snapshot.readings, std::size_t(7));
    QCOMPARE(snapshot.kpis.production.requestsInWindow, 300.0);
    QCOMPARE(snapshot.kpis.canary.requestsInWindow, 30.0);
    QCOMPARE(snapshot.kpis.canary.errorsInWindow, 6.0);
    QCOMPARE(snapshot.kpis.canary.errorRatio, 0.2);
    // The chart points cover their own, shorter window.
    QCOMPARE(monitor->latestKpis()->production.requestsInWindow, 100.0);

    // An outage: the snapshot stays what it was, of the moment it was, and says it is not live.
    const SystemTime lastGood = clock.now();
    metricsBroken = true;
    clock.advance(5s);
    monitor->refreshNow();
    QVERIFY(waitForPoll(*monitor));
    QVERIFY(!monitor->numbersAreLive());
    QCOMPARE(monitor->snapshot().to, lastGood);
    QCOMPARE(monitor->snapshot().age(clock.now()), std::chrono::milliseconds(5000));
    QCOMPARE(monitor->stateFeed().health, LinkHealth::Live);

    // After it, the window starts afresh: it never spans the outage. The first good scrape is a
    // baseline only, so the numbers shown are still the old ones and not live.
    metricsBroken = false;
    for (int i = 0; i < 2; ++i) {
        clock.advance(5s);
        monitor->refreshNow();
        QVERIFY(waitForPoll(*monitor));
        if (i == 0) {
            QCOMPARE(monitor->metricsFeed().health, LinkHealth::Live);
            QVERIFY(!monitor->numbersAreLive());
            QCOMPARE(monitor->snapshot().to, lastGood);
        }
    }
    QVERIFY(monitor->numbersAreLive());
    QCOMPARE(monitor->snapshot().from, clock.now() - 5s);
    QCOMPARE(monitor->snapshot().readings, std::size_t(2));
}

void TestRolloutMonitor::relabelAndRestartOfCounters()
{
    ScriptedBackend backend;
    backend.answer("GET", "/v1/rollout",
                   ScriptedReply::json(200, rolloutDocument(3, "canary", "1", "2", 0)));
    // Production serves 100 requests a scrape; the canary holds 0 % and serves none. Its counters
    // carry on, as another team's backend does, when its version label changes.
    long production = 50'000;
    QByteArray canaryVersion = "2";
    backend.handle("/metrics", [&](const ScriptedRequest &) -> std::optional<ScriptedReply> {
        production += 100;
        const QByteArray body = "# TYPE canary_requests_total counter\n"
                                "canary_requests_total{variant=\"production\",version=\"1\"} " +
                                QByteArray::number(production) +
                                "\ncanary_requests_total{variant=\"canary\",version=\"" +
                                canaryVersion + "\"} 161000\n";
        return ScriptedReply::text(200, "text/plain; version=0.0.4", body);
    });
    ManualClock clock;
    MonitorSettings settings;
    settings.pollInterval = 60s;
    auto monitor = monitorFor(backend.url(), clock, settings);
    QSignalSpy eventSpy(monitor.get(), &RolloutMonitor::eventAdded);
    monitor->start();
    auto poll = [&] {
        pollOnce(*monitor, clock, 1s);
    };
    QVERIFY(waitForPoll(*monitor));
    for (int i = 0; i < 3; ++i)
        poll();
    canaryVersion = "2.1"; // relabelled: 161,000 requests under a series never seen before
    for (int i = 0; i < 3; ++i) {
        poll();
        // Never invented traffic: the canary served nothing, whatever its counter says.
        QCOMPARE(monitor->latestKpis()->canary.requestRate, 0.0);
        QCOMPARE(monitor->snapshot().kpis.canary.requestsInWindow, 0.0);
    }
    const auto &canaryRates = monitor->history().series(VariantRole::Canary, Kpi::RequestRate);
    for (std::size_t i = 0; i < canaryRates.size(); ++i)
        QCOMPARE(canaryRates.at(i).value, 0.0);

    // The backend restarts: every production counter falls. Told once, as a marker and an event,
    // although the reset stays inside the sliding windows for several polls.
    production = 0;
    for (int i = 0; i < 5; ++i)
        poll();
    int restarts = 0;
    for (const auto &arguments : eventSpy) {
        const auto event = arguments.at(0).value<TimelineEvent>();
        if (event.kind == TimelineEvent::Kind::Restart) {
            ++restarts;
            QCOMPARE(event.role, std::optional<VariantRole>(VariantRole::Production));
        }
    }
    QCOMPARE(restarts, 1);
    // After the restart the new values count (Prometheus' reset rule), not a negative rate.
    QVERIFY(monitor->latestKpis()->production.requestRate > 0);
}

void TestRolloutMonitor::oneVersionsResetIsTold()
{
    ScriptedBackend backend;
    backend.answer("GET", "/v1/rollout",
                   ScriptedReply::json(200, rolloutDocument(3, "canary", "1", "2", 10)));
    // Production runs two processes, versions 1 and 1b; only 1b restarts.
    long one = 1000;
    long other = 5000;
    backend.handle("/metrics", [&](const ScriptedRequest &) -> std::optional<ScriptedReply> {
        one += 50;
        other += 50;
        const QByteArray body = "# TYPE canary_requests_total counter\n"
                                "canary_requests_total{variant=\"production\",version=\"1\"} " +
                                QByteArray::number(one) +
                                "\ncanary_requests_total{variant=\"production\",version=\"1b\"} " +
                                QByteArray::number(other) + "\n";
        return ScriptedReply::text(200, "text/plain; version=0.0.4", body);
    });
    ManualClock clock;
    MonitorSettings settings;
    settings.pollInterval = 60s;
    auto monitor = monitorFor(backend.url(), clock, settings);
    QSignalSpy eventSpy(monitor.get(), &RolloutMonitor::eventAdded);
    monitor->start();
    QVERIFY(waitForPoll(*monitor));
    for (int i = 0; i < 8; ++i) {
        if (i == 3)
            other = 0;
        pollOnce(*monitor, clock, 1s);
    }
    // Told once, though the reset stays in the sliding windows for several polls.
    QCOMPARE(eventSpy.count(), 1);
    const auto event = eventSpy.first().at(0).value<TimelineEvent>();
    QCOMPARE(event.kind, TimelineEvent::Kind::Restart);
    QCOMPARE(event.label, std::string("reset"));
    QVERIFY2(QString::fromStdString(event.detail).contains(QStringLiteral("version 1b went back")),
             event.detail.c_str());
}
