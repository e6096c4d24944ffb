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
const QString kSageMakerPrefix = QStringLiteral("sagemaker://");
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

// SageMaker's endpoint and variant names: letters, digits and dashes.
bool isSageMakerName(const QString &name)
{
    return std::all_of(name.begin(), name.end(), [](QChar c) {
        return (c >= QLatin1Char('a') && c <= QLatin1Char('z')) ||
               (c >= QLatin1Char('A') && c <= QLatin1Char('Z')) ||
               (c >= QLatin1Char('0') && c <= QLatin1Char('9')) || c == QLatin1Char('-');
    });
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
    m_ui->sageMakerNote->setForegroundRole(QPalette::PlaceholderText);
    for (const char *name : {"AWS_REGION", "AWS_DEFAULT_REGION"}) {
        if (const QString region = qEnvironmentVariable(name); !region.isEmpty()) {
            m_ui->sageMakerRegion->setPlaceholderText(
                tr("empty: %1 from %2").arg(region, QLatin1String(name)));
            break;
        }
    }
    connect(m_ui->buttons, &QDialogButtonBox::accepted, this, &ConnectionDialog::accept);
    connect(m_ui->buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    connect(m_ui->profile, &QComboBox::activated, this, &ConnectionDialog::onProfileChosen);
    connect(m_ui->profile, &QComboBox::editTextChanged, this, &ConnectionDialog::validate);
    connect(m_ui->backendKind, &QComboBox::currentIndexChanged, this,
            &ConnectionDialog::updatePages);
    connect(m_ui->metricsKind, &QComboBox::currentIndexChanged, this,
            &ConnectionDialog::updatePages);
    for (QLineEdit *edit : fields())
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

QList<QLineEdit *> ConnectionDialog::fields() const
{
    return {m_ui->url,
            m_ui->token,
            m_ui->haproxyAddress,
            m_ui->haproxyBackend,
            m_ui->haproxyProduction,
            m_ui->haproxyCanary,
            m_ui->sageMakerEndpoint,
            m_ui->sageMakerRegion,
            m_ui->sageMakerProduction,
            m_ui->sageMakerCanary,
            m_ui->sageMakerEndpointUrl,
            m_ui->prometheusUrl,
            m_ui->prometheusJob,
            m_ui->queryFile,
            m_ui->prometheusToken,
            m_ui->metricsUser,
            m_ui->metricsPassword,
            m_ui->scrapeUrl};
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
    for (QLineEdit *edit : fields())
        edit->clear();
    m_sageMakerExtra.clear();

    const QUrl backend(saved.url);
    const QString scheme = backend.scheme().toLower();
    if (saved.url.startsWith(kSageMakerPrefix, Qt::CaseInsensitive)) {
        showSageMaker(saved.url);
    } else if (scheme == kHaproxyUnix || scheme == kHaproxyTcp) {
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

// sagemaker://ENDPOINT?region=R&production=V&canary=V[&endpoint=URL], split from the string as
// saved: QUrl would lower-case the endpoint name, which SageMaker keeps as it was created.
void ConnectionDialog::showSageMaker(const QString &url)
{
    m_ui->backendKind->setCurrentIndex(int(BackendKind::SageMaker));
    QString rest = url.mid(kSageMakerPrefix.size());
    QString queryText;
    if (const qsizetype mark = rest.indexOf(QLatin1Char('?')); mark >= 0) {
        queryText = rest.mid(mark + 1);
        rest.truncate(mark);
    }
    while (rest.endsWith(QLatin1Char('/')))
        rest.chop(1);
    m_ui->sageMakerEndpoint->setText(rest);
    const QUrlQuery query(queryText);
    QUrlQuery extra;
    for (const auto &[key, value] : query.queryItems(QUrl::FullyDecoded)) {
        if (key == QLatin1String("region"))
            m_ui->sageMakerRegion->setText(value);
        else if (key == QLatin1String("production"))
            m_ui->sageMakerProduction->setText(value);
        else if (key == QLatin1String("canary"))
            m_ui->sageMakerCanary->setText(value);
        else if (key == QLatin1String("endpoint"))
            m_ui->sageMakerEndpointUrl->setText(value);
        else
            extra.addQueryItem(key, value);
    }
    m_sageMakerExtra = extra.toString(QUrl::FullyEncoded);
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
    QWidget *backendPage = m_ui->haproxyPage;
    if (backend == BackendKind::ControlApi)
        backendPage = m_ui->controlApiPage;
    else if (backend == BackendKind::SageMaker)
        backendPage = m_ui->sageMakerPage;
    m_ui->backendPages->setCurrentWidget(backendPage);
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
    QString own;
    switch (backend) {
    case BackendKind::ControlApi:
        own = tr("The Control API server's /metrics, scraped by the console.");
        break;
    case BackendKind::HaproxyUnix:
    case BackendKind::HaproxyTcp:
        own = tr("HAProxy's own counters (show stat): request and 5xx rates, no accuracy and no "
                 "true latency quantiles.");
        break;
    case BackendKind::SageMaker:
        // The same region and names as the backend: cloudwatch:// would only repeat them.
        own = tr("CloudWatch: SageMaker's Invocations, 4XX/5XX errors and ModelLatency per "
                 "minute, a minute or more late; no accuracy. For accuracy, read the KPIs from "
                 "Prometheus instead.");
        break;
    }
    m_ui->ownMetricsText->setText(own);
    validate();
    // The window starts at the form's size, which can be less than a page needs (the SageMaker
    // note's lines): it grows to fit, never shrinks under the operator.
    if (const int needed = sizeHint().height(); height() < needed)
        resize(width(), needed);
}

QString ConnectionDialog::backendUrl() const
{
    const auto kind = BackendKind(m_ui->backendKind->currentIndex());
    if (kind == BackendKind::ControlApi)
        return withoutTrailingSlashes(m_ui->url->text());
    if (kind == BackendKind::SageMaker)
        return sageMakerUrl();
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

// The endpoint name goes in as typed (case kept); region= is left out when empty, for the AWS
// environment's region, and endpoint= when there is no override.
QString ConnectionDialog::sageMakerUrl() const
{
    QUrlQuery query;
    const QString region = m_ui->sageMakerRegion->text().trimmed();
    if (!region.isEmpty())
        query.addQueryItem(QStringLiteral("region"), region);
    query.addQueryItem(QStringLiteral("production"), m_ui->sageMakerProduction->text().trimmed());
    query.addQueryItem(QStringLiteral("canary"), m_ui->sageMakerCanary->text().trimmed());
    const QString endpointUrl = withoutTrailingSlashes(m_ui->sageMakerEndpointUrl->text());
    if (!endpointUrl.isEmpty())
        query.addQueryItem(QStringLiteral("endpoint"), endpointUrl);
    QString url = kSageMakerPrefix + m_ui->sageMakerEndpoint->text().trimmed() + QLatin1Char('?') +
                  query.toString(QUrl::FullyEncoded);
    if (!m_sageMakerExtra.isEmpty())
        url += QLatin1Char('&') + m_sageMakerExtra;
    return url;
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
    // A name with a "/", "?" or space would change the URL's shape before the factory saw it.
    if (BackendKind(m_ui->backendKind->currentIndex()) == BackendKind::SageMaker) {
        const QString endpoint = m_ui->sageMakerEndpoint->text().trimmed();
        if (endpoint.isEmpty())
            return tr("Give the name of the SageMaker endpoint.");
        if (!isSageMakerName(endpoint))
            return tr("The endpoint name \"%1\" is not a SageMaker name: letters, digits and "
                      "dashes only.")
                .arg(endpoint);
    }

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
