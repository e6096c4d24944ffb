#pragma once

#include <QByteArray>
#include <QSettings>
#include <QString>
#include <QStringList>

#include <optional>

namespace canary {

// The non-secret half of a connection: the --backend and --metrics URLs as canaryctl takes them
// (docs/console.md). No secret lives here: see ProfileSecrets and ProfileStore. A profile saved
// before metrics sources existed has only `url`, a Control API with its own metrics.
struct SavedProfile
{
    QString name;
    QString url;         // the backend (--backend)
    QString metricsUrl;  // the metrics source (--metrics); empty: the backend's own
    QString queryFile;   // Prometheus query templates; empty: the built-in ones
    QString metricsUser; // Prometheus basic auth user; its password is a secret
    bool verifyTls = true;

    bool operator==(const SavedProfile &) const = default;
};

// The secret half of a connection, kept in the desktop keychain (ProfileStore), never in
// QSettings.
struct ProfileSecrets
{
    QString token;         // Control API bearer token for changes
    QString metricsSecret; // Prometheus: the password with a metricsUser, else the bearer token

    bool operator==(const ProfileSecrets &) const = default;
};

// The one typed gateway to the console's QSettings, so every key is spelled once.
class ConsoleSettings final
{
public:
    ConsoleSettings();

    QByteArray windowGeometry() const;
    void setWindowGeometry(const QByteArray &geometry);
    QByteArray windowState() const;
    void setWindowState(const QByteArray &state);

    int timeWindowSeconds() const;
    void setTimeWindowSeconds(int seconds);
    bool overlay() const;
    void setOverlay(bool overlay);

    QStringList profileNames() const;
    std::optional<SavedProfile> profile(const QString &name) const;
    void setProfile(const SavedProfile &profile);
    void removeProfile(const QString &name);
    QString lastProfile() const;
    void setLastProfile(const QString &name);

    // Where the settings are written (tests read it back).
    QString fileName() const { return m_settings.fileName(); }
    void sync() { m_settings.sync(); }

    // Profile names become settings groups: keep them short and free of separators.
    static bool isValidProfileName(const QString &name);

private:
    mutable QSettings m_settings; // group navigation is not const in QSettings
};

} // namespace canary
