#pragma once

#include "consolesettings.h"

#include <QDialog>

#include <memory>

class QLineEdit;
class QPushButton;

namespace Ui {
class ConnectionDialog;
}

namespace canary {

class HttpTransport;
class ProfileStore;

// Where to connect: a backend of one kind (Control API, HAProxy through its unix or TCP stats
// socket, an Amazon SageMaker endpoint's two production variants) with that kind's fields, and a
// metrics source (the backend's own, Prometheus, or a metrics URL to scrape), kept as named
// profiles. The fields are composed into the --backend and --metrics URLs canaryctl takes (shown
// read-only to copy), and the form is checked by building the backends with the factory
// (backends/backendfactory.h): a bad entry shows its sentence.
// Accepting saves the profile, its secrets through the keychain. SageMaker has no secret field: AWS
// credentials come from the AWS environment and shared files only.
class ConnectionDialog final : public QDialog
{
    Q_OBJECT

public:
    // The order of the kind choosers' entries.
    enum class BackendKind { ControlApi, HaproxyUnix, HaproxyTcp, SageMaker };
    enum class MetricsKind { Own, Prometheus, Scrape };

    explicit ConnectionDialog(ProfileStore *store, QWidget *parent = nullptr);
    ~ConnectionDialog() override;

    void selectProfile(const QString &name);
    void setNote(const QString &note);

    // The profile as the form composes it (URLs included) and its secrets.
    SavedProfile profile() const;
    ProfileSecrets secrets() const;
    QString token() const { return secrets().token; }
    QString backendUrl() const;
    QString metricsUrl() const;
    // Why the form cannot be used yet (the factory's sentence for a bad URL); empty when it can.
    QString problem() const;

    QPushButton *connectButton() const;

    void accept() override;

private:
    void onProfileChosen(int index);
    void onSecretsLoaded(const QString &profile, const ProfileSecrets &secrets,
                         const QString &note);
    void showProfile(const SavedProfile &profile);
    void removeCurrent();
    void reloadProfiles(const QString &select);
    void browseQueryFile();
    void updatePages();
    void validate();
    QList<QLineEdit *> fields() const;
    QString sageMakerUrl() const;
    void showSageMaker(const QString &url);

    std::unique_ptr<Ui::ConnectionDialog> m_ui;
    ProfileStore *m_store;
    // Only for building the backends to check the form; the dialog sends nothing.
    std::unique_ptr<HttpTransport> m_transport;
    QString m_keychainNote;
    // A loaded sagemaker:// URL's parameters the form has no field for (poll=), kept as they were.
    QString m_sageMakerExtra;
};

} // namespace canary
