#include "connectiondialog.h"

#include "profilestore.h"
#include "ui_connectiondialog.h"

#include <QPushButton>
#include <QUrl>

namespace canary {

ConnectionDialog::ConnectionDialog(ProfileStore *store, QWidget *parent)
    : QDialog(parent)
    , m_ui(std::make_unique<Ui::ConnectionDialog>())
    , m_store(store)
{
    m_ui->setupUi(this);
    setObjectName(QStringLiteral("connectionDialog"));
    connectButton()->setText(tr("Connect"));
    connectButton()->setObjectName(QStringLiteral("connectButton"));
    connect(m_ui->buttons, &QDialogButtonBox::accepted, this, &ConnectionDialog::accept);
    connect(m_ui->buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    connect(m_ui->profile, &QComboBox::activated, this, &ConnectionDialog::onProfileChosen);
    connect(m_ui->profile, &QComboBox::editTextChanged, this, &ConnectionDialog::validate);
    connect(m_ui->url, &QLineEdit::textChanged, this, &ConnectionDialog::validate);
    connect(m_ui->verifyTls, &QCheckBox::toggled, this, &ConnectionDialog::validate);
    connect(m_ui->removeProfile, &QPushButton::clicked, this, &ConnectionDialog::removeCurrent);
    connect(m_store, &ProfileStore::tokenLoaded, this, &ConnectionDialog::onTokenLoaded);

    if (!m_store->keychainAvailable())
        m_keychainNote = tr("No desktop keychain is available: the token is kept in memory for "
                            "this session only and asked for each time.");
    const QString last = m_store->settings().lastProfile();
    reloadProfiles(last);
    if (m_ui->profile->count() == 0) {
        m_ui->profile->setEditText(QStringLiteral("default"));
        m_ui->url->setText(QStringLiteral("http://127.0.0.1:8080"));
    } else {
        onProfileChosen(m_ui->profile->currentIndex());
    }
    validate();
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
    m_ui->url->setText(saved->url);
    m_ui->verifyTls->setChecked(saved->verifyTls);
    m_ui->token->clear();
    m_store->loadToken(saved->name);
}

void ConnectionDialog::onTokenLoaded(const QString &profile, const QString &token,
                                     const QString &note)
{
    if (profile != m_ui->profile->currentText())
        return;
    if (m_ui->token->text().isEmpty())
        m_ui->token->setText(token);
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
    m_ui->token->clear();
    validate();
}

SavedProfile ConnectionDialog::profile() const
{
    SavedProfile p;
    p.name = m_ui->profile->currentText().trimmed();
    p.url = m_ui->url->text().trimmed();
    while (p.url.endsWith(QLatin1Char('/')))
        p.url.chop(1);
    p.verifyTls = m_ui->verifyTls->isChecked();
    return p;
}

QString ConnectionDialog::token() const
{
    return m_ui->token->text().trimmed();
}

QString ConnectionDialog::problem() const
{
    const SavedProfile p = profile();
    if (!ConsoleSettings::isValidProfileName(p.name))
        return tr("Name the profile with letters, digits, spaces, dots, dashes or underscores.");
    const QUrl url(p.url, QUrl::StrictMode);
    if (!url.isValid() || url.host().isEmpty() ||
        (url.scheme() != QStringLiteral("http") && url.scheme() != QStringLiteral("https")))
        return tr("Enter the backend's address, e.g. https://gateway.example.com:8080.");
    return {};
}

void ConnectionDialog::validate()
{
    const QString why = problem();
    connectButton()->setEnabled(why.isEmpty());
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
    m_store->save(profile(), token());
    QDialog::accept();
}

} // namespace canary
