// The connection dialog: each kind's fields compose the URLs canaryctl takes, the factory judges
// them, secrets stay out of the settings file, and profiles saved before metrics sources existed
// still load. A SageMaker endpoint's fields compose sagemaker:// URLs that load back into them.
#include "connectiondialog.h"
#include "consolesettings.h"
#include "profilestore.h"

#include "backends/backendfactory.h"
#include "backends/httptransport.h"
#include "util/clock.h"

#include <QApplication>
#include <QCheckBox>
#include <QComboBox>
#include <QDir>
#include <QFile>
#include <QLabel>
#include <QLineEdit>
#include <QPixmap>
#include <QPushButton>
#include <QSettings>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTest>

#include <memory>

using namespace canary;

namespace {

using Fields = QList<QPair<QString, QString>>; // object name, text

void fill(ConnectionDialog &dialog, int backendKind, int metricsKind, const Fields &fields)
{
    dialog.findChild<QComboBox *>(QStringLiteral("backendKind"))->setCurrentIndex(backendKind);
    dialog.findChild<QComboBox *>(QStringLiteral("metricsKind"))->setCurrentIndex(metricsKind);
    for (const auto &[name, text] : fields) {
        auto *edit = dialog.findChild<QLineEdit *>(name);
        QVERIFY2(edit, qPrintable(name));
        edit->setText(text);
    }
}

QString factorySentence(const std::string &backend, const std::string &metrics)
{
    HttpTransport transport;
    ConnectionProfile profile;
    profile.backendUrl = backend;
    profile.metricsUrl = metrics;
    std::string error;
    const Backends built = makeBackends(profile, &transport, SystemClock::instance(), &error);
    return built.control ? QString() : QString::fromStdString(error);
}

QString text(const ConnectionDialog &dialog, const char *name)
{
    auto *edit = dialog.findChild<QLineEdit *>(QLatin1String(name));
    return edit ? edit->text() : QStringLiteral("<no %1>").arg(QLatin1String(name));
}

QString ownMetricsText(const ConnectionDialog &dialog)
{
    return dialog.findChild<QLabel *>(QStringLiteral("ownMetricsText"))->text();
}

// An endpoint with two variants, as SageMaker names them (case kept).
Fields sageMakerFields(const QString &endpoint = QStringLiteral("fraud-scorer"),
                       const QString &region = QStringLiteral("eu-west-1"))
{
    return {{QStringLiteral("sageMakerEndpoint"), endpoint},
            {QStringLiteral("sageMakerRegion"), region},
            {QStringLiteral("sageMakerProduction"), QStringLiteral("prod")},
            {QStringLiteral("sageMakerCanary"), QStringLiteral("canary")}};
}

} // namespace

class TestConnectionDialog final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void init();
    void composesUrls_data();
    void composesUrls();
    void badEntryShowsFactorySentence_data();
    void badEntryShowsFactorySentence();
    void secretsNeverInSettings_data();
    void secretsNeverInSettings();
    void savedProfileComesBack();
    void oldProfileLoads();
    void composesSageMakerUrls_data();
    void composesSageMakerUrls();
    void sageMakerProfileRoundTrips_data();
    void sageMakerProfileRoundTrips();
    void sageMakerRefusals_data();
    void sageMakerRefusals();
    void sageMakerOwnMetricsAreCloudWatch();
    void sageMakerHasNoSecret();
    void screenshot();
    void sageMakerScreenshot();

private:
    std::unique_ptr<ProfileStore> m_store;
};

void TestConnectionDialog::initTestCase()
{
    QStandardPaths::setTestModeEnabled(true);
    QCoreApplication::setOrganizationName(QStringLiteral("canary-console"));
    QCoreApplication::setApplicationName(QStringLiteral("canary-console-dialog-test"));
    // The AWS settings of whoever runs the tests must not decide a region or an endpoint.
    for (const char *name : {"AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE", "AWS_ENDPOINT_URL",
                             "AWS_ENDPOINT_URL_SAGEMAKER", "AWS_ENDPOINT_URL_CLOUDWATCH"})
        qunsetenv(name);
    const QByteArray none = QDir::temp().filePath(QStringLiteral("no-such-aws-file")).toUtf8();
    qputenv("AWS_CONFIG_FILE", none);
    qputenv("AWS_SHARED_CREDENTIALS_FILE", none);
}

void TestConnectionDialog::init()
{
    m_store.reset();
    QFile::remove(ConsoleSettings().fileName());
    m_store = std::make_unique<ProfileStore>();
    m_store->setKeychainEnabled(false); // never touch a real keychain in tests
    qunsetenv("AWS_REGION");
}

void TestConnectionDialog::composesUrls_data()
{
    QTest::addColumn<int>("backendKind");
    QTest::addColumn<int>("metricsKind");
    QTest::addColumn<Fields>("fields");
    QTest::addColumn<QString>("backend");
    QTest::addColumn<QString>("metrics");

    const int control = int(ConnectionDialog::BackendKind::ControlApi);
    const int unix = int(ConnectionDialog::BackendKind::HaproxyUnix);
    const int tcp = int(ConnectionDialog::BackendKind::HaproxyTcp);
    const int own = int(ConnectionDialog::MetricsKind::Own);
    const int prometheus = int(ConnectionDialog::MetricsKind::Prometheus);
    const int scrape = int(ConnectionDialog::MetricsKind::Scrape);
    const Fields haproxy = {{QStringLiteral("haproxyBackend"), QStringLiteral("models")},
                            {QStringLiteral("haproxyProduction"), QStringLiteral("prod")},
                            {QStringLiteral("haproxyCanary"), QStringLiteral("can")}};

    QTest::newRow("Control API, own metrics")
        << control << own
        << Fields{{QStringLiteral("url"), QStringLiteral(" https://gw.example.com:8443/ ")}}
        << QStringLiteral("https://gw.example.com:8443") << QString();
    QTest::newRow("HAProxy unix socket, own metrics")
        << unix << own
        << (Fields{{QStringLiteral("haproxyAddress"), QStringLiteral("/run/haproxy/admin.sock")}} +
            haproxy)
        << QStringLiteral("haproxy+unix:///run/haproxy/admin.sock?backend=models&production=prod&"
                          "canary=can")
        << QString();
    QTest::newRow("HAProxy TCP, Prometheus with a job")
        << tcp << prometheus
        << (Fields{{QStringLiteral("haproxyAddress"), QStringLiteral("127.0.0.1:9999")},
                   {QStringLiteral("prometheusUrl"), QStringLiteral("http://127.0.0.1:9090/")},
                   {QStringLiteral("prometheusJob"), QStringLiteral("canary-gateway")}} +
            haproxy)
        << QStringLiteral("haproxy+tcp://127.0.0.1:9999?backend=models&production=prod&canary=can")
        << QStringLiteral("prometheus+http://127.0.0.1:9090?job=canary-gateway");
    QTest::newRow("Control API, Prometheus over https with a prefix")
        << control << prometheus
        << Fields{{QStringLiteral("url"), QStringLiteral("http://127.0.0.1:8080")},
                  {QStringLiteral("prometheusUrl"), QStringLiteral("https://mon.example.com/prom")}}
        << QStringLiteral("http://127.0.0.1:8080")
        << QStringLiteral("prometheus+https://mon.example.com/prom");
    QTest::newRow("HAProxy unix socket, a metrics URL to scrape")
        << unix << scrape
        << (Fields{{QStringLiteral("haproxyAddress"), QStringLiteral("/tmp/h.sock")},
                   {QStringLiteral("scrapeUrl"), QStringLiteral("http://10.0.0.5:8080/metrics")}} +
            haproxy)
        << QStringLiteral("haproxy+unix:///tmp/h.sock?backend=models&production=prod&canary=can")
        << QStringLiteral("http://10.0.0.5:8080/metrics");
}

void TestConnectionDialog::composesUrls()
{
    QFETCH(int, backendKind);
    QFETCH(int, metricsKind);
    QFETCH(Fields, fields);
    QFETCH(QString, backend);
    QFETCH(QString, metrics);
    ConnectionDialog dialog(m_store.get());
    fill(dialog, backendKind, metricsKind, fields);
    QCOMPARE(dialog.backendUrl(), backend);
    QCOMPARE(dialog.metricsUrl(), metrics);
    // Shown read-only, to copy to canaryctl.
    QCOMPARE(text(dialog, "composedBackend"), backend);
    QCOMPARE(text(dialog, "composedMetrics"), metrics);
    QVERIFY(dialog.findChild<QLineEdit *>(QStringLiteral("composedBackend"))->isReadOnly());
    QVERIFY2(dialog.problem().isEmpty(), qPrintable(dialog.problem()));
    QVERIFY(dialog.connectButton()->isEnabled());
    QCOMPARE(dialog.profile().url, backend);
    QCOMPARE(dialog.profile().metricsUrl, metrics);
}

void TestConnectionDialog::badEntryShowsFactorySentence_data()
{
    QTest::addColumn<int>("backendKind");
    QTest::addColumn<int>("metricsKind");
    QTest::addColumn<Fields>("fields");

    QTest::newRow("HAProxy without a canary server")
        << int(ConnectionDialog::BackendKind::HaproxyUnix)
        << int(ConnectionDialog::MetricsKind::Own)
        << Fields{{QStringLiteral("haproxyAddress"), QStringLiteral("/run/h.sock")},
                  {QStringLiteral("haproxyBackend"), QStringLiteral("be")},
                  {QStringLiteral("haproxyProduction"), QStringLiteral("prod")}};
    QTest::newRow("Control API URL with a query")
        << int(ConnectionDialog::BackendKind::ControlApi) << int(ConnectionDialog::MetricsKind::Own)
        << Fields{{QStringLiteral("url"), QStringLiteral("http://gw:8080/?x=1")}};
    QTest::newRow("not a URL") << int(ConnectionDialog::BackendKind::ControlApi)
                               << int(ConnectionDialog::MetricsKind::Own)
                               << Fields{{QStringLiteral("url"), QStringLiteral("gateway")}};
    const int sageMaker = int(ConnectionDialog::BackendKind::SageMaker);
    const int own = int(ConnectionDialog::MetricsKind::Own);
    QTest::newRow("SageMaker without a canary variant")
        << sageMaker << own
        << (sageMakerFields() + Fields{{QStringLiteral("sageMakerCanary"), QString()}});
    QTest::newRow("SageMaker with the same variant twice")
        << sageMaker << own
        << (sageMakerFields() +
            Fields{{QStringLiteral("sageMakerCanary"), QStringLiteral("prod")}});
    QTest::newRow("SageMaker without a region, AWS_REGION unset")
        << sageMaker << own << sageMakerFields(QStringLiteral("fraud-scorer"), QString());
    QTest::newRow("SageMaker variant that is not a SageMaker name")
        << sageMaker << own
        << (sageMakerFields() +
            Fields{{QStringLiteral("sageMakerProduction"), QStringLiteral("prod_a")}});
    QTest::newRow("SageMaker endpoint URL without a scheme")
        << sageMaker << own
        << (sageMakerFields() +
            Fields{{QStringLiteral("sageMakerEndpointUrl"), QStringLiteral("localhost:4566")}});
    QTest::newRow("scrape URL without a host")
        << int(ConnectionDialog::BackendKind::ControlApi)
        << int(ConnectionDialog::MetricsKind::Scrape)
        << Fields{{QStringLiteral("url"), QStringLiteral("http://gw:8080")},
                  {QStringLiteral("scrapeUrl"), QStringLiteral("http:///metrics")}};
}

void TestConnectionDialog::badEntryShowsFactorySentence()
{
    QFETCH(int, backendKind);
    QFETCH(int, metricsKind);
    QFETCH(Fields, fields);
    ConnectionDialog dialog(m_store.get());
    fill(dialog, backendKind, metricsKind, fields);
    const QString expected =
        factorySentence(dialog.backendUrl().toStdString(), dialog.metricsUrl().toStdString());
    QVERIFY2(!expected.isEmpty(), "the factory takes this entry");
    QVERIFY(!dialog.connectButton()->isEnabled());
    const QString note = dialog.findChild<QLabel *>(QStringLiteral("note"))->text();
    // The factory's words, as a sentence: capitalised, with a full stop.
    QString sentence = expected;
    sentence[0] = sentence[0].toUpper();
    QVERIFY2(note.contains(sentence), qPrintable(note + QStringLiteral(" / ") + sentence));
    QVERIFY(note.contains(QStringLiteral(".")));
    dialog.accept();
    QVERIFY(m_store->profileNames().isEmpty()); // nothing saved from a bad entry
}

void TestConnectionDialog::secretsNeverInSettings_data()
{
    QTest::addColumn<bool>("basicAuth");
    QTest::newRow("Prometheus bearer token") << false;
    QTest::newRow("Prometheus user and password") << true;
}

void TestConnectionDialog::secretsNeverInSettings()
{
    QFETCH(bool, basicAuth);
    const QString token = QStringLiteral("control-token-7f3a9c");
    const QString metricsSecret = QStringLiteral("prometheus-secret-e41b07");
    {
        ConnectionDialog dialog(m_store.get());
        dialog.findChild<QComboBox *>(QStringLiteral("profile"))->setEditText(QStringLiteral("p"));
        Fields fields = {
            {QStringLiteral("url"), QStringLiteral("http://127.0.0.1:8080")},
            {QStringLiteral("token"), token},
            {QStringLiteral("prometheusUrl"), QStringLiteral("http://127.0.0.1:9090")}};
        if (basicAuth)
            fields += Fields{{QStringLiteral("metricsUser"), QStringLiteral("grafana")},
                             {QStringLiteral("metricsPassword"), metricsSecret}};
        else
            fields += Fields{{QStringLiteral("prometheusToken"), metricsSecret}};
        fill(dialog, int(ConnectionDialog::BackendKind::ControlApi),
             int(ConnectionDialog::MetricsKind::Prometheus), fields);
        QVERIFY2(dialog.problem().isEmpty(), qPrintable(dialog.problem()));
        QCOMPARE(dialog.secrets(), (ProfileSecrets{token, metricsSecret}));
        QSignalSpy stored(m_store.get(), &ProfileStore::tokenStored);
        dialog.accept();
        QVERIFY(stored.wait());
    }
    m_store->settings().sync();
    QFile file(m_store->settings().fileName());
    QVERIFY(file.open(QIODevice::ReadOnly));
    const QByteArray written = file.readAll();
    QVERIFY2(written.contains("127.0.0.1:9090"), written.constData()); // the profile is there
    QVERIFY2(!written.contains(token.toUtf8()), written.constData());
    QVERIFY2(!written.contains(metricsSecret.toUtf8()), written.constData());
    QCOMPARE(written.contains("grafana"), basicAuth); // the user is not a secret

    // In this session the secrets come back to the form (from memory: no keychain here).
    ConnectionDialog again(m_store.get());
    again.selectProfile(QStringLiteral("p"));
    QTRY_COMPARE(again.secrets(), (ProfileSecrets{token, metricsSecret}));
    QCOMPARE(text(again, basicAuth ? "metricsPassword" : "prometheusToken"), metricsSecret);
}

void TestConnectionDialog::savedProfileComesBack()
{
    const QString backend = QStringLiteral(
        "haproxy+unix:///run/haproxy.sock?backend=models&production=prod&canary=can");
    const QString metrics = QStringLiteral("prometheus+http://127.0.0.1:9090?job=gw");
    SavedProfile saved;
    saved.name = QStringLiteral("edge");
    saved.url = backend;
    saved.metricsUrl = metrics;
    saved.verifyTls = false;
    m_store->save(saved, ProfileSecrets{});
    QCOMPARE(m_store->profile(QStringLiteral("edge")), saved);

    ConnectionDialog dialog(m_store.get());
    dialog.selectProfile(QStringLiteral("edge"));
    QCOMPARE(dialog.findChild<QComboBox *>(QStringLiteral("backendKind"))->currentIndex(),
             int(ConnectionDialog::BackendKind::HaproxyUnix));
    QCOMPARE(text(dialog, "haproxyAddress"), QStringLiteral("/run/haproxy.sock"));
    QCOMPARE(text(dialog, "haproxyCanary"), QStringLiteral("can"));
    QCOMPARE(text(dialog, "prometheusUrl"), QStringLiteral("http://127.0.0.1:9090"));
    QCOMPARE(text(dialog, "prometheusJob"), QStringLiteral("gw"));
    QVERIFY(!dialog.findChild<QCheckBox *>(QStringLiteral("verifyTls"))->isChecked());
    QCOMPARE(dialog.backendUrl(), backend);
    QCOMPARE(dialog.metricsUrl(), metrics);
    QVERIFY2(dialog.problem().isEmpty(), qPrintable(dialog.problem()));
}

void TestConnectionDialog::oldProfileLoads()
{
    // As the console wrote profiles before metrics sources: url and verifyTls only.
    {
        QSettings raw;
        raw.setValue(QStringLiteral("profiles/legacy/url"), QStringLiteral("http://10.0.0.1:8080"));
        raw.setValue(QStringLiteral("profiles/legacy/verifyTls"), false);
        raw.setValue(QStringLiteral("connection/lastProfile"), QStringLiteral("legacy"));
    }
    m_store = std::make_unique<ProfileStore>();
    m_store->setKeychainEnabled(false);
    const auto loaded = m_store->profile(QStringLiteral("legacy"));
    QVERIFY(loaded);
    QCOMPARE(loaded->url, QStringLiteral("http://10.0.0.1:8080"));
    QVERIFY(loaded->metricsUrl.isEmpty());
    QVERIFY(loaded->queryFile.isEmpty());
    QVERIFY(!loaded->verifyTls);

    ConnectionDialog dialog(m_store.get()); // opens on the last profile
    QCOMPARE(dialog.findChild<QComboBox *>(QStringLiteral("profile"))->currentText(),
             QStringLiteral("legacy"));
    QCOMPARE(dialog.findChild<QComboBox *>(QStringLiteral("backendKind"))->currentIndex(),
             int(ConnectionDialog::BackendKind::ControlApi));
    QCOMPARE(dialog.findChild<QComboBox *>(QStringLiteral("metricsKind"))->currentIndex(),
             int(ConnectionDialog::MetricsKind::Own));
    QCOMPARE(text(dialog, "url"), QStringLiteral("http://10.0.0.1:8080"));
    QCOMPARE(dialog.backendUrl(), QStringLiteral("http://10.0.0.1:8080"));
    QVERIFY(dialog.metricsUrl().isEmpty());
    QVERIFY(dialog.connectButton()->isEnabled());
}

void TestConnectionDialog::composesSageMakerUrls_data()
{
    QTest::addColumn<QString>("awsRegion"); // the environment's AWS_REGION
    QTest::addColumn<int>("metricsKind");
    QTest::addColumn<Fields>("fields");
    QTest::addColumn<QString>("backend");
    QTest::addColumn<QString>("metrics");

    const int own = int(ConnectionDialog::MetricsKind::Own);
    QTest::newRow("region given, CloudWatch")
        << QString() << own << sageMakerFields()
        << QStringLiteral("sagemaker://fraud-scorer?region=eu-west-1&production=prod&canary=canary")
        << QString();
    QTest::newRow("no region: AWS_REGION's")
        << QStringLiteral("eu-central-1") << own
        << sageMakerFields(QStringLiteral(" fraud-scorer "), QString())
        << QStringLiteral("sagemaker://fraud-scorer?production=prod&canary=canary") << QString();
    QTest::newRow("endpoint URL for local testing")
        << QString() << own
        << (sageMakerFields() + Fields{{QStringLiteral("sageMakerEndpointUrl"),
                                        QStringLiteral("http://127.0.0.1:4566/")}})
        << QStringLiteral("sagemaker://fraud-scorer?region=eu-west-1&production=prod&"
                          "canary=canary&endpoint=http://127.0.0.1:4566")
        << QString();
    QTest::newRow("mixed-case names kept")
        << QString() << own
        << Fields{{QStringLiteral("sageMakerEndpoint"), QStringLiteral("FraudScorer-EU2")},
                  {QStringLiteral("sageMakerRegion"), QStringLiteral("us-east-1")},
                  {QStringLiteral("sageMakerProduction"), QStringLiteral("AllTraffic")},
                  {QStringLiteral("sageMakerCanary"), QStringLiteral("Candidate-7")}}
        << QStringLiteral("sagemaker://FraudScorer-EU2?region=us-east-1&production=AllTraffic&"
                          "canary=Candidate-7")
        << QString();
    QTest::newRow("Prometheus for accuracy")
        << QString() << int(ConnectionDialog::MetricsKind::Prometheus)
        << (sageMakerFields() +
            Fields{{QStringLiteral("prometheusUrl"), QStringLiteral("http://127.0.0.1:9090")}})
        << QStringLiteral("sagemaker://fraud-scorer?region=eu-west-1&production=prod&canary=canary")
        << QStringLiteral("prometheus+http://127.0.0.1:9090");
}

void TestConnectionDialog::composesSageMakerUrls()
{
    QFETCH(QString, awsRegion);
    QFETCH(int, metricsKind);
    QFETCH(Fields, fields);
    QFETCH(QString, backend);
    QFETCH(QString, metrics);
    if (!awsRegion.isEmpty())
        qputenv("AWS_REGION", awsRegion.toUtf8());
    ConnectionDialog dialog(m_store.get());
    fill(dialog, int(ConnectionDialog::BackendKind::SageMaker), metricsKind, fields);
    QCOMPARE(dialog.backendUrl(), backend);
    QCOMPARE(dialog.metricsUrl(), metrics);
    QCOMPARE(text(dialog, "composedBackend"), backend);
    QVERIFY2(dialog.problem().isEmpty(), qPrintable(dialog.problem()));
    QVERIFY(dialog.connectButton()->isEnabled());
    QCOMPARE(dialog.profile().url, backend);
    QCOMPARE(dialog.profile().metricsUrl, metrics);
}

void TestConnectionDialog::sageMakerProfileRoundTrips_data()
{
    QTest::addColumn<QString>("url");
    QTest::addColumn<QString>("endpoint");
    QTest::addColumn<QString>("region");
    QTest::addColumn<QString>("production");
    QTest::addColumn<QString>("canary");
    QTest::addColumn<QString>("endpointUrl");

    QTest::newRow("mixed-case endpoint")
        << QStringLiteral("sagemaker://FraudScorer?region=eu-west-1&production=Prod-A&"
                          "canary=Canary-B")
        << QStringLiteral("FraudScorer") << QStringLiteral("eu-west-1") << QStringLiteral("Prod-A")
        << QStringLiteral("Canary-B") << QString();
    QTest::newRow("VPC endpoint URL and a poll interval kept")
        << QStringLiteral("sagemaker://scorer?region=us-east-1&production=prod&canary=can&"
                          "endpoint=https://vpce-0a1.sagemaker.us-east-1.vpce.amazonaws.com&"
                          "poll=10")
        << QStringLiteral("scorer") << QStringLiteral("us-east-1") << QStringLiteral("prod")
        << QStringLiteral("can")
        << QStringLiteral("https://vpce-0a1.sagemaker.us-east-1.vpce.amazonaws.com");
}

void TestConnectionDialog::sageMakerProfileRoundTrips()
{
    QFETCH(QString, url);
    QFETCH(QString, endpoint);
    QFETCH(QString, region);
    QFETCH(QString, production);
    QFETCH(QString, canary);
    QFETCH(QString, endpointUrl);
    SavedProfile saved;
    saved.name = QStringLiteral("aws");
    saved.url = url;
    m_store->save(saved, ProfileSecrets{});

    {
        ConnectionDialog dialog(m_store.get());
        dialog.selectProfile(QStringLiteral("aws"));
        QCOMPARE(dialog.findChild<QComboBox *>(QStringLiteral("backendKind"))->currentIndex(),
                 int(ConnectionDialog::BackendKind::SageMaker));
        QCOMPARE(dialog.findChild<QComboBox *>(QStringLiteral("metricsKind"))->currentIndex(),
                 int(ConnectionDialog::MetricsKind::Own));
        QCOMPARE(text(dialog, "sageMakerEndpoint"), endpoint);
        QCOMPARE(text(dialog, "sageMakerRegion"), region);
        QCOMPARE(text(dialog, "sageMakerProduction"), production);
        QCOMPARE(text(dialog, "sageMakerCanary"), canary);
        QCOMPARE(text(dialog, "sageMakerEndpointUrl"), endpointUrl);
        QCOMPARE(dialog.backendUrl(), url);
        QVERIFY(dialog.metricsUrl().isEmpty());
        QVERIFY2(dialog.problem().isEmpty(), qPrintable(dialog.problem()));
        dialog.accept();
    }
    QCOMPARE(m_store->profile(QStringLiteral("aws")), saved);

    // Another profile's fields do not leak into the SageMaker one and back.
    SavedProfile other;
    other.name = QStringLiteral("gw");
    other.url = QStringLiteral("http://127.0.0.1:8080");
    m_store->save(other, ProfileSecrets{});
    ConnectionDialog dialog(m_store.get());
    dialog.selectProfile(QStringLiteral("gw"));
    QVERIFY(text(dialog, "sageMakerEndpoint").isEmpty());
    dialog.selectProfile(QStringLiteral("aws"));
    QCOMPARE(dialog.backendUrl(), url);
}

void TestConnectionDialog::sageMakerRefusals_data()
{
    QTest::addColumn<QString>("endpoint");
    QTest::addColumn<QString>("why");
    QTest::newRow("no endpoint") << QString() << QStringLiteral("name of the SageMaker endpoint");
    QTest::newRow("a space") << QStringLiteral("fraud scorer")
                             << QStringLiteral("\"fraud scorer\" is not a SageMaker name");
    QTest::newRow("a slash") << QStringLiteral("fraud/scorer")
                             << QStringLiteral("\"fraud/scorer\" is not a SageMaker name");
    QTest::newRow("a query") << QStringLiteral("fraud?region=us-east-1")
                             << QStringLiteral("is not a SageMaker name");
}

// Endpoint names the URL cannot carry are refused by the dialog, before the factory.
void TestConnectionDialog::sageMakerRefusals()
{
    QFETCH(QString, endpoint);
    QFETCH(QString, why);
    ConnectionDialog dialog(m_store.get());
    fill(dialog, int(ConnectionDialog::BackendKind::SageMaker),
         int(ConnectionDialog::MetricsKind::Own), sageMakerFields(endpoint));
    QVERIFY2(dialog.problem().contains(why), qPrintable(dialog.problem()));
    QVERIFY(!dialog.connectButton()->isEnabled());
    QVERIFY(dialog.findChild<QLabel *>(QStringLiteral("note"))->text().contains(why));
    dialog.accept();
    QVERIFY(m_store->profileNames().isEmpty());
}

void TestConnectionDialog::sageMakerOwnMetricsAreCloudWatch()
{
    ConnectionDialog dialog(m_store.get());
    fill(dialog, int(ConnectionDialog::BackendKind::HaproxyUnix),
         int(ConnectionDialog::MetricsKind::Own), {});
    QVERIFY(!ownMetricsText(dialog).contains(QStringLiteral("CloudWatch")));
    fill(dialog, int(ConnectionDialog::BackendKind::SageMaker),
         int(ConnectionDialog::MetricsKind::Own), sageMakerFields());
    QVERIFY2(ownMetricsText(dialog).startsWith(
                 QStringLiteral("CloudWatch: SageMaker's Invocations, 4XX/5XX errors and "
                                "ModelLatency per minute, a minute or more late; no accuracy")),
             qPrintable(ownMetricsText(dialog)));
    QVERIFY(ownMetricsText(dialog).contains(QStringLiteral("Prometheus")));
    QVERIFY2(dialog.problem().isEmpty(), qPrintable(dialog.problem()));
    QVERIFY(dialog.metricsUrl().isEmpty()); // the factory's own metrics of sagemaker://
}

// AWS credentials are never typed into the dialog: no password field on the page, no secret to
// store, and the settings file holds the URL only.
void TestConnectionDialog::sageMakerHasNoSecret()
{
    {
        ConnectionDialog dialog(m_store.get());
        dialog.findChild<QComboBox *>(QStringLiteral("profile"))
            ->setEditText(QStringLiteral("aws"));
        fill(dialog, int(ConnectionDialog::BackendKind::SageMaker),
             int(ConnectionDialog::MetricsKind::Own),
             sageMakerFields() + Fields{{QStringLiteral("token"), QStringLiteral("stale-token")}});
        const auto edits = dialog.findChild<QWidget *>(QStringLiteral("sageMakerPage"))
                               ->findChildren<QLineEdit *>();
        QCOMPARE(edits.size(), 5);
        for (const QLineEdit *edit : edits)
            QCOMPARE(edit->echoMode(), QLineEdit::Normal);
        QVERIFY2(dialog.problem().isEmpty(), qPrintable(dialog.problem()));
        QCOMPARE(dialog.secrets(), ProfileSecrets{}); // the Control API token is not sent along
        dialog.accept();
    }
    m_store->settings().sync();
    QFile file(m_store->settings().fileName());
    QVERIFY(file.open(QIODevice::ReadOnly));
    const QByteArray written = file.readAll();
    QVERIFY2(written.contains("sagemaker://fraud-scorer"), written.constData());
    QVERIFY2(!written.contains("stale-token"), written.constData());
    QVERIFY2(!written.toLower().contains("secret"), written.constData());
}

// The dialog filled for HAProxy and Prometheus, saved as connectiondialog.png in the working
// directory to look at; every field and the composed URLs must fit without scrolling.
void TestConnectionDialog::screenshot()
{
    ConnectionDialog dialog(m_store.get());
    dialog.findChild<QComboBox *>(QStringLiteral("profile"))->setEditText(QStringLiteral("edge"));
    fill(dialog, int(ConnectionDialog::BackendKind::HaproxyUnix),
         int(ConnectionDialog::MetricsKind::Prometheus),
         {{QStringLiteral("haproxyAddress"), QStringLiteral("/run/haproxy/admin.sock")},
          {QStringLiteral("haproxyBackend"), QStringLiteral("models")},
          {QStringLiteral("haproxyProduction"), QStringLiteral("prod")},
          {QStringLiteral("haproxyCanary"), QStringLiteral("can")},
          {QStringLiteral("prometheusUrl"), QStringLiteral("http://prometheus.example.com:9090")},
          {QStringLiteral("prometheusJob"), QStringLiteral("canary-gw")}});
    dialog.show();
    QVERIFY(QTest::qWaitForWindowExposed(&dialog));
    for (const char *name : {"composedBackend", "composedMetrics"}) {
        auto *edit = dialog.findChild<QLineEdit *>(QLatin1String(name));
        QVERIFY2(edit->width() >= edit->fontMetrics().horizontalAdvance(edit->text()),
                 qPrintable(QStringLiteral("%1 is cut off").arg(QLatin1String(name))));
    }
    const QPixmap shot = dialog.grab();
    QVERIFY(!shot.isNull());
    QVERIFY(shot.save(QStringLiteral("connectiondialog.png")));
}

// The SageMaker page with CloudWatch metrics: the note wraps, the composed URL fits. Saved as
// connectiondialog-sagemaker.png in $CANARY_SHOT_DIR when that is set.
void TestConnectionDialog::sageMakerScreenshot()
{
    ConnectionDialog dialog(m_store.get());
    dialog.findChild<QComboBox *>(QStringLiteral("profile"))->setEditText(QStringLiteral("aws"));
    fill(dialog, int(ConnectionDialog::BackendKind::SageMaker),
         int(ConnectionDialog::MetricsKind::Own),
         {{QStringLiteral("sageMakerEndpoint"), QStringLiteral("FraudScorer-EU")},
          {QStringLiteral("sageMakerRegion"), QStringLiteral("eu-west-1")},
          {QStringLiteral("sageMakerProduction"), QStringLiteral("Production")},
          {QStringLiteral("sageMakerCanary"), QStringLiteral("Candidate")}});
    dialog.show();
    QVERIFY(QTest::qWaitForWindowExposed(&dialog));
    QVERIFY(dialog.findChild<QWidget *>(QStringLiteral("sageMakerPage"))->isVisible());
    auto *edit = dialog.findChild<QLineEdit *>(QStringLiteral("composedBackend"));
    QVERIFY2(edit->width() >= edit->fontMetrics().horizontalAdvance(edit->text()),
             "composedBackend is cut off");
    auto *note = dialog.findChild<QLabel *>(QStringLiteral("sageMakerNote"));
    QVERIFY2(note->height() >= note->sizeHint().height(), "the SageMaker note is cut off");
    const QString dir = qEnvironmentVariable("CANARY_SHOT_DIR");
    if (dir.isEmpty())
        return;
    const QPixmap shot = dialog.grab();
    QVERIFY(!shot.isNull());
    QVERIFY(shot.save(QDir(dir).filePath(QStringLiteral("connectiondialog-sagemaker.png"))));
}

QTEST_MAIN(TestConnectionDialog)
#include "tst_connectiondialog.moc"
