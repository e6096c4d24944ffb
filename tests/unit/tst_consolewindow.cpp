// The console window on fake backends (no sockets): what it says about the kind of backend and
// metrics source it is connected to, and the levers it offers because of it.
#include "analysispanel.h"
#include "audit/sqliteauditstore.h"
#include "audittablemodel.h"
#include "confirmactiondialog.h"
#include "consolesettings.h"
#include "fakecontrolplane.h"
#include "fakemetricssource.h"
#include "gatetablemodel.h"
#include "historydock.h"
#include "kpicomparison.h"
#include "mainwindow.h"
#include "messagebar.h"
#include "modalanswer.h"
#include "plantimeline.h"
#include "profilestore.h"
#include "report/reportbuilder.h"
#include "reportexport.h"
#include "trafficcontrol.h"
#include "virtualtime.h"

#include "util/scheduler.h"

#include <QAction>
#include <QApplication>
#include <QDir>
#include <QDockWidget>
#include <QDoubleSpinBox>
#include <QFile>
#include <QLabel>
#include <QLineEdit>
#include <QProcess>
#include <QPushButton>
#include <QSortFilterProxyModel>
#include <QStandardPaths>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>

#include <algorithm>
#include <functional>
#include <memory>

using namespace canary;
using namespace canary::testing;
using namespace std::chrono_literals;

namespace {

ControlPlaneCapabilities haproxyLike()
{
    ControlPlaneCapabilities capabilities;
    capabilities.kind = "HAProxy";
    capabilities.revisions = false;
    capabilities.staging = false;
    capabilities.resolution = Weight::fromTenths(4);
    return capabilities;
}

MetricsCapabilities metricsKind(std::string kind, bool history, std::string limits = {})
{
    MetricsCapabilities capabilities;
    capabilities.kind = std::move(kind);
    capabilities.history = history;
    capabilities.limits = std::move(limits);
    return capabilities;
}

FakeMetricsSource::VariantNumbers numbers(double requests, double errors, double p99Ms)
{
    FakeMetricsSource::VariantNumbers n;
    n.requests = requests;
    n.errors = errors;
    n.p99Ms = p99Ms;
    n.accuracy = 0.9;
    return n;
}

// Steady readings; every KPI result carries `warnings`.
FakeMetricsSource::Generator steady(std::vector<std::string> warnings = {}, bool latency = true)
{
    return [warnings, latency](const FakeMetricsSource::Windows &windows, SystemTime now) {
        auto production = numbers(1000, 10, 80);
        auto canary = numbers(100, 1, 90);
        if (!latency) {
            production.p99Ms = canary.p99Ms = FakeMetricsSource::VariantNumbers::kUnset;
            production.accuracy = canary.accuracy = std::nullopt;
        }
        MetricsReading reading = FakeMetricsSource::steadyReading(windows, now, production, canary);
        for (auto &window : reading.windows) {
            if (window)
                window->kpis.warnings = warnings;
        }
        return reading;
    };
}

} // namespace

class TestConsoleWindow final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void init();
    void cleanup();

    void statusBarNamesBothKinds();
    void stageDisabledWithReason_data();
    void stageDisabledWithReason();
    void confirmationSaysWhenChangesCannotBeDetected_data();
    void confirmationSaysWhenChangesCannotBeDetected();
    void confirmationSaysWhatTheKindDoes_data();
    void confirmationSaysWhatTheKindDoes();
    void limitsToldOnce();
    void backfillTold_data();
    void backfillTold();
    void warningsToldOnceEach();
    void weightSentIsTheOneThatApplies();
    void actionTakenAppearsInHistory();
    void historyJoinsALayoutSavedWithoutIt();
    void missingQuantilesAreNoData();
    void automaticRollbackShowsWhy();
    void failedRollbackAsksForAHand();
    void manualRollbackStopsThePlanFirst();
    void noPlanWithoutBackendsOfItsOwn();
    void noLeverWithoutTheAuditTrail();
    void reportTellsTheAutomaticRollback();

private:
    // Connects the window to fresh fakes; they are owned by the window from then on.
    using SetUp = std::function<void(FakeControlPlane &, FakeMetricsSource &)>;
    void connectFakes(ControlPlaneCapabilities control, MetricsCapabilities metrics,
                      RolloutState state = FakeControlPlane::canaryAt(Weight::fromTenths(50)),
                      const SetUp &setUp = {});

    // Connects with backends of the plan's own too, the plan on virtual time: production serves
    // 1,000 requests a second with 5 errors, the canary 100 with `canaryErrors`.
    void connectWithPlan(double canaryErrors);
    // Runs the plan's virtual time a second at a time until `done` or `seconds` have passed.
    bool runPlanUntil(const std::function<bool()> &done, int seconds);

    std::unique_ptr<MainWindow> m_window;
    FakeControlPlane *m_control = nullptr;
    FakeMetricsSource *m_metrics = nullptr;
    FakeControlPlane *m_planControl = nullptr;
    FakeMetricsSource *m_planMetrics = nullptr;
    std::unique_ptr<ManualClock> m_planClock;
    std::unique_ptr<ManualScheduler> m_planScheduler;
};

void TestConsoleWindow::initTestCase()
{
    QStandardPaths::setTestModeEnabled(true);
    QCoreApplication::setOrganizationName(QStringLiteral("canary-console"));
    QCoreApplication::setApplicationName(QStringLiteral("canary-console-window-test"));
}

void TestConsoleWindow::init()
{
    QFile::remove(ConsoleSettings().fileName());
    m_window = std::make_unique<MainWindow>();
    m_window->profileStore()->setKeychainEnabled(false);
    m_window->resize(1280, 800);
    m_window->show();
}

void TestConsoleWindow::cleanup()
{
    m_window.reset();
    m_planScheduler.reset();
    m_planClock.reset();
    m_planControl = nullptr;
    m_planMetrics = nullptr;
    m_control = nullptr;
    m_metrics = nullptr;
}

void TestConsoleWindow::connectFakes(ControlPlaneCapabilities control, MetricsCapabilities metrics,
                                     RolloutState state, const SetUp &setUp)
{
    auto controlPlane = std::make_unique<FakeControlPlane>(std::move(state));
    controlPlane->setCapabilities(std::move(control));
    auto source = std::make_unique<FakeMetricsSource>();
    source->setCapabilities(std::move(metrics));
    source->setGenerator(steady());
    m_control = controlPlane.get();
    m_metrics = source.get();
    if (setUp)
        setUp(*m_control, *m_metrics);
    Backends backends;
    backends.control = std::move(controlPlane);
    backends.metrics = std::move(source);
    ConnectionTarget target;
    target.name = QStringLiteral("fake");
    target.url = QStringLiteral("fake://control-plane");
    m_window->connectWith(target, std::move(backends));
}

void TestConsoleWindow::statusBarNamesBothKinds()
{
    connectFakes(haproxyLike(), metricsKind("Prometheus", false),
                 FakeControlPlane::canaryAt(Weight::fromTenths(50)),
                 [](FakeControlPlane &control, FakeMetricsSource &metrics) {
                     control.setAddress("unix:///run/haproxy.sock");
                     metrics.setAddress("http://127.0.0.1:9090");
                 });
    auto *label = m_window->findChild<QLabel *>(QStringLiteral("urlLabel"));
    QVERIFY(label);
    QCOMPARE(label->text(), QStringLiteral("HAProxy unix:///run/haproxy.sock · metrics Prometheus "
                                           "http://127.0.0.1:9090"));
    QCOMPARE(m_window->connectionText(), label->text());
    // A kind without revisions shows no revision number.
    auto *state = m_window->findChild<QLabel *>(QStringLiteral("stateLabel"));
    QTRY_COMPARE(state->text(), QStringLiteral("canary"));
    m_window->disconnectBackend();
    QCOMPARE(label->text(), QStringLiteral("not connected"));
}

void TestConsoleWindow::stageDisabledWithReason_data()
{
    QTest::addColumn<bool>("staging");
    QTest::newRow("kind that stages") << true;
    QTest::newRow("kind without staging") << false;
}

void TestConsoleWindow::stageDisabledWithReason()
{
    QFETCH(bool, staging);
    ControlPlaneCapabilities capabilities = haproxyLike();
    capabilities.staging = staging;
    // At 0 % a kind that stages may replace the canary; one without staging never may.
    connectFakes(capabilities, metricsKind("Fake", false), FakeControlPlane::canaryAt(Weight()));
    QTRY_VERIFY(m_window->reading().has_value());
    auto *button = m_window->findChild<QPushButton *>(QStringLiteral("stageButton"));
    QVERIFY(button);
    QCOMPARE(m_window->stageAction()->isEnabled(), staging);
    QCOMPARE(button->isEnabled(), staging);
    const LeverDecision decision = decideLever(Lever::Stage, *m_window->reading(), capabilities);
    QCOMPARE(decision.allowed, staging);
    if (!staging) {
        const QString why = QString::fromStdString(decision.why);
        QVERIFY(why.contains(QStringLiteral("cannot stage")));
        QCOMPARE(button->toolTip(), why);
        QCOMPARE(m_window->stageAction()->toolTip(), why);
    } else {
        QVERIFY(!button->toolTip().contains(QStringLiteral("cannot stage")));
    }
}

void TestConsoleWindow::confirmationSaysWhenChangesCannotBeDetected_data()
{
    QTest::addColumn<bool>("revisions");
    QTest::addColumn<bool>("promote");
    QTest::newRow("revisions, promote") << true << true;
    QTest::newRow("no revisions, promote") << false << true;
    QTest::newRow("no revisions, roll back") << false << false;
}

void TestConsoleWindow::confirmationSaysWhenChangesCannotBeDetected()
{
    QFETCH(bool, revisions);
    QFETCH(bool, promote);
    ControlPlaneCapabilities capabilities = haproxyLike();
    capabilities.revisions = revisions;
    connectFakes(capabilities, metricsKind("Fake", false));
    QAction *action = promote ? m_window->promoteAction() : m_window->rollbackAction();
    QTRY_VERIFY(action->isEnabled());
    QString note;
    QString verdict;
    ModalAnswer<ConfirmActionDialog> answer([&](ConfirmActionDialog *dialog) {
        note = dialog->backendNoteText();
        verdict = dialog->verdictText();
        dialog->cancelButton()->click();
    });
    action->trigger();
    QVERIFY(answer.seen());
    if (revisions) {
        QVERIFY2(note.isEmpty(), qPrintable(note));
    } else {
        QVERIFY2(note.contains(QStringLiteral("HAProxy keeps no revision")), qPrintable(note));
        QVERIFY2(note.contains(QStringLiteral("cannot be detected")), qPrintable(note));
        QVERIFY2(note.contains(QStringLiteral("right before sending and once more after")),
                 qPrintable(note));
    }
    QCOMPARE(m_control->callCount(FakeControlPlane::Request::Promote), 0);
    QCOMPARE(m_control->callCount(FakeControlPlane::Request::Rollback), 0);
    // Without a plan no judge has looked: the dialog says the figures are not evidence.
    QVERIFY2(verdict.startsWith(QStringLiteral("No plan is judging this canary")),
             qPrintable(verdict));
}

void TestConsoleWindow::confirmationSaysWhatTheKindDoes_data()
{
    QTest::addColumn<bool>("staging");
    QTest::addColumn<bool>("promote");
    QTest::addColumn<QString>("headline");
    QTest::addColumn<QString>("consequence"); // a fragment
    // A kind that stages models swaps the slots; one that does not only moves the traffic.
    QTest::newRow("slots, promote") << true << true << "Promote m 2.0 to production?"
                                    << "The canary slot becomes empty";
    QTest::newRow("slots, roll back") << true << false << "Roll back m 2.0?"
                                      << "stays staged at 0 %";
    QTest::newRow("servers, promote") << false << true << "Promote can to production?"
                                      << "can will receive 100 % of live traffic and prod none";
    QTest::newRow("servers, roll back") << false << false << "Roll back can?"
                                        << "goes back to production prod at once; the canary "
                                           "stays in the backend at 0 %.";
}

void TestConsoleWindow::confirmationSaysWhatTheKindDoes()
{
    QFETCH(bool, staging);
    QFETCH(bool, promote);
    QFETCH(QString, headline);
    QFETCH(QString, consequence);
    ControlPlaneCapabilities capabilities = haproxyLike();
    capabilities.staging = staging;
    RolloutState state = FakeControlPlane::canaryAt(Weight::fromTenths(50));
    if (!staging) { // HAProxy knows its servers' names only
        state.production.model = "prod";
        state.production.version.clear();
        state.canary->model = "can";
        state.canary->version.clear();
    }
    connectFakes(capabilities, metricsKind("Fake", false), state);
    QAction *action = promote ? m_window->promoteAction() : m_window->rollbackAction();
    QTRY_VERIFY(action->isEnabled());
    QString said;
    QString consequences;
    QString canaryVersion;
    ModalAnswer<ConfirmActionDialog> answer([&](ConfirmActionDialog *dialog) {
        said = dialog->headlineText();
        consequences = dialog->consequenceText();
        canaryVersion = dialog->cellText(0, 1);
        dialog->cancelButton()->click();
    });
    action->trigger();
    QVERIFY(answer.seen());
    QCOMPARE(said, headline);
    // Without a version from the backend, the one the metrics saw, said to be from there.
    QCOMPARE(canaryVersion,
             staging ? QStringLiteral("2.0") : QStringLiteral("2.0 (in the metrics)"));
    QVERIFY2(consequences.contains(consequence), qPrintable(consequences));
    QVERIFY2(!consequences.contains(QStringLiteral("  ")), qPrintable(consequences));
}

void TestConsoleWindow::limitsToldOnce()
{
    const std::string limits = "HAProxy's counters give no accuracy and no true latency "
                               "quantiles.";
    connectFakes(haproxyLike(), metricsKind("HAProxy", false, limits));
    MessageBar *bar = m_window->messageBar();
    QCOMPARE(bar->text(), QString::fromStdString(limits));
    QVERIFY(bar->isVisible());
    // It stays until read: a note that faded would be missed by an operator who looked away.
    QCOMPARE(bar->level(), MessageBar::Level::Warning);
    bar->clear();
    // Readings keep coming; the sentence is not said again.
    const int reads = m_metrics->readCount();
    QTRY_VERIFY_WITH_TIMEOUT(m_metrics->readCount() >= reads + 3, 10'000);
    QVERIFY2(!bar->isVisible() || bar->text() != QString::fromStdString(limits),
             qPrintable(bar->text()));
}

void TestConsoleWindow::backfillTold_data()
{
    QTest::addColumn<int>("points");
    QTest::addColumn<QString>("error");
    QTest::addColumn<QString>("expected");
    QTest::newRow("10 min of points")
        << 120 << QString()
        << QStringLiteral("Charts back-filled with 10 min from Prometheus (120 points, one every "
                          "5 s).");
    QTest::newRow("33 points, not rounded up")
        << 33 << QString()
        << QStringLiteral("Charts back-filled with 2 min 45 s from Prometheus (33 points, one "
                          "every 5 s).");
    QTest::newRow("failed") << 0 << QStringLiteral("Prometheus at http://p:9090 answered 503")
                            << QStringLiteral("The charts could not be back-filled from "
                                              "Prometheus: Prometheus at http://p:9090 answered "
                                              "503. They fill as the console reads.");
    QTest::newRow("no history yet")
        << 0 << QString()
        << QStringLiteral("Prometheus has no history of this rollout yet: the charts fill as the "
                          "console reads.");
}

void TestConsoleWindow::backfillTold()
{
    QFETCH(int, points);
    QFETCH(QString, error);
    QFETCH(QString, expected);
    // A source with history back-fills on connect; the fake answers with what it was given.
    auto control = std::make_unique<FakeControlPlane>(FakeControlPlane::canaryAt(Weight()));
    auto source = std::make_unique<FakeMetricsSource>();
    source->setCapabilities(metricsKind("Prometheus", true));
    source->setGenerator(steady());
    MetricsHistory history;
    history.error = error.toStdString();
    const SystemTime now = SystemClock::instance().now();
    for (int i = points - 1; i >= 0; --i)
        history.points.push_back(FakeMetricsSource::kpis(numbers(50, 1, 80), numbers(5, 0, 90), 10s,
                                                         now - std::chrono::seconds(5 * i)));
    source->setHistory(history);
    FakeMetricsSource *metrics = source.get();
    Backends backends;
    backends.control = std::move(control);
    backends.metrics = std::move(source);
    m_window->connectWith(ConnectionTarget{}, std::move(backends));
    QTRY_COMPARE(metrics->historyReadCount(), 1);
    QTRY_COMPARE(m_window->messageBar()->text(), expected);
    QCOMPARE(m_window->monitor()->backfilledPoints(), std::size_t(points));
}

void TestConsoleWindow::warningsToldOnceEach()
{
    connectFakes(haproxyLike(), metricsKind("Prometheus", false));
    m_metrics->setGenerator(
        steady({"Prometheus warns: PromQL info: metric might not be a counter"}));
    MessageBar *bar = m_window->messageBar();
    const QString first = QStringLiteral("Prometheus warns: PromQL info: metric might not be a "
                                         "counter");
    QTRY_COMPARE_WITH_TIMEOUT(bar->text(), first, 10'000);
    QCOMPARE(bar->level(), MessageBar::Level::Warning);
    bar->clear();
    int reads = m_metrics->readCount();
    QTRY_VERIFY_WITH_TIMEOUT(m_metrics->readCount() >= reads + 3, 10'000);
    QVERIFY2(!bar->isVisible(), qPrintable(bar->text()));

    // A new warning is told, once, while the old one stays told.
    const QString second = QStringLiteral("Prometheus warns: a second thing");
    m_metrics->setGenerator(steady({first.toStdString(), second.toStdString()}));
    QTRY_COMPARE_WITH_TIMEOUT(bar->text(), second, 10'000);
    bar->clear();
    reads = m_metrics->readCount();
    QTRY_VERIFY_WITH_TIMEOUT(m_metrics->readCount() >= reads + 3, 10'000);
    QVERIFY2(!bar->isVisible(), qPrintable(bar->text()));
}

void TestConsoleWindow::weightSentIsTheOneThatApplies()
{
    connectFakes(haproxyLike(), metricsKind("Fake", false));
    TrafficControl *traffic = m_window->trafficControl();
    QTRY_VERIFY(traffic->isEnabledForState());
    QTRY_VERIFY_WITH_TIMEOUT(m_window->monitor()->numbersAreLive(), 10'000);
    traffic->spinBox()->setValue(12.3);
    // The fake rounds to its 0.4 % resolution as HAProxy rounds to its weights.
    QCOMPARE(traffic->effectiveWeight(Weight::fromTenths(123)), Weight::fromTenths(124));
    const QString hint = traffic->pendingLabel()->text();
    QVERIFY2(hint.contains(QStringLiteral("12.3 % asked")), qPrintable(hint));
    QVERIFY2(hint.contains(QStringLiteral("HAProxy can only apply 12.4 %")), qPrintable(hint));
    m_control->clearCalls();
    traffic->applyButton()->click();
    QTRY_COMPARE(m_control->callCount(FakeControlPlane::Request::SetCanaryWeight), 1);
    QCOMPARE(m_control->calls().front().weight, Weight::fromTenths(124));
    QTRY_COMPARE(traffic->confirmedWeight(), Weight::fromTenths(124));
}

void TestConsoleWindow::actionTakenAppearsInHistory()
{
    const SystemTime started = SystemClock::instance().now();
    connectFakes(haproxyLike(), metricsKind("Fake", false),
                 FakeControlPlane::canaryAt(Weight::fromTenths(50)),
                 [](FakeControlPlane &control, FakeMetricsSource &) {
                     control.setAddress("unix:///run/history-test.sock");
                 });
    HistoryDock *history = m_window->historyDock();
    QVERIFY(history);
    // Tabified with the plan's dock, reached from the View menu and Ctrl+H.
    QCOMPARE(m_window->tabifiedDockWidgets(history).size(), 1);
    QCOMPARE(history->toggleViewAction()->shortcut(), QKeySequence(Qt::CTRL | Qt::Key_H));
    QCOMPARE(history->backendEdit()->text(), QStringLiteral("unix:///run/history-test.sock"));
    // Behind the plan's tab, Ctrl+H brings it forward (not hides what nobody sees); in front, it
    // closes it; again, it is back in front.
    QTRY_VERIFY(!history->isSeen());
    history->toggleViewAction()->trigger();
    QTRY_VERIFY(history->isSeen());
    history->toggleViewAction()->trigger();
    QVERIFY(history->isHidden());
    history->toggleViewAction()->trigger();
    QTRY_VERIFY(history->isSeen());
    QCOMPARE(m_window->tabifiedDockWidgets(history).size(), 1);
    TrafficControl *traffic = m_window->trafficControl();
    QTRY_VERIFY(traffic->isEnabledForState());
    QTRY_VERIFY_WITH_TIMEOUT(m_window->monitor()->numbersAreLive(), 10'000);
    traffic->spinBox()->setValue(20);
    traffic->applyButton()->click();
    QTRY_COMPARE(traffic->confirmedWeight(), Weight::fromTenths(200));
    // The action, as the trail has it, is in the dock's table with its outcome.
    const auto recorded = [&] {
        for (int row = 0; row < history->proxy()->rowCount(); ++row) {
            const QModelIndex index = history->proxy()->index(row, 0);
            const audit::AuditEntry *entry =
                history->model()->entry(history->proxy()->mapToSource(index).row());
            if (entry && entry->time >= started && entry->action == "set_weight" &&
                entry->outcome == "succeeded" &&
                entry->backendAddress == "unix:///run/history-test.sock")
                return true;
        }
        return false;
    };
    QTRY_VERIFY(recorded());
}

void TestConsoleWindow::historyJoinsALayoutSavedWithoutIt()
{
    // The window as an earlier version saved it: the plan's dock alone at the bottom, no History.
    m_window->historyDock()->setObjectName(QStringLiteral("dockOfAnotherVersion"));
    m_window->removeDockWidget(m_window->historyDock());
    auto *planDock = m_window->findChild<QDockWidget *>(QStringLiteral("planDock"));
    QVERIFY(planDock);
    QVERIFY(m_window->tabifiedDockWidgets(planDock).isEmpty());
    const QByteArray earlier = m_window->saveState();
    m_window.reset();
    ConsoleSettings().setWindowState(earlier);
    m_window = std::make_unique<MainWindow>();
    m_window->show();
    // The layout was restored, and the History is a tab beside the plan's dock all the same.
    QVERIFY(m_window->restoreState(earlier));
    QCOMPARE(m_window->tabifiedDockWidgets(m_window->historyDock()).size(), 1);
    QVERIFY(!m_window->historyDock()->isHidden());
    QFile::remove(ConsoleSettings().fileName());
}

void TestConsoleWindow::missingQuantilesAreNoData()
{
    auto metrics = metricsKind("HAProxy", false, "no quantiles");
    metrics.quantiles = false;
    metrics.accuracy = false;
    connectFakes(haproxyLike(), metrics, FakeControlPlane::canaryAt(Weight::fromTenths(50)),
                 [](FakeControlPlane &, FakeMetricsSource &source) {
                     source.setGenerator(steady({}, false));
                 });
    QTRY_VERIFY_WITH_TIMEOUT(m_window->monitor()->numbersAreLive(), 10'000);
    KpiComparison *table = m_window->comparison();
    for (VariantRole role : {VariantRole::Production, VariantRole::Canary}) {
        for (KpiComparison::Row row :
             {KpiComparison::LatencyP50, KpiComparison::LatencyP99, KpiComparison::Accuracy}) {
            const QString text = table->text(row, role);
            QVERIFY2(!text.contains(QLatin1Char('0')),
                     qPrintable(QStringLiteral("row %1: %2").arg(row).arg(text)));
            QVERIFY2(!text.isEmpty(), "an unknown is shown, not left blank");
        }
        // What the counters do give is there.
        QVERIFY(table->text(KpiComparison::ErrorRate, role).contains(QLatin1Char('%')));
    }
}

void TestConsoleWindow::connectWithPlan(double canaryErrors)
{
    m_planClock = std::make_unique<ManualClock>(SystemClock::instance().now());
    m_planScheduler = std::make_unique<ManualScheduler>(*m_planClock);
    m_window->setPlanScheduler(*m_planScheduler);
    rollout::Plan plan = rollout::defaultPlan();
    plan.name = "test";
    plan.steps = {{Weight::fromTenths(50), 60s, 100}, {Weight::fromTenths(250), 60s, 100}};
    m_window->setPlan(plan, QStringLiteral("test plan"));

    const RolloutState state = FakeControlPlane::canaryAt(Weight::fromTenths(50));
    auto planControl = std::make_unique<FakeControlPlane>(state);
    auto planMetrics = std::make_unique<FakeMetricsSource>();
    planControl->setClock(*m_planClock);
    planMetrics->setClock(*m_planClock);
    planMetrics->setGenerator(
        [canaryErrors](const FakeMetricsSource::Windows &windows, SystemTime now) {
            return FakeMetricsSource::steadyReading(windows, now, numbers(1000, 5, 80),
                                                    numbers(100, canaryErrors, 90));
        });
    m_planControl = planControl.get();
    m_planMetrics = planMetrics.get();
    Backends planBackends;
    planBackends.control = std::move(planControl);
    planBackends.metrics = std::move(planMetrics);

    auto control = std::make_unique<FakeControlPlane>(state);
    auto source = std::make_unique<FakeMetricsSource>();
    source->setGenerator(steady());
    m_control = control.get();
    m_metrics = source.get();
    Backends backends;
    backends.control = std::move(control);
    backends.metrics = std::move(source);
    ConnectionTarget target;
    target.name = QStringLiteral("fake");
    target.url = QStringLiteral("fake://control-plane");
    m_window->connectWith(target, std::move(backends), std::move(planBackends));
}

bool TestConsoleWindow::runPlanUntil(const std::function<bool()> &done, int seconds)
{
    for (int i = 0; i < seconds && !done(); ++i) {
        m_planScheduler->advance(1s);
        settle();
    }
    return done();
}

void TestConsoleWindow::automaticRollbackShowsWhy()
{
    connectWithPlan(20); // 20 % canary errors against 0.5 %
    PlanTimeline *timeline = m_window->planTimeline();
    QCOMPARE(m_window->analysisPanel()->overallText(), AnalysisPanel::noPlanText());
    QTRY_VERIFY(timeline->button(PlanTimeline::Button::Start)->isEnabled());
    timeline->button(PlanTimeline::Button::Start)->click();
    rollout::PlanController *plan = m_window->planController();
    QVERIFY(plan);
    QVERIFY(runPlanUntil([&] { return plan->phase() == rollout::RunPhase::RolledBack; }, 120));

    // The banner says that it happened and why, in the judge's words; it stays until read.
    MessageBar *bar = m_window->planMessageBar();
    QVERIFY(bar->isVisible());
    QCOMPARE(bar->level(), MessageBar::Level::Error);
    const QString text = bar->text();
    QVERIFY2(text.startsWith(QStringLiteral("Automatic rollback: the plan sent all traffic back "
                                            "to production.")),
             qPrintable(text));
    QVERIFY2(text.contains(QStringLiteral("production. A critical gate failed at step 1 of 2")),
             qPrintable(text));
    QVERIFY2(text.contains(QString::fromStdString(plan->judgement().sentence)), qPrintable(text));
    QCOMPARE(m_planControl->callCount(FakeControlPlane::Request::Rollback), 1);
    // The console's own backend was not used by the plan.
    QCOMPARE(m_control->callCount(FakeControlPlane::Request::Rollback), 0);

    // The panel shows the verdicts it rested on, the failing gate first.
    AnalysisPanel *panel = m_window->analysisPanel();
    QVERIFY2(panel->overallText().startsWith(GateTableModel::verdictText(analysis::Verdict::Fail)),
             qPrintable(panel->overallText()));
    QCOMPARE(panel->proxy()->index(0, GateTableModel::VerdictColumn).data().toString(),
             GateTableModel::verdictText(analysis::Verdict::Fail));
    QVERIFY2(timeline->status().phase == rollout::RunPhase::RolledBack,
             toString(timeline->status().phase).data());
    QVERIFY(timeline->button(PlanTimeline::Button::Start)->isEnabled());

    // The audit trail: the rollback recorded pending before it was sent, then its outcome.
    bool rollbackRecorded = false;
    for (const ActionRecord &record : m_window->actionLog().records())
        if (record.action == "plan_rollback") {
            rollbackRecorded = true;
            QCOMPARE(record.outcome, std::string("succeeded"));
            QCOMPARE(record.actor, std::string("plan test"));
            QVERIFY(record.finishedAt.has_value());
        }
    QVERIFY(rollbackRecorded);
}

void TestConsoleWindow::failedRollbackAsksForAHand()
{
    connectWithPlan(20);
    m_planControl->failNext(FakeControlPlane::serverError("rollback store unavailable"),
                            FakeControlPlane::Request::Rollback);
    m_window->planTimeline()->button(PlanTimeline::Button::Start)->click();
    rollout::PlanController *plan = m_window->planController();
    QVERIFY(runPlanUntil([&] { return rollout::isFinished(plan->phase()); }, 120));
    QVERIFY2(plan->phase() != rollout::RunPhase::RolledBack, toString(plan->phase()).data());
    MessageBar *bar = m_window->planMessageBar();
    QCOMPARE(bar->level(), MessageBar::Level::Error);
    const QString text = bar->text();
    // Whatever the plan says after, the call to act comes first and stays.
    QVERIFY2(text.startsWith(QStringLiteral("The plan's automatic rollback failed: ")),
             qPrintable(text));
    QVERIFY2(text.contains(QStringLiteral("rollback store unavailable")), qPrintable(text));
    QVERIFY2(text.contains(QStringLiteral("Roll back by hand now.")), qPrintable(text));
    bool failedRecorded = false;
    for (const ActionRecord &record : m_window->actionLog().records())
        failedRecorded |= record.action == "plan_rollback" && record.outcome == "failed";
    QVERIFY(failedRecorded);
}

void TestConsoleWindow::manualRollbackStopsThePlanFirst()
{
    connectWithPlan(0); // a healthy canary: the plan bakes
    m_window->planTimeline()->button(PlanTimeline::Button::Start)->click();
    rollout::PlanController *plan = m_window->planController();
    QVERIFY(runPlanUntil([&] { return plan->phase() == rollout::RunPhase::Baking; }, 10));
    // The panel follows the judge while the step bakes: a row per gate of the plan, live.
    QVERIFY(runPlanUntil([&] { return !plan->judgement().gates.empty(); }, 10));
    AnalysisPanel *panel = m_window->analysisPanel();
    QCOMPARE(panel->model()->rowCount(), int(plan->judgement().gates.size()));
    QVERIFY2(panel->captionText().startsWith(QStringLiteral("The plan's judge, live")),
             qPrintable(panel->captionText()));
    QVERIFY2(
        m_window->planTimeline()->phaseText().startsWith(QStringLiteral("Baking · step 1 of 2")),
        qPrintable(m_window->planTimeline()->phaseText()));
    QTRY_VERIFY(m_window->rollbackAction()->isEnabled());
    QString verdict;
    ModalAnswer<ConfirmActionDialog> answer([&](ConfirmActionDialog *dialog) {
        verdict = dialog->verdictText();
        dialog->actionButton()->click();
    });
    m_window->rollbackAction()->trigger();
    QVERIFY(answer.seen());
    // The confirmation says what the judge says, not a colour on fixed thresholds.
    QVERIFY2(verdict.startsWith(QStringLiteral("The plan's judge: ")), qPrintable(verdict));
    QVERIFY2(verdict.contains(QString::fromStdString(plan->judgement().sentence)),
             qPrintable(verdict));
    // The person wins: the plan stopped before the console's rollback went out (the fakes
    // answer on a later turn of the event loop, so nothing has been answered yet).
    QVERIFY2(plan->phase() == rollout::RunPhase::Stopped, toString(plan->phase()).data());
    QCOMPARE(m_control->callCount(FakeControlPlane::Request::Rollback), 1);
    QCOMPARE(m_planControl->callCount(FakeControlPlane::Request::Rollback), 0);
    QVERIFY(!runPlanUntil(
        [&] { return m_planControl->callCount(FakeControlPlane::Request::SetCanaryWeight) > 1; },
        90));
    QVERIFY2(m_window->planMessageBar()->text().contains(
                 QStringLiteral("A person rolled the canary back from the console.")),
             qPrintable(m_window->planMessageBar()->text()));
    // The trail keeps the verdicts the person was shown, gate by gate.
    std::string error;
    const auto store =
        audit::SqliteAuditStore::open(audit::SqliteAuditStore::defaultPath(), &error);
    QVERIFY2(store, error.c_str());
    audit::AuditFilter rollbacks;
    rollbacks.action = "rollback";
    rollbacks.limit = 1;
    const auto entries = store->query(rollbacks, &error);
    QVERIFY2(entries && entries->size() == 1, error.c_str());
    const nlohmann::json &snapshot = entries->front().snapshot;
    QCOMPARE(snapshot.value("verdict", std::string()),
             std::string(analysis::toString(plan->judgement().overall)));
    QCOMPARE(snapshot.value("judgement", std::string()), plan->judgement().sentence);
    QCOMPARE(snapshot.at("gates").size(), plan->judgement().gates.size());
}

void TestConsoleWindow::noPlanWithoutBackendsOfItsOwn()
{
    connectFakes(haproxyLike(), metricsKind("Fake", false));
    PlanTimeline *timeline = m_window->planTimeline();
    QVERIFY(!timeline->button(PlanTimeline::Button::Start)->isEnabled());
    m_window->startPlan();
    QVERIFY(!m_window->planController());
    QVERIFY2(m_window->planMessageBar()->text().contains(QStringLiteral("no backends of its own")),
             qPrintable(m_window->planMessageBar()->text()));
}

void TestConsoleWindow::noLeverWithoutTheAuditTrail()
{
    // A folder where the trail's file should be: it cannot be opened.
    const QString trail = QString::fromStdString(audit::SqliteAuditStore::defaultPath());
    QFile::remove(trail);
    QVERIFY(QDir().mkpath(trail));
    m_window = std::make_unique<MainWindow>();
    m_window->profileStore()->setKeychainEnabled(false);
    m_window->show();
    connectFakes(controlApiCapabilities(), metricsKind("Fake", true));
    QVERIFY(QDir(trail).removeRecursively());
    QFile::remove(trail + QStringLiteral("-wal"));
    QFile::remove(trail + QStringLiteral("-shm"));
    QVERIFY2(m_window->planMessageBar()->text().contains(QStringLiteral("could not be opened")),
             qPrintable(m_window->planMessageBar()->text()));
    for (const char *name : {"promoteButton", "rollbackButton", "stageButton"}) {
        auto *button = m_window->findChild<QPushButton *>(QString::fromUtf8(name));
        QVERIFY(button);
        QVERIFY2(!button->isEnabled(), name);
    }
    QVERIFY(!m_window->planTimeline()->button(PlanTimeline::Button::Start)->isEnabled());
    auto *hint = m_window->findChild<QLabel *>(QStringLiteral("decisionHint"));
    QVERIFY(hint);
    QVERIFY2(hint->text().contains(QStringLiteral("without the audit trail")),
             qPrintable(hint->text()));
    // The History dock says why it has nothing to show.
    QVERIFY2(
        m_window->historyDock()->unavailableText().contains(QStringLiteral("could not be opened")),
        qPrintable(m_window->historyDock()->unavailableText()));
}

void TestConsoleWindow::reportTellsTheAutomaticRollback()
{
    connectWithPlan(20);
    QTRY_VERIFY(m_window->planTimeline()->button(PlanTimeline::Button::Start)->isEnabled());
    m_window->planTimeline()->button(PlanTimeline::Button::Start)->click();
    rollout::PlanController *plan = m_window->planController();
    QVERIFY(plan);
    QVERIFY(runPlanUntil([&] { return plan->phase() == rollout::RunPhase::RolledBack; }, 120));

    // What the export gathers: the plan's own account of the rollout, from the window's pieces.
    report::ReportData content = m_window->gatherReport(std::chrono::hours(1), m_planClock->now());
    report::finishReport(content);
    QCOMPARE(content.headline.outcome, std::string("rolled-back"));
    QVERIFY2(content.headline.sentence.find("automatically by plan \"test\"") != std::string::npos,
             content.headline.sentence.c_str());
    QCOMPARE(content.verdict, std::string("fail"));
    QVERIFY(!content.gates.empty());
    QVERIFY(content.plan);
    QCOMPARE(content.plan->phase, std::string("rolled-back"));
    QCOMPARE(content.plan->reachedStep, 0);
    QCOMPARE(content.plan->steps.size(), std::size_t(2));
    const auto rollback =
        std::find_if(content.timeline.begin(), content.timeline.end(),
                     [](const audit::AuditEntry &e) { return e.action == "plan_rollback"; });
    QVERIFY(rollback != content.timeline.end());
    // Recorded with the state the backend answered the rollback with, not the last poll's.
    QVERIFY2(rollback->stateBefore == "canary", rollback->stateBefore.c_str());
    QVERIFY2(rollback->stateAfter == "rolled_back", rollback->stateAfter.c_str());
    QCOMPARE(rollback->stateAfter, std::string("rolled_back"));
    QCOMPARE(content.backendAddress, m_control->address());

    // Written in the background; the window's event loop keeps turning meanwhile.
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("rollout.pdf"));
    QVERIFY(m_window->startExport(std::move(content), report::Format::Pdf, path));
    QVERIFY(m_window->reportExporter()->busy());
    QTRY_VERIFY_WITH_TIMEOUT(!m_window->reportExporter()->busy(), 60000);
    QVERIFY2(m_window->messageBar()->text().contains(path),
             qPrintable(m_window->messageBar()->text()));
    QProcess text;
    text.start(QStringLiteral("pdftotext"), {path, QStringLiteral("-")});
    QVERIFY(text.waitForFinished(60000));
    const QString pdf = QString::fromUtf8(text.readAllStandardOutput()).simplified();
    QVERIFY2(pdf.contains(QLatin1String("Rolled back")), qPrintable(pdf));
    QVERIFY2(pdf.contains(QLatin1String("plan rollback")), qPrintable(pdf));
    QFile::remove(QStringLiteral("console-report.pdf"));
    QFile::copy(path, QStringLiteral("console-report.pdf")); // to look at, in the build tree
}

QTEST_MAIN(TestConsoleWindow)
#include "tst_consolewindow.moc"
