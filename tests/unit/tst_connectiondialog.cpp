// The connection dialog: each kind's fields compose the URLs canaryctl takes, the factory judges
// them, secrets stay out of the settings file, and profiles saved before metrics sources existed
// still load.
#include "connectiondialog.h"
#include "consolesettings.h"
#include "profilestore.h"

#include "backends/backendfactory.h"
#include "backends/httptransport.h"
#include "util/clock.h"

#include <QApplication>
#include <QCheckBox>
#include <QComboBox>
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
    void screenshot();

private:
    std::unique_ptr<ProfileStore> m_store;
};

void TestConnectionDialog::initTestCase()
{
    QStandardPaths::setTestModeEnabled(true);
    QCoreApplication::setOrganizationName(QStringLiteral("canary-console"));
    QCoreApplication::setApplicationName(QStringLiteral("canary-console-dialog-test"));
}

void TestConnectionDialog::init()
{
    m_store.reset();
    QFile::remove(ConsoleSettings().fileName());
    m_store = std::make_unique<ProfileStore>();
    m_store->setKeychainEnabled(false); // never touch a real keychain in tests
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

QTEST_MAIN(TestConnectionDialog)
#include "tst_connectiondialog.moc"
