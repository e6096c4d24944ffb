// The desktop console against a real canary-gateway on loopback: levers, confirmations, charts,
// the stale banner, conflicts and where the token is (not) kept.
#include "chartgrid.h"
#include "chartrowspec.h"
#include "confirmactiondialog.h"
#include "connectiondialog.h"
#include "consolesettings.h"
#include "gatewayprocess.h"
#include "httpclient.h"
#include "kpichart.h"
#include "mainwindow.h"
#include "messagebar.h"
#include "modalanswer.h"
#include "profilestore.h"
#include "stagecanarydialog.h"
#include "stalebanner.h"
#include "trafficcontrol.h"
#include "variantheader.h"

#include "console/rolloutactions.h"

#include <QApplication>
#include <QComboBox>
#include <QDir>
#include <QFile>
#include <QLineEdit>
#include <QPushButton>
#include <QSignalSpy>
#include <QSlider>
#include <QStandardPaths>
#include <QTest>
#include <QTimer>

#include <functional>

using namespace canary;

class TestMainWindow final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();
    void showsBothVariants();
    void sliderReleaseSetsConfirmedWeight();
    void bothChartColumnsReceivePoints();
    void rollbackThroughConfirmation();
    void stageThroughDialog();
    void promoteThroughConfirmation();
    void conflictIsReported();
    void staleBannerWhenGatewayDiesAndResumes();
    void screenshot();
    void tokenNeverInSettingsFile();

private:
    nlohmann::json gatewayRollout();
    double gatewayCanaryWeight();
    void waitForState(RolloutPhase phase);
    void stageCanaryDirectly();

    std::unique_ptr<GatewayProcess> m_gateway;
    std::unique_ptr<HttpClient> m_http;
    std::unique_ptr<MainWindow> m_window;
};

void TestMainWindow::initTestCase()
{
    QStandardPaths::setTestModeEnabled(true);
    QCoreApplication::setOrganizationName(QStringLiteral("canary-console"));
    QCoreApplication::setApplicationName(QStringLiteral("canary-console-test"));
    QFile::remove(ConsoleSettings().fileName());

    m_gateway = std::make_unique<GatewayProcess>(
        QStringList{QStringLiteral("--demo"), QStringLiteral("--load"), QStringLiteral("150")});
    QVERIFY2(m_gateway->start(), qPrintable(m_gateway->error()));
    m_http = std::make_unique<HttpClient>(m_gateway->url());

    m_window = std::make_unique<MainWindow>();
    m_window->profileStore()->setKeychainEnabled(false); // never touch a real keychain in tests
    m_window->resize(1280, 800);
    m_window->show();
    QVERIFY(QTest::qWaitForWindowExposed(m_window.get()));
    m_window->connectTo(ConnectionTarget::controlApi(QStringLiteral("test"),
                                                     m_gateway->url().toString(),
                                                     QString::fromLatin1(m_gateway->token())));
    QTRY_VERIFY_WITH_TIMEOUT(m_window->monitor()->state().has_value(), 10'000);
    // Raising the weight on numbers that are not live asks first; these tests act on live ones.
    QTRY_VERIFY_WITH_TIMEOUT(m_window->monitor()->numbersAreLive(), 10'000);
}

void TestMainWindow::cleanupTestCase()
{
    m_window.reset();
    m_gateway.reset();
}

nlohmann::json TestMainWindow::gatewayRollout()
{
    const HttpReply reply = m_http->get(QStringLiteral("/v1/rollout"));
    if (reply.status != 200)
        return {};
    return reply.json();
}

double TestMainWindow::gatewayCanaryWeight()
{
    const nlohmann::json rollout = gatewayRollout();
    if (!rollout.is_object())
        return -1;
    for (const auto &variant : rollout.value("variants", nlohmann::json::array())) {
        if (variant.value("name", "") == "canary")
            return variant.value("weight", -1.0);
    }
    return -1;
}

void TestMainWindow::waitForState(RolloutPhase phase)
{
    const std::string name(toString(phase));
    QTRY_COMPARE_WITH_TIMEOUT(QString::fromStdString(gatewayRollout().value("state", "")),
                              QString::fromStdString(name), 10'000);
    QTRY_VERIFY_WITH_TIMEOUT(
        m_window->monitor()->state() && m_window->monitor()->state()->phase == phase, 10'000);
}

void TestMainWindow::showsBothVariants()
{
    QTRY_VERIFY_WITH_TIMEOUT(m_window->monitor()->health() == LinkHealth::Live, 10'000);
    VariantHeader *production = m_window->variantHeader(VariantRole::Production);
    VariantHeader *canary = m_window->variantHeader(VariantRole::Canary);
    const RolloutState state = *m_window->monitor()->state();
    QVERIFY(production->modelText().contains(QString::fromStdString(state.production.version)));
    QVERIFY(state.canary);
    QVERIFY(canary->modelText().contains(QString::fromStdString(state.canary->version)));
    QCOMPARE(canary->weightText(),
             QStringLiteral("%1 %").arg(QString::fromStdString(state.canary->weight.toString())));
    QCOMPARE(m_window->trafficControl()->confirmedWeight(), state.canaryWeight());
    QVERIFY(m_window->promoteAction()->isEnabled());
    QVERIFY(m_window->rollbackAction()->isEnabled());
}

void TestMainWindow::sliderReleaseSetsConfirmedWeight()
{
    TrafficControl *traffic = m_window->trafficControl();
    QTRY_VERIFY(traffic->slider()->isEnabled());
    const Weight before = traffic->confirmedWeight();
    const Weight target = Weight::fromTenths(before.tenths() + 55);
    QSignalSpy busy(m_window->actions(), &RolloutActions::busyChanged);
    traffic->slider()->setSliderDown(true);
    traffic->slider()->setValue(before.tenths() + 20);
    traffic->slider()->setValue(target.tenths());
    QTest::qWait(300);
    QCOMPARE(busy.count(), 0); // nothing is sent while dragging
    QCOMPARE(gatewayCanaryWeight(), before.percent());
    traffic->slider()->setSliderDown(false);
    QTRY_COMPARE_WITH_TIMEOUT(gatewayCanaryWeight(), target.percent(), 10'000);
    QTRY_COMPARE_WITH_TIMEOUT(traffic->confirmedWeight(), target, 10'000);
    QTRY_VERIFY(!m_window->actions()->busy());
    QVERIFY(m_window->messageBar()->text().contains(QString::fromStdString(target.toString())));
}

void TestMainWindow::bothChartColumnsReceivePoints()
{
    ChartGrid *grid = m_window->chartGrid();
    QVERIFY(grid);
    const auto &rows = ChartRowSpec::all();
    std::size_t throughput = 0;
    for (std::size_t i = 0; i < rows.size(); ++i) {
        if (rows[i].id == ChartRowSpec::Id::Throughput)
            throughput = i;
    }
    for (VariantRole role : {VariantRole::Production, VariantRole::Canary}) {
        QTRY_VERIFY_WITH_TIMEOUT(
            m_window->monitor()->history().series(role, metrics::Kpi::RequestRate).size() >= 3,
            15'000);
        KpiChart *chart = grid->chart(throughput, role);
        QVERIFY(chart);
        QTRY_VERIFY_WITH_TIMEOUT(chart->hasVisibleData(), 5'000);
        QCPGraph *graph = chart->graphFor(role, metrics::Kpi::RequestRate);
        QVERIFY(graph);
        QVERIFY(graph->data()->size() > 0);
    }
}

void TestMainWindow::rollbackThroughConfirmation()
{
    waitForState(RolloutPhase::Canary);
    // First the operator changes their mind: Cancel (the default button) sends nothing.
    {
        bool cancelWasDefault = false;
        ModalAnswer<ConfirmActionDialog> answer([&](ConfirmActionDialog *dialog) {
            cancelWasDefault = dialog->cancelButton()->isDefault();
            QCOMPARE(dialog->actionButton()->text(), QStringLiteral("Roll back"));
            dialog->cancelButton()->click();
        });
        m_window->rollbackAction()->trigger();
        QVERIFY(answer.seen());
        QVERIFY(cancelWasDefault);
        QTest::qWait(200);
        QCOMPARE(QString::fromStdString(gatewayRollout().value("state", "")),
                 QStringLiteral("canary"));
    }
    QString errorCell;
    ModalAnswer<ConfirmActionDialog> answer([&](ConfirmActionDialog *dialog) {
        errorCell = dialog->cellText(ConfirmActionDialog::ErrorRate, VariantRole::Canary);
        dialog->grab().save(QDir::currentPath() + QStringLiteral("/confirm-rollback.png"));
        dialog->actionButton()->click();
    });
    // The one-key path an operator under stress takes.
    m_window->activateWindow();
    QVERIFY(QTest::qWaitForWindowActive(m_window.get()));
    QTest::keyClick(m_window.get(), Qt::Key_R, Qt::ControlModifier | Qt::ShiftModifier);
    QTRY_VERIFY(answer.seen());
    QVERIFY(errorCell.endsWith(QStringLiteral("%")) || errorCell == QStringLiteral("—"));
    waitForState(RolloutPhase::RolledBack);
    QCOMPARE(gatewayCanaryWeight(), 0.0);
    QTRY_VERIFY(!m_window->trafficControl()->slider()->isEnabled());
    QVERIFY(!m_window->promoteAction()->isEnabled());
}

void TestMainWindow::stageThroughDialog()
{
    QTRY_VERIFY(m_window->stageAction()->isEnabled());
    ModalAnswer<StageCanaryDialog> answer([](StageCanaryDialog *dialog) {
        dialog->setVersion(QStringLiteral("9.9.9"));
        dialog->useSimulated(30, 90, 0.2, 95);
        dialog->grab().save(QDir::currentPath() + QStringLiteral("/stage-canary.png"));
        dialog->stageButton()->click();
    });
    m_window->stageAction()->trigger();
    QVERIFY(answer.seen());
    waitForState(RolloutPhase::Canary);
    QTRY_VERIFY(m_window->variantHeader(VariantRole::Canary)
                    ->modelText()
                    .contains(QStringLiteral("9.9.9")));
    QCOMPARE(gatewayCanaryWeight(), 0.0);
}

void TestMainWindow::promoteThroughConfirmation()
{
    waitForState(RolloutPhase::Canary);
    QTRY_VERIFY(m_window->promoteAction()->isEnabled());
    ModalAnswer<ConfirmActionDialog> answer([](ConfirmActionDialog *dialog) {
        QCOMPARE(dialog->actionButton()->text(), QStringLiteral("Promote"));
        dialog->actionButton()->click();
    });
    m_window->promoteAction()->trigger();
    QVERIFY(answer.seen());
    waitForState(RolloutPhase::Promoted);
    const nlohmann::json rollout = gatewayRollout();
    QCOMPARE(rollout["variants"].size(), 1u);
    QCOMPARE(QString::fromStdString(rollout["variants"][0].value("version", "")),
             QStringLiteral("9.9.9"));
    QTRY_VERIFY(m_window->variantHeader(VariantRole::Production)
                    ->modelText()
                    .contains(QStringLiteral("9.9.9")));
}

void TestMainWindow::stageCanaryDirectly()
{
    const nlohmann::json rollout = gatewayRollout();
    const QByteArray revision = QByteArray::number(rollout.value("revision", 0));
    const HttpReply staged = m_http->send({"PUT",
                                           QStringLiteral("/v1/rollout/canary"),
                                           R"({"model":"fraud-model","version":"3.0.0"})",
                                           {{"Authorization", "Bearer " + m_gateway->token()},
                                            {"If-Match", "\"" + revision + "\""},
                                            {"Content-Type", "application/json"}}});
    QCOMPARE(staged.status, 200);
}

void TestMainWindow::conflictIsReported()
{
    stageCanaryDirectly();
    waitForState(RolloutPhase::Canary);
    QTRY_VERIFY(m_window->trafficControl()->slider()->isEnabled());
    QTRY_VERIFY_WITH_TIMEOUT(m_window->monitor()->numbersAreLive(), 10'000);
    // Hold the window's picture still, then change the rollout behind its back.
    m_window->monitor()->stop();
    const std::int64_t seen = m_window->monitor()->state()->revision;
    const HttpReply changed = m_http->send({"PUT",
                                            QStringLiteral("/v1/rollout/weights"),
                                            R"({"canary": 7})",
                                            {{"Authorization", "Bearer " + m_gateway->token()},
                                             {"If-Match", "\"" + QByteArray::number(seen) + "\""},
                                             {"Content-Type", "application/json"}}});
    QCOMPARE(changed.status, 200);

    QSignalSpy failed(m_window->actions(), &RolloutActions::failed);
    QTest::mouseClick(m_window->trafficControl()->quickStepButton(5), Qt::LeftButton);
    QTRY_COMPARE_WITH_TIMEOUT(failed.count(), 1, 10'000);
    QCOMPARE(failed.at(0).at(1).toBool(), true);
    // Nothing was applied; the window now shows what the other operator did.
    QCOMPARE(gatewayCanaryWeight(), 7.0);
    QTRY_COMPARE_WITH_TIMEOUT(m_window->trafficControl()->confirmedWeight(), Weight::fromTenths(70),
                              10'000);
    QCOMPARE(m_window->trafficControl()->shownWeight(), Weight::fromTenths(70));
    QVERIFY(m_window->messageBar()->isVisible());
    QCOMPARE(m_window->messageBar()->level(), MessageBar::Level::Warning);
    QVERIFY2(m_window->messageBar()->text().contains(QStringLiteral("omeone else")),
             qPrintable(m_window->messageBar()->text()));
    m_window->monitor()->start();
}

void TestMainWindow::staleBannerWhenGatewayDiesAndResumes()
{
    QTRY_VERIFY_WITH_TIMEOUT(m_window->monitor()->health() == LinkHealth::Live, 10'000);
    QCOMPARE(m_window->staleBanner()->level(), StaleBanner::Level::Hidden);
    m_gateway->kill();
    QTRY_VERIFY_WITH_TIMEOUT(m_window->staleBanner()->level() != StaleBanner::Level::Hidden,
                             10'000);
    QVERIFY(m_window->staleBanner()->isVisible());
    QVERIFY(!m_window->staleBanner()->text().isEmpty());
    // The rollout and the metrics fail one after the other; once both did, the cards go grey.
    QTRY_COMPARE(m_window->variantHeader(VariantRole::Production)->health(),
                 VariantHeader::Health::Unknown);
    QVERIFY2(m_gateway->restart(), qPrintable(m_gateway->error()));
    QTRY_VERIFY_WITH_TIMEOUT(m_window->monitor()->health() == LinkHealth::Live, 40'000);
    QTRY_COMPARE(m_window->staleBanner()->level(), StaleBanner::Level::Hidden);
    QVERIFY(!m_window->staleBanner()->isVisible());
    QVERIFY(m_window->ageText().startsWith(QStringLiteral("updated")));
}

void TestMainWindow::tokenNeverInSettingsFile()
{
    const QString token = QStringLiteral("tok-") + QString::fromLatin1(m_gateway->token());
    const QString url = m_gateway->url().toString();
    ModalAnswer<ConnectionDialog> answer([&](ConnectionDialog *dialog) {
        auto *profile = dialog->findChild<QComboBox *>(QStringLiteral("profile"));
        auto *urlEdit = dialog->findChild<QLineEdit *>(QStringLiteral("url"));
        auto *tokenEdit = dialog->findChild<QLineEdit *>(QStringLiteral("token"));
        QVERIFY(profile && urlEdit && tokenEdit);
        profile->setEditText(QStringLiteral("staging"));
        urlEdit->setText(url);
        tokenEdit->setText(token);
        dialog->connectButton()->click();
    });
    QSignalSpy stored(m_window->profileStore(), &ProfileStore::tokenStored);
    m_window->showConnectionDialog();
    QVERIFY(answer.seen());
    QTRY_COMPARE(stored.count(), 1);
    QCOMPARE(stored.at(0).at(1).toBool(), false); // no keychain here: memory only, and said so
    QCOMPARE(m_window->target().token, token);
    QTRY_VERIFY_WITH_TIMEOUT(m_window->monitor()->state().has_value(), 10'000);

    m_window->profileStore()->settings().sync();
    QFile file(m_window->profileStore()->settings().fileName());
    QVERIFY2(file.open(QIODevice::ReadOnly), qPrintable(file.fileName()));
    const QByteArray contents = file.readAll();
    QVERIFY(contents.contains(url.toUtf8()));    // the right file...
    QVERIFY(!contents.contains(token.toUtf8())); // ...without the token
    QVERIFY(!contents.contains(m_gateway->token()));
    const auto saved = m_window->profileStore()->profile(QStringLiteral("staging"));
    QVERIFY(saved);
    QCOMPARE(saved->url, url);
    QVERIFY(saved->verifyTls);
}

void TestMainWindow::screenshot()
{
    QTRY_VERIFY_WITH_TIMEOUT(m_window->monitor()->health() == LinkHealth::Live, 10'000);
    QTRY_VERIFY_WITH_TIMEOUT(m_window->monitor()
                                     ->history()
                                     .series(VariantRole::Canary, metrics::Kpi::RequestRate)
                                     .size() >= 6,
                             15'000);
    QTest::qWait(500); // a refresh tick or two
    const QString path = QDir::currentPath() + QStringLiteral("/mainwindow.png");
    const QPixmap shot = m_window->grab();
    QVERIFY(!shot.isNull());
    QVERIFY(shot.save(path));
    QVERIFY(QFile::exists(path));
}

QTEST_MAIN(TestMainWindow)
#include "tst_mainwindow.moc"
