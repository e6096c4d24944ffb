// The socket-free fakes of ControlPlane and MetricsSource behave as their headers say, so the
// monitor, action and window tests built on them test the console, not the fakes.
#include "fakecontrolplane.h"
#include "fakemetricssource.h"

#include "domain/rolloutrules.h"
#include "util/clock.h"

#include <QCoreApplication>
#include <QTest>

#include <memory>

using namespace canary;
using namespace canary::testing;
using namespace std::chrono_literals;

Q_DECLARE_METATYPE(canary::RolloutState)

namespace {

using Request = FakeControlPlane::Request;
using Kind = ControlError::Kind;

RolloutState rolledBack(std::int64_t revision)
{
    RolloutState state = FakeControlPlane::canaryAt(Weight(), revision);
    state.phase = RolloutPhase::RolledBack;
    return state;
}

RolloutState promoted(std::int64_t revision)
{
    RolloutState state = FakeControlPlane::stable(revision);
    state.phase = RolloutPhase::Promoted;
    state.production.version = "2.0";
    return state;
}

// One answer, caught: whether it came, and what it was.
struct Answer
{
    int count = 0;
    ControlResult result;

    ControlPlane::Callback callback()
    {
        return [this](ControlResult r) {
            ++count;
            result = std::move(r);
        };
    }
};

// Runs one action written as "weight 25", "promote", "rollback", "stage 2.1" or "stage -" (a
// canary without a version), and says which lever it is.
Lever act(FakeControlPlane &fake, const QString &action, std::int64_t revision, QObject *context,
          ControlPlane::Callback onDone)
{
    const QStringList words = action.split(u' ');
    if (words.at(0) == QLatin1String("weight")) {
        fake.setCanaryWeight(*Weight::fromPercent(words.at(1).toDouble()), revision, context,
                             std::move(onDone));
        return Lever::SetWeight;
    }
    if (words.at(0) == QLatin1String("promote")) {
        fake.promote(revision, context, std::move(onDone));
        return Lever::Promote;
    }
    if (words.at(0) == QLatin1String("rollback")) {
        fake.rollback(revision, context, std::move(onDone));
        return Lever::Rollback;
    }
    nlohmann::json canary = {{"model", "m"}};
    if (words.at(1) != QLatin1String("-"))
        canary["version"] = words.at(1).toStdString();
    fake.stageCanary(canary, revision, context, std::move(onDone));
    return Lever::Stage;
}

} // namespace

class TestFakes final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void leversFollowTheControlApi_data();
    void leversFollowTheControlApi();
    void withoutRevisionsTheRevisionIsNotChecked();
    void weightsRoundToTheResolution_data();
    void weightsRoundToTheResolution();
    void stagingCanBeSwitchedOff();
    void changeBehindTheBackMakesTheNextActionStale();
    void heldAnswersWaitForRelease();
    void answerIsDroppedWhenItsContextDies_data();
    void answerIsDroppedWhenItsContextDies();
    void scriptedFailuresComeInOrder();
    void scriptedFailureForOneKindOfCall();
    void failureAfterApplyingChangesTheState();

    void readsAnswerFailuresThenQueueThenGenerator();
    void heldReadsCountAsInFlight();
    void kpisFromSimpleNumbers_data();
    void kpisFromSimpleNumbers();
    void steadyReadingKeepsTheRateInEveryWindow();
    void historyAnswersTheRangeAsked();
};

void TestFakes::leversFollowTheControlApi_data()
{
    QTest::addColumn<RolloutState>("before");
    QTest::addColumn<QString>("action");
    QTest::addColumn<int>("revisionAsked");
    QTest::addColumn<int>("error"); // ControlError::Kind
    QTest::addColumn<int>("phaseAfter");
    QTest::addColumn<int>("revisionAfter");
    QTest::addColumn<int>("canaryTenthsAfter"); // -1: the canary slot is empty
    QTest::addColumn<QString>("canaryVersionAfter");

    const auto canaryAt = [](int tenths, int revision) {
        return FakeControlPlane::canaryAt(Weight::fromTenths(tenths), revision);
    };
    const int none = int(Kind::None), stale = int(Kind::StaleRevision),
              conflict = int(Kind::Conflict), rejected = int(Kind::Rejected);
    const int canary = int(RolloutPhase::Canary), stable = int(RolloutPhase::Stable),
              promotedPhase = int(RolloutPhase::Promoted),
              rolledBackPhase = int(RolloutPhase::RolledBack);
    const QString v2 = QStringLiteral("2.0"), v21 = QStringLiteral("2.1"), noVersion;

    QTest::newRow("weight applies, revision bumped")
        << canaryAt(0, 3) << "weight 25" << 3 << none << canary << 4 << 250 << v2;
    QTest::newRow("weight on a stale revision refused")
        << canaryAt(0, 3) << "weight 25" << 2 << stale << canary << 3 << 0 << v2;
    QTest::newRow("the same weight on a stale revision is a no-op")
        << canaryAt(250, 3) << "weight 25" << 1 << none << canary << 3 << 250 << v2;
    QTest::newRow("weight with no canary is a conflict")
        << FakeControlPlane::stable(3) << "weight 10" << 3 << conflict << stable << 3 << -1
        << noVersion;
    QTest::newRow("weight after a rollback is a conflict")
        << rolledBack(5) << "weight 10" << 5 << conflict << rolledBackPhase << 5 << 0 << v2;
    QTest::newRow("weight 0 after a rollback is a no-op")
        << rolledBack(5) << "weight 0" << 1 << none << rolledBackPhase << 5 << 0 << v2;
    QTest::newRow("promote") << canaryAt(250, 3) << "promote" << 3 << none << promotedPhase << 4
                             << -1 << noVersion;
    QTest::newRow("promote on a stale revision refused")
        << canaryAt(250, 3) << "promote" << 2 << stale << canary << 3 << 250 << v2;
    QTest::newRow("promote again is a no-op")
        << promoted(4) << "promote" << 3 << none << promotedPhase << 4 << -1 << noVersion;
    QTest::newRow("promote with no canary is a conflict")
        << FakeControlPlane::stable(3) << "promote" << 3 << conflict << stable << 3 << -1
        << noVersion;
    QTest::newRow("rollback") << canaryAt(250, 3) << "rollback" << 3 << none << rolledBackPhase << 4
                              << 0 << v2;
    QTest::newRow("rollback again is a no-op")
        << rolledBack(5) << "rollback" << 2 << none << rolledBackPhase << 5 << 0 << v2;
    QTest::newRow("rollback after promote is a conflict")
        << promoted(4) << "rollback" << 4 << conflict << promotedPhase << 4 << -1 << noVersion;
    QTest::newRow("stage into the empty slot")
        << FakeControlPlane::stable(3) << "stage 2.1" << 3 << none << canary << 4 << 0 << v21;
    QTest::newRow("stage after a rollback")
        << rolledBack(5) << "stage 2.1" << 5 << none << canary << 6 << 0 << v21;
    QTest::newRow("stage over a canary at 0 replaces it")
        << canaryAt(0, 3) << "stage 2.1" << 3 << none << canary << 4 << 0 << v21;
    QTest::newRow("stage over a serving canary is a conflict")
        << canaryAt(250, 3) << "stage 2.1" << 3 << conflict << canary << 3 << 250 << v2;
    QTest::newRow("staging the canary already at 0 is a no-op")
        << canaryAt(0, 3) << "stage 2.0" << 1 << none << canary << 3 << 0 << v2;
    QTest::newRow("stage without a version is rejected")
        << FakeControlPlane::stable(3) << "stage -" << 3 << rejected << stable << 3 << -1
        << noVersion;
}

void TestFakes::leversFollowTheControlApi()
{
    QFETCH(RolloutState, before);
    QFETCH(QString, action);
    QFETCH(int, revisionAsked);
    QFETCH(int, error);
    QFETCH(int, phaseAfter);
    QFETCH(int, revisionAfter);
    QFETCH(int, canaryTenthsAfter);
    QFETCH(QString, canaryVersionAfter);

    FakeControlPlane fake(before);
    QObject context;
    Answer answer;
    const Lever lever = act(fake, action, revisionAsked, &context, answer.callback());
    QCOMPARE(answer.count, 0); // never inside the call
    QTRY_COMPARE(answer.count, 1);

    const RolloutState &after = fake.state();
    QCOMPARE(int(answer.result.error.kind), error);
    QCOMPARE(int(after.phase), phaseAfter);
    QCOMPARE(after.revision, std::int64_t(revisionAfter));
    QCOMPARE(after.canary ? after.canary->weight.tenths() : -1, canaryTenthsAfter);
    QCOMPARE(QString::fromStdString(after.canary ? after.canary->version : std::string()),
             canaryVersionAfter);
    QCOMPARE(after.production.weight, after.canaryWeight().complement());

    if (answer.result.error.kind == Kind::None) {
        QCOMPARE(answer.result.state, std::optional(after));
        QCOMPARE(nlohmann::json::parse(answer.result.body).dump(), toJson(after).dump());
    } else {
        QVERIFY(!answer.result.state);
        QCOMPARE(after, before); // a refused action changes nothing
    }
    if (answer.result.error.kind == Kind::StaleRevision) {
        QCOMPARE(answer.result.error.httpStatus, 412L);
        QCOMPARE(answer.result.error.current, std::optional(before));
    }
    if (answer.result.error.kind == Kind::Conflict) {
        // The console's rule, word for word: one place decides what a rollout allows.
        QCOMPARE(answer.result.error.httpStatus, 409L);
        QCOMPARE(answer.result.error.detail,
                 decideLever(lever, readRollout(before), fake.capabilities()).why);
    }
}

void TestFakes::withoutRevisionsTheRevisionIsNotChecked()
{
    FakeControlPlane fake(FakeControlPlane::canaryAt(Weight(), 0));
    ControlPlaneCapabilities capabilities = FakeControlPlane::defaultCapabilities();
    capabilities.revisions = false;
    fake.setCapabilities(capabilities);
    QObject context;
    Answer answer;
    fake.setCanaryWeight(Weight::fromTenths(100), 42, &context, answer.callback());
    QTRY_COMPARE(answer.count, 1);
    QVERIFY(!answer.result.error);
    QCOMPARE(fake.state().canaryWeight(), Weight::fromTenths(100));
    QCOMPARE(fake.state().revision, std::int64_t(0));
}

void TestFakes::weightsRoundToTheResolution_data()
{
    QTest::addColumn<int>("resolutionTenths");
    QTest::addColumn<int>("askedTenths");
    QTest::addColumn<int>("appliedTenths");
    QTest::newRow("0.1 keeps every tenth") << 1 << 123 << 123;
    QTest::newRow("0.5 rounds down") << 5 << 122 << 120;
    QTest::newRow("0.5 rounds half up") << 5 << 123 << 125;
    QTest::newRow("1 % steps") << 10 << 996 << 1000;
}

void TestFakes::weightsRoundToTheResolution()
{
    QFETCH(int, resolutionTenths);
    QFETCH(int, askedTenths);
    QFETCH(int, appliedTenths);
    FakeControlPlane fake;
    ControlPlaneCapabilities capabilities = FakeControlPlane::defaultCapabilities();
    capabilities.resolution = Weight::fromTenths(resolutionTenths);
    fake.setCapabilities(capabilities);
    QCOMPARE(fake.nearestWeight(Weight::fromTenths(askedTenths)).tenths(), appliedTenths);

    QObject context;
    Answer answer;
    fake.setCanaryWeight(Weight::fromTenths(askedTenths), 1, &context, answer.callback());
    QTRY_COMPARE(answer.count, 1);
    QCOMPARE(fake.state().canaryWeight().tenths(), appliedTenths);
    QCOMPARE(fake.calls().back().weight, std::optional(Weight::fromTenths(askedTenths)));
}

void TestFakes::stagingCanBeSwitchedOff()
{
    FakeControlPlane fake(FakeControlPlane::stable());
    ControlPlaneCapabilities capabilities = FakeControlPlane::defaultCapabilities();
    capabilities.staging = false;
    fake.setCapabilities(capabilities);
    QObject context;
    Answer answer;
    fake.stageCanary({{"model", "m"}, {"version", "3.0"}}, 1, &context, answer.callback());
    QTRY_COMPARE(answer.count, 1);
    QCOMPARE(int(answer.result.error.kind), int(Kind::Rejected));
    QVERIFY(answer.result.error.message().find("cannot stage") != std::string::npos);
    QCOMPARE(fake.state(), FakeControlPlane::stable());
}

void TestFakes::changeBehindTheBackMakesTheNextActionStale()
{
    FakeControlPlane fake(FakeControlPlane::canaryAt(Weight(), 1));
    QObject context;
    Answer read;
    fake.fetchState(&context, read.callback());
    QTRY_COMPARE(read.count, 1);
    const std::int64_t seen = read.result.state->revision;

    const RolloutState elsewhere = FakeControlPlane::canaryAt(Weight::fromTenths(100), 2);
    fake.setState(elsewhere);
    Answer action;
    fake.setCanaryWeight(Weight::fromTenths(300), seen, &context, action.callback());
    QTRY_COMPARE(action.count, 1);
    QCOMPARE(int(action.result.error.kind), int(Kind::StaleRevision));
    QCOMPARE(action.result.error.current, std::optional(elsewhere));
    QCOMPARE(fake.state(), elsewhere);
    QCOMPARE(fake.callLog(), QStringList({QStringLiteral("fetchState"),
                                          QStringLiteral("setCanaryWeight 30.0 @1")}));
    QCOMPARE(fake.callCount(Request::SetCanaryWeight), 1);
}

void TestFakes::heldAnswersWaitForRelease()
{
    FakeControlPlane fake(FakeControlPlane::canaryAt(Weight(), 1));
    fake.holdAnswers(true);
    QObject context;
    QStringList order;
    fake.setCanaryWeight(Weight::fromTenths(50), 1, &context,
                         [&order](const ControlResult &) { order << QStringLiteral("weight"); });
    fake.fetchState(&context, [&order](const ControlResult &r) {
        order << QStringLiteral("fetch @%1").arg(r.state->revision);
    });
    QCOMPARE(fake.state().revision, std::int64_t(2)); // applied on arrival, answer held
    QCOMPARE(fake.pendingCount(), 2);
    QCoreApplication::processEvents();
    QVERIFY(order.isEmpty());

    QVERIFY(fake.releaseNext());
    QCOMPARE(fake.pendingCount(), 1);
    QVERIFY(order.isEmpty()); // released answers too come on the next turn of the loop
    QTRY_COMPARE(order, QStringList{QStringLiteral("weight")});
    QCOMPARE(fake.releaseAll(), 1);
    QTRY_COMPARE(order, QStringList({QStringLiteral("weight"), QStringLiteral("fetch @2")}));
    QVERIFY(!fake.releaseNext());

    fake.holdAnswers(false);
    fake.fetchState(&context, [&order](const ControlResult &) { order << QStringLiteral("free"); });
    QCOMPARE(fake.pendingCount(), 0);
    QTRY_COMPARE(order.size(), 3);
}

void TestFakes::answerIsDroppedWhenItsContextDies_data()
{
    QTest::addColumn<bool>("held");
    QTest::newRow("queued") << false;
    QTest::newRow("held") << true;
}

void TestFakes::answerIsDroppedWhenItsContextDies()
{
    QFETCH(bool, held);
    FakeControlPlane plane;
    FakeMetricsSource source;
    plane.holdAnswers(held);
    source.holdAnswers(held);
    source.pushReading(FakeMetricsSource::steadyReading({10s}, SystemTime(1000s), {}, {}));

    bool planeAnswered = false, sourceAnswered = false, witnessAnswered = false;
    auto context = std::make_unique<QObject>();
    QObject witness;
    plane.fetchState(context.get(), [&](const ControlResult &) { planeAnswered = true; });
    source.read({10s}, context.get(), [&](const MetricsReading &) { sourceAnswered = true; });
    plane.fetchState(&witness, [&](const ControlResult &) { witnessAnswered = true; });
    QCOMPARE(source.readsInFlight(), 1);
    context.reset();
    plane.releaseAll();
    source.releaseAll();
    QTRY_VERIFY(witnessAnswered); // the loop has run the answers that still had a context
    QCoreApplication::processEvents();
    QVERIFY(!planeAnswered);
    QVERIFY(!sourceAnswered);
    QCOMPARE(source.readsInFlight(), 0); // a dropped answer is no longer in flight
}

void TestFakes::scriptedFailuresComeInOrder()
{
    const RolloutState before = FakeControlPlane::canaryAt(Weight(), 1);
    FakeControlPlane fake(before);
    fake.failNext(FakeControlPlane::unreachable(false));
    fake.failNext(FakeControlPlane::serverError("disk full"));
    QCOMPARE(fake.scriptedFailures(), 2);
    QObject context;
    Answer first, second, third;
    fake.setCanaryWeight(Weight::fromTenths(100), 1, &context, first.callback());
    fake.promote(1, &context, second.callback());
    fake.setCanaryWeight(Weight::fromTenths(100), 1, &context, third.callback());
    QTRY_COMPARE(third.count, 1);
    QCOMPARE(int(first.result.error.kind), int(Kind::Unreachable));
    QVERIFY(!first.result.error.requestSent);
    QCOMPARE(int(second.result.error.kind), int(Kind::ServerError));
    QCOMPARE(second.result.error.message(), std::string("500 Internal Server Error: disk full"));
    QVERIFY(!third.result.error);
    QCOMPARE(fake.state().revision, std::int64_t(2)); // the failed calls changed nothing
    QCOMPARE(fake.scriptedFailures(), 0);
    QCOMPARE(fake.calls().size(), std::size_t(3));
}

void TestFakes::scriptedFailureForOneKindOfCall()
{
    FakeControlPlane fake(FakeControlPlane::canaryAt(Weight::fromTenths(100), 1));
    fake.failNext(FakeControlPlane::serverError(), Request::Promote);
    QObject context;
    Answer poll, promote;
    fake.fetchState(&context, poll.callback());
    fake.promote(1, &context, promote.callback());
    QTRY_COMPARE(promote.count, 1);
    QVERIFY(!poll.result.error); // the poll passed the failure by
    QCOMPARE(int(promote.result.error.kind), int(Kind::ServerError));
    QCOMPARE(int(fake.state().phase), int(RolloutPhase::Canary));
}

void TestFakes::failureAfterApplyingChangesTheState()
{
    FakeControlPlane fake(FakeControlPlane::canaryAt(Weight::fromTenths(100), 1));
    fake.failNextAfterApplying(FakeControlPlane::unreachable(true));
    QObject context;
    Answer answer;
    fake.rollback(1, &context, answer.callback());
    QTRY_COMPARE(answer.count, 1);
    QCOMPARE(int(answer.result.error.kind), int(Kind::Unreachable));
    QVERIFY(answer.result.error.requestSent);
    QCOMPARE(int(fake.state().phase), int(RolloutPhase::RolledBack));
    QCOMPARE(fake.state().revision, std::int64_t(2));
}

void TestFakes::readsAnswerFailuresThenQueueThenGenerator()
{
    ManualClock clock;
    FakeMetricsSource source;
    source.setClock(clock);
    const SystemTime t0 = clock.now();
    const FakeMetricsSource::Windows windows = {10s, 60s};

    source.pushReading(FakeMetricsSource::steadyReading(windows, t0 - 5s, {}, {}));
    source.failNext("The fake source is down.");
    source.setGenerator([](const FakeMetricsSource::Windows &asked, SystemTime now) {
        FakeMetricsSource::VariantNumbers production;
        production.requests = 100;
        return FakeMetricsSource::steadyReading(asked, now, production, {});
    });

    QObject context;
    QList<MetricsReading> readings;
    const auto collect = [&readings](MetricsReading r) {
        readings << std::move(r);
    };
    source.read(windows, &context, collect);
    source.read(windows, &context, collect);
    clock.advance(7s);
    source.read({30s}, &context, collect);
    QTRY_COMPARE(readings.size(), 3);

    QCOMPARE(readings.at(0).error, std::string("The fake source is down."));
    QVERIFY(readings.at(0).windows.empty());
    QVERIFY(readings.at(1).ok());
    QCOMPARE(readings.at(1).time, t0 - 5s);
    QCOMPARE(readings.at(1).windows.size(), std::size_t(2));
    QVERIFY(readings.at(2).ok());
    QCOMPARE(readings.at(2).time, t0 + 7s); // the generator was given the clock's time
    QCOMPARE(readings.at(2).windows.size(), std::size_t(1));
    QCOMPARE(readings.at(2).windows.at(0)->seconds(), 30.0);

    QCOMPARE(source.readCount(), 3);
    QCOMPARE(source.windowsAsked().back(), FakeMetricsSource::Windows{30s});

    source.setGenerator({});
    source.read(windows, &context, collect);
    QTRY_COMPARE(readings.size(), 4);
    QVERIFY(!readings.at(3).ok()); // nothing scripted: an error, never a made-up reading
}

void TestFakes::heldReadsCountAsInFlight()
{
    FakeMetricsSource source;
    source.holdAnswers(true);
    source.setGenerator([](const FakeMetricsSource::Windows &asked, SystemTime now) {
        return FakeMetricsSource::steadyReading(asked, now, {}, {});
    });
    QObject context;
    int answered = 0;
    int inFlightInsideCallback = -1;
    source.read({10s}, &context, [&](const MetricsReading &) {
        ++answered;
        inFlightInsideCallback = source.readsInFlight();
    });
    QCOMPARE(source.readsInFlight(), 1);
    QCOMPARE(source.pendingCount(), 1);
    QCoreApplication::processEvents();
    QCOMPARE(answered, 0);
    source.read({10s}, &context, [&](const MetricsReading &) { ++answered; });
    QCOMPARE(source.mostReadsInFlight(), 2); // a monitor that did this would be caught

    QCOMPARE(source.releaseAll(), 2);
    QTRY_COMPARE(answered, 2);
    QCOMPARE(inFlightInsideCallback, 1); // the answered read no longer counts in its callback
    QCOMPARE(source.readsInFlight(), 0);
}

void TestFakes::kpisFromSimpleNumbers_data()
{
    QTest::addColumn<double>("requests");
    QTest::addColumn<double>("errors");
    QTest::addColumn<double>("p99Ms");
    QTest::addColumn<double>("accuracy"); // negative: not given
    QTest::addColumn<double>("rate");
    QTest::addColumn<double>("errorRatio"); // NaN: unknown
    QTest::addColumn<double>("p50Seconds");
    QTest::addColumn<double>("p99Seconds");
    QTest::addColumn<double>("accuracyKnown");

    const double nan = metrics::VariantKpis::kUnknown;
    QTest::newRow("everything") << 600.0 << 6.0 << 250.0 << 0.9 << 10.0 << 0.01 << 0.125 << 0.25
                                << 0.9;
    QTest::newRow("no requests: ratios unknown, rate 0")
        << 0.0 << 0.0 << 250.0 << 0.9 << 0.0 << nan << nan << nan << nan;
    QTest::newRow("no latency, no accuracy")
        << 60.0 << 0.0 << nan << -1.0 << 1.0 << 0.0 << nan << nan << nan;
}

void TestFakes::kpisFromSimpleNumbers()
{
    QFETCH(double, requests);
    QFETCH(double, errors);
    QFETCH(double, p99Ms);
    QFETCH(double, accuracy);
    QFETCH(double, rate);
    QFETCH(double, errorRatio);
    QFETCH(double, p50Seconds);
    QFETCH(double, p99Seconds);
    QFETCH(double, accuracyKnown);

    FakeMetricsSource::VariantNumbers canary;
    canary.requests = requests;
    canary.errors = errors;
    canary.p99Ms = p99Ms;
    if (accuracy >= 0)
        canary.accuracy = accuracy;
    const SystemTime end(1'700'000'060'000ms);
    const KpiSnapshot snapshot = FakeMetricsSource::snapshot({}, canary, 60s, end);

    QVERIFY(snapshot.valid());
    QCOMPARE(snapshot.seconds(), 60.0);
    QCOMPARE(snapshot.to, end);
    const metrics::VariantKpis &kpis = snapshot.kpis.canary;
    const auto same = [](double actual, double expected) {
        return std::isnan(expected) ? std::isnan(actual) : std::abs(actual - expected) < 1e-9;
    };
    QVERIFY2(same(kpis.requestRate, rate), QByteArray::number(kpis.requestRate));
    QVERIFY2(same(kpis.errorRatio, errorRatio), QByteArray::number(kpis.errorRatio));
    QVERIFY2(same(kpis.p50Seconds, p50Seconds), QByteArray::number(kpis.p50Seconds));
    QVERIFY2(same(kpis.p99Seconds, p99Seconds), QByteArray::number(kpis.p99Seconds));
    QVERIFY(same(kpis.value(metrics::Kpi::Accuracy), accuracyKnown));
    for (metrics::Kpi kpi : metrics::kAllKpis)
        QVERIFY2(kpis.known(kpi) == kpis.reason(kpi).empty(), "unknown needs a reason");
    QCOMPARE(snapshot.kpis.production.versions, std::vector<std::string>{"1.0"});
    QCOMPARE(kpis.versions, std::vector<std::string>{"2.0"});
}

void TestFakes::steadyReadingKeepsTheRateInEveryWindow()
{
    FakeMetricsSource::VariantNumbers production;
    production.requests = 100;
    production.errors = 1;
    const MetricsReading reading =
        FakeMetricsSource::steadyReading({10s, 60s}, SystemTime(1000s), production, {});
    QCOMPARE(reading.windows.size(), std::size_t(2));
    QCOMPARE(reading.windows.at(0)->kpis.production.requestsInWindow, 100.0);
    QCOMPARE(reading.windows.at(1)->kpis.production.requestsInWindow, 600.0);
    QCOMPARE(reading.windows.at(1)->kpis.production.requestRate, 10.0);
    QCOMPARE(reading.windows.at(1)->kpis.production.errorRatio, 0.01);
    QCOMPARE(reading.windows.at(1)->from, SystemTime(940s));
}

void TestFakes::historyAnswersTheRangeAsked()
{
    FakeMetricsSource source;
    MetricsHistory history;
    for (int minute = 0; minute < 10; ++minute)
        history.points.push_back(FakeMetricsSource::kpis({}, {}, 60s, SystemTime(minute * 60s)));
    source.setHistory(history);
    QObject context;
    QList<MetricsHistory> answers;
    const auto collect = [&answers](MetricsHistory h) {
        answers << std::move(h);
    };
    source.readHistory(SystemTime(120s), SystemTime(300s), 60s, 60s, &context, collect);
    QTRY_COMPARE(answers.size(), 1);
    QVERIFY(answers.at(0).ok());
    QCOMPARE(answers.at(0).points.size(), std::size_t(4)); // minutes 2, 3, 4 and 5
    QCOMPARE(answers.at(0).points.front().time, SystemTime(120s));
    QCOMPARE(source.historyReadCount(), 1);
    QCOMPARE(source.historyAsked().at(0).step, 60s);

    MetricsCapabilities capabilities = FakeMetricsSource::defaultCapabilities();
    capabilities.history = false;
    source.setCapabilities(capabilities);
    source.readHistory(SystemTime(0s), SystemTime(600s), 60s, 60s, &context, collect);
    QTRY_COMPARE(answers.size(), 2);
    QVERIFY(!answers.at(1).ok());
    QVERIFY(answers.at(1).points.empty());
    QCOMPARE(source.readCount(), 0); // history is not a read
}

QTEST_GUILESS_MAIN(TestFakes)
#include "tst_fakes.moc"
