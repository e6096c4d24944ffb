// RolloutActions' own logic on the socket-free fakes: what is recorded when, what is said when an
// action fails, and what is never sent. Every lever against the real gateway, its 412 race and
// its refusals stay in tests/integration/tst_rolloutactions.cpp.
#include "audit/sqliteauditstore.h"
#include "console/actionlog.h"
#include "console/rolloutactions.h"
#include "console/rolloutmonitor.h"
#include "fakecontrolplane.h"
#include "fakemetricssource.h"
#include "virtualtime.h"

#include "util/clock.h"
#include "util/scheduler.h"

#include <QFileInfo>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include <algorithm>
#include <functional>
#include <limits>
#include <memory>

using namespace canary;
using namespace canary::testing;
using namespace std::chrono_literals;
using Request = FakeControlPlane::Request;
using Numbers = FakeMetricsSource::VariantNumbers;

namespace {

// A ControlPlane in front of the fake that runs `onCall` the moment a request arrives, before
// the fake handles it: what the console had done by then is what it did before sending.
class Probe final : public ControlPlane
{
public:
    Probe(FakeControlPlane &fake, std::function<void()> onCall)
        : m_fake(fake)
        , m_onCall(std::move(onCall))
    {}

    ControlPlaneCapabilities capabilities() const override { return m_fake.capabilities(); }
    std::string address() const override { return m_fake.address(); }
    void fetchState(QObject *context, Callback onDone) override
    {
        m_fake.fetchState(context, std::move(onDone));
    }
    void setCanaryWeight(Weight weight, std::int64_t revision, QObject *context,
                         Callback onDone) override
    {
        m_onCall();
        m_fake.setCanaryWeight(weight, revision, context, std::move(onDone));
    }
    void promote(std::int64_t revision, QObject *context, Callback onDone) override
    {
        m_onCall();
        m_fake.promote(revision, context, std::move(onDone));
    }
    void rollback(std::int64_t revision, QObject *context, Callback onDone) override
    {
        m_onCall();
        m_fake.rollback(revision, context, std::move(onDone));
    }
    void stageCanary(const nlohmann::json &canary, std::int64_t revision, QObject *context,
                     Callback onDone) override
    {
        m_onCall();
        m_fake.stageCanary(canary, revision, context, std::move(onDone));
    }

private:
    FakeControlPlane &m_fake;
    std::function<void()> m_onCall;
};

// A started monitor on the fakes (one poll landed, polls only when asked) and the actions on it.
struct Rig
{
    explicit Rig(RolloutState state = FakeControlPlane::canaryAt(Weight::fromTenths(100)))
        : control(std::move(state))
    {
        control.setClock(clock);
        metrics.setClock(clock);
        metrics.setGenerator(steady);
        MonitorSettings settings;
        settings.pollInterval = 60s;
        settings.backfill = 0ms;
        monitor = std::make_unique<RolloutMonitor>(&control, &metrics, scheduler, settings);
        actOn(&control);
    }

    // The actions send through `plane` (which must outlive them); the monitor reads the fake.
    void actOn(ControlPlane *plane)
    {
        failed.reset();
        succeeded.reset();
        actions = std::make_unique<RolloutActions>(plane, monitor.get());
        succeeded = std::make_unique<QSignalSpy>(actions.get(), &RolloutActions::succeeded);
        failed = std::make_unique<QSignalSpy>(actions.get(), &RolloutActions::failed);
    }

    void start()
    {
        monitor->start();
        settle();
        control.clearCalls();
    }
    QString failure() const
    {
        return failed->isEmpty() ? QString() : failed->last().at(0).toString();
    }
    const ActionRecord &record() const { return actions->actionLog().records().back(); }

    ManualClock clock;
    ManualScheduler scheduler{clock};
    FakeControlPlane control;
    FakeMetricsSource metrics;
    std::unique_ptr<RolloutMonitor> monitor;
    std::unique_ptr<RolloutActions> actions;
    std::unique_ptr<QSignalSpy> succeeded;
    std::unique_ptr<QSignalSpy> failed;
};

// Runs "weight 25", "promote", "rollback" or "stage 2.1".
void act(RolloutActions &actions, const QString &action)
{
    const QStringList words = action.split(u' ');
    if (words[0] == QStringLiteral("weight"))
        actions.setCanaryWeight(Weight::fromPercent(words[1].toDouble()).value());
    else if (words[0] == QStringLiteral("promote"))
        actions.promote();
    else if (words[0] == QStringLiteral("rollback"))
        actions.rollback();
    else
        actions.stageCanary({{"model", "m"}, {"version", words[1].toStdString()}});
}

RolloutState rolledBack(std::int64_t revision)
{
    RolloutState state = FakeControlPlane::canaryAt(Weight(), revision);
    state.phase = RolloutPhase::RolledBack;
    return state;
}

} // namespace

class TestActionsLogic final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void recordedBeforeSent_data();
    void recordedBeforeSent();
    void oneActionAtATime();
    void staleRevisionShowsTheCurrentState();
    void failures_data();
    void failures();
    void kindWithoutRevisions();
    void refusedWithoutState();
    void unwritableLogSendsNothing();
    void auditTrailHoldsThePendingEntryWhenSent();
    void unopenableAuditTrailSendsNothing();
    void recordedNumbers_data();
    void recordedNumbers();
};

void TestActionsLogic::recordedBeforeSent_data()
{
    QTest::addColumn<bool>("fromStable");
    QTest::addColumn<QString>("action");
    QTest::addColumn<QString>("logged");
    QTest::addColumn<QString>("call");
    QTest::addColumn<QString>("summary");

    QTest::newRow("weight") << false << "weight 25"
                            << "set_weight"
                            << "setCanaryWeight 25.0 @1"
                            << "Canary weight set to 25.0 %";
    QTest::newRow("promote") << false << "promote"
                             << "promote"
                             << "promote @1"
                             << "Promoted: m 2.0 is production at 100 %";
    QTest::newRow("rollback") << false << "rollback"
                              << "rollback"
                              << "rollback @1"
                              << "Rolled back: canary m 2.0 is at 0 %";
    QTest::newRow("stage") << true << "stage 2.1"
                           << "stage_canary"
                           << "stageCanary m 2.1 @1"
                           << "Staged canary m 2.1 at 0.0 %";
}

void TestActionsLogic::recordedBeforeSent()
{
    QFETCH(bool, fromStable);
    QFETCH(QString, action);
    QFETCH(QString, logged);
    QFETCH(QString, call);
    QFETCH(QString, summary);

    Rig rig(fromStable ? FakeControlPlane::stable()
                       : FakeControlPlane::canaryAt(Weight::fromTenths(100)));
    QTemporaryDir dir;
    ActionLog log(dir.filePath(QStringLiteral("actions.jsonl")));
    log.setActor("ops-tester");
    rig.actions->setActionLog(&log);
    // What the log held, in memory and on disk, when the request reached the backend.
    int records = -1;
    std::string outcome;
    qint64 bytesOnDisk = -1;
    Probe probe(rig.control, [&] {
        records = int(log.records().size());
        outcome = records > 0 ? log.records().back().outcome : std::string();
        bytesOnDisk = QFileInfo(log.path()).size();
    });
    rig.actOn(&probe);
    rig.actions->setActionLog(&log);
    rig.start();

    act(*rig.actions, action);
    QCOMPARE(records, 1);
    QCOMPARE(outcome, std::string("pending"));
    QVERIFY(bytesOnDisk > 0);
    QCOMPARE(rig.control.callLog(), QStringList{call});
    QVERIFY(rig.actions->busy());

    settle();
    QCOMPARE(rig.failure(), QString());
    QCOMPARE(rig.succeeded->count(), 1);
    QCOMPARE(rig.succeeded->first().at(0).toString(), summary);
    QVERIFY(!rig.actions->busy());
    const ActionRecord &record = log.records().back();
    QCOMPARE(QString::fromStdString(record.action), logged);
    QCOMPARE(record.outcome, std::string("succeeded"));
    QCOMPARE(record.revision, std::optional<std::int64_t>(1));
    QCOMPARE(record.resultRevision, std::optional<std::int64_t>(2));
    QCOMPARE(record.time, rig.clock.now());
    // The answer is shown at once, and the rollout is re-read after it.
    QCOMPARE(*rig.monitor->state(), rig.control.state());
    QCOMPARE(rig.control.callLog().last(), QStringLiteral("fetchState"));
    const auto &events = rig.monitor->events();
    QVERIFY(std::any_of(events.begin(), events.end(), [](const TimelineEvent &event) {
        return event.kind == TimelineEvent::Kind::Action;
    }));
}

void TestActionsLogic::oneActionAtATime()
{
    Rig rig;
    rig.start();
    rig.control.holdAnswers(true);
    QSignalSpy busySpy(rig.actions.get(), &RolloutActions::busyChanged);
    rig.actions->setCanaryWeight(Weight::fromTenths(300));
    QVERIFY(rig.actions->busy());

    // Refused at once while the first is out, and nothing is sent or recorded for it.
    rig.actions->promote();
    QCOMPARE(rig.failed->count(), 1);
    QCOMPARE(rig.failure(), QStringLiteral("Another action is still running; wait for its result. "
                                           "Nothing was sent."));
    QCOMPARE(rig.failed->last().at(1).toBool(), false);
    QCOMPARE(rig.control.callLog(), QStringList{QStringLiteral("setCanaryWeight 30.0 @1")});
    QCOMPARE(rig.actions->actionLog().records().size(), std::size_t(1));

    rig.control.holdAnswers(false);
    rig.control.releaseAll();
    settle();
    QCOMPARE(rig.succeeded->count(), 1);
    QVERIFY(!rig.actions->busy());
    QCOMPARE(busySpy.count(), 2);
    QVERIFY(rig.control.state().phase == RolloutPhase::Canary); // the promote never went out

    // Once it has landed, the next one goes.
    rig.actions->promote();
    settle();
    QCOMPARE(rig.succeeded->count(), 2);
    QVERIFY(rig.control.state().phase == RolloutPhase::Promoted);
}

void TestActionsLogic::staleRevisionShowsTheCurrentState()
{
    Rig rig;
    rig.start();
    // Someone else moves the rollout; the monitor has not seen it.
    rig.control.setState(FakeControlPlane::canaryAt(Weight::fromTenths(400), 2));
    QCOMPARE(rig.monitor->state()->revision, 1);
    QSignalSpy stateSpy(rig.monitor.get(), &RolloutMonitor::stateChanged);

    rig.actions->setCanaryWeight(Weight::fromTenths(200));
    rig.control.holdAnswers(true); // the re-read after the refusal stays out
    settle();
    QCOMPARE(rig.control.callLog().last(), QStringLiteral("fetchState"));
    QCOMPARE(rig.control.pendingCount(), 1);
    QCOMPARE(rig.succeeded->count(), 0);
    QCOMPARE(rig.failed->count(), 1);
    QCOMPARE(rig.failure(), QStringLiteral("Someone else changed the rollout (now revision 2). "
                                           "Nothing was applied; review and try again."));
    QCOMPARE(rig.failed->last().at(1).toBool(), true);
    // The state the refusal carried is shown at once, before any poll.
    QCOMPARE(stateSpy.count(), 1);
    QCOMPARE(stateSpy.first().at(0).value<RolloutState>(), rig.control.state());
    QCOMPARE(*rig.monitor->state(), rig.control.state());
    QCOMPARE(rig.control.state().canaryWeight(), Weight::fromTenths(400)); // not ours
    QCOMPARE(rig.record().outcome, std::string("conflict"));
    QCOMPARE(rig.record().revision, std::optional<std::int64_t>(1));
    QCOMPARE(rig.record().resultRevision, std::optional<std::int64_t>(2));

    rig.control.holdAnswers(false);
    rig.control.releaseAll();
    settle();

    // Deciding again on what is shown works.
    rig.actions->setCanaryWeight(Weight::fromTenths(200));
    settle();
    QCOMPARE(rig.succeeded->count(), 1);
    QCOMPARE(rig.control.state().revision, 3);
    QCOMPARE(rig.control.callLog().filter(QStringLiteral("setCanaryWeight")),
             (QStringList{QStringLiteral("setCanaryWeight 20.0 @1"),
                          QStringLiteral("setCanaryWeight 20.0 @2")}));
}

void TestActionsLogic::failures_data()
{
    QTest::addColumn<QString>("situation");
    QTest::addColumn<QStringList>("fragments");
    QTest::addColumn<bool>("applied");     // the backend changed
    QTest::addColumn<bool>("sentNothing"); // lastFailureSentNothing()
    QTest::addColumn<bool>("marked");      // a "?" marker on the charts

    QTest::newRow("refused before sending")
        << "not-sent"
        << QStringList{QStringLiteral("backend unreachable: connection refused"),
                       QStringLiteral("The request was not sent; nothing was applied.")}
        << false << true << false;
    QTest::newRow("answer lost after applying")
        << "lost-answer"
        << QStringList{QStringLiteral("the request may have arrived"),
                       QStringLiteral("It is not known whether the action arrived; the rollout "
                                      "is being re-read")}
        << true << false << true;
    QTest::newRow("server error") << "server-error"
                                  << QStringList{QStringLiteral(
                                                     "500 Internal Server Error: internal error"),
                                                 QStringLiteral("check its logs")}
                                  << false << false << false;
    QTest::newRow("not allowed in this state")
        << "rolled-back"
        << QStringList{QStringLiteral("409 Conflict: The canary was rolled back and serves no "
                                      "traffic. Stage a canary to try again. Nothing was applied.")}
        << false << false << false;
}

void TestActionsLogic::failures()
{
    QFETCH(QString, situation);
    QFETCH(QStringList, fragments);
    QFETCH(bool, applied);
    QFETCH(bool, sentNothing);
    QFETCH(bool, marked);

    Rig rig(situation == QStringLiteral("rolled-back")
                ? rolledBack(1)
                : FakeControlPlane::canaryAt(Weight::fromTenths(100)));
    rig.start();
    if (situation == QStringLiteral("not-sent"))
        rig.control.failNext(FakeControlPlane::unreachable(false), Request::SetCanaryWeight);
    else if (situation == QStringLiteral("lost-answer"))
        rig.control.failNextAfterApplying(FakeControlPlane::unreachable(true),
                                          Request::SetCanaryWeight);
    else if (situation == QStringLiteral("server-error"))
        rig.control.failNext(FakeControlPlane::serverError(), Request::SetCanaryWeight);
    const RolloutState before = rig.control.state();

    rig.actions->setCanaryWeight(Weight::fromTenths(250));
    settle();
    QCOMPARE(rig.succeeded->count(), 0);
    QCOMPARE(rig.failed->count(), 1);
    const QString message = rig.failure();
    for (const QString &fragment : fragments)
        QVERIFY2(message.contains(fragment), qPrintable(message));
    QVERIFY2(!message.contains(QStringLiteral("..")), qPrintable(message));
    QCOMPARE(message.contains(QStringLiteral("not known")), applied);
    QCOMPARE(rig.failed->last().at(1).toBool(), false);
    QCOMPARE(rig.actions->lastFailureSentNothing(), sentNothing);
    QCOMPARE(rig.control.state() != before, applied);
    QVERIFY(!rig.actions->busy());
    QCOMPARE(rig.record().outcome, std::string("failed"));
    QCOMPARE(QString::fromStdString(rig.record().message), message);
    // The rollout is re-read after any failure, so where it stands is shown.
    QCOMPARE(rig.control.callLog().last(), QStringLiteral("fetchState"));
    QCOMPARE(*rig.monitor->state(), rig.control.state());
    const auto &events = rig.monitor->events();
    const bool hasMarker = std::any_of(events.begin(), events.end(), [](const TimelineEvent &e) {
        return e.kind == TimelineEvent::Kind::Action && e.label == "weight 25.0 % ?";
    });
    QCOMPARE(hasMarker, marked);
}

// A kind without revisions (HAProxy) cannot detect a concurrent change: the action still works,
// and the record says which revision was read, not one the backend never had.
void TestActionsLogic::kindWithoutRevisions()
{
    Rig rig(FakeControlPlane::canaryAt(Weight::fromTenths(100), 7));
    ControlPlaneCapabilities capabilities = FakeControlPlane::defaultCapabilities();
    capabilities.revisions = false;
    capabilities.staging = false;
    rig.control.setCapabilities(capabilities);
    rig.start();
    rig.control.setState(FakeControlPlane::canaryAt(Weight::fromTenths(400), 7)); // unnoticed

    rig.actions->setCanaryWeight(Weight::fromTenths(250));
    settle();
    QCOMPARE(rig.failed->count(), 0);
    QCOMPARE(rig.succeeded->count(), 1);
    QCOMPARE(rig.succeeded->first().at(0).toString(),
             QStringLiteral("Canary weight set to 25.0 %"));
    QCOMPARE(rig.control.callLog().first(), QStringLiteral("setCanaryWeight 25.0 @7"));
    QCOMPARE(rig.control.state().canaryWeight(), Weight::fromTenths(250));
    QCOMPARE(rig.record().revision, std::optional<std::int64_t>(7));
    QCOMPARE(rig.record().resultRevision, std::optional<std::int64_t>(7));
    QCOMPARE(rig.monitor->state()->canaryWeight(), Weight::fromTenths(250));
}

void TestActionsLogic::refusedWithoutState()
{
    Rig rig; // the monitor was never started: there is no revision to decide on
    QSignalSpy busySpy(rig.actions.get(), &RolloutActions::busyChanged);
    rig.actions->setCanaryWeight(Weight::fromTenths(300));
    QCOMPARE(rig.failed->count(), 1);
    QCOMPARE(rig.failure(), QStringLiteral("The rollout has not been read from the backend yet, "
                                           "so there is no revision to act on. Nothing was sent."));
    QVERIFY(!rig.actions->busy());
    QCOMPARE(busySpy.count(), 0);
    QVERIFY(rig.actions->actionLog().records().empty());
    QVERIFY(rig.control.calls().empty());
}

void TestActionsLogic::unwritableLogSendsNothing()
{
    Rig rig;
    rig.start();
    QTemporaryDir dir;
    ActionLog log(dir.filePath(QStringLiteral("no-such-dir/actions.jsonl")));
    rig.actions->setActionLog(&log);
    rig.actions->setCanaryWeight(Weight::fromTenths(300));
    QCOMPARE(rig.failed->count(), 1);
    QVERIFY2(rig.failure().startsWith(QStringLiteral("The action could not be recorded (")),
             qPrintable(rig.failure()));
    QVERIFY2(rig.failure().endsWith(QStringLiteral("). Nothing was sent.")),
             qPrintable(rig.failure()));
    QVERIFY(!rig.actions->busy());
    QVERIFY(rig.control.calls().empty());
    QCOMPARE(rig.control.state().revision, 1);
    rig.actions->setActionLog(nullptr);
}

void TestActionsLogic::auditTrailHoldsThePendingEntryWhenSent()
{
    Rig rig;
    QTemporaryDir dir;
    std::string error;
    auto store = audit::SqliteAuditStore::open(
        dir.filePath(QStringLiteral("audit.sqlite3")).toStdString(), &error);
    QVERIFY2(store, error.c_str());
    ActionLog log;
    log.setActor("ops-tester");
    log.setSink(store.get());
    log.setBackend("Control API", "http://fake");
    // What a second reader of the file saw when the request reached the backend.
    std::vector<audit::AuditEntry> seen;
    Probe probe(rig.control, [&] {
        auto reader = audit::SqliteAuditStore::open(store->location(), &error);
        seen = reader->query({}, &error).value_or(std::vector<audit::AuditEntry>{});
    });
    rig.actOn(&probe);
    rig.actions->setActionLog(&log);
    rig.start();
    // The verdicts the operator was shown when deciding (a plan's judge, say).
    analysis::Judgement judgement;
    judgement.overall = analysis::Verdict::Pass;
    judgement.sentence = "every gate passes";
    analysis::GateResult errors;
    errors.spec.metric = analysis::GateMetric::ErrorRate;
    errors.verdict = analysis::Verdict::Pass;
    errors.sentence = "canary errors 10.0 % vs 0.0 %";
    errors.delta = std::numeric_limits<double>::quiet_NaN(); // production had none
    errors.ratioHigh = std::numeric_limits<double>::infinity();
    errors.canarySamples = 10;
    judgement.gates = {errors};
    rig.actions->setJudgement(judgement);
    rig.actions->setCanaryWeight(Weight::fromTenths(300));
    QCOMPARE(seen.size(), std::size_t(1));
    QCOMPARE(seen.front().outcome, std::string("pending"));
    QCOMPARE(seen.front().action, std::string("set_weight"));
    QCOMPARE(seen.front().stateBefore, std::string("canary"));
    QCOMPARE(seen.front().revisionBefore, std::optional<std::int64_t>(1));
    settle();
    QCOMPARE(rig.succeeded->count(), 1);
    const auto after = store->query({}, &error);
    QCOMPARE(after->size(), std::size_t(1));
    const audit::AuditEntry &e = after->front();
    QCOMPARE(e.outcome, std::string("succeeded"));
    QCOMPARE(e.revisionAfter, std::optional<std::int64_t>(2));
    QCOMPARE(e.stateAfter, std::string("canary"));
    QCOMPARE(e.actor, std::string("ops-tester"));
    QCOMPARE(e.backendAddress, std::string("http://fake"));
    QVERIFY(e.finishedAt.has_value());

    // The snapshot holds every number the action was decided on, null where unknown.
    const nlohmann::json &snapshot = e.snapshot;
    const nlohmann::json &production = snapshot.at("production");
    QCOMPARE(production.at("p99_ms").get<double>(), 50.0);
    QCOMPARE(production.at("p95_ms").get<double>(), 40.0);
    QCOMPARE(production.at("p50_ms").get<double>(), 25.0);
    QCOMPARE(production.at("error_percent").get<double>(), 0.0);
    QCOMPARE(production.at("requests").get<double>(), 300.0);
    for (const char *unknown :
         {"mean_ms", "accuracy_percent", "labels", "correct", "weight_percent"})
        QVERIFY2(production.at(unknown).is_null(), unknown);
    QCOMPARE(snapshot.at("canary").at("errors").get<double>(), 3.0);
    const nlohmann::json &variants = snapshot.at("variants");
    QCOMPARE(variants.at("production").at("version").get<std::string>(), std::string("1.0"));
    QCOMPARE(variants.at("production").at("weight_percent").get<double>(), 90.0);
    QCOMPARE(variants.at("canary").at("model").get<std::string>(), std::string("m"));
    QCOMPARE(variants.at("canary").at("version").get<std::string>(), std::string("2.0"));
    QCOMPARE(variants.at("canary").at("weight_percent").get<double>(), 10.0);
    QCOMPARE(snapshot.at("verdict").get<std::string>(), std::string("pass"));
    QCOMPARE(snapshot.at("judgement").get<std::string>(), std::string("every gate passes"));
    QCOMPARE(snapshot.at("gates").size(), std::size_t(1));
    const nlohmann::json &gate = snapshot.at("gates").at(0);
    QCOMPARE(gate.at("metric").get<std::string>(), std::string("error_rate"));
    QCOMPARE(gate.at("verdict").get<std::string>(), std::string("pass"));
    QCOMPARE(gate.at("critical").get<bool>(), true);
    QCOMPARE(gate.at("canary_samples").get<std::int64_t>(), std::int64_t(10));
    QVERIFY(gate.at("delta").is_null());
    QVERIFY(gate.at("ratio_high").is_null());

    // The verdicts were those of that action only: the next one is recorded without them.
    rig.actions->rollback();
    settle();
    const auto both = store->query({}, &error);
    QCOMPARE(both->size(), std::size_t(2));
    const nlohmann::json &next = both->back().snapshot;
    QCOMPARE(both->back().action, std::string("rollback"));
    QVERIFY(!next.contains("verdict") && !next.contains("gates") && !next.contains("judgement"));
    QCOMPARE(next.at("variants").at("canary").at("weight_percent").get<double>(), 30.0);
    rig.actions->setActionLog(nullptr);
}

void TestActionsLogic::unopenableAuditTrailSendsNothing()
{
    Rig rig;
    rig.start();
    ActionLog log;
    log.setSinkError(QStringLiteral("The audit trail /x could not be opened: disk I/O error."));
    rig.actions->setActionLog(&log);
    rig.actions->setCanaryWeight(Weight::fromTenths(300));
    QCOMPARE(rig.failed->count(), 1);
    QCOMPARE(rig.failure(), QStringLiteral("The action could not be recorded (The audit trail /x "
                                           "could not be opened: disk I/O error.). Nothing was "
                                           "sent."));
    QVERIFY(rig.control.calls().empty());
    rig.actions->setActionLog(nullptr);
}

void TestActionsLogic::recordedNumbers_data()
{
    QTest::addColumn<QString>("metrics"); // what the monitor's metrics reads gave: "window",
                                          // "baseline" (no window yet), "window,gap"
    QTest::addColumn<bool>("giveEmpty");  // the caller hands an empty snapshot
    QTest::addColumn<bool>("hasNumbers");
    QTest::addColumn<bool>("live");

    QTest::newRow("the monitor's numbers, live") << "window" << false << true << true;
    QTest::newRow("an empty snapshot given") << "window" << true << true << true;
    QTest::newRow("no numbers yet") << "baseline" << false << false << false;
    QTest::newRow("numbers from before a gap") << "window,gap" << false << true << false;
}

// An action is recorded with the numbers it was decided on, and says whether they were of the
// last poll; never with an empty 1970 window marked live.
void TestActionsLogic::recordedNumbers()
{
    QFETCH(QString, metrics);
    QFETCH(bool, giveEmpty);
    QFETCH(bool, hasNumbers);
    QFETCH(bool, live);

    Rig rig;
    // Read i gives script[i].
    std::vector<MetricsReading> script;
    const QStringList reads = metrics.split(u',');
    for (int i = 0; i < int(reads.size()); ++i) {
        const SystemTime at = rig.clock.now() + i * 5s;
        MetricsReading reading = steady({10s, 30s}, at);
        if (reads[i] == QStringLiteral("gap"))
            reading = {"Fake metrics source answered HTTP 503.", at, {}};
        else if (reads[i] == QStringLiteral("baseline"))
            reading.windows = {std::nullopt, std::nullopt};
        script.push_back(std::move(reading));
    }
    rig.metrics.setGenerator([&](const FakeMetricsSource::Windows &, SystemTime) {
        // Reads after the script (the re-read after an action) repeat its last one.
        return script.at(std::min(std::size_t(rig.metrics.readCount() - 1), script.size() - 1));
    });
    rig.start();
    for (int i = 1; i < int(reads.size()); ++i) {
        rig.clock.advance(5s);
        rig.monitor->refreshNow();
        settle();
    }
    const KpiSnapshot shown = rig.monitor->snapshot();

    if (giveEmpty)
        rig.actions->setCanaryWeight(Weight::fromTenths(150), KpiSnapshot{});
    else
        rig.actions->setCanaryWeight(Weight::fromTenths(150));
    const ActionRecord &record = rig.record();
    QCOMPARE(record.outcome, std::string("pending"));
    QCOMPARE(record.kpisTime.has_value(), hasNumbers);
    QCOMPARE(record.kpisFrom.has_value(), hasNumbers);
    QCOMPARE(record.kpisLive, live);
    if (hasNumbers) {
        QCOMPARE(*record.kpisTime, shown.to);
        QCOMPARE(*record.kpisFrom, shown.from);
        QCOMPARE(record.production.requestsInWindow, 300.0); // the 30 s decision window
    }
    QVERIFY(ActionLog::toJson(record).dump().find("1970") == std::string::npos);
    settle();
    QCOMPARE(rig.succeeded->count(), 1);
}

QTEST_GUILESS_MAIN(TestActionsLogic)
#include "tst_actionslogic.moc"
