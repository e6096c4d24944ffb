#pragma once

#include "consolesettings.h"

#include <QDialog>

#include <memory>

class QPushButton;

namespace Ui {
class ConnectionDialog;
}

namespace canary {

class ProfileStore;

// Where to connect: a Control API URL, the token for changes and whether to verify TLS, kept as
// named profiles. Accepting saves the profile (the token through the keychain).
class ConnectionDialog final : public QDialog
{
    Q_OBJECT

public:
    explicit ConnectionDialog(ProfileStore *store, QWidget *parent = nullptr);
    ~ConnectionDialog() override;

    void selectProfile(const QString &name);
    void setNote(const QString &note);

    SavedProfile profile() const;
    QString token() const;
    // Why the form cannot be used yet; empty when it can.
    QString problem() const;

    QPushButton *connectButton() const;

    void accept() override;

private:
    void onProfileChosen(int index);
    void onTokenLoaded(const QString &profile, const QString &token, const QString &note);
    void removeCurrent();
    void reloadProfiles(const QString &select);
    void validate();

    std::unique_ptr<Ui::ConnectionDialog> m_ui;
    ProfileStore *m_store;
    QString m_keychainNote;
};

} // namespace canary
