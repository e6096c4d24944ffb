// The plan timeline: its buttons enabled exactly when the controller can act in the phase shown,
// the strip and the countdown, and loading a plan file (errors said in full, nothing lost).
#include "plantimeline.h"

#include <QFile>
#include <QPushButton>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

using namespace canary;
using namespace std::chrono_literals;
using rollout::RunPhase;
using Button = PlanTimeline::Button;

class TestPlanTimeline final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void buttonsFollowThePhase_data();
    void buttonsFollowThePhase();
    void nothingRunsUnavailable();
    void stripMarksTheCurrentStep();
    void bakeCountdownAndNextWeight();
    void pauseReasonShown();
    void buttonsAskTheController();
    void loadsAPlanFile();
    void badPlanFileKeepsThePlan_data();
    void badPlanFileKeepsThePlan();
    void noLoadWhileRunning();
};

void TestPlanTimeline::buttonsFollowThePhase_data()
{
    QTest::addColumn<RunPhase>("phase");
    QTest::addColumn<bool>("start");
    QTest::addColumn<bool>("pause");
    QTest::addColumn<bool>("resume");
    QTest::addColumn<bool>("skip");
    QTest::addColumn<bool>("load");
    QTest::newRow("idle") << RunPhase::Idle << true << false << false << false << true;
    QTest::newRow("applying") << RunPhase::Applying << false << true << false << false << false;
    QTest::newRow("baking") << RunPhase::Baking << false << true << false << true << false;
    QTest::newRow("paused") << RunPhase::Paused << false << false << true << true << false;
    QTest::newRow("promoting") << RunPhase::Promoting << false << false << false << false << false;
    QTest::newRow("rolling back") << RunPhase::RollingBack << false << false << false << false
                                  << false;
    QTest::newRow("promoted") << RunPhase::Promoted << true << false << false << false << true;
    QTest::newRow("rolled back") << RunPhase::RolledBack << true << false << false << false << true;
    QTest::newRow("stopped") << RunPhase::Stopped << true << false << false << false << true;
    QTest::newRow("failed") << RunPhase::Failed << true << false << false << false << true;
}

void TestPlanTimeline::buttonsFollowThePhase()
{
    QFETCH(RunPhase, phase);
    QFETCH(bool, start);
    QFETCH(bool, pause);
    QFETCH(bool, resume);
    QFETCH(bool, skip);
    QFETCH(bool, load);
    PlanTimeline timeline;
    timeline.setAvailable(true);
    PlanStatus status;
    status.phase = phase;
    status.currentStep = phase == RunPhase::Idle ? -1 : 1;
    timeline.setStatus(status);
    QCOMPARE(timeline.button(Button::Start)->isEnabled(), start);
    QCOMPARE(timeline.button(Button::Pause)->isEnabled(), pause);
    QCOMPARE(timeline.button(Button::Resume)->isEnabled(), resume);
    QCOMPARE(timeline.button(Button::Skip)->isEnabled(), skip);
    QCOMPARE(timeline.button(Button::Load)->isEnabled(), load);
    QCOMPARE(PlanTimeline::canAct(Button::Start, phase), start);
}

void TestPlanTimeline::nothingRunsUnavailable()
{
    PlanTimeline timeline;
    timeline.setAvailable(false, QStringLiteral("Connect to run a plan."));
    QVERIFY(!timeline.button(Button::Start)->isEnabled());
    // A plan file can be read before connecting.
    QVERIFY(timeline.button(Button::Load)->isEnabled());
    QVERIFY2(timeline.phaseText().contains(QStringLiteral("Connect to run a plan.")),
             qPrintable(timeline.phaseText()));
}

void TestPlanTimeline::stripMarksTheCurrentStep()
{
    PlanTimeline timeline; // the built-in plan: 5 %, 25 %, 50 %, five minutes each
    QCOMPARE(timeline.stripTexts(),
             (QStringList{QStringLiteral("5.0 % · 5 min"), QStringLiteral("25.0 % · 5 min"),
                          QStringLiteral("50.0 % · 5 min"), QStringLiteral("promote")}));
    PlanStatus status;
    status.phase = RunPhase::Baking;
    status.currentStep = 1;
    timeline.setStatus(status);
    QCOMPARE(timeline.stripTexts(),
             (QStringList{QStringLiteral("✔ 5.0 % · 5 min"), QStringLiteral("▶ 25.0 % · 5 min"),
                          QStringLiteral("50.0 % · 5 min"), QStringLiteral("promote")}));
    QCOMPARE(timeline.phaseText(), QStringLiteral("Baking · step 2 of 3 (25.0 %)"));
    status.phase = RunPhase::Promoted;
    timeline.setStatus(status);
    for (const QString &text : timeline.stripTexts())
        QVERIFY2(text.startsWith(QStringLiteral("✔")), qPrintable(text));
    // A plan that ended otherwise marks the step it ended at.
    status.phase = RunPhase::RolledBack;
    status.currentStep = 0;
    timeline.setStatus(status);
    QCOMPARE(timeline.stripTexts().first(), QStringLiteral("✖ 5.0 % · 5 min"));
    QCOMPARE(timeline.phaseText(), QStringLiteral("Rolled back"));
}

void TestPlanTimeline::bakeCountdownAndNextWeight()
{
    PlanTimeline timeline;
    PlanStatus status;
    status.phase = RunPhase::Baking;
    status.currentStep = 0;
    status.bakeRemaining = 245'001ms; // never rounded down while time is left
    status.nextWeight = Weight::fromTenths(250);
    timeline.setStatus(status);
    QCOMPARE(timeline.bakeText(), QStringLiteral("4 min 06 s left in the bake · next 25.0 %"));
    status.bakeRemaining = 400ms;
    timeline.setStatus(status);
    QCOMPARE(timeline.bakeText(), QStringLiteral("1 s left in the bake · next 25.0 %"));
    QCOMPARE(PlanTimeline::durationText(45s), QStringLiteral("45 s"));
    QCOMPARE(PlanTimeline::durationText(2h + 5min), QStringLiteral("2 h 05 min"));
}

void TestPlanTimeline::pauseReasonShown()
{
    PlanTimeline timeline;
    PlanStatus status;
    status.phase = RunPhase::Paused;
    status.currentStep = 0;
    status.pauseReason = QStringLiteral("the bake ended with accuracy inconclusive");
    timeline.setStatus(status);
    QCOMPARE(timeline.phaseText(), QStringLiteral("Paused · step 1 of 3 (5.0 %): the bake ended "
                                                  "with accuracy inconclusive"));
}

void TestPlanTimeline::buttonsAskTheController()
{
    PlanTimeline timeline;
    timeline.setAvailable(true);
    QSignalSpy start(&timeline, &PlanTimeline::startRequested);
    QSignalSpy pause(&timeline, &PlanTimeline::pauseRequested);
    QSignalSpy skip(&timeline, &PlanTimeline::skipRequested);
    QTest::mouseClick(timeline.button(Button::Start), Qt::LeftButton);
    QCOMPARE(start.count(), 1);
    QCOMPARE(start.first().first().value<rollout::Plan>().steps.size(), std::size_t(3));
    // Disabled buttons send nothing.
    QTest::mouseClick(timeline.button(Button::Pause), Qt::LeftButton);
    QCOMPARE(pause.count(), 0);
    PlanStatus status;
    status.phase = RunPhase::Baking;
    status.currentStep = 0;
    timeline.setStatus(status);
    QTest::mouseClick(timeline.button(Button::Pause), Qt::LeftButton);
    QTest::mouseClick(timeline.button(Button::Skip), Qt::LeftButton);
    QCOMPARE(pause.count(), 1);
    QCOMPARE(skip.count(), 1);
}

void TestPlanTimeline::loadsAPlanFile()
{
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("quick.json"));
    QFile file(path);
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write(R"({"name": "quick", "steps": [{"weight": 10, "bake_seconds": 60},
                                            {"weight": 30, "bake_seconds": 90}]})");
    file.close();
    PlanTimeline timeline;
    QVERIFY(timeline.loadPlanFile(path));
    QCOMPARE(timeline.plan().name, std::string("quick"));
    QCOMPARE(timeline.planSource(), path);
    QCOMPARE(timeline.stripTexts(),
             (QStringList{QStringLiteral("10.0 % · 1 min"), QStringLiteral("30.0 % · 1 min 30 s"),
                          QStringLiteral("promote")}));
    QVERIFY(timeline.errorText().isEmpty());
}

void TestPlanTimeline::badPlanFileKeepsThePlan_data()
{
    QTest::addColumn<QByteArray>("content");
    QTest::addColumn<QString>("fragment");
    QTest::newRow("weights down") << QByteArray(R"({"steps": [{"weight": 20, "bake_seconds": 60},
                                    {"weight": 10, "bake_seconds": 60}]})")
                                  << QStringLiteral(
                                         "steps[1].weight: must be above the previous step's");
    QTest::newRow("typo") << QByteArray(R"({"stepz": []})") << QStringLiteral("stepz");
    QTest::newRow("not JSON") << QByteArray("steps: 1") << QStringLiteral("bad.json");
}

void TestPlanTimeline::badPlanFileKeepsThePlan()
{
    QFETCH(QByteArray, content);
    QFETCH(QString, fragment);
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("bad.json"));
    QFile file(path);
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write(content);
    file.close();
    PlanTimeline timeline;
    const QStringList before = timeline.stripTexts();
    QVERIFY(!timeline.loadPlanFile(path));
    QCOMPARE(timeline.stripTexts(), before);
    QCOMPARE(timeline.plan().name, std::string("default"));
    QVERIFY2(timeline.errorText().contains(fragment), qPrintable(timeline.errorText()));
    QVERIFY2(timeline.errorText().startsWith(QStringLiteral("The plan was not loaded; the "
                                                            "current one stays.")),
             qPrintable(timeline.errorText()));
}

void TestPlanTimeline::noLoadWhileRunning()
{
    PlanTimeline timeline;
    PlanStatus status;
    status.phase = RunPhase::Baking;
    status.currentStep = 0;
    timeline.setStatus(status);
    QVERIFY(!timeline.loadPlanFile(QStringLiteral("/nonexistent.json")));
    QCOMPARE(timeline.errorText(),
             QStringLiteral("A plan is running: stop it before loading another."));
}

QTEST_MAIN(TestPlanTimeline)
#include "tst_plantimeline.moc"
