#include "connectiondialog.h"

#include "profilestore.h"
#include "ui_connectiondialog.h"

#include "backends/backendfactory.h"
#include "backends/httptransport.h"
#include "util/clock.h"

#include <QFileDialog>
#include <QPushButton>
#include <QUrl>
#include <QUrlQuery>

#include <algorithm>

namespace canary {

namespace {

const QString kHaproxyUnix = QStringLiteral("haproxy+unix");
const QString kHaproxyTcp = QStringLiteral("haproxy+tcp");
const QString kPrometheusPrefix = QStringLiteral("prometheus+");
constexpr int kMaxComposedWidth = 900;

QString withoutTrailingSlashes(QString url)
{
    url = url.trimmed();
    while (url.endsWith(QLatin1Char('/')))
        url.chop(1);
    return url;
}

// "the URL ... lacks canary" -> "The URL ... lacks canary."
QString sentence(const std::string &text)
{
    QString s = QString::fromStdString(text);
    if (!s.isEmpty())
        s[0] = s[0].toUpper();
    if (!s.endsWith(QLatin1Char('.')))
        s += QLatin1Char('.');
    return s;
}

} // namespace

ConnectionDialog::ConnectionDialog(ProfileStore *store, QWidget *parent)
    : QDialog(parent)
    , m_ui(std::make_unique<Ui::ConnectionDialog>())
    , m_store(store)
    , m_transport(std::make_unique<HttpTransport>())
{
    m_ui->setupUi(this);
    setObjectName(QStringLiteral("connectionDialog"));
    connectButton()->setText(tr("Connect"));
    connectButton()->setObjectName(QStringLiteral("connectButton"));
    m_ui->ownMetricsText->setForegroundRole(QPalette::PlaceholderText);
    connect(m_ui->buttons, &QDialogButtonBox::accepted, this, &ConnectionDialog::accept);
    connect(m_ui->buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    connect(m_ui->profile, &QComboBox::activated, this, &ConnectionDialog::onProfileChosen);
    connect(m_ui->profile, &QComboBox::editTextChanged, this, &ConnectionDialog::validate);
    connect(m_ui->backendKind, &QComboBox::currentIndexChanged, this,
            &ConnectionDialog::updatePages);
    connect(m_ui->metricsKind, &QComboBox::currentIndexChanged, this,
            &ConnectionDialog::updatePages);
    for (QLineEdit *edit : {m_ui->url, m_ui->token, m_ui->haproxyAddress, m_ui->haproxyBackend,
                            m_ui->haproxyProduction, m_ui->haproxyCanary, m_ui->prometheusUrl,
                            m_ui->prometheusJob, m_ui->queryFile, m_ui->prometheusToken,
                            m_ui->metricsUser, m_ui->metricsPassword, m_ui->scrapeUrl})
        connect(edit, &QLineEdit::textChanged, this, &ConnectionDialog::validate);
    connect(m_ui->verifyTls, &QCheckBox::toggled, this, &ConnectionDialog::validate);
    connect(m_ui->removeProfile, &QPushButton::clicked, this, &ConnectionDialog::removeCurrent);
    connect(m_ui->browseQueryFile, &QPushButton::clicked, this, &ConnectionDialog::browseQueryFile);
    connect(m_store, &ProfileStore::secretsLoaded, this, &ConnectionDialog::onSecretsLoaded);

    if (!m_store->keychainAvailable())
        m_keychainNote = tr("No desktop keychain is available: tokens and passwords are kept in "
                            "memory for this session only and asked for each time.");
    const QString last = m_store->settings().lastProfile();
    reloadProfiles(last);
    if (m_ui->profile->count() == 0) {
        m_ui->profile->setEditText(QStringLiteral("default"));
        m_ui->url->setText(QStringLiteral("http://127.0.0.1:8080"));
    } else {
        onProfileChosen(m_ui->profile->currentIndex());
    }
    updatePages();
}

ConnectionDialog::~ConnectionDialog() = default;

QPushButton *ConnectionDialog::connectButton() const
{
    return m_ui->buttons->button(QDialogButtonBox::Ok);
}

void ConnectionDialog::reloadProfiles(const QString &select)
{
    m_ui->profile->clear();
    m_ui->profile->addItems(m_store->profileNames());
    const int index = m_ui->profile->findText(select);
    if (index >= 0)
        m_ui->profile->setCurrentIndex(index);
}

void ConnectionDialog::selectProfile(const QString &name)
{
    const int index = m_ui->profile->findText(name);
    if (index >= 0) {
        m_ui->profile->setCurrentIndex(index);
        onProfileChosen(index);
    } else {
        m_ui->profile->setEditText(name);
    }
}

void ConnectionDialog::setNote(const QString &note)
{
    m_keychainNote = note;
    validate();
}

void ConnectionDialog::onProfileChosen(int index)
{
    const auto saved = m_store->profile(m_ui->profile->itemText(index));
    if (!saved)
        return;
    showProfile(*saved);
    m_store->loadSecrets(saved->name);
}

// Splits the saved URLs back into the fields of their kinds. A URL of no known form stays as
// typed in the Control API field, where the factory's sentence then says what is wrong with it.
void ConnectionDialog::showProfile(const SavedProfile &saved)
{
    for (QLineEdit *edit : {m_ui->url, m_ui->token, m_ui->haproxyAddress, m_ui->haproxyBackend,
                            m_ui->haproxyProduction, m_ui->haproxyCanary, m_ui->prometheusUrl,
                            m_ui->prometheusJob, m_ui->queryFile, m_ui->prometheusToken,
                            m_ui->metricsUser, m_ui->metricsPassword, m_ui->scrapeUrl})
        edit->clear();

    const QUrl backend(saved.url);
    const QString scheme = backend.scheme().toLower();
    if (scheme == kHaproxyUnix || scheme == kHaproxyTcp) {
        m_ui->backendKind->setCurrentIndex(
            int(scheme == kHaproxyUnix ? BackendKind::HaproxyUnix : BackendKind::HaproxyTcp));
        m_ui->haproxyAddress->setText(
            scheme == kHaproxyUnix
                ? backend.path()
                : QStringLiteral("%1:%2").arg(backend.host()).arg(backend.port()));
        const QUrlQuery query(backend);
        m_ui->haproxyBackend->setText(query.queryItemValue(QStringLiteral("backend")));
        m_ui->haproxyProduction->setText(query.queryItemValue(QStringLiteral("production")));
        m_ui->haproxyCanary->setText(query.queryItemValue(QStringLiteral("canary")));
    } else {
        m_ui->backendKind->setCurrentIndex(int(BackendKind::ControlApi));
        m_ui->url->setText(saved.url);
    }

    if (saved.metricsUrl.isEmpty()) {
        m_ui->metricsKind->setCurrentIndex(int(MetricsKind::Own));
    } else if (saved.metricsUrl.startsWith(kPrometheusPrefix, Qt::CaseInsensitive)) {
        m_ui->metricsKind->setCurrentIndex(int(MetricsKind::Prometheus));
        QUrl prometheus(saved.metricsUrl.mid(kPrometheusPrefix.size()));
        m_ui->prometheusJob->setText(QUrlQuery(prometheus).queryItemValue(QStringLiteral("job")));
        prometheus.setQuery(QString());
        m_ui->prometheusUrl->setText(prometheus.toString());
    } else {
        m_ui->metricsKind->setCurrentIndex(int(MetricsKind::Scrape));
        m_ui->scrapeUrl->setText(saved.metricsUrl);
    }
    m_ui->queryFile->setText(saved.queryFile);
    m_ui->metricsUser->setText(saved.metricsUser);
    m_ui->verifyTls->setChecked(saved.verifyTls);
    updatePages();
}

void ConnectionDialog::onSecretsLoaded(const QString &profile, const ProfileSecrets &secrets,
                                       const QString &note)
{
    if (profile != m_ui->profile->currentText())
        return;
    // What the operator typed meanwhile wins over what the keychain had.
    if (m_ui->token->text().isEmpty())
        m_ui->token->setText(secrets.token);
    QLineEdit *metricsSecret =
        m_ui->metricsUser->text().isEmpty() ? m_ui->prometheusToken : m_ui->metricsPassword;
    if (metricsSecret->text().isEmpty())
        metricsSecret->setText(secrets.metricsSecret);
    if (!note.isEmpty())
        m_keychainNote = note;
    validate();
}

void ConnectionDialog::removeCurrent()
{
    const QString name = m_ui->profile->currentText();
    if (!m_store->profile(name))
        return;
    m_store->remove(name);
    reloadProfiles(QString());
    for (QLineEdit *edit : {m_ui->token, m_ui->prometheusToken, m_ui->metricsPassword})
        edit->clear();
    validate();
}

void ConnectionDialog::browseQueryFile()
{
    const QString file = QFileDialog::getOpenFileName(
        this, tr("Prometheus query file"), m_ui->queryFile->text(), tr("JSON files (*.json)"));
    if (!file.isEmpty())
        m_ui->queryFile->setText(file);
}

void ConnectionDialog::updatePages()
{
    const auto backend = BackendKind(m_ui->backendKind->currentIndex());
    m_ui->backendPages->setCurrentWidget(backend == BackendKind::ControlApi ? m_ui->controlApiPage
                                                                            : m_ui->haproxyPage);
    const bool unix = backend == BackendKind::HaproxyUnix;
    m_ui->haproxyAddressLabel->setText(unix ? tr("&Socket path:") : tr("&Host:port:"));
    m_ui->haproxyAddress->setPlaceholderText(unix ? QStringLiteral("/run/haproxy/admin.sock")
                                                  : QStringLiteral("127.0.0.1:9999"));
    m_ui->haproxyAddress->setToolTip(
        unix ? tr("The path of HAProxy's stats socket (stats socket PATH level admin)")
             : tr("The address of a stats socket bound to TCP (stats socket ipv4@HOST:PORT level "
                  "admin)"));

    const auto metrics = MetricsKind(m_ui->metricsKind->currentIndex());
    QWidget *page = m_ui->ownMetricsPage;
    if (metrics == MetricsKind::Prometheus)
        page = m_ui->prometheusPage;
    else if (metrics == MetricsKind::Scrape)
        page = m_ui->scrapePage;
    m_ui->metricsPages->setCurrentWidget(page);
    m_ui->ownMetricsText->setText(
        backend == BackendKind::ControlApi
            ? tr("The Control API server's /metrics, scraped by the console.")
            : tr("HAProxy's own counters (show stat): request and 5xx rates, no accuracy and no "
                 "true latency quantiles."));
    validate();
}

QString ConnectionDialog::backendUrl() const
{
    const auto kind = BackendKind(m_ui->backendKind->currentIndex());
    if (kind == BackendKind::ControlApi)
        return withoutTrailingSlashes(m_ui->url->text());
    QUrlQuery query;
    query.addQueryItem(QStringLiteral("backend"), m_ui->haproxyBackend->text().trimmed());
    query.addQueryItem(QStringLiteral("production"), m_ui->haproxyProduction->text().trimmed());
    query.addQueryItem(QStringLiteral("canary"), m_ui->haproxyCanary->text().trimmed());
    const QString address = m_ui->haproxyAddress->text().trimmed();
    // A unix path goes after "//" with no host: haproxy+unix:///run/haproxy.sock.
    const QString where =
        kind == BackendKind::HaproxyUnix
            ? QString::fromLatin1(QUrl::toPercentEncoding(address, QByteArrayLiteral("/")))
            : address;
    return QStringLiteral("%1://%2?%3")
        .arg(kind == BackendKind::HaproxyUnix ? kHaproxyUnix : kHaproxyTcp, where,
             query.toString(QUrl::FullyEncoded));
}

QString ConnectionDialog::metricsUrl() const
{
    switch (MetricsKind(m_ui->metricsKind->currentIndex())) {
    case MetricsKind::Own:
        return {};
    case MetricsKind::Scrape:
        return m_ui->scrapeUrl->text().trimmed();
    case MetricsKind::Prometheus:
        break;
    }
    QString base = withoutTrailingSlashes(m_ui->prometheusUrl->text());
    // Prometheus's own address is typed as http(s)://; the factory's kind is prometheus+http(s)://.
    if (!base.isEmpty() && !base.startsWith(kPrometheusPrefix, Qt::CaseInsensitive))
        base.prepend(kPrometheusPrefix);
    const QString job = m_ui->prometheusJob->text().trimmed();
    if (job.isEmpty())
        return base;
    QUrlQuery query;
    query.addQueryItem(QStringLiteral("job"), job);
    return base + QLatin1Char('?') + query.toString(QUrl::FullyEncoded);
}

SavedProfile ConnectionDialog::profile() const
{
    SavedProfile p;
    p.name = m_ui->profile->currentText().trimmed();
    p.url = backendUrl();
    p.metricsUrl = metricsUrl();
    const bool prometheus =
        MetricsKind(m_ui->metricsKind->currentIndex()) == MetricsKind::Prometheus;
    if (prometheus) {
        p.queryFile = m_ui->queryFile->text().trimmed();
        p.metricsUser = m_ui->metricsUser->text().trimmed();
    }
    p.verifyTls = m_ui->verifyTls->isChecked();
    return p;
}

ProfileSecrets ConnectionDialog::secrets() const
{
    ProfileSecrets s;
    if (BackendKind(m_ui->backendKind->currentIndex()) == BackendKind::ControlApi)
        s.token = m_ui->token->text().trimmed();
    if (MetricsKind(m_ui->metricsKind->currentIndex()) == MetricsKind::Prometheus)
        s.metricsSecret = m_ui->metricsUser->text().trimmed().isEmpty()
                              ? m_ui->prometheusToken->text().trimmed()
                              : m_ui->metricsPassword->text();
    return s;
}

QString ConnectionDialog::problem() const
{
    const SavedProfile p = profile();
    if (!ConsoleSettings::isValidProfileName(p.name))
        return tr("Name the profile with letters, digits, spaces, dots, dashes or underscores.");
    const bool prometheus =
        MetricsKind(m_ui->metricsKind->currentIndex()) == MetricsKind::Prometheus;
    if (prometheus && !m_ui->prometheusToken->text().trimmed().isEmpty() &&
        !m_ui->metricsUser->text().trimmed().isEmpty())
        return tr("Give Prometheus a bearer token or a user and password, not both.");
    if (prometheus && m_ui->metricsUser->text().trimmed().isEmpty() &&
        !m_ui->metricsPassword->text().isEmpty())
        return tr("Give the user that goes with the Prometheus password.");

    // The factory is the one judge of a URL: what it refuses here, canaryctl refuses too.
    ConnectionProfile candidate;
    candidate.backendUrl = p.url.toStdString();
    candidate.metricsUrl = p.metricsUrl.toStdString();
    candidate.options.queryFile = p.queryFile.toStdString();
    candidate.options.metricsUser = p.metricsUser.toStdString();
    candidate.options.verifyTls = p.verifyTls;
    const ProfileSecrets s = secrets();
    candidate.options.token = s.token.toStdString();
    if (p.metricsUser.isEmpty())
        candidate.options.metricsToken = s.metricsSecret.toStdString();
    else
        candidate.options.metricsPassword = s.metricsSecret.toStdString();
    std::string error;
    const Backends built =
        makeBackends(candidate, m_transport.get(), SystemClock::instance(), &error);
    if (!built.control || !built.metrics)
        return sentence(error);
    return {};
}

void ConnectionDialog::validate()
{
    const QString why = problem();
    connectButton()->setEnabled(why.isEmpty());
    m_ui->composedBackend->setText(backendUrl());
    m_ui->composedMetrics->setText(metricsUrl());
    // The URLs are there to be read and copied: the dialog widens to show them whole, up to a
    // width that still fits a small screen (beyond it the field scrolls; Ctrl+A copies all).
    for (QLineEdit *composed : {m_ui->composedBackend, m_ui->composedMetrics}) {
        const int needed = composed->fontMetrics().horizontalAdvance(composed->text()) + 16;
        composed->setMinimumWidth(std::min(needed, kMaxComposedWidth));
    }
    m_ui->composedMetrics->setPlaceholderText(tr("(none: the backend's own metrics)"));
    QStringList notes;
    if (!why.isEmpty())
        notes << why;
    if (!m_ui->verifyTls->isChecked())
        notes << tr("TLS certificates will not be checked: use this for test backends only.");
    if (!m_keychainNote.isEmpty())
        notes << m_keychainNote;
    m_ui->note->setText(notes.join(QLatin1Char('\n')));
    m_ui->removeProfile->setEnabled(m_store->profile(m_ui->profile->currentText()).has_value());
}

void ConnectionDialog::accept()
{
    if (!problem().isEmpty())
        return;
    m_store->save(profile(), secrets());
    QDialog::accept();
}

} // namespace canary
