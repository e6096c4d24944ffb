#pragma once

#include "consolesettings.h"

#include <QHash>
#include <QObject>
#include <QString>

#include <functional>

namespace canary {

// Saved connections: URLs, query file, metrics user and TLS choice in the settings file, the
// secrets (Control API token, Prometheus token or password) in the desktop keychain (Secret
// Service through QtKeychain), never in the settings file. Without a keychain the secrets are
// kept in memory for this run only. Keychain calls are asynchronous.
class ProfileStore final : public QObject
{
    Q_OBJECT

public:
    static constexpr int kKeychainTimeoutMs = 5000;

    explicit ProfileStore(QObject *parent = nullptr);

    ConsoleSettings &settings() { return m_settings; }
    QStringList profileNames() const { return m_settings.profileNames(); }
    std::optional<SavedProfile> profile(const QString &name) const
    {
        return m_settings.profile(name);
    }
    // Saves the non-secret part at once and the secrets through the keychain (tokenStored
    // follows once both are written).
    void save(const SavedProfile &profile, const ProfileSecrets &secrets);
    void save(const SavedProfile &profile, const QString &token) { save(profile, {token, {}}); }
    void remove(const QString &name);
    // secretsLoaded and tokenLoaded follow; empty secrets when none are known.
    void loadSecrets(const QString &name);
    void loadToken(const QString &name) { loadSecrets(name); }

    // False once the keychain failed for want of a backend; tokens then live in memory only.
    bool keychainAvailable() const { return m_keychainAvailable; }
    // For tests and CI: never touch the keychain.
    void setKeychainEnabled(bool enabled);

Q_SIGNALS:
    // `persisted`: the keychain holds it; otherwise `note` says where it went and why.
    void tokenStored(const QString &profile, bool persisted, const QString &note);
    void tokenLoaded(const QString &profile, const QString &token, const QString &note);
    void secretsLoaded(const QString &profile, const canary::ProfileSecrets &secrets,
                       const QString &note);

private:
    void markKeychainUnavailable(const QString &why);
    void writeSecret(const QString &key, const QString &value, std::function<void(bool)> onDone);
    void readSecret(const QString &key,
                    std::function<void(bool found, const QString &value, const QString &problem,
                                       bool backendMissing)>
                        onDone);
    void emitLoaded(const QString &name, const ProfileSecrets &secrets, const QString &note);
    static QString keychainDidNotAnswer();

    ConsoleSettings m_settings;
    QHash<QString, ProfileSecrets> m_memorySecrets;
    bool m_keychainAvailable = true;
    QString m_keychainProblem; // starts a sentence: "No desktop keychain is available"
};

} // namespace canary
