// How a plan's decisions enter the console's action log and charts.
#include "console/plandecisions.h"

#include <QTest>

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

} // namespace

class TestPlanDecisions final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void actionsAndOutcomes_data();
    void actionsAndOutcomes();
    void recordSaysWhoWhatWhy();
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
