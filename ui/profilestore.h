#pragma once

#include "consolesettings.h"

#include <QHash>
#include <QObject>
#include <QString>

namespace canary {

// Saved connections: URL and TLS choice in the settings file, the token in the desktop keychain
// (Secret Service through QtKeychain), never in the settings file. Without a keychain the token
// is kept in memory for this run only. Keychain calls are asynchronous.
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
    // Saves the non-secret part at once and the token through the keychain (tokenStored follows).
    void save(const SavedProfile &profile, const QString &token);
    void remove(const QString &name);
    // tokenLoaded follows; an empty token when none is known.
    void loadToken(const QString &name);

    // False once the keychain failed for want of a backend; tokens then live in memory only.
    bool keychainAvailable() const { return m_keychainAvailable; }
    // For tests and CI: never touch the keychain.
    void setKeychainEnabled(bool enabled);

Q_SIGNALS:
    // `persisted`: the keychain holds it; otherwise `note` says where it went and why.
    void tokenStored(const QString &profile, bool persisted, const QString &note);
    void tokenLoaded(const QString &profile, const QString &token, const QString &note);

private:
    void markKeychainUnavailable(const QString &why);
    static QString keychainDidNotAnswer();

    ConsoleSettings m_settings;
    QHash<QString, QString> m_memoryTokens;
    bool m_keychainAvailable = true;
    QString m_keychainProblem; // starts a sentence: "No desktop keychain is available"
};

} // namespace canary
