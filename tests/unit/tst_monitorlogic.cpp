// RolloutMonitor's own logic on virtual time: the socket-free fakes answer, a ManualScheduler
// fires the poll timer, so every wait is exact and no test sleeps. What needs a real gateway or
// real sockets (live KPIs, an outage of a real process, a backend that hangs) stays in
// tests/integration/tst_rolloutmonitor.cpp.
#include "console/rolloutmonitor.h"
#include "fakecontrolplane.h"
#include "fakemetricssource.h"
#include "virtualtime.h"

#include "util/clock.h"
#include "util/scheduler.h"

#include <QSignalSpy>
#include <QTest>

#include <algorithm>
#include <memory>
#include <vector>

using namespace canary;
using namespace canary::testing;
using namespace std::chrono_literals;
using metrics::Kpi;
using Request = FakeControlPlane::Request;

namespace {

MonitorSettings quickSettings()
{
    MonitorSettings settings;
    settings.pollInterval = 1s;
    settings.missedPollsForLost = 3;
    settings.maxBackoff = 5s;
    settings.kpiWindow = 10s;
    settings.decisionWindow = 30s;
    settings.backfill = 0ms; // the back-fill tests turn it on
    return settings;
}

// A monitor on the fakes and a virtual clock. Declared in this order so that the monitor goes
// first and the backends it reads outlive it.
struct Rig
{
    explicit Rig(MonitorSettings settings = quickSettings(),
                 RolloutState state = FakeControlPlane::canaryAt(Weight::fromTenths(100)))
        : control(std::move(state))
    {
        control.setClock(clock);
        metrics.setClock(clock);
        metrics.setGenerator(steady);
        monitor = std::make_unique<RolloutMonitor>(&control, &metrics, scheduler, settings);
    }

    std::chrono::milliseconds sinceStart() const
    {
        return std::chrono::duration_cast<std::chrono::milliseconds>(clock.now() -
                                                                     ManualClock().now());
    }

    ManualClock clock;
    ManualScheduler scheduler{clock};
    FakeControlPlane control;
    FakeMetricsSource metrics;
    std::unique_ptr<RolloutMonitor> monitor;
};

std::vector<LinkHealth> healthSequence(const QSignalSpy &spy)
{
    std::vector<LinkHealth> out;
    for (const auto &arguments : spy)
        out.push_back(arguments.at(0).value<LinkHealth>());
    return out;
}

std::size_t gapCount(const metrics::TimeSeries &series)
{
    std::size_t gaps = 0;
    for (std::size_t i = 0; i < series.size(); ++i)
        gaps += series.at(i).isGap() ? 1 : 0;
    return gaps;
}

// A series as "10,20,gap,50" for QCOMPARE.
QString render(const metrics::TimeSeries &series)
{
    QStringList values;
    for (std::size_t i = 0; i < series.size(); ++i)
        values << (series.at(i).isGap() ? QStringLiteral("gap")
                                        : QString::number(series.at(i).value));
    return values.join(u',');
}

} // namespace

class TestMonitorLogic final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void aPollStillOutIsNeverSentTwice();
    void refreshWhileInFlightPollsOnceRightAfter();
    void latePollsCountAsMissed_data();
    void latePollsCountAsMissed();
    void feedFailures_data();
    void feedFailures();
    void acceptStateWinsOverOlderPolls();
    void numbersAreLive_data();
    void numbersAreLive();
    void snapshotFromDecisionWindowChartFromKpiWindow();
    void restartsAreToldOnce_data();
    void restartsAreToldOnce();
    void versionChangesAreEvents();
    void retentionTrimsHistory();
    void backfill_data();
    void backfill();
    void backfillComesBeforeTheFirstPoll();
};

void TestMonitorLogic::aPollStillOutIsNeverSentTwice()
{
    Rig rig;
    rig.control.holdAnswers(true);
    rig.metrics.holdAnswers(true);
    rig.monitor->start();
    QCOMPARE(rig.control.callCount(Request::FetchState), 1);
    QCOMPARE(rig.metrics.readCount(), 1);

    // Ten intervals pass with both answers held: the poll counts as missed, nothing is resent.
    rig.scheduler.advance(10s);
    settle();
    QVERIFY(rig.monitor->isPolling());
    QCOMPARE(rig.control.callCount(Request::FetchState), 1);
    QCOMPARE(rig.metrics.readCount(), 1);
    QCOMPARE(rig.metrics.mostReadsInFlight(), 1);
    QCOMPARE(rig.monitor->health(), LinkHealth::Lost);

    // The late answers land: Live again, and the next poll is one normal interval away.
    QCOMPARE(rig.control.releaseAll(), 1);
    QCOMPARE(rig.metrics.releaseAll(), 1);
    settle();
    QVERIFY(!rig.monitor->isPolling());
    QCOMPARE(rig.monitor->health(), LinkHealth::Live);
    QCOMPARE(rig.control.callCount(Request::FetchState), 1);
    QCOMPARE(rig.scheduler.nextDue(), std::optional(rig.clock.now() + 1s));
    QVERIFY(rig.scheduler.fireNext());
    QCOMPARE(rig.control.callCount(Request::FetchState), 2);
    QCOMPARE(rig.metrics.readCount(), 2);
    QCOMPARE(rig.metrics.mostReadsInFlight(), 1);
}

void TestMonitorLogic::refreshWhileInFlightPollsOnceRightAfter()
{
    MonitorSettings settings = quickSettings();
    settings.pollInterval = 60s; // polls only when asked
    Rig rig(settings);
    rig.control.holdAnswers(true);
    rig.metrics.holdAnswers(true);
    rig.monitor->start();
    rig.monitor->refreshNow();
    rig.monitor->refreshNow();
    QCOMPARE(rig.control.callCount(Request::FetchState), 1);
    QCOMPARE(rig.metrics.readCount(), 1);

    // As soon as the poll in flight has landed, one more goes out, at the same moment.
    const SystemTime landed = rig.clock.now();
    rig.control.releaseAll();
    rig.metrics.releaseAll();
    settle();
    QCOMPARE(rig.control.callCount(Request::FetchState), 2);
    QCOMPARE(rig.metrics.readCount(), 2);
    QVERIFY(rig.monitor->isPolling());
    QCOMPARE(rig.clock.now(), landed);

    // However often it was asked for: once.
    rig.control.releaseAll();
    rig.metrics.releaseAll();
    settle();
    QVERIFY(!rig.monitor->isPolling());
    QCOMPARE(rig.control.callCount(Request::FetchState), 2);
    QCOMPARE(rig.metrics.readCount(), 2);
    QCOMPARE(rig.monitor->health(), LinkHealth::Live);
}

void TestMonitorLogic::latePollsCountAsMissed_data()
{
    QTest::addColumn<bool>("rolloutLate");
    QTest::addColumn<bool>("metricsLate");

    QTest::newRow("rollout late") << true << false;
    QTest::newRow("metrics late") << false << true;
    QTest::newRow("both late") << true << true;
}

void TestMonitorLogic::latePollsCountAsMissed()
{
    QFETCH(bool, rolloutLate);
    QFETCH(bool, metricsLate);

    Rig rig;
    rig.control.holdAnswers(rolloutLate);
    rig.metrics.holdAnswers(metricsLate);
    QSignalSpy failedSpy(rig.monitor.get(), &RolloutMonitor::pollFailed);
    const SystemTime started = rig.clock.now();
    rig.monitor->start();
    settle();
    const FeedStatus &rollout = rig.monitor->stateFeed();
    const FeedStatus &metrics = rig.monitor->metricsFeed();

    // One late tick is jitter.
    rig.scheduler.advance(1s);
    QCOMPARE(rig.monitor->missedPolls(), 0);
    QCOMPARE(failedSpy.count(), 0);

    // From the second on, each tick counts as missed for the feed still out, and says which.
    rig.scheduler.advance(1s);
    QCOMPARE(rollout.missed, rolloutLate ? 1 : 0);
    QCOMPARE(metrics.missed, metricsLate ? 1 : 0);
    QCOMPARE(rig.monitor->health(), LinkHealth::Stale);
    QCOMPARE(rollout.lastError,
             rolloutLate ? QStringLiteral("Rollout: No answer from the backend for 2000 ms.")
                         : QString());
    QCOMPARE(metrics.lastError,
             metricsLate ? QStringLiteral("Metrics: No answer from the backend for 2000 ms.")
                         : QString());
    QCOMPARE(rollout.health, rolloutLate ? LinkHealth::Stale : LinkHealth::Live);
    QCOMPARE(metrics.health, metricsLate ? LinkHealth::Stale : LinkHealth::Live);
    QCOMPARE(failedSpy.count(), (rolloutLate ? 1 : 0) + (metricsLate ? 1 : 0));
    QVERIFY(failedSpy.last().at(0).toString().contains(QStringLiteral("for 2000 ms")));

    rig.scheduler.advance(2s);
    QCOMPARE(rig.monitor->missedPolls(), 3);
    QCOMPARE(rig.monitor->health(), LinkHealth::Lost);
    // Nothing was sent again meanwhile, of either kind.
    QCOMPARE(rig.control.callCount(Request::FetchState), 1);
    QCOMPARE(rig.metrics.readCount(), 1);
    // A feed that answers keeps the normal cadence; only when nothing answers does it back off.
    QCOMPARE(rig.monitor->currentPollInterval(), rolloutLate && metricsLate ? 2s : 1s);

    // The late answer is a good one: Live again at once, and the picture is of now.
    rig.control.releaseAll();
    rig.metrics.releaseAll();
    settle();
    QCOMPARE(rig.monitor->health(), LinkHealth::Live);
    QCOMPARE(rig.monitor->missedPolls(), 0);
    QVERIFY(rig.monitor->lastError().isEmpty());
    const FeedStatus &late = rolloutLate ? rollout : metrics;
    QCOMPARE(late.lastGood, std::optional(rig.clock.now()));
    // The picture as a whole is as old as the feed that answered last time it was asked.
    QCOMPARE(rig.monitor->lastGoodUpdate(),
             std::optional(rolloutLate && metricsLate ? rig.clock.now() : started));
    QCOMPARE(rig.monitor->currentPollInterval(), 1s);
}

void TestMonitorLogic::feedFailures_data()
{
    QTest::addColumn<bool>("rolloutFails");
    QTest::addColumn<bool>("metricsFails");
    QTest::addColumn<QList<int>>("waits"); // ms before each poll: six failing, then two good

    // Lost after three misses; then the wait doubles from the interval up to maxBackoff (5 s).
    // The first good answer brings the normal cadence back at once.
    QTest::newRow("nothing answers")
        << true << true << QList<int>{1000, 1000, 1000, 2000, 4000, 5000, 5000, 1000};
    // A feed that answers is polled at the normal cadence, so it stays current.
    QTest::newRow("only the metrics fail")
        << false << true << QList<int>{1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000};
    QTest::newRow("only the rollout fails")
        << true << false << QList<int>{1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000};
}

// Connecting → Live → Stale → Lost → Live, per feed and as a whole; the backoff; one gap.
void TestMonitorLogic::feedFailures()
{
    QFETCH(bool, rolloutFails);
    QFETCH(bool, metricsFails);
    QFETCH(QList<int>, waits);

    Rig rig;
    QSignalSpy healthSpy(rig.monitor.get(), &RolloutMonitor::healthChanged);
    QSignalSpy failedSpy(rig.monitor.get(), &RolloutMonitor::pollFailed);
    QSignalSpy kpiSpy(rig.monitor.get(), &RolloutMonitor::kpisUpdated);
    QCOMPARE(rig.monitor->health(), LinkHealth::Connecting);
    rig.monitor->start();
    settle();
    QCOMPARE(rig.monitor->health(), LinkHealth::Live);
    const SystemTime firstGood = rig.clock.now();

    constexpr int failing = 6;
    for (int i = 0; i < failing; ++i) {
        if (rolloutFails)
            rig.control.failNext(FakeControlPlane::unreachable(false), Request::FetchState);
        if (metricsFails)
            rig.metrics.failNext("Fake metrics source answered HTTP 503.");
    }
    // Someone moves the rollout meanwhile: a rollout feed that answers shows it.
    rig.control.setState(FakeControlPlane::canaryAt(Weight::fromTenths(300), 2));

    QList<int> waited;
    for (int poll = 0; poll < int(waits.size()); ++poll) {
        const SystemTime before = rig.clock.now();
        QVERIFY(rig.scheduler.fireNext());
        waited << int(
            std::chrono::duration_cast<std::chrono::milliseconds>(rig.clock.now() - before)
                .count());
        settle();
        if (poll == failing - 1) {
            // The end of the outage, before the first good answer.
            const FeedStatus &failed =
                rolloutFails ? rig.monitor->stateFeed() : rig.monitor->metricsFeed();
            QCOMPARE(failed.health, LinkHealth::Lost);
            QCOMPARE(failed.missed, failing);
            QCOMPARE(rig.monitor->health(), LinkHealth::Lost);
            QCOMPARE(rig.monitor->lastGoodUpdate(), std::optional(firstGood));
            QCOMPARE(rig.monitor->stateFeed().health,
                     rolloutFails ? LinkHealth::Lost : LinkHealth::Live);
            QCOMPARE(rig.monitor->metricsFeed().health,
                     metricsFails ? LinkHealth::Lost : LinkHealth::Live);
            QCOMPARE(rig.monitor->stateFeed().lastError,
                     rolloutFails ? QStringLiteral("Rollout unreadable: backend unreachable: "
                                                   "connection refused; the request was not sent.")
                                  : QString());
            QCOMPARE(
                rig.monitor->metricsFeed().lastError,
                metricsFails
                    ? QStringLiteral("Metrics unreadable: Fake metrics source answered HTTP 503.")
                    : QString());
            // The feed that answers kept being used.
            QCOMPARE(rig.monitor->state()->revision, rolloutFails ? 1 : 2);
            QCOMPARE(kpiSpy.count(), metricsFails ? 1 : 1 + failing);
        }
    }
    QCOMPARE(waited, waits);
    QCOMPARE(healthSequence(healthSpy),
             (std::vector<LinkHealth>{LinkHealth::Live, LinkHealth::Stale, LinkHealth::Lost,
                                      LinkHealth::Live}));
    QCOMPARE(failedSpy.count(), failing);
    QVERIFY(rig.monitor->lastError().isEmpty());
    QCOMPARE(rig.monitor->state()->revision, 2);
    QVERIFY(*rig.monitor->lastGoodUpdate() > firstGood);
    // A metrics outage is one gap in the charts, never a flat line or a zero.
    const auto &rates = rig.monitor->history().series(VariantRole::Production, Kpi::RequestRate);
    QCOMPARE(gapCount(rates), std::size_t(metricsFails ? 1 : 0));
    QVERIFY(!rates.back().isGap());
}

void TestMonitorLogic::acceptStateWinsOverOlderPolls()
{
    MonitorSettings settings = quickSettings();
    settings.pollInterval = 60s; // polls only when asked
    Rig rig(settings, FakeControlPlane::canaryAt(Weight::fromTenths(250), 3));
    QSignalSpy stateSpy(rig.monitor.get(), &RolloutMonitor::stateChanged);
    rig.monitor->start();
    settle();
    QCOMPARE(stateSpy.count(), 1);
    QCOMPARE(rig.monitor->state()->revision, 3);

    // The same state again is not news, from an action or from a poll.
    rig.monitor->acceptState(*rig.monitor->state());
    rig.monitor->refreshNow();
    settle();
    QCOMPARE(stateSpy.count(), 1);

    // A state an action got back shows at once, and a poll already under way with the older
    // document does not undo it.
    rig.control.holdAnswers(true);
    rig.monitor->refreshNow(); // its answer holds revision 3
    const RolloutState newer = FakeControlPlane::canaryAt(Weight::fromTenths(500), 4);
    rig.monitor->acceptState(newer);
    QCOMPARE(stateSpy.count(), 2);
    QCOMPARE(*rig.monitor->state(), newer);
    rig.control.releaseAll();
    settle();
    QVERIFY(!rig.monitor->isPolling());
    QCOMPARE(rig.monitor->stateFeed().health, LinkHealth::Live); // a good answer, just older
    QCOMPARE(rig.monitor->state()->revision, 4);
    QCOMPARE(stateSpy.count(), 2);

    // A poll sent after the action: the backend is the truth again.
    rig.control.holdAnswers(false);
    rig.monitor->refreshNow();
    settle();
    QCOMPARE(rig.monitor->state()->revision, 3);
    QCOMPARE(stateSpy.count(), 3);
    QCOMPARE(stateSpy.last().at(0).value<RolloutState>().revision, 3);
}

void TestMonitorLogic::numbersAreLive_data()
{
    QTest::addColumn<QString>("polls"); // what each poll's metrics read gives
    QTest::addColumn<bool>("live");
    QTest::addColumn<int>("snapshotOfPoll"); // the poll whose window the snapshot is; -1: none

    // "window": both windows, ending at the reading; "baseline": a good reading without windows
    // (a scraping source's first scrape after a gap); "gap": a failed read; "chart-only": the
    // chart's window but no decision window yet.
    QTest::newRow("baseline only") << "baseline" << false << -1;
    QTest::newRow("first window") << "baseline,window" << true << 1;
    QTest::newRow("in a gap") << "window,window,gap" << false << 1;
    QTest::newRow("baseline after a gap") << "window,window,gap,baseline" << false << 1;
    QTest::newRow("new window after a gap") << "window,gap,baseline,window" << true << 3;
    QTest::newRow("decision window missing") << "window,chart-only" << false << 0;
}

void TestMonitorLogic::numbersAreLive()
{
    QFETCH(QString, polls);
    QFETCH(bool, live);
    QFETCH(int, snapshotOfPoll);

    Rig rig;
    // Poll i reads script[i]; it happens i intervals after the start.
    std::vector<MetricsReading> script;
    std::vector<SystemTime> pollTimes;
    const QStringList steps = polls.split(u',');
    for (int i = 0; i < int(steps.size()); ++i) {
        const SystemTime at = rig.clock.now() + i * 1s;
        pollTimes.push_back(at);
        MetricsReading reading = steady({10s, 30s}, at);
        if (steps[i] == QStringLiteral("gap"))
            reading = {"Fake metrics source answered HTTP 503.", at, {}};
        else if (steps[i] == QStringLiteral("baseline"))
            reading.windows = {std::nullopt, std::nullopt};
        else if (steps[i] == QStringLiteral("chart-only"))
            reading.windows[1].reset();
        script.push_back(std::move(reading));
    }
    rig.metrics.setGenerator([&](const FakeMetricsSource::Windows &, SystemTime) {
        // Reads after the script (the re-read after an action) repeat its last one.
        return script.at(std::min(std::size_t(rig.metrics.readCount() - 1), script.size() - 1));
    });
    rig.monitor->start();
    settle();
    for (int i = 1; i < int(steps.size()); ++i) {
        QVERIFY(rig.scheduler.fireNext());
        settle();
    }
    QCOMPARE(rig.clock.now(), pollTimes.back());
    QCOMPARE(rig.monitor->metricsFeed().health,
             steps.back() == QStringLiteral("gap") ? LinkHealth::Stale : LinkHealth::Live);
    QCOMPARE(rig.monitor->numbersAreLive(), live);
    if (snapshotOfPoll < 0) {
        QVERIFY(!rig.monitor->snapshot().valid());
    } else {
        QVERIFY(rig.monitor->snapshot().valid());
        QCOMPARE(rig.monitor->snapshot().to, pollTimes[snapshotOfPoll]);
    }
}

void TestMonitorLogic::snapshotFromDecisionWindowChartFromKpiWindow()
{
    Rig rig;
    QSignalSpy kpiSpy(rig.monitor.get(), &RolloutMonitor::kpisUpdated);
    const SystemTime now = rig.clock.now();
    MetricsReading reading;
    reading.time = now;
    reading.windows.push_back(FakeMetricsSource::snapshot(served(100), served(10), 10s, now, 3));
    reading.windows.push_back(
        FakeMetricsSource::snapshot(served(900, 0, 80), served(60, 6, 90), 30s, now, 7));
    rig.metrics.pushReading(reading);
    rig.monitor->start();
    settle();

    // Asked for the chart's window first, then the decision's.
    QCOMPARE(rig.metrics.windowsAsked().size(), std::size_t(1));
    QCOMPARE(rig.metrics.windowsAsked().front(), (FakeMetricsSource::Windows{10s, 30s}));
    const KpiSnapshot &snapshot = rig.monitor->snapshot();
    QCOMPARE(snapshot.from, now - 30s);
    QCOMPARE(snapshot.to, now);
    QCOMPARE(snapshot.readings, std::size_t(7));
    QCOMPARE(snapshot.kpis.production.requestsInWindow, 900.0);
    QCOMPARE(snapshot.kpis.canary.errorRatio, 0.1);
    QVERIFY(rig.monitor->numbersAreLive());
    // The chart point and latestKpis() are the short window.
    QCOMPARE(rig.monitor->latestKpis()->production.requestsInWindow, 100.0);
    QCOMPARE(kpiSpy.count(), 1);
    QCOMPARE(kpiSpy.first().at(0).value<metrics::KpiResult>().production.requestsInWindow, 100.0);
    const auto &rates = rig.monitor->history().series(VariantRole::Production, Kpi::RequestRate);
    QCOMPARE(render(rates), QStringLiteral("10"));
    QCOMPARE(rates.back().time, now);
}

void TestMonitorLogic::restartsAreToldOnce_data()
{
    QTest::addColumn<int>("role");
    QTest::addColumn<QString>("version"); // empty: every counter of the variant fell at once
    QTest::addColumn<QString>("label");
    QTest::addColumn<QString>("fragment");

    QTest::newRow("production restarted")
        << int(VariantRole::Production) << QString() << "restart"
        << "Every counter of the production variant went back to a lower value at once";
    QTest::newRow("one canary version reset")
        << int(VariantRole::Canary) << "2.1"
        << "reset"
        << "Counters of the canary variant's version 2.1 went back to a lower value";
    QTest::newRow("a reset without a version label")
        << int(VariantRole::Production) << "-"
        << "reset"
        << "Counters of the production variant's version (no version) went back";
}

void TestMonitorLogic::restartsAreToldOnce()
{
    QFETCH(int, role);
    QFETCH(QString, version);
    QFETCH(QString, label);
    QFETCH(QString, fragment);

    Rig rig;
    const auto variant = VariantRole(role);
    // Restarts seen at these moments stay inside the sliding windows for four polls each.
    const SystemTime start = rig.clock.now();
    const std::vector<SystemTime> restarts{start + 2s, start + 7s};
    rig.metrics.setGenerator([&](const FakeMetricsSource::Windows &windows, SystemTime now) {
        MetricsReading reading = steady(windows, now);
        metrics::VariantKpis &kpis = reading.windows[0]->kpis.variant(variant);
        for (const SystemTime at : restarts) {
            if (at > now || now - at > 3s)
                continue;
            if (version.isEmpty())
                kpis.restartedAt = at;
            else
                kpis.resets.push_back({"canary_requests_total",
                                       version == QStringLiteral("-") ? "" : version.toStdString(),
                                       at});
        }
        return reading;
    });
    QSignalSpy eventSpy(rig.monitor.get(), &RolloutMonitor::eventAdded);
    rig.monitor->start();
    settle();
    for (int poll = 1; poll <= 10; ++poll) {
        QVERIFY(rig.scheduler.fireNext());
        settle();
        QCOMPARE(eventSpy.count(), poll < 2 ? 0 : poll < 7 ? 1 : 2);
    }
    for (std::size_t i = 0; i < restarts.size(); ++i) {
        const auto event = eventSpy.at(int(i)).at(0).value<TimelineEvent>();
        QCOMPARE(event.kind, TimelineEvent::Kind::Restart);
        QCOMPARE(event.role, std::optional(variant));
        QCOMPARE(event.time, restarts[i]);
        QCOMPARE(QString::fromStdString(event.label), label);
        QVERIFY2(QString::fromStdString(event.detail).contains(fragment), event.detail.c_str());
    }
    QCOMPARE(rig.monitor->events().size(), restarts.size());
}

void TestMonitorLogic::versionChangesAreEvents()
{
    MonitorSettings settings = quickSettings();
    settings.pollInterval = 60s; // polls only when asked
    Rig rig(settings, FakeControlPlane::canaryAt(Weight::fromTenths(100), 3));
    QSignalSpy eventSpy(rig.monitor.get(), &RolloutMonitor::eventAdded);
    rig.monitor->start();
    settle();
    QVERIFY(rig.monitor->state().has_value());
    QCOMPARE(eventSpy.count(), 0); // the first document is the starting point

    const auto pollWith = [&](RolloutState state) {
        rig.control.setState(std::move(state));
        rig.clock.advance(1s);
        rig.monitor->refreshNow();
        settle();
    };
    // A weight change is no new model.
    pollWith(FakeControlPlane::canaryAt(Weight::fromTenths(500), 4));
    QCOMPARE(eventSpy.count(), 0);

    // Promoted: production now serves version 2.0.
    RolloutState promoted = FakeControlPlane::stable(5);
    promoted.phase = RolloutPhase::Promoted;
    promoted.production.version = "2.0";
    pollWith(promoted);
    QCOMPARE(eventSpy.count(), 1);
    auto event = eventSpy.last().at(0).value<TimelineEvent>();
    QCOMPARE(event.kind, TimelineEvent::Kind::VersionChange);
    QCOMPARE(event.role, std::optional(VariantRole::Production));
    QCOMPARE(event.label, std::string("2.0"));
    QCOMPARE(event.detail, std::string("The production variant now serves m 2.0 (was m 1.0)."));
    QCOMPARE(event.time, rig.clock.now());

    // Staged again: the canary slot gets a model.
    RolloutState staged = promoted;
    staged.revision = 6;
    staged.phase = RolloutPhase::Canary;
    staged.canary = VariantInfo{VariantRole::Canary, "m", "3.0", Weight()};
    pollWith(staged);
    QCOMPARE(eventSpy.count(), 2);
    event = eventSpy.last().at(0).value<TimelineEvent>();
    QCOMPARE(event.role, std::optional(VariantRole::Canary));
    QCOMPARE(event.detail, std::string("The canary variant now serves m 3.0."));

    // The revision goes back: the backend restarted.
    RolloutState restarted = promoted;
    restarted.revision = 1;
    restarted.phase = RolloutPhase::Stable;
    pollWith(restarted);
    QCOMPARE(eventSpy.count(), 3);
    event = eventSpy.last().at(0).value<TimelineEvent>();
    QCOMPARE(event.kind, TimelineEvent::Kind::Restart);
    QVERIFY(!event.role); // both columns
    QVERIFY2(QString::fromStdString(event.detail).contains(QStringLiteral("from 6 to 1")),
             event.detail.c_str());
    QCOMPARE(rig.monitor->events().size(), std::size_t(3));
}

void TestMonitorLogic::retentionTrimsHistory()
{
    MonitorSettings settings = quickSettings();
    settings.pollInterval = 10min;
    settings.maxBackoff = 10min;
    settings.retention = 30min;
    Rig rig(settings);
    rig.monitor->start();
    settle();
    for (int poll = 0; poll < 12; ++poll) {
        rig.scheduler.advance(10min);
        settle();
    }
    QCOMPARE(rig.sinceStart(), std::chrono::milliseconds(2h));
    // Points every ten minutes; the 30 minutes before the newest are kept, ends included.
    const auto &rates = rig.monitor->history().series(VariantRole::Production, Kpi::RequestRate);
    QCOMPARE(rates.size(), std::size_t(4));
    QCOMPARE(rates.back().time, rig.clock.now());
    QCOMPARE(rates.front().time, rig.clock.now() - 30min);
    QCOMPARE(gapCount(rates), std::size_t(0));
}

void TestMonitorLogic::backfill_data()
{
    QTest::addColumn<bool>("sourceHasHistory");
    QTest::addColumn<int>("backfillSeconds");
    QTest::addColumn<QList<int>>("steps"); // which of the seven 10 s steps have data
    QTest::addColumn<QString>("historyError");
    QTest::addColumn<QString>("series"); // production's request rate once the first poll landed

    const QList<int> all{0, 1, 2, 3, 4, 5, 6};
    // Step i's rate is 10 * (i + 1); the live poll's is 999.
    QTest::newRow("complete") << true << 60 << all << QString() << "10,20,30,40,50,60,70,999";
    QTest::newRow("missing steps are a gap")
        << true << 60 << QList<int>{0, 1, 4, 5, 6} << QString() << "10,20,gap,50,60,70,999";
    QTest::newRow("data only lately")
        << true << 60 << QList<int>{4, 5, 6} << QString() << "50,60,70,999";
    QTest::newRow("history fails")
        << true << 60 << all << "Prometheus at http://127.0.0.1:9 did not answer."
        << "999";
    QTest::newRow("source without history") << false << 60 << all << QString() << "999";
    QTest::newRow("back-fill turned off") << true << 0 << all << QString() << "999";
}

void TestMonitorLogic::backfill()
{
    QFETCH(bool, sourceHasHistory);
    QFETCH(int, backfillSeconds);
    QFETCH(QList<int>, steps);
    QFETCH(QString, historyError);
    QFETCH(QString, series);

    MonitorSettings settings = quickSettings();
    settings.backfill = std::chrono::seconds(backfillSeconds);
    settings.backfillStep = 10s;
    Rig rig(settings);
    MetricsCapabilities capabilities = FakeMetricsSource::defaultCapabilities();
    capabilities.history = sourceHasHistory;
    rig.metrics.setCapabilities(capabilities);
    const SystemTime start = rig.clock.now();
    MetricsHistory history;
    history.error = historyError.toStdString();
    for (const int step : steps) {
        const SystemTime at = start - 60s + step * 10s;
        history.points.push_back(FakeMetricsSource::kpis(served(100.0 * (step + 1)), {}, 10s, at));
    }
    rig.metrics.setHistory(history);
    rig.metrics.setGenerator([](const FakeMetricsSource::Windows &windows, SystemTime now) {
        return FakeMetricsSource::steadyReading(windows, now, served(9990), {});
    });
    QSignalSpy finishedSpy(rig.monitor.get(), &RolloutMonitor::backfillFinished);
    rig.monitor->start();
    settle();

    const bool asked = sourceHasHistory && backfillSeconds > 0;
    QCOMPARE(rig.metrics.historyReadCount(), asked ? 1 : 0);
    if (asked) {
        const FakeMetricsSource::HistoryRequest &request = rig.metrics.historyAsked().front();
        QCOMPARE(request.from, start - 60s);
        QCOMPARE(request.to, start);
        QCOMPARE(request.step, 10s);
        QCOMPARE(request.window, settings.kpiWindow);
    }
    QCOMPARE(finishedSpy.count(), asked ? 1 : 0);
    QCOMPARE(rig.monitor->backfillError(), asked ? historyError : QString());
    const bool filled = asked && historyError.isEmpty();
    QCOMPARE(rig.monitor->backfilledPoints(), filled ? std::size_t(steps.size()) : 0);
    // Polling started either way, after the back-fill.
    QCOMPARE(rig.control.callCount(Request::FetchState), 1);
    QCOMPARE(rig.metrics.readCount(), 1);
    QCOMPARE(rig.monitor->health(), LinkHealth::Live);
    QCOMPARE(render(rig.monitor->history().series(VariantRole::Production, Kpi::RequestRate)),
             series);
}

void TestMonitorLogic::backfillComesBeforeTheFirstPoll()
{
    MonitorSettings settings = quickSettings();
    settings.backfill = 60s;
    settings.backfillStep = 10s;
    Rig rig(settings);
    MetricsHistory history;
    history.points.push_back(FakeMetricsSource::kpis(served(100), {}, 10s, rig.clock.now() - 10s));
    rig.metrics.setHistory(history);
    rig.metrics.holdAnswers(true);
    QSignalSpy finishedSpy(rig.monitor.get(), &RolloutMonitor::backfillFinished);
    rig.monitor->start();
    QVERIFY(rig.monitor->isRunning());
    QCOMPARE(rig.metrics.historyReadCount(), 1);

    // While the back-fill is out nothing polls, not the timer and not a refresh.
    rig.monitor->refreshNow();
    rig.scheduler.advance(1min);
    settle();
    QCOMPARE(finishedSpy.count(), 0);
    QCOMPARE(rig.control.callCount(Request::FetchState), 0);
    QCOMPARE(rig.metrics.readCount(), 0);
    QVERIFY(!rig.monitor->isPolling());

    // It lands: its points are in history() when backfillFinished comes, and one poll follows.
    std::size_t pointsWhenFinished = 0;
    int readsWhenFinished = -1;
    connect(rig.monitor.get(), &RolloutMonitor::backfillFinished, this, [&] {
        pointsWhenFinished =
            rig.monitor->history().series(VariantRole::Production, Kpi::RequestRate).size();
        readsWhenFinished = rig.metrics.readCount();
    });
    QCOMPARE(rig.metrics.releaseAll(), 1);
    settle();
    QCOMPARE(finishedSpy.count(), 1);
    QCOMPARE(pointsWhenFinished, std::size_t(1));
    QCOMPARE(readsWhenFinished, 0);
    QCOMPARE(rig.control.callCount(Request::FetchState), 1);
    QCOMPARE(rig.metrics.readCount(), 1);
    QVERIFY(rig.monitor->isPolling());
}

QTEST_GUILESS_MAIN(TestMonitorLogic)
#include "tst_monitorlogic.moc"
