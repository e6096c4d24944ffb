// The console window on a SageMaker endpoint with CloudWatch's numbers, through
// tests/fakeaws/fake_aws.py (every request's SigV4 signature checked with botocore; AWS itself
// cannot run here): what the window says about the kind and its numbers, that a weight change
// shows "updating" and holds the levers until the endpoint is InService, and that promote and
// roll back reach the endpoint's weights.
#include "confirmactiondialog.h"
#include "consolesettings.h"
#include "fakeawsprocess.h"
#include "kpicomparison.h"
#include "mainwindow.h"
#include "messagebar.h"
#include "modalanswer.h"
#include "profilestore.h"
#include "trafficcontrol.h"

#include <QAction>
#include <QApplication>
#include <QDir>
#include <QDirIterator>
#include <QDoubleSpinBox>
#include <QFile>
#include <QJsonArray>
#include <QJsonObject>
#include <QLabel>
#include <QPushButton>
#include <QStandardPaths>
#include <QStatusBar>
#include <QTemporaryDir>
#include <QTest>

#include <memory>

using namespace canary;

namespace {

constexpr int kWaitMs = 20'000;
constexpr const char *kKeyId = "AKIDCONSOLETEST";
constexpr const char *kSecret = "consoleSecretKeyThatMustNeverBeWritten0";

QJsonObject scenario()
{
    return QJsonObject{
        {QStringLiteral("region"), QStringLiteral("eu-west-1")},
        {QStringLiteral("credentials"),
         QJsonArray{QJsonObject{{QStringLiteral("accessKeyId"), QLatin1String(kKeyId)},
                                {QStringLiteral("secretAccessKey"), QLatin1String(kSecret)}}}},
        {QStringLiteral("endpoints"),
         QJsonArray{QJsonObject{
             {QStringLiteral("name"), QStringLiteral("Fraud-Scorer")},
             {QStringLiteral("status"), QStringLiteral("InService")},
             {QStringLiteral("variants"),
              QJsonArray{
                  FakeAwsProcess::variant(
                      QStringLiteral("prod-v1"), 0.9,
                      QStringLiteral("111122223333.dkr.ecr.eu-west-1.amazonaws.com/f:1.4")),
                  FakeAwsProcess::variant(
                      QStringLiteral("canary-v2"), 0.1,
                      QStringLiteral("111122223333.dkr.ecr.eu-west-1.amazonaws.com/f:2.0"))}}}}},
        // Long enough for the window's one-second polls to see the endpoint Updating.
        {QStringLiteral("updateSeconds"), 3},
        {QStringLiteral("metrics"),
         QJsonObject{
             {QStringLiteral("rps"), 40},
             {QStringLiteral("historyMinutes"), 30},
             // CloudWatch's own: a minute appears a minute after it ends.
             {QStringLiteral("delaySeconds"), 60},
             {QStringLiteral("variants"),
              QJsonObject{
                  {QStringLiteral("prod-v1"), FakeAwsProcess::variantMetrics(40, 0.002)},
                  {QStringLiteral("canary-v2"), FakeAwsProcess::variantMetrics(48, 0.003)}}}}}};
}

// The canary's share of the endpoint's current weights, as the fake holds them; -1 if unknown.
double canaryShare(FakeAwsProcess &fake)
{
    const QJsonArray endpoints = fake.endpoints();
    if (endpoints.isEmpty())
        return -1;
    double canary = 0;
    double total = 0;
    for (const QJsonValue &v :
         endpoints.first().toObject().value(QStringLiteral("ProductionVariants")).toArray()) {
        const QJsonObject variant = v.toObject();
        const double weight = variant.value(QStringLiteral("CurrentWeight")).toDouble();
        total += weight;
        if (variant.value(QStringLiteral("VariantName")).toString() == QLatin1String("canary-v2"))
            canary = weight;
    }
    return total > 0 ? canary / total : -1;
}

QString labelText(const QWidget *window, const char *name)
{
    const auto *label = window->findChild<QLabel *>(QLatin1String(name));
    return label ? label->text() : QStringLiteral("<no label %1>").arg(QLatin1String(name));
}

} // namespace

class TestConsoleSageMaker final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();
    void namesTheKindAndItsLimits();
    void showsCloudWatchMinutesAsOldAsTheyAre();
    void aWeightChangeShowsUpdatingUntilInService();
    void promoteSaysAConcurrentChangeCannotBeDetected();
    void rollBackSendsTheCanaryToZero();
    void noSecretIsWritten();

private:
    QTemporaryDir m_home;
    FakeAwsProcess m_fake;
    std::unique_ptr<MainWindow> m_window;
};

void TestConsoleSageMaker::initTestCase()
{
    QStandardPaths::setTestModeEnabled(true);
    QCoreApplication::setOrganizationName(QStringLiteral("canary-console"));
    QCoreApplication::setApplicationName(QStringLiteral("canary-console-sagemaker-test"));
    QFile::remove(ConsoleSettings().fileName());
    // The credentials as an operator's shell would have them; no shared files are read.
    qputenv("AWS_ACCESS_KEY_ID", kKeyId);
    qputenv("AWS_SECRET_ACCESS_KEY", kSecret);
    qputenv("AWS_CONFIG_FILE", m_home.filePath(QStringLiteral("no-config")).toUtf8());
    qputenv("AWS_SHARED_CREDENTIALS_FILE", m_home.filePath(QStringLiteral("no-creds")).toUtf8());
    QVERIFY2(m_fake.start(scenario()), qPrintable(m_fake.error()));

    m_window = std::make_unique<MainWindow>();
    m_window->profileStore()->setKeychainEnabled(false);
    m_window->resize(1280, 800);
    m_window->show();
    QVERIFY(QTest::qWaitForWindowExposed(m_window.get()));
    ConnectionTarget target;
    target.url = QStringLiteral("sagemaker://Fraud-Scorer?region=eu-west-1&production=prod-v1&"
                                "canary=canary-v2&poll=1&endpoint=%1")
                     .arg(m_fake.url());
    m_window->connectTo(target);
    QVERIFY2(m_window->monitor(), qPrintable(m_window->messageBar()->text()));
    QTRY_VERIFY_WITH_TIMEOUT(m_window->monitor()->state().has_value(), kWaitMs);
    QTRY_VERIFY_WITH_TIMEOUT(m_window->monitor()->numbersAreLive(), kWaitMs);
}

void TestConsoleSageMaker::cleanupTestCase()
{
    m_window.reset();
    m_fake.stop();
}

void TestConsoleSageMaker::namesTheKindAndItsLimits()
{
    const QString status = labelText(m_window.get(), "urlLabel");
    QVERIFY2(status.startsWith(QStringLiteral("SageMaker sagemaker://Fraud-Scorer?")),
             qPrintable(status));
    QVERIFY2(status.contains(QStringLiteral(" · metrics CloudWatch cloudwatch://")),
             qPrintable(status));
    // The URLs are longer than the status bar: they give way, and the state and the age beside
    // them stay in the window.
    QStatusBar *bar = m_window->statusBar();
    QTRY_VERIFY(!labelText(m_window.get(), "ageLabel").isEmpty());
    for (const char *name : {"urlLabel", "stateLabel", "ageLabel"}) {
        const auto *label = bar->findChild<QLabel *>(QLatin1String(name));
        QVERIFY2(label->isVisible() && label->geometry().left() >= 0 &&
                     label->geometry().right() < bar->width(),
                 name);
    }
    const auto *url = bar->findChild<QLabel *>(QStringLiteral("urlLabel"));
    QVERIFY(url->width() < url->fontMetrics().horizontalAdvance(status));
    QVERIFY(url->toolTip().startsWith(status));

    QCOMPARE(m_window->trafficControl()->confirmedWeight(), Weight::fromTenths(100));
    QVERIFY(!m_window->stageAction()->isEnabled());
    QVERIFY2(m_window->stageAction()->toolTip().contains(QStringLiteral("cannot stage")),
             qPrintable(m_window->stageAction()->toolTip()));
}

void TestConsoleSageMaker::showsCloudWatchMinutesAsOldAsTheyAre()
{
    // The back-fill landed and said what it is: CloudWatch's minutes, their delay, no accuracy.
    QTRY_VERIFY_WITH_TIMEOUT(m_window->monitor()->backfilledPoints() > 0, kWaitMs);
    const QString message = m_window->messageBar()->text();
    QVERIFY2(message.contains(QStringLiteral("from CloudWatch")) &&
                 message.contains(QStringLiteral("one every 60 s")) &&
                 message.contains(QStringLiteral("no accuracy")),
             qPrintable(message));

    // The numbers decided on are of one whole CloudWatch minute, and say which.
    const KpiSnapshot &snapshot = m_window->monitor()->snapshot();
    QVERIFY(snapshot.valid());
    const auto to =
        std::chrono::duration_cast<std::chrono::seconds>(snapshot.to.time_since_epoch());
    QCOMPARE(to.count() % 60, 0);
    const metrics::KpiResult &kpis = snapshot.kpis;
    QVERIFY(kpis.production.requestsInWindow > 0 && kpis.canary.requestsInWindow > 0);
    QVERIFY(!kpis.production.accuracy && !kpis.canary.accuracy);
    const auto *comparison = m_window->findChild<KpiComparison *>();
    QVERIFY(comparison);
    QVERIFY2(comparison->caption().startsWith(QStringLiteral("60 s to ")),
             qPrintable(comparison->caption()));
    // Asked just now, but of a minute that ended a while ago: the status bar says both.
    QTRY_VERIFY2_WITH_TIMEOUT(
        labelText(m_window.get(), "ageLabel").contains(QStringLiteral(" old")),
        qPrintable(labelText(m_window.get(), "ageLabel")), kWaitMs);
    const QString age = labelText(m_window.get(), "ageLabel");
    QVERIFY2(age.startsWith(QStringLiteral("updated ")) &&
                 age.contains(QStringLiteral(" · numbers to ")),
             qPrintable(age));
}

void TestConsoleSageMaker::aWeightChangeShowsUpdatingUntilInService()
{
    TrafficControl *traffic = m_window->trafficControl();
    QTRY_VERIFY(traffic->isEnabledForState() && !traffic->isBusy());
    traffic->spinBox()->setValue(30.0);
    traffic->applyButton()->click();

    // SageMaker took the change and is applying it: the window says so and offers no lever.
    QTRY_VERIFY_WITH_TIMEOUT(m_window->monitor()->state() && m_window->monitor()->state()->updating,
                             kWaitMs);
    QTRY_VERIFY2_WITH_TIMEOUT(
        labelText(m_window.get(), "stateLabel").contains(QStringLiteral("updating")),
        qPrintable(labelText(m_window.get(), "stateLabel")), kWaitMs);
    QVERIFY(!m_window->promoteAction()->isEnabled());
    QVERIFY(!m_window->rollbackAction()->isEnabled());
    QVERIFY(!traffic->isEnabledForState());
    const QString hint = labelText(m_window.get(), "decisionHint");
    QVERIFY2(hint.contains(QStringLiteral("SageMaker backend is still applying the last change")),
             qPrintable(hint));

    // InService: the new weight is confirmed and the levers are back.
    QTRY_COMPARE_WITH_TIMEOUT(traffic->confirmedWeight(), Weight::fromTenths(300), kWaitMs);
    QTRY_VERIFY_WITH_TIMEOUT(!m_window->monitor()->state()->updating, kWaitMs);
    QTRY_VERIFY_WITH_TIMEOUT(m_window->promoteAction()->isEnabled(), kWaitMs);
    QVERIFY(!labelText(m_window.get(), "stateLabel").contains(QStringLiteral("updating")));
    QCOMPARE(canaryShare(m_fake), 0.3);
}

void TestConsoleSageMaker::promoteSaysAConcurrentChangeCannotBeDetected()
{
    QTRY_VERIFY_WITH_TIMEOUT(m_window->promoteAction()->isEnabled(), kWaitMs);
    QString note;
    ModalAnswer<ConfirmActionDialog> answer([&](ConfirmActionDialog *dialog) {
        note = dialog->backendNoteText();
        dialog->actionButton()->click();
    });
    m_window->promoteAction()->trigger();
    QVERIFY(answer.seen());
    QVERIFY2(note.contains(QStringLiteral("cannot be detected")), qPrintable(note));
    QTRY_COMPARE_WITH_TIMEOUT(m_window->trafficControl()->confirmedWeight(),
                              Weight::fromTenths(1000), kWaitMs);
    QCOMPARE(canaryShare(m_fake), 1.0);
}

void TestConsoleSageMaker::rollBackSendsTheCanaryToZero()
{
    QTRY_VERIFY_WITH_TIMEOUT(m_window->rollbackAction()->isEnabled(), kWaitMs);
    ModalAnswer<ConfirmActionDialog> answer(
        [](ConfirmActionDialog *dialog) { dialog->actionButton()->click(); });
    m_window->rollbackAction()->trigger();
    QVERIFY(answer.seen());
    QTRY_COMPARE_WITH_TIMEOUT(m_window->trafficControl()->confirmedWeight(), Weight::fromTenths(0),
                              kWaitMs);
    QCOMPARE(canaryShare(m_fake), 0.0);
    // Every request the window made was signed with the operator's credentials.
    const QJsonArray requests = m_fake.requests();
    QVERIFY(!requests.isEmpty());
    for (const QJsonValue &request : requests)
        QVERIFY(request.toObject().value(QStringLiteral("signatureOk")).toBool());
}

void TestConsoleSageMaker::noSecretIsWritten()
{
    // Not in the settings, the audit trail or anything else the console keeps.
    QStringList written{ConsoleSettings().fileName()};
    for (const auto location :
         {QStandardPaths::AppDataLocation, QStandardPaths::AppConfigLocation,
          QStandardPaths::AppLocalDataLocation, QStandardPaths::CacheLocation}) {
        QDirIterator it(QStandardPaths::writableLocation(location), QDir::Files,
                        QDirIterator::Subdirectories);
        while (it.hasNext())
            written << it.next();
    }
    int read = 0;
    for (const QString &path : written) {
        QFile file(path);
        if (!file.open(QIODevice::ReadOnly))
            continue;
        ++read;
        QVERIFY2(!file.readAll().contains(kSecret), qPrintable(path));
    }
    QVERIFY(read > 0);
}

QTEST_MAIN(TestConsoleSageMaker)
#include "tst_consolesagemaker.moc"
