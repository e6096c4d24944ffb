// The console window on a real HAProxy (tests/support/haproxyprocess.h) in front of two
// real canary-gateway instances, with HAProxy's own counters as the metrics: what the window says
// about the kind, and that the weight it sends is the one HAProxy applies.
#include "confirmactiondialog.h"
#include "consolesettings.h"
#include "gatewayprocess.h"
#include "haproxyprocess.h"
#include "mainwindow.h"
#include "messagebar.h"
#include "modalanswer.h"
#include "profilestore.h"
#include "trafficcontrol.h"

#include <QAction>
#include <QApplication>
#include <QDoubleSpinBox>
#include <QFile>
#include <QLabel>
#include <QLocalSocket>
#include <QPushButton>
#include <QStandardPaths>
#include <QTest>

#include <memory>

using namespace canary;

namespace {

constexpr int kWaitMs = 10'000;

// One command on HAProxy's runtime socket, its answer trimmed.
QString runtime(const QString &socket, const QByteArray &command)
{
    QLocalSocket client;
    client.connectToServer(socket);
    if (!client.waitForConnected(2000))
        return QStringLiteral("<not connected>");
    client.write(command + '\n');
    QByteArray answer;
    while (client.waitForReadyRead(2000))
        answer += client.readAll();
    return QString::fromUtf8(answer).trimmed();
}

} // namespace

class TestConsoleHaproxy final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();
    void namesTheKindAndItsLimits();
    void stageIsOff();
    void confirmationSaysAChangeCannotBeDetected();
    void sendsTheWeightHaproxyApplies();

private:
    QString socket() const { return m_haproxy.adminSocket(); }

    std::unique_ptr<GatewayProcess> m_production;
    std::unique_ptr<GatewayProcess> m_canary;
    HaproxyProcess m_haproxy;
    std::unique_ptr<MainWindow> m_window;
};

void TestConsoleHaproxy::initTestCase()
{
    if (!QFile::exists(QString::fromLatin1(HaproxyProcess::kBinary)))
        QFAIL("haproxy is not installed (installer/deps-debian.sh installs it)");
    QStandardPaths::setTestModeEnabled(true);
    QCoreApplication::setOrganizationName(QStringLiteral("canary-console"));
    QCoreApplication::setApplicationName(QStringLiteral("canary-console-haproxy-test"));
    QFile::remove(ConsoleSettings().fileName());

    const QByteArray config = R"({"production": {"model": "m", "version": "1",
                    "simulate": {"latency_p50_ms": 0.2, "latency_p99_ms": 1}}})";
    m_production = GatewayProcess::withConfig(config);
    m_canary = GatewayProcess::withConfig(config);
    QVERIFY2(m_production->start(), qPrintable(m_production->error()));
    QVERIFY2(m_canary->start(), qPrintable(m_canary->error()));

    HaproxyProcess::Config haproxyConfig;
    haproxyConfig.productionWeight = 243;
    haproxyConfig.canaryWeight = 13;
    QVERIFY2(m_haproxy.start(m_production->port(), m_canary->port(), haproxyConfig),
             qPrintable(m_haproxy.error()));
    QTRY_VERIFY_WITH_TIMEOUT(runtime(socket(), "show cli level") == QStringLiteral("admin"),
                             kWaitMs);

    m_window = std::make_unique<MainWindow>();
    m_window->profileStore()->setKeychainEnabled(false);
    m_window->resize(1280, 800);
    m_window->show();
    QVERIFY(QTest::qWaitForWindowExposed(m_window.get()));
    ConnectionTarget target;
    target.url = m_haproxy.backendUrl();
    m_window->connectTo(target);
    QVERIFY2(m_window->monitor(), qPrintable(m_window->messageBar()->text()));
    QTRY_VERIFY_WITH_TIMEOUT(m_window->monitor()->state().has_value(), kWaitMs);
    // Raising the weight on numbers that are not live asks first; these tests act on live ones.
    QTRY_VERIFY_WITH_TIMEOUT(m_window->monitor()->numbersAreLive(), kWaitMs);
}

void TestConsoleHaproxy::cleanupTestCase()
{
    m_window.reset();
    m_production.reset();
    m_canary.reset();
}

void TestConsoleHaproxy::namesTheKindAndItsLimits()
{
    const QString status = m_window->findChild<QLabel *>(QStringLiteral("urlLabel"))->text();
    QCOMPARE(status, QStringLiteral("HAProxy unix://%1 · metrics HAProxy unix://%1").arg(socket()));
    QVERIFY2(m_window->messageBar()->text().startsWith(QStringLiteral("HAProxy's counters give")),
             qPrintable(m_window->messageBar()->text()));
    QCOMPARE(m_window->trafficControl()->confirmedWeight(), Weight::fromTenths(51));
}

void TestConsoleHaproxy::stageIsOff()
{
    QVERIFY(!m_window->stageAction()->isEnabled());
    QVERIFY2(m_window->stageAction()->toolTip().contains(QStringLiteral("cannot stage")),
             qPrintable(m_window->stageAction()->toolTip()));
}

void TestConsoleHaproxy::confirmationSaysAChangeCannotBeDetected()
{
    QTRY_VERIFY(m_window->promoteAction()->isEnabled());
    QString note;
    ModalAnswer<ConfirmActionDialog> answer([&](ConfirmActionDialog *dialog) {
        note = dialog->backendNoteText();
        dialog->cancelButton()->click();
    });
    m_window->promoteAction()->trigger();
    QVERIFY(answer.seen());
    QVERIFY2(note.contains(QStringLiteral("cannot be detected")), qPrintable(note));
    // Cancelled: HAProxy still has the weights it had.
    QCOMPARE(runtime(socket(), "get weight models/can"), QStringLiteral("13 (initial 13)"));
}

void TestConsoleHaproxy::sendsTheWeightHaproxyApplies()
{
    TrafficControl *traffic = m_window->trafficControl();
    QTRY_VERIFY(traffic->isEnabledForState() && !traffic->isBusy());
    traffic->spinBox()->setValue(12.3);
    QVERIFY2(traffic->pendingLabel()->text().contains(QStringLiteral("can only apply 12.1 %")),
             qPrintable(traffic->pendingLabel()->text()));
    traffic->applyButton()->click();
    // 12.3 % of 256 is 31.5, which HAProxy holds as 31: 31/256 = 12.1 %.
    QTRY_COMPARE_WITH_TIMEOUT(traffic->confirmedWeight(), Weight::fromTenths(121), kWaitMs);
    QCOMPARE(runtime(socket(), "get weight models/can"), QStringLiteral("31 (initial 13)"));
    QCOMPARE(runtime(socket(), "get weight models/prod"), QStringLiteral("225 (initial 243)"));
}

QTEST_MAIN(TestConsoleHaproxy)
#include "tst_consolehaproxy.moc"
