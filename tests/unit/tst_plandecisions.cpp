// How a plan's decisions enter the console's action log and charts.
#include "audit/sqliteauditstore.h"
#include "console/plandecisions.h"

#include <QTemporaryDir>
#include <QTest>

#include <cmath>
#include <limits>

using namespace canary;
using rollout::Decision;
using rollout::DecisionKind;

namespace {

Decision decision(DecisionKind kind, Decision::Outcome outcome, bool automatic = true)
{
    Decision d;
    d.time = SystemTime(std::chrono::milliseconds(1'700'000'000'000));
    d.kind = kind;
    d.automatic = automatic;
    d.step = 0;
    d.reason = "a critical gate failed at step 1 of 3 (5.0 %)";
    d.judgement.overall = analysis::Verdict::Fail;
    d.judgement.sentence = "errors fails";
    d.outcome = outcome;
    return d;
}

// Two gates as a judge gives them: one failing with every figure, one without data (NaN figures,
// an interval open at the top).
analysis::Judgement twoGates()
{
    analysis::Judgement judgement;
    judgement.overall = analysis::Verdict::Fail;
    judgement.sentence = "errors fails";
    analysis::GateResult errors;
    errors.spec.name = "errors";
    errors.spec.metric = analysis::GateMetric::ErrorRate;
    errors.spec.critical = true;
    errors.verdict = analysis::Verdict::Fail;
    errors.sentence = "canary errors 2.1 % vs 1.0 %";
    errors.productionValue = 1.0;
    errors.canaryValue = 2.1;
    errors.delta = 1.1;
    errors.ratioLow = 1.4;
    errors.ratioHigh = 3.2;
    errors.productionSamples = 34090;
    errors.canarySamples = 3812;
    errors.evidence = 41.0;
    errors.threshold = 20.0;
    analysis::GateResult body;
    body.spec.name = "latency body";
    body.spec.metric = analysis::GateMetric::LatencyBody;
    body.spec.critical = false;
    body.verdict = analysis::Verdict::NoData;
    body.sentence = "no latency histogram";
    body.productionValue = std::numeric_limits<double>::quiet_NaN();
    body.canaryValue = std::numeric_limits<double>::quiet_NaN();
    body.delta = std::numeric_limits<double>::quiet_NaN();
    body.ratioLow = 0;
    body.ratioHigh = std::numeric_limits<double>::infinity();
    judgement.gates = {errors, body};
    return judgement;
}

// Both variants' numbers over a 30 s window, every field known but the canary's accuracy.
KpiSnapshot numbers(SystemTime end)
{
    KpiSnapshot snapshot;
    snapshot.to = end;
    snapshot.from = end - std::chrono::seconds(30);
    snapshot.readings = 1;
    snapshot.kpis.time = end;
    snapshot.kpis.elapsedSeconds = 30;
    for (VariantRole role : {VariantRole::Production, VariantRole::Canary}) {
        const bool canary = role == VariantRole::Canary;
        metrics::VariantKpis &kpis = snapshot.kpis.variant(role);
        kpis.requestRate = canary ? 10 : 90;
        kpis.errorRatio = canary ? 0.02 : 0.01;
        kpis.p50Seconds = 0.020;
        kpis.p95Seconds = 0.080;
        kpis.p99Seconds = 0.125;
        kpis.meanSeconds = 0.032;
        kpis.requestsInWindow = canary ? 300 : 2700;
        kpis.errorsInWindow = canary ? 6 : 27;
        if (!canary) {
            kpis.accuracy = 0.9;
            kpis.feedbackInWindow = 200;
            kpis.correctInWindow = 180;
        }
        kpis.weightPercent = canary ? 10 : 90;
    }
    return snapshot;
}

RolloutState canaryAtTen()
{
    RolloutState state;
    state.revision = 7;
    state.phase = RolloutPhase::Canary;
    state.production = {VariantRole::Production, "fraud", "1.4", Weight::fromTenths(900)};
    state.canary = VariantInfo{VariantRole::Canary, "fraud", "1.5", Weight::fromTenths(100)};
    return state;
}

} // namespace

class TestPlanDecisions final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void actionsAndOutcomes_data();
    void actionsAndOutcomes();
    void recordSaysWhoWhatWhy();
    void trailSnapshotHoldsTheFullNumbers();
    void markers_data();
    void markers();
};

void TestPlanDecisions::actionsAndOutcomes_data()
{
    QTest::addColumn<DecisionKind>("kind");
    QTest::addColumn<QString>("action");
    QTest::newRow("rollback") << DecisionKind::Rollback << "plan_rollback";
    QTest::newRow("set weight") << DecisionKind::SetWeight << "plan_set_weight";
    QTest::newRow("end bake early") << DecisionKind::EndBakeEarly << "plan_end_bake_early";
}

void TestPlanDecisions::actionsAndOutcomes()
{
    QFETCH(DecisionKind, kind);
    QFETCH(QString, action);
    QCOMPARE(QString::fromStdString(decisionAction(kind)), action);
    QCOMPARE(decisionOutcome(Decision::Outcome::Pending), std::string("pending"));
    QCOMPARE(decisionOutcome(Decision::Outcome::Succeeded), std::string("succeeded"));
    QCOMPARE(decisionOutcome(Decision::Outcome::Failed), std::string("failed"));
    QCOMPARE(decisionOutcome(Decision::Outcome::None), std::string("decided"));
}

void TestPlanDecisions::recordSaysWhoWhatWhy()
{
    Decision d = decision(DecisionKind::SetWeight, Decision::Outcome::Pending);
    d.weight = Weight::fromTenths(250);
    d.step = 1;
    const ActionRecord automatic = decisionRecord(d, "default", "alice");
    QCOMPARE(automatic.action, std::string("plan_set_weight"));
    QCOMPARE(automatic.actor, std::string("plan default"));
    QCOMPARE(automatic.time, d.time);
    QCOMPARE(automatic.parameters.at("step").get<int>(), 2);
    QCOMPARE(automatic.parameters.at("canary").get<double>(), 25.0);
    QCOMPARE(automatic.parameters.at("verdict").get<std::string>(), std::string("fail"));
    QCOMPARE(automatic.parameters.at("judgement").get<std::string>(), std::string("errors fails"));
    QCOMPARE(automatic.message, "Plan: " + d.reason);
    d.automatic = false;
    QCOMPARE(decisionRecord(d, "default", "alice").actor, std::string("alice"));
    d.outcome = Decision::Outcome::Failed;
    d.error = "the backend answered 503.";
    QCOMPARE(decisionMessage(d), "Plan: " + d.reason + " It failed: the backend answered 503.");
}

void TestPlanDecisions::trailSnapshotHoldsTheFullNumbers()
{
    QTemporaryDir dir;
    std::string error;
    auto store = audit::SqliteAuditStore::open(
        dir.filePath(QStringLiteral("audit.sqlite3")).toStdString(), &error);
    QVERIFY2(store, error.c_str());
    ActionLog log;
    log.setSink(store.get());
    PlanDecisionLog decisions(log);
    Decision d = decision(DecisionKind::SetWeight, Decision::Outcome::Pending);
    d.weight = Weight::fromTenths(250);
    d.judgement = twoGates();
    const KpiSnapshot shown = numbers(d.time);
    const RolloutState state = canaryAtTen();
    QCOMPARE(decisions.record(d, "default", {&shown, true, state}, d.time), std::string());
    d.outcome = Decision::Outcome::Succeeded;
    QCOMPARE(decisions.record(d, "default", {&shown, true, state}, d.time), std::string());

    const auto entries = store->query({}, &error);
    QVERIFY2(entries, error.c_str());
    QCOMPARE(entries->size(), std::size_t(1));
    const nlohmann::json &snapshot = entries->front().snapshot;
    QCOMPARE(entries->front().outcome, std::string("succeeded"));

    const nlohmann::json &production = snapshot.at("production");
    QCOMPARE(production.at("error_percent").get<double>(), 1.0);
    QCOMPARE(production.at("p99_ms").get<double>(), 125.0);
    QCOMPARE(production.at("p95_ms").get<double>(), 80.0);
    QCOMPARE(production.at("p50_ms").get<double>(), 20.0);
    QCOMPARE(production.at("mean_ms").get<double>(), 32.0);
    QCOMPARE(production.at("accuracy_percent").get<double>(), 90.0);
    QCOMPARE(production.at("labels").get<double>(), 200.0);
    QCOMPARE(production.at("correct").get<double>(), 180.0);
    QCOMPARE(production.at("request_rate").get<double>(), 90.0);
    QCOMPARE(production.at("requests").get<double>(), 2700.0);
    QCOMPARE(production.at("errors").get<double>(), 27.0);
    QCOMPARE(production.at("weight_percent").get<double>(), 90.0);
    const nlohmann::json &canary = snapshot.at("canary");
    QCOMPARE(canary.at("weight_percent").get<double>(), 10.0);
    for (const char *unknown : {"accuracy_percent", "labels", "correct"})
        QVERIFY2(canary.at(unknown).is_null(), unknown); // unknown is null, never 0

    const nlohmann::json &variants = snapshot.at("variants");
    QCOMPARE(variants.at("production").at("model").get<std::string>(), std::string("fraud"));
    QCOMPARE(variants.at("production").at("version").get<std::string>(), std::string("1.4"));
    QCOMPARE(variants.at("production").at("weight_percent").get<double>(), 90.0);
    QCOMPARE(variants.at("canary").at("version").get<std::string>(), std::string("1.5"));
    QCOMPARE(variants.at("canary").at("weight_percent").get<double>(), 10.0);

    QCOMPARE(snapshot.at("verdict").get<std::string>(), std::string("fail"));
    QCOMPARE(snapshot.at("judgement").get<std::string>(), std::string("errors fails"));
    const nlohmann::json &gates = snapshot.at("gates");
    QCOMPARE(gates.size(), std::size_t(2));
    const nlohmann::json &errors = gates.at(0);
    QCOMPARE(errors.at("metric").get<std::string>(), std::string("error_rate"));
    QCOMPARE(errors.at("critical").get<bool>(), true);
    QCOMPARE(errors.at("verdict").get<std::string>(), std::string("fail"));
    QCOMPARE(errors.at("sentence").get<std::string>(), std::string("canary errors 2.1 % vs 1.0 %"));
    QCOMPARE(errors.at("production").get<double>(), 1.0);
    QCOMPARE(errors.at("canary").get<double>(), 2.1);
    QCOMPARE(errors.at("delta").get<double>(), 1.1);
    QCOMPARE(errors.at("ratio_low").get<double>(), 1.4);
    QCOMPARE(errors.at("ratio_high").get<double>(), 3.2);
    QCOMPARE(errors.at("production_samples").get<std::int64_t>(), std::int64_t(34090));
    QCOMPARE(errors.at("canary_samples").get<std::int64_t>(), std::int64_t(3812));
    QCOMPARE(errors.at("evidence").get<double>(), 41.0);
    QCOMPARE(errors.at("threshold").get<double>(), 20.0);
    const nlohmann::json &body = gates.at(1);
    QCOMPARE(body.at("metric").get<std::string>(), std::string("latency_body"));
    QCOMPARE(body.at("critical").get<bool>(), false);
    QCOMPARE(body.at("verdict").get<std::string>(), std::string("no-data"));
    for (const char *nonFinite : {"production", "canary", "delta", "ratio_high"})
        QVERIFY2(body.at(nonFinite).is_null(), nonFinite);
    QCOMPARE(body.at("ratio_low").get<double>(), 0.0);
}

void TestPlanDecisions::markers_data()
{
    QTest::addColumn<DecisionKind>("kind");
    QTest::addColumn<bool>("failed");
    QTest::addColumn<QString>("label");
    QTest::newRow("weight") << DecisionKind::SetWeight << false << "plan 25.0 %";
    QTest::newRow("rollback") << DecisionKind::Rollback << false << "plan roll back";
    QTest::newRow("failed rollback") << DecisionKind::Rollback << true << "plan roll back ✖";
    QTest::newRow("pause") << DecisionKind::Pause << false << "plan pause";
    QTest::newRow("advance") << DecisionKind::Advance << false << "plan advance to 25.0 %";
}

void TestPlanDecisions::markers()
{
    QFETCH(DecisionKind, kind);
    QFETCH(bool, failed);
    QFETCH(QString, label);
    Decision d = decision(kind, failed ? Decision::Outcome::Failed : Decision::Outcome::Succeeded);
    d.weight = Weight::fromTenths(250);
    const TimelineEvent event = decisionMarker(d);
    QCOMPARE(QString::fromStdString(event.label), label);
    QCOMPARE(event.kind, TimelineEvent::Kind::Action);
    QCOMPARE(event.time, d.time);
    QVERIFY(!event.role.has_value());
    QVERIFY(event.detail.find(d.reason) != std::string::npos);
    QVERIFY(event.detail.find("(automatic)") != std::string::npos);
}

QTEST_APPLESS_MAIN(TestPlanDecisions)
#include "tst_plandecisions.moc"
