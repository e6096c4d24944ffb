// The console against backends that break, go stale or bend the spec (a scripted server on
// loopback): the levers follow the rollout, old numbers are never offered as live, and one
// decision reads one set of numbers.
#include "chartgrid.h"
#include "confirmactiondialog.h"
#include "kpicomparison.h"
#include "mainwindow.h"
#include "messagebar.h"
#include "modalanswer.h"
#include "profilestore.h"
#include "scriptedbackend.h"
#include "stalebanner.h"
#include "trafficcontrol.h"
#include "variantheader.h"

#include "console/rolloutactions.h"

#include <QAction>
#include <QApplication>
#include <QFile>
#include <QLabel>
#include <QMessageBox>
#include <QPushButton>
#include <QSlider>
#include <QStandardPaths>
#include <QStatusBar>
#include <QTest>
#include <QTimer>

#include <nlohmann/json.hpp>

#include <functional>

using namespace canary;

namespace {

// A Control API server written by "another team": its document and its metrics are whatever the
// test sets, its counters grow with every scrape, and it can break its /metrics on demand.
class ScriptedRollout final
{
public:
    ScriptedRollout()
    {
        m_backend.handle("/v1/rollout", [this](const ScriptedRequest &) {
            return std::optional(ScriptedReply::json(200, QByteArray::fromStdString(m_doc.dump())));
        });
        m_backend.handle("/metrics", [this](const ScriptedRequest &) {
            if (!m_metricsBody.isEmpty())
                return std::optional(
                    ScriptedReply::text(200, "text/plain; version=0.0.4", m_metricsBody));
            ++m_scrapes;
            return std::optional(ScriptedReply::text(200, "text/plain; version=0.0.4", metrics()));
        });
        m_backend.handle("/v1/rollout/promote", [this](const ScriptedRequest &request) {
            m_promotes.push_back(request);
            setDocument(7, "promoted", "2", std::nullopt);
            return std::optional(ScriptedReply::json(200, QByteArray::fromStdString(m_doc.dump())));
        });
        setDocument(3, "canary", "1", 10);
    }

    void setDocument(int revision, const char *state, const char *productionVersion,
                     std::optional<int> canaryWeight, const char *canaryVersion = "2")
    {
        nlohmann::json variants = nlohmann::json::array();
        variants.push_back({{"name", "production"},
                            {"model", "fraud"},
                            {"version", productionVersion},
                            {"weight", 100 - canaryWeight.value_or(0)}});
        if (canaryWeight)
            variants.push_back({{"name", "canary"},
                                {"model", canaryVersion[0] ? "fraud" : ""},
                                {"version", canaryVersion},
                                {"weight", *canaryWeight}});
        m_doc = {{"revision", revision},
                 {"state", state},
                 {"updated_at", "2026-12-01T12:00:00.000Z"},
                 {"variants", variants}};
    }
    // A fixed answer instead of growing counters (empty: back to growing counters).
    void setMetricsBody(QByteArray body) { m_metricsBody = std::move(body); }

    QString url() const { return QString::fromStdString(m_backend.url()); }
    void close() { m_backend.close(); }
    bool listen() { return m_backend.listen(); }
    const std::vector<ScriptedRequest> &promotes() const { return m_promotes; }
    int mutatingRequests() const
    {
        int count = 0;
        for (const ScriptedRequest &request : m_backend.log())
            count += request.method != "GET" ? 1 : 0;
        return count;
    }

private:
    // 100 production requests a scrape with 1 error; 10 canary requests with 1 error.
    QByteArray metrics() const
    {
        const QByteArray n = QByteArray::number(m_scrapes);
        return "# TYPE canary_requests_total counter\n"
               "canary_requests_total{variant=\"production\",version=\"1\"} " +
               QByteArray::number(100 * m_scrapes) +
               "\ncanary_requests_total{variant=\"canary\",version=\"2\"} " +
               QByteArray::number(10 * m_scrapes) +
               "\n# TYPE canary_request_errors_total counter\n"
               "canary_request_errors_total{variant=\"production\",version=\"1\"} " +
               n + "\ncanary_request_errors_total{variant=\"canary\",version=\"2\"} " + n + "\n";
    }

    ScriptedBackend m_backend;
    nlohmann::json m_doc;
    QByteArray m_metricsBody;
    int m_scrapes = 0;
    std::vector<ScriptedRequest> m_promotes;
};

} // namespace

class TestConsoleTruth final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void init();
    void cleanup();
    void metricsFailureKeepsTheLevers();
    void oldNumbersAreConfirmedAsOld();
    void oneSnapshotForPanelDialogAndLog();
    void specBendingBackendKeepsTheLevers();
    void emptyCanaryEntryIsAnEmptySlot();
    void pausedSaysSo();
    void unreachableFailureGoesWithTheOutage();

private:
    void connectWindow();
    QString linkText() const
    {
        return m_window->findChild<QLabel *>(QStringLiteral("linkLabel"))->text();
    }

    std::unique_ptr<ScriptedRollout> m_backend;
    std::unique_ptr<MainWindow> m_window;
};

void TestConsoleTruth::initTestCase()
{
    QStandardPaths::setTestModeEnabled(true);
    QCoreApplication::setOrganizationName(QStringLiteral("canary-console"));
    QCoreApplication::setApplicationName(QStringLiteral("canary-console-truth-test"));
}

void TestConsoleTruth::init()
{
    m_backend = std::make_unique<ScriptedRollout>();
}

void TestConsoleTruth::cleanup()
{
    m_window.reset();
    m_backend.reset();
}

void TestConsoleTruth::connectWindow()
{
    m_window = std::make_unique<MainWindow>();
    m_window->profileStore()->setKeychainEnabled(false);
    m_window->resize(1280, 800);
    m_window->show();
    QVERIFY(QTest::qWaitForWindowExposed(m_window.get()));
    m_window->connectTo(ConnectionTarget::controlApi(QStringLiteral("scripted"), m_backend->url(),
                                                     QStringLiteral("t")));
    QTRY_VERIFY_WITH_TIMEOUT(m_window->monitor()->snapshot().valid(), 10'000);
    QTRY_COMPARE(m_window->monitor()->health(), LinkHealth::Live);
}

void TestConsoleTruth::metricsFailureKeepsTheLevers()
{
    connectWindow();
    QVERIFY(m_window->rollbackAction()->isEnabled());
    m_backend->setMetricsBody("# TYPE a counter\nbad line\n");
    QTRY_COMPARE_WITH_TIMEOUT(m_window->monitor()->metricsFeed().health, LinkHealth::Stale, 5000);
    QCOMPARE(m_window->monitor()->stateFeed().health, LinkHealth::Live);

    // The banner names what fails, with the parser's position; not "connection lost".
    QTRY_VERIFY(m_window->staleBanner()->isVisible());
    const QString banner = m_window->staleBanner()->text();
    QVERIFY2(banner.contains(QStringLiteral("Metrics unreadable")), qPrintable(banner));
    QVERIFY2(banner.contains(QStringLiteral("line 2:")), qPrintable(banner));
    QVERIFY2(!banner.contains(QStringLiteral("Connection lost")), qPrintable(banner));
    QTRY_COMPARE_WITH_TIMEOUT(m_window->monitor()->metricsFeed().health, LinkHealth::Lost, 8000);
    QVERIFY(!m_window->staleBanner()->text().contains(QStringLiteral("Connection lost")));

    // The rollout answers, so the levers stay, and a change made meanwhile shows at once.
    QVERIFY(m_window->rollbackAction()->isEnabled());
    QVERIFY(m_window->promoteAction()->isEnabled());
    QVERIFY(m_window->trafficControl()->slider()->isEnabled());
    m_backend->setDocument(9, "canary", "1", 20);
    QTRY_COMPARE(m_window->monitor()->state()->revision, 9);
    QCOMPARE(m_window->trafficControl()->confirmedWeight(), Weight::fromTenths(200));
    QVERIFY(m_window->findChild<QLabel *>(QStringLiteral("stateLabel"))
                ->text()
                .contains(QStringLiteral("9")));

    // Recovery clears it.
    m_backend->setMetricsBody({});
    QTRY_COMPARE_WITH_TIMEOUT(m_window->monitor()->health(), LinkHealth::Live, 5000);
    QTRY_VERIFY(!m_window->staleBanner()->isVisible());
}

void TestConsoleTruth::oldNumbersAreConfirmedAsOld()
{
    connectWindow();
    m_backend->setMetricsBody("not metrics\n");
    QTRY_VERIFY_WITH_TIMEOUT(!m_window->monitor()->numbersAreLive(), 5000);
    QTRY_VERIFY(m_window->comparison()->caption().contains(QStringLiteral("not live")));

    // Promote asks differently and says how old the numbers are; nothing is sent on Cancel.
    QString promoteText;
    QString promoteButton;
    ModalAnswer<ConfirmActionDialog> promote([&](ConfirmActionDialog *dialog) {
        promoteText = dialog->freshnessText();
        promoteButton = dialog->actionButton()->text();
        dialog->cancelButton()->click();
    });
    m_window->promoteAction()->trigger();
    QVERIFY(promote.seen());
    QCOMPARE(promoteButton, QStringLiteral("Promote on old numbers"));
    QVERIFY2(promoteText.startsWith(QStringLiteral("These numbers are not live.")),
             qPrintable(promoteText));
    QVERIFY2(promoteText.contains(QStringLiteral(" s ago, at ")), qPrintable(promoteText));
    QVERIFY2(promoteText.contains(QStringLiteral("Metrics unreadable")), qPrintable(promoteText));

    // Roll back stays plain, and says it cannot confirm the current numbers.
    QString rollbackText;
    ModalAnswer<ConfirmActionDialog> rollback([&](ConfirmActionDialog *dialog) {
        rollbackText = dialog->freshnessText();
        QCOMPARE(dialog->actionButton()->text(), QStringLiteral("Roll back"));
        dialog->cancelButton()->click();
    });
    QVERIFY(m_window->rollbackAction()->isEnabled());
    m_window->rollbackAction()->trigger();
    QVERIFY(rollback.seen());
    QVERIFY2(rollbackText.startsWith(QStringLiteral("The current numbers cannot be confirmed.")),
             qPrintable(rollbackText));

    // Raising the weight asks too; lowering does not.
    bool asked = false;
    ModalAnswer<QMessageBox> raise([&](QMessageBox *box) {
        asked = box->objectName() == QStringLiteral("confirmRaiseNotLive");
        box->button(QMessageBox::Cancel)->click();
    });
    Q_EMIT m_window->trafficControl()->weightRequested(Weight::fromTenths(500));
    QVERIFY(raise.seen());
    QVERIFY(asked);
    QCOMPARE(m_backend->mutatingRequests(), 0);
}

void TestConsoleTruth::oneSnapshotForPanelDialogAndLog()
{
    connectWindow();
    // Hold the picture still so the panel and the dialog cannot differ by a poll.
    m_window->monitor()->stop();
    QTRY_VERIFY(!m_window->monitor()->isPolling());
    const KpiSnapshot shown = m_window->decisionSnapshot();
    QVERIFY(shown.valid());
    const QString panelError =
        m_window->comparison()->text(KpiComparison::ErrorRate, VariantRole::Canary);
    const QString panelRequests =
        m_window->comparison()->text(KpiComparison::Requests, VariantRole::Canary);

    QString dialogError;
    QString dialogRequests;
    QString dialogFreshness;
    ModalAnswer<ConfirmActionDialog> answer([&](ConfirmActionDialog *dialog) {
        dialogError = dialog->cellText(ConfirmActionDialog::ErrorRate, VariantRole::Canary);
        dialogRequests = dialog->cellText(ConfirmActionDialog::Requests, VariantRole::Canary);
        dialogFreshness = dialog->freshnessText();
        dialog->actionButton()->click();
    });
    m_window->promoteAction()->trigger();
    QVERIFY(answer.seen());
    QCOMPARE(dialogError, panelError);
    QCOMPARE(dialogRequests, panelRequests);
    // The dialog states the snapshot's true window and counts.
    QVERIFY2(dialogFreshness.startsWith(QStringLiteral("Numbers over the ")),
             qPrintable(dialogFreshness));
    QVERIFY2(dialogFreshness.contains(dialogRequests + QStringLiteral(" canary requests")),
             qPrintable(dialogFreshness));

    QTRY_COMPARE(m_backend->promotes().size(), std::size_t(1));
    QTRY_VERIFY(!m_window->actions()->busy());
    const ActionRecord &record = m_window->actions()->actionLog().records().back();
    QCOMPARE(record.action, std::string("promote"));
    QCOMPARE(record.kpisTime, std::optional<SystemTime>(shown.to));
    QCOMPARE(record.kpisFrom, std::optional<SystemTime>(shown.from));
    QVERIFY(record.kpisLive);
    QCOMPARE(KpiComparison::formatPercent(record.canary.errorPercent / 100.0), panelError);
    QCOMPARE(KpiComparison::formatCount(record.canary.requestsInWindow), panelRequests);

    // The charts carry the promote and the new production model on their time axis.
    const auto &events = m_window->chartGrid()->events();
    const auto has = [&](TimelineEvent::Kind kind, const std::string &label) {
        return std::any_of(events.begin(), events.end(), [&](const TimelineEvent &event) {
            return event.kind == kind && event.label == label;
        });
    };
    QVERIFY(has(TimelineEvent::Kind::Action, "promote"));
    QVERIFY(has(TimelineEvent::Kind::VersionChange, "2"));
}

void TestConsoleTruth::specBendingBackendKeepsTheLevers()
{
    // Right after a stage, this server says "stable" while the canary is in its slot.
    m_backend->setDocument(4, "stable", "1", 0, "3");
    connectWindow();
    QVERIFY(m_window->trafficControl()->slider()->isEnabled());
    QVERIFY(m_window->promoteAction()->isEnabled());
    QVERIFY(m_window->rollbackAction()->isEnabled());
    QVERIFY(
        m_window->variantHeader(VariantRole::Canary)->modelText().contains(QStringLiteral("3")));
    QTRY_VERIFY(
        m_window->messageBar()->text().contains(QStringLiteral("does not follow the Control API")));
    QVERIFY(m_window->messageBar()->text().contains(QStringLiteral("\"stable\"")));
    QVERIFY(m_window->findChild<QLabel *>(QStringLiteral("stateLabel"))
                ->text()
                .contains(QStringLiteral("reported stable")));

    // Told once: after it is dismissed, later polls of the same document do not repeat it.
    m_window->messageBar()->clear();
    const std::size_t polls = m_window->monitor()->history().pointCount();
    QTRY_VERIFY_WITH_TIMEOUT(m_window->monitor()->history().pointCount() >= polls + 2 * 7, 8000);
    QVERIFY(!m_window->messageBar()->text().contains(
        QStringLiteral("does not follow the Control API")));
}

void TestConsoleTruth::emptyCanaryEntryIsAnEmptySlot()
{
    // After a promote this server keeps an empty canary entry, and its metrics still list one.
    m_backend->setDocument(8, "promoted", "2", 0, "");
    connectWindow();
    VariantHeader *canary = m_window->variantHeader(VariantRole::Canary);
    QVERIFY2(canary->modelText().contains(QStringLiteral("slot empty")),
             qPrintable(canary->modelText()));
    // No green mark for a canary that is not there.
    QCOMPARE(canary->health(), VariantHeader::Health::Unknown);
    QVERIFY(!m_window->trafficControl()->slider()->isEnabled());
    QVERIFY(!m_window->rollbackAction()->isEnabled());
    QVERIFY(m_window->stageAction()->isEnabled());
    QTRY_VERIFY(m_window->messageBar()->text().contains(QStringLiteral("empty canary entry")));
}

void TestConsoleTruth::pausedSaysSo()
{
    connectWindow();
    QCOMPARE(linkText(), QStringLiteral("\u25cf live"));
    auto *pause = m_window->findChild<QAction *>(QStringLiteral("actionPause"));
    QVERIFY(pause);
    pause->setChecked(true);
    QVERIFY2(linkText().contains(QStringLiteral("paused")), qPrintable(linkText()));
    QVERIFY(!linkText().startsWith(QStringLiteral("\u25cf live")));
    pause->setChecked(false);
    QCOMPARE(linkText(), QStringLiteral("\u25cf live"));
}

void TestConsoleTruth::unreachableFailureGoesWithTheOutage()
{
    connectWindow();
    m_backend->close();
    Q_EMIT m_window->trafficControl()->weightRequested(Weight::fromTenths(50));
    QTRY_VERIFY(m_window->messageBar()->level() == MessageBar::Level::Error);
    const QString failure = m_window->messageBar()->text();
    QVERIFY2(failure.contains(QStringLiteral("The request was not sent; nothing was applied.")),
             qPrintable(failure));
    QTRY_VERIFY_WITH_TIMEOUT(m_window->monitor()->stateFeed().health != LinkHealth::Live, 5000);
    QCOMPARE(m_window->messageBar()->text(), failure); // stays while the outage lasts

    // The backend is back: the red bar goes with the outage, not minutes later.
    QVERIFY(m_backend->listen());
    QTRY_COMPARE_WITH_TIMEOUT(m_window->monitor()->stateFeed().health, LinkHealth::Live, 40'000);
    QTRY_VERIFY(!m_window->messageBar()->text().contains(failure));
}

QTEST_MAIN(TestConsoleTruth)
#include "tst_consoletruth.moc"
