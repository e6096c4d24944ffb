// PlanController on virtual time: a ManualScheduler fires the plan's interval, the socket-free
// fakes answer, and the metrics are counts the real judge decides on. Every wait is exact and no
// test sleeps. canaryctl run against the real gateway is in tests/integration/tst_canaryctlrun.cpp.
#include "fakecontrolplane.h"
#include "fakemetricssource.h"
#include "rollout/plancontroller.h"
#include "virtualtime.h"

#include "util/clock.h"
#include "util/scheduler.h"

#include <QSignalSpy>
#include <QTest>

#include <algorithm>
#include <cmath>
#include <memory>
#include <vector>

using namespace canary;
using namespace canary::rollout;
using namespace canary::testing;
using namespace std::chrono_literals;
using Request = FakeControlPlane::Request;

namespace {

Weight percent(int value)
{
    return Weight::fromTenths(value * 10);
}

analysis::GateSpec errorGate(bool critical = true)
{
    analysis::GateSpec gate;
    gate.name = "errors";
    gate.metric = analysis::GateMetric::ErrorRate;
    gate.tolerance = 0.2;
    gate.floor = 0.002;
    gate.critical = critical;
    return gate;
}

analysis::GateSpec accuracyGate()
{
    analysis::GateSpec gate;
    gate.name = "accuracy";
    gate.metric = analysis::GateMetric::Accuracy;
    gate.direction = analysis::Direction::LowerIsWorse;
    gate.tolerance = 0.05;
    return gate;
}

// Two steps of a minute, 10 % then 50 %, judged every second on the error rate alone (the fake
// source gives no latency histogram).
Plan twoSteps()
{
    Plan plan;
    plan.name = "test";
    plan.steps = {{percent(10), 60s, 1000}, {percent(50), 60s, 1000}};
    plan.judge.gates = {errorGate()};
    plan.interval = 1s;
    return plan;
}

// Traffic per second and error rates of both variants; the fake's windows hold the counts of
// however long a window was asked for, so the judge sees exactly what a real source would give.
struct Traffic
{
    double productionRps = 900;
    double canaryRps = 100;
    double productionErrors = 0.01;
    double canaryErrors = 0.01;
    bool down = false; // the source answers with an error
};

struct Rig
{
    explicit Rig(Plan plan = twoSteps(), RolloutState state = FakeControlPlane::canaryAt(Weight()),
                 ControllerOptions options = {})
        : control(std::move(state))
    {
        control.setClock(clock);
        metrics.setClock(clock);
        metrics.setAddress("http://127.0.0.1:9090");
        metrics.setGenerator([this](const FakeMetricsSource::Windows &windows, SystemTime now) {
            MetricsReading reading;
            reading.time = now;
            if (traffic.down) {
                reading.error = "Prometheus at http://127.0.0.1:9090 did not answer within 5 s";
                return reading;
            }
            for (const auto window : windows) {
                const double seconds = std::chrono::duration<double>(window).count();
                const double p = std::round(traffic.productionRps * seconds);
                const double c = std::round(traffic.canaryRps * seconds);
                reading.windows.push_back(FakeMetricsSource::snapshot(
                    served(p, std::round(p * traffic.productionErrors)),
                    served(c, std::round(c * traffic.canaryErrors)), window, now));
            }
            return reading;
        });
        controller = std::make_unique<PlanController>(std::move(plan), &control, &metrics,
                                                      scheduler, options);
    }

    // Runs the plan for `duration` of virtual time, one interval at a time, letting every answer
    // land after each.
    void run(std::chrono::milliseconds duration)
    {
        settle();
        for (auto t = 0ms; t < duration; t += 1s) {
            scheduler.advance(1s);
            settle();
        }
    }
    void start()
    {
        controller->start();
        settle();
    }

    std::vector<DecisionKind> kinds() const
    {
        std::vector<DecisionKind> out;
        for (const Decision &d : controller->decisions())
            out.push_back(d.kind);
        return out;
    }
    const Decision *last(DecisionKind kind) const
    {
        const auto &all = controller->decisions();
        const auto it = std::find_if(all.rbegin(), all.rend(),
                                     [kind](const Decision &d) { return d.kind == kind; });
        return it == all.rend() ? nullptr : &*it;
    }
    int count(DecisionKind kind) const
    {
        const auto &all = controller->decisions();
        return int(std::count_if(all.begin(), all.end(),
                                 [kind](const Decision &d) { return d.kind == kind; }));
    }
    QStringList actions() const
    {
        QStringList out;
        for (const QString &call : control.callLog())
            if (call != QLatin1String("fetchState"))
                out << call;
        return out;
    }

    Traffic traffic;
    ManualClock clock;
    ManualScheduler scheduler{clock};
    FakeControlPlane control;
    FakeMetricsSource metrics;
    std::unique_ptr<PlanController> controller; // last: goes first, the backends outlive it
};

// A source like CloudWatch: whole minutes only, each readable `delay` after it ends, and
// readSince() gives exactly the minutes after `since` (or no window). 2,700 production and 300
// canary requests a minute, 1 % errors each. Records every window it gave.
class LaggingMinutes final : public MetricsSource
{
public:
    static constexpr std::int64_t kMinute = 60;

    LaggingMinutes(const Clock &clock, std::chrono::seconds delay)
        : m_clock(clock)
        , m_delay(delay)
    {}

    MetricsCapabilities capabilities() const override
    {
        MetricsCapabilities c;
        c.kind = "Lagging minutes";
        c.granularity = 60s;
        return c;
    }
    std::string address() const override { return "minutes"; }
    void read(std::vector<std::chrono::milliseconds> windows, QObject *context,
              ReadCallback onDone) override
    {
        const std::int64_t minutes =
            std::max<std::int64_t>(1, (windows.front().count() + 59'999) / 60'000);
        answer(newest() - (minutes - 1) * kMinute, context, std::move(onDone));
    }
    void readSince(SystemTime since, std::chrono::milliseconds, QObject *context,
                   ReadCallback onDone) override
    {
        const std::int64_t s = seconds(since);
        answer(s % kMinute == 0 ? s : s - s % kMinute + kMinute, context, std::move(onDone));
    }
    void readHistory(SystemTime, SystemTime, std::chrono::milliseconds, std::chrono::milliseconds,
                     QObject *context, HistoryCallback onDone) override
    {
        QMetaObject::invokeMethod(
            context,
            [onDone = std::move(onDone)] {
                onDone(MetricsHistory{"no history", {}});
            },
            Qt::QueuedConnection);
    }

    // [from, to) of every window given, in epoch seconds.
    std::vector<std::pair<std::int64_t, std::int64_t>> given;

private:
    static std::int64_t seconds(SystemTime t)
    {
        return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
    }
    // The start of the newest minute that is readable now.
    std::int64_t newest() const
    {
        const std::int64_t readableEnd = seconds(m_clock.now()) - m_delay.count();
        return readableEnd - readableEnd % kMinute - kMinute;
    }
    void answer(std::int64_t from, QObject *context, ReadCallback onDone)
    {
        const std::int64_t to = newest() + kMinute;
        MetricsReading reading;
        reading.time = SystemTime(std::chrono::seconds(to));
        if (from >= to) {
            reading.windows.emplace_back();
        } else {
            const double minutes = double(to - from) / kMinute;
            FakeMetricsSource::VariantNumbers production;
            production.requests = 2700 * minutes;
            production.errors = 27 * minutes;
            FakeMetricsSource::VariantNumbers canary;
            canary.requests = 300 * minutes;
            canary.errors = 3 * minutes;
            reading.windows.push_back(FakeMetricsSource::snapshot(
                production, canary, std::chrono::seconds(to - from), reading.time));
            given.emplace_back(from, to);
        }
        QMetaObject::invokeMethod(
            context, [onDone = std::move(onDone), reading] { onDone(reading); },
            Qt::QueuedConnection);
    }

    const Clock &m_clock;
    std::chrono::seconds m_delay;
};

// QCOMPARE finds the project's toString(RunPhase) by ADL and cannot print it: compare names.
QString name(RunPhase phase)
{
    return QString::fromLatin1(toString(phase));
}

QString text(const std::string &s)
{
    return QString::fromStdString(s);
}

} // namespace

class TestPlanController final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    // CloudWatch's minutes come 90 s late: every minute is judged exactly once, none is skipped,
    // and the five-minute bake ends only once the judged minutes reach its end, not when the
    // clock does.
    void aLaggingSourceIsJudgedMinuteByMinuteAndBakesOnItsData()
    {
        ManualClock clock;
        clock.set(SystemTime(std::chrono::seconds(1'800'000'000))); // on a minute
        ManualScheduler scheduler{clock};
        FakeControlPlane control(FakeControlPlane::canaryAt(Weight()));
        control.setClock(clock);
        LaggingMinutes minutes(clock, 90s);
        Plan plan;
        plan.name = "minutes";
        plan.steps = {{percent(10), 300s, 1000}};
        plan.judge.gates = {errorGate()};
        plan.interval = 10s;
        PlanController controller(plan, &control, &minutes, scheduler);
        controller.start();
        settle();
        const SystemTime bakeStart = clock.now();
        QCOMPARE(name(controller.phase()), name(RunPhase::Baking));
        const auto step = [&](std::chrono::seconds duration) {
            for (auto t = 0s; t < duration; t += 1s) {
                scheduler.advance(1s);
                settle();
            }
        };

        // Five minutes by the clock: the judged minutes reach only 3.5 minutes back.
        step(300s);
        QCOMPARE(name(controller.phase()), name(RunPhase::Baking));
        QVERIFY(controller.bakeRemaining() && *controller.bakeRemaining() > 0ms);
        step(150s);
        QCOMPARE(name(controller.phase()), name(RunPhase::Promoted));
        // The minute that completes the bake was readable at bake start + 6:30.
        QVERIFY(clock.now() >= bakeStart + 390s);

        // Windows of whole minutes, each starting where the one before ended.
        QVERIFY(minutes.given.size() >= 2);
        for (std::size_t i = 1; i < minutes.given.size(); ++i) {
            QCOMPARE(minutes.given[i].first, minutes.given[i - 1].second);
            QCOMPARE((minutes.given[i].second - minutes.given[i].first) % 60, std::int64_t(0));
        }
        QVERIFY(minutes.given.back().second >= std::chrono::duration_cast<std::chrono::seconds>(
                                                   (bakeStart + 300s).time_since_epoch())
                                                   .count());
    }

    void advancesWhenTheGatesPassAndPromotesAfterTheLastStep()
    {
        Rig rig;
        QSignalSpy phases(rig.controller.get(), &PlanController::phaseChanged);
        rig.start();
        QCOMPARE(name(rig.controller->phase()), name(RunPhase::Baking));
        QCOMPARE(rig.controller->currentStep(), 0);
        QCOMPARE(rig.control.state().canaryWeight(), percent(10));
        QCOMPARE(rig.controller->nextWeight(), percent(50));

        // Not a moment before the bake ends, however good the numbers.
        rig.run(58s);
        QCOMPARE(rig.controller->currentStep(), 0);
        QVERIFY(rig.controller->bakeRemaining() <= 2s);
        rig.run(3s);
        QCOMPARE(rig.controller->currentStep(), 1);
        QCOMPARE(rig.control.state().canaryWeight(), percent(50));
        const Decision *advance = rig.last(DecisionKind::Advance);
        QVERIFY(advance);
        QVERIFY(advance->automatic);
        QCOMPARE(advance->outcome, Decision::Outcome::Succeeded);
        QCOMPARE(advance->weight, percent(50));
        QVERIFY2(text(advance->reason).contains(QLatin1String("canary errors")),
                 advance->reason.c_str());
        QVERIFY(advance->judgement.overall == analysis::Verdict::Pass ||
                advance->judgement.overall == analysis::Verdict::Better);

        rig.run(62s);
        QCOMPARE(name(rig.controller->phase()), name(RunPhase::Promoted));
        QCOMPARE(rig.actions(), QStringList({QStringLiteral("setCanaryWeight 10.0 @1"),
                                             QStringLiteral("setCanaryWeight 50.0 @2"),
                                             QStringLiteral("promote @3")}));
        QCOMPARE(rig.kinds(),
                 std::vector<DecisionKind>({DecisionKind::Start, DecisionKind::SetWeight,
                                            DecisionKind::Advance, DecisionKind::Promote}));
        QCOMPARE(rig.last(DecisionKind::Promote)->outcome, Decision::Outcome::Succeeded);
        QCOMPARE(name(phases.last().at(0).value<RunPhase>()), name(RunPhase::Promoted));
        // Done: nothing more is read or sent.
        const int calls = int(rig.control.calls().size());
        const int reads = rig.metrics.readCount();
        rig.run(10s);
        QCOMPARE(int(rig.control.calls().size()), calls);
        QCOMPARE(rig.metrics.readCount(), reads);
    }

    void recordsEachDecisionBeforeItsActionIsSent()
    {
        Rig rig;
        std::vector<std::pair<Decision::Outcome, int>> seen; // outcome, weight calls made by then
        connect(rig.controller.get(), &PlanController::decided, this, [&](const Decision &d) {
            if (d.kind == DecisionKind::SetWeight)
                seen.emplace_back(d.outcome, rig.control.callCount(Request::SetCanaryWeight));
        });
        rig.start();
        QCOMPARE(seen.size(), std::size_t(2));
        QCOMPARE(seen[0], std::make_pair(Decision::Outcome::Pending, 0));
        QCOMPARE(seen[1], std::make_pair(Decision::Outcome::Succeeded, 1));
    }

    void anUnrecordedWeightIsNotSent()
    {
        Rig rig;
        rig.controller->setActionGate([](const Decision &d) {
            return d.kind == DecisionKind::SetWeight ? std::string("the disk is full")
                                                     : std::string();
        });
        rig.start();
        QCOMPARE(name(rig.controller->phase()), name(RunPhase::Failed));
        QCOMPARE(rig.control.callCount(Request::SetCanaryWeight), 0);
        QCOMPARE(rig.control.state().canaryWeight(), Weight());
        const Decision *weight = rig.last(DecisionKind::SetWeight);
        QVERIFY(weight);
        QCOMPARE(weight->outcome, Decision::Outcome::Failed);
        QCOMPARE(weight->error, std::string("the disk is full"));
        const Decision *error = rig.last(DecisionKind::Error);
        QVERIFY(error);
        QVERIFY2(text(error->reason)
                     .contains(QLatin1String("could not be recorded: the disk is full; "
                                             "nothing was sent")),
                 error->reason.c_str());
    }

    void anUnrecordedPromotionIsNotSentButARollbackIs_data()
    {
        QTest::addColumn<bool>("failing");
        QTest::newRow("promotion") << false;
        QTest::newRow("rollback") << true;
    }
    void anUnrecordedPromotionIsNotSentButARollbackIs()
    {
        QFETCH(bool, failing);
        Rig rig;
        rig.start();
        rig.run(10s);
        rig.controller->setActionGate([](const Decision &d) {
            return d.kind == DecisionKind::Promote || d.kind == DecisionKind::Rollback
                       ? std::string("the trail is read-only")
                       : std::string();
        });
        if (failing) {
            rig.traffic.canaryErrors = 0.2;
            rig.run(15s);
            // The safe way goes even unrecorded: the console's levers would need the trail too.
            QCOMPARE(name(rig.controller->phase()), name(RunPhase::RolledBack));
            QCOMPARE(rig.control.callCount(Request::Rollback), 1);
        } else {
            rig.run(130s);
            QCOMPARE(name(rig.controller->phase()), name(RunPhase::Failed));
            QCOMPARE(rig.control.callCount(Request::Promote), 0);
            QCOMPARE(rig.last(DecisionKind::Promote)->outcome, Decision::Outcome::Failed);
        }
    }

    void rollsBackTheMomentACriticalGateFails()
    {
        Rig rig;
        rig.start();
        rig.run(10s);
        QCOMPARE(name(rig.controller->phase()), name(RunPhase::Baking));
        rig.traffic.canaryErrors = 0.2; // twenty times production's
        rig.run(15s);
        QCOMPARE(name(rig.controller->phase()), name(RunPhase::RolledBack));
        QCOMPARE(rig.control.state().canaryWeight(), Weight());
        const Decision *rollback = rig.last(DecisionKind::Rollback);
        QVERIFY(rollback);
        QVERIFY(rollback->automatic);
        QCOMPARE(rollback->outcome, Decision::Outcome::Succeeded);
        QCOMPARE(rollback->step, 0);
        QVERIFY(rollback->judgement.failed());
        QVERIFY2(text(rollback->reason).contains(QLatin1String("canary errors")),
                 rollback->reason.c_str());
        // Mid-bake: well before the minute was up.
        QVERIFY(rollback->time - ManualClock().now() < 30s);
        QCOMPARE(rig.actions().last(), QStringLiteral("rollback @2"));
    }

    void criticalFailureRollsBackEvenWhilePaused()
    {
        Rig rig;
        rig.start();
        rig.run(5s);
        rig.controller->pause();
        QCOMPARE(name(rig.controller->phase()), name(RunPhase::Paused));
        rig.traffic.canaryErrors = 0.2;
        rig.run(15s);
        QCOMPARE(name(rig.controller->phase()), name(RunPhase::RolledBack));
    }

    void pausesOnInconclusiveThenResumeRejudgesAndSkipAdvances()
    {
        Plan plan = twoSteps();
        plan.steps[0].minimumRequests = 1'000'000; // never reached in a minute
        Rig rig(plan);
        rig.start();
        rig.run(61s);
        QCOMPARE(name(rig.controller->phase()), name(RunPhase::Paused));
        QCOMPARE(rig.controller->currentStep(), 0);
        const Decision *pause = rig.last(DecisionKind::Pause);
        QVERIFY(pause);
        QVERIFY(pause->automatic);
        QVERIFY2(text(pause->reason).contains(QLatin1String("not enough requests")),
                 pause->reason.c_str());
        QCOMPARE(text(rig.controller->pauseReason()), text(pause->reason));
        rig.run(30s);
        QCOMPARE(rig.control.state().canaryWeight(), percent(10));
        QCOMPARE(rig.control.callCount(Request::SetCanaryWeight), 1);

        // Resume: still undecided, so the step bakes again rather than advancing.
        rig.controller->resume();
        QCOMPARE(name(rig.controller->phase()), name(RunPhase::Baking));
        QCOMPARE(rig.last(DecisionKind::Resume)->automatic, false);
        QCOMPARE(rig.controller->bakeRemaining(), std::optional<std::chrono::milliseconds>(60s));

        rig.controller->skipStep();
        settle();
        QCOMPARE(rig.controller->currentStep(), 1);
        QCOMPARE(rig.control.state().canaryWeight(), percent(50));
        QCOMPARE(rig.last(DecisionKind::Skip)->automatic, false);
        QCOMPARE(rig.last(DecisionKind::SetWeight)->outcome, Decision::Outcome::Succeeded);
    }

    void extendsTheBakeThenPauses()
    {
        Plan plan = twoSteps();
        plan.steps[0].minimumRequests = 1'000'000;
        plan.onInconclusive = OnInconclusive::ExtendBake;
        plan.extendBy = 30s;
        plan.maxExtensions = 2;
        Rig rig(plan);
        rig.start();
        rig.run(61s);
        QCOMPARE(rig.count(DecisionKind::ExtendBake), 1);
        QCOMPARE(name(rig.controller->phase()), name(RunPhase::Baking));
        QVERIFY2(text(rig.last(DecisionKind::ExtendBake)->reason)
                     .contains(QLatin1String("extension 1 of 2")),
                 rig.last(DecisionKind::ExtendBake)->reason.c_str());
        rig.run(30s);
        QCOMPARE(rig.count(DecisionKind::ExtendBake), 2);
        rig.run(30s);
        QCOMPARE(name(rig.controller->phase()), name(RunPhase::Paused));
        QVERIFY(text(rig.controller->pauseReason()).contains(QLatin1String("after 2 extensions")));
        QCOMPARE(rig.control.callCount(Request::SetCanaryWeight), 1);
    }

    void manualActionsDuringABakeWin_data()
    {
        QTest::addColumn<QString>("action");
        QTest::addColumn<RunPhase>("phase");
        QTest::addColumn<QString>("lastCall");
        QTest::newRow("promote") << QStringLiteral("promote") << RunPhase::Promoted
                                 << QStringLiteral("promote @2");
        QTest::newRow("rollback") << QStringLiteral("rollback") << RunPhase::RolledBack
                                  << QStringLiteral("rollback @2");
        QTest::newRow("override") << QStringLiteral("override") << RunPhase::Stopped
                                  << QStringLiteral("setCanaryWeight 10.0 @1");
    }
    void manualActionsDuringABakeWin()
    {
        QFETCH(QString, action);
        QFETCH(RunPhase, phase);
        QFETCH(QString, lastCall);
        Rig rig;
        rig.start();
        rig.run(20s);
        if (action == QLatin1String("promote"))
            rig.controller->promoteNow();
        else if (action == QLatin1String("rollback"))
            rig.controller->rollbackNow();
        else
            rig.controller->stopForOverride("promoted from the console");
        settle();
        QCOMPARE(name(rig.controller->phase()), name(phase));
        QVERIFY(!rig.controller->decisions().back().automatic);
        QCOMPARE(rig.actions().last(), lastCall);
        const int calls = int(rig.control.calls().size());
        rig.run(60s);
        QCOMPARE(int(rig.control.calls().size()), calls);
    }

    void manualPromoteWhileAWeightIsOnItsWayWaitsForIt()
    {
        Rig rig;
        rig.control.holdAnswers(true);
        rig.controller->start();
        settle();
        rig.control.releaseAll(); // the state read
        settle();
        QCOMPARE(name(rig.controller->phase()), name(RunPhase::Applying));
        rig.controller->promoteNow();
        rig.control.holdAnswers(false);
        rig.control.releaseAll();
        settle();
        QCOMPARE(name(rig.controller->phase()), name(RunPhase::Promoted));
        QCOMPARE(rig.actions(), QStringList({QStringLiteral("setCanaryWeight 10.0 @1"),
                                             QStringLiteral("promote @2")}));
    }

    void pausedWhileAWeightIsOnItsWayTheBakeStartsPaused()
    {
        Rig rig;
        rig.control.holdAnswers(true);
        rig.controller->start();
        settle();
        rig.control.releaseAll(); // the state read; the weight goes out and its answer is held
        settle();
        QCOMPARE(name(rig.controller->phase()), name(RunPhase::Applying));
        rig.controller->pause();
        QCOMPARE(name(rig.controller->phase()), name(RunPhase::Paused));
        rig.control.holdAnswers(false);
        rig.control.releaseAll();
        rig.run(30s);
        QCOMPARE(name(rig.controller->phase()), name(RunPhase::Paused));
        QCOMPARE(rig.controller->bakeRemaining(), std::optional<std::chrono::milliseconds>(60s));
        QCOMPARE(rig.control.state().canaryWeight(), percent(10));
        rig.controller->resume();
        QCOMPARE(name(rig.controller->phase()), name(RunPhase::Baking));
        rig.run(61s);
        QCOMPARE(rig.controller->currentStep(), 1);
    }

    void pauseFreezesTheBakeAndResumeGoesOn()
    {
        Rig rig;
        rig.start();
        rig.run(20s);
        rig.controller->pause();
        QCOMPARE(name(rig.controller->phase()), name(RunPhase::Paused));
        const auto left = rig.controller->bakeRemaining();
        QVERIFY(left && *left > 35s && *left <= 40s);
        rig.run(120s);
        QCOMPARE(name(rig.controller->phase()), name(RunPhase::Paused));
        QCOMPARE(rig.controller->bakeRemaining(), left);
        QCOMPARE(rig.control.callCount(Request::SetCanaryWeight), 1);
        rig.controller->resume();
        QCOMPARE(name(rig.controller->phase()), name(RunPhase::Baking));
        rig.run(*left - 2s);
        QCOMPARE(rig.controller->currentStep(), 0);
        rig.run(3s);
        QCOMPARE(rig.controller->currentStep(), 1);
    }

    void skipAtTheLastStepPromotes()
    {
        Rig rig;
        rig.start();
        rig.controller->skipStep();
        settle();
        QCOMPARE(rig.controller->currentStep(), 1);
        rig.controller->skipStep();
        settle();
        QCOMPARE(name(rig.controller->phase()), name(RunPhase::Promoted));
        QCOMPARE(rig.last(DecisionKind::Promote)->automatic, false);
    }

    void unreadableMetricsHoldTheStepAndSaySoOnce()
    {
        Rig rig;
        rig.start();
        rig.run(30s);
        rig.traffic.down = true;
        rig.run(60s);
        // The bake is over, but nothing advances on missing data.
        QCOMPARE(rig.controller->currentStep(), 0);
        QCOMPARE(name(rig.controller->phase()), name(RunPhase::Baking));
        QCOMPARE(rig.control.callCount(Request::SetCanaryWeight), 1);
        QCOMPARE(rig.count(DecisionKind::Hold), 1);
        const QString reason = text(rig.last(DecisionKind::Hold)->reason);
        QVERIFY2(reason.contains(QLatin1String("Prometheus at http://127.0.0.1:9090")),
                 qPrintable(reason));
        QVERIFY2(reason.contains(QLatin1String("holds the 10.0 % step and will not advance on "
                                               "missing data")),
                 qPrintable(reason));
        // Back: the next good window is judged and the plan goes on.
        rig.traffic.down = false;
        rig.run(3s);
        QCOMPARE(rig.controller->currentStep(), 1);
    }

    void anUnreadableRolloutHoldsTheStep()
    {
        Rig rig;
        rig.start();
        rig.run(30s);
        for (int i = 0; i < 40; ++i)
            rig.control.failNext(FakeControlPlane::unreachable(false), Request::FetchState);
        rig.run(35s);
        // The bake is over and the gates pass, but a plan that cannot see the rollout does not
        // move it.
        QCOMPARE(rig.controller->currentStep(), 0);
        QCOMPARE(rig.control.callCount(Request::SetCanaryWeight), 1);
        QCOMPARE(rig.count(DecisionKind::Hold), 1);
        QVERIFY2(
            text(rig.last(DecisionKind::Hold)->reason).contains(QLatin1String("could not be read")),
            rig.last(DecisionKind::Hold)->reason.c_str());
        rig.run(10s);
        QCOMPARE(rig.controller->currentStep(), 1);
    }

    void aHoldIsSaidAgainAfterTheMetricsCameBack()
    {
        Rig rig;
        rig.start();
        rig.traffic.down = true;
        rig.run(3s);
        rig.traffic.down = false;
        rig.run(3s);
        rig.traffic.down = true;
        rig.run(3s);
        QCOMPARE(rig.count(DecisionKind::Hold), 2);
    }

    void neverAdvancesWithoutDataForEveryGate()
    {
        Plan plan = twoSteps();
        plan.judge.gates = {errorGate(), accuracyGate()}; // the fake gives no labels
        Rig rig(plan);
        rig.start();
        rig.run(61s);
        QCOMPARE(name(rig.controller->phase()), name(RunPhase::Paused));
        QCOMPARE(rig.control.callCount(Request::SetCanaryWeight), 1);
        const QString reason = text(rig.controller->pauseReason());
        QVERIFY2(reason.contains(QLatin1String("gate accuracy: no-data, no labels")),
                 qPrintable(reason));
        QVERIFY2(reason.contains(QLatin1String("never advances on missing data")),
                 qPrintable(reason));
    }

    void aWeightMovedOutsideThePlanStopsIt()
    {
        Rig rig;
        rig.start();
        rig.run(20s);
        rig.control.setState(FakeControlPlane::canaryAt(percent(25), 7));
        rig.run(2s);
        QCOMPARE(name(rig.controller->phase()), name(RunPhase::Stopped));
        const Decision *stop = rig.last(DecisionKind::Override);
        QVERIFY(stop);
        QVERIFY2(text(stop->reason).contains(QLatin1String("moved to 25.0 % outside the plan")),
                 stop->reason.c_str());
        const int calls = int(rig.control.calls().size());
        rig.run(60s);
        QCOMPARE(int(rig.control.calls().size()), calls);
        QCOMPARE(rig.control.state().canaryWeight(), percent(25));
    }

    void aRefusedWeightFailsWithNothingHalfApplied()
    {
        Rig rig;
        rig.start();
        rig.run(30s);
        ControlError refused;
        refused.kind = ControlError::Kind::Rejected;
        refused.httpStatus = 422;
        refused.title = "Unprocessable Content";
        refused.detail = "weight 50.0 is above the limit of 40.0 for this model";
        rig.control.failNext(refused, Request::SetCanaryWeight);
        rig.run(32s);
        QCOMPARE(name(rig.controller->phase()), name(RunPhase::Failed));
        const Decision *advance = rig.last(DecisionKind::Advance);
        QVERIFY(advance);
        QCOMPARE(advance->outcome, Decision::Outcome::Failed);
        QVERIFY2(text(advance->error).contains(QLatin1String("above the limit")),
                 advance->error.c_str());
        const Decision *error = rig.last(DecisionKind::Error);
        QVERIFY(error);
        QVERIFY2(text(error->reason).contains(QLatin1String("did not take 50.0 %")),
                 error->reason.c_str());
        QCOMPARE(rig.control.state().canaryWeight(), percent(10));
        QCOMPARE(rig.controller->lastState()->canaryWeight(), percent(10));
        QCOMPARE(rig.control.callCount(Request::Promote), 0);
        QCOMPARE(rig.control.callCount(Request::Rollback), 0);
    }

    void theMaximumDurationPauses()
    {
        Plan plan = twoSteps();
        plan.maxDuration = 90s;
        Rig rig(plan);
        rig.start();
        rig.run(91s);
        QCOMPARE(name(rig.controller->phase()), name(RunPhase::Paused));
        QCOMPARE(rig.controller->currentStep(), 1);
        QVERIFY(text(rig.controller->pauseReason()).contains(QLatin1String("maximum duration")));
        rig.run(60s);
        QCOMPARE(name(rig.controller->phase()), name(RunPhase::Paused));
        QCOMPARE(rig.control.callCount(Request::Promote), 0);
        // A person resumes: the limit is theirs now, and the plan finishes.
        rig.controller->resume();
        rig.run(40s);
        QCOMPARE(name(rig.controller->phase()), name(RunPhase::Promoted));
    }

    void endsABakeEarlyWhenEveryGateIsProven()
    {
        Plan plan = twoSteps();
        plan.endBakeEarly = true;
        Rig rig(plan);
        rig.traffic.canaryRps = 1000;
        rig.traffic.productionRps = 9000;
        rig.traffic.canaryErrors = 0.002; // a fifth of production's
        rig.start();
        rig.run(30s);
        QCOMPARE(rig.controller->currentStep(), 1);
        const Decision *early = rig.last(DecisionKind::EndBakeEarly);
        QVERIFY(early);
        QVERIFY2(text(early->reason).contains(QLatin1String("proven within its tolerance")),
                 early->reason.c_str());
    }

    void readsOneAtATimeAndWindowsNeverOverlap()
    {
        Rig rig;
        rig.start();
        rig.run(3s);
        rig.metrics.holdAnswers(true);
        rig.run(5s);
        const int reads = rig.metrics.readCount();
        rig.metrics.holdAnswers(false);
        rig.metrics.releaseAll();
        rig.run(1s);
        QCOMPARE(rig.metrics.mostReadsInFlight(), 1);
        // The read after the held one spans everything since the last judged window.
        QCOMPARE(rig.metrics.readCount(), reads + 1);
        QVERIFY(rig.metrics.windowsAsked().back().front() >= 5s);
        QVERIFY(rig.controller->judgement().gates.size() == 1);
    }

    void theBakeWaitsForABackendStillApplyingAChange()
    {
        RolloutState state = FakeControlPlane::canaryAt(percent(10));
        state.updating = true;
        Rig rig(twoSteps(), state);
        rig.start();
        rig.run(10s);
        QCOMPARE(name(rig.controller->phase()), name(RunPhase::Applying));
        QCOMPARE(rig.controller->bakeRemaining(), std::nullopt);
        QCOMPARE(rig.control.callCount(Request::SetCanaryWeight), 0);
        state.updating = false;
        rig.control.setState(state);
        rig.run(2s);
        QCOMPARE(name(rig.controller->phase()), name(RunPhase::Baking));
        QVERIFY(rig.controller->bakeRemaining() > 55s);
    }

    void aRolloutWithoutACanaryDoesNotStart()
    {
        Rig rig(twoSteps(), FakeControlPlane::stable());
        rig.start();
        QCOMPARE(name(rig.controller->phase()), name(RunPhase::Failed));
        QVERIFY(text(rig.last(DecisionKind::Error)->reason).contains(QLatin1String("stable")));
        QCOMPARE(rig.actions(), QStringList());
    }

    void liveJudgementOffStillRollsBack()
    {
        Rig rig(twoSteps(), FakeControlPlane::canaryAt(Weight()),
                ControllerOptions{.liveJudgement = false});
        rig.start();
        rig.traffic.canaryErrors = 0.2;
        rig.run(20s);
        QCOMPARE(name(rig.controller->phase()), name(RunPhase::RolledBack));
        QVERIFY(rig.last(DecisionKind::Rollback)->judgement.failed());
    }
};

QTEST_GUILESS_MAIN(TestPlanController)
#include "tst_plancontroller.moc"
