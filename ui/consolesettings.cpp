#include "consolesettings.h"

#include <QRegularExpression>

namespace canary {

namespace {

const QString kGeometry = QStringLiteral("window/geometry");
const QString kState = QStringLiteral("window/state");
const QString kTimeWindow = QStringLiteral("view/timeWindowSeconds");
const QString kOverlay = QStringLiteral("view/overlay");
const QString kProfiles = QStringLiteral("profiles");
const QString kLastProfile = QStringLiteral("connection/lastProfile");
constexpr int kDefaultTimeWindow = 5 * 60;

QString profileKey(const QString &name, const char *leaf)
{
    return kProfiles + QLatin1Char('/') + name + QLatin1Char('/') + QLatin1String(leaf);
}

} // namespace

ConsoleSettings::ConsoleSettings() = default;

QByteArray ConsoleSettings::windowGeometry() const
{
    return m_settings.value(kGeometry).toByteArray();
}

void ConsoleSettings::setWindowGeometry(const QByteArray &geometry)
{
    m_settings.setValue(kGeometry, geometry);
}

QByteArray ConsoleSettings::windowState() const
{
    return m_settings.value(kState).toByteArray();
}

void ConsoleSettings::setWindowState(const QByteArray &state)
{
    m_settings.setValue(kState, state);
}

int ConsoleSettings::timeWindowSeconds() const
{
    bool ok = false;
    const int seconds = m_settings.value(kTimeWindow, kDefaultTimeWindow).toInt(&ok);
    return ok && seconds >= 60 && seconds <= 24 * 3600 ? seconds : kDefaultTimeWindow;
}

void ConsoleSettings::setTimeWindowSeconds(int seconds)
{
    m_settings.setValue(kTimeWindow, seconds);
}

bool ConsoleSettings::overlay() const
{
    return m_settings.value(kOverlay, false).toBool();
}

void ConsoleSettings::setOverlay(bool overlay)
{
    m_settings.setValue(kOverlay, overlay);
}

QStringList ConsoleSettings::profileNames() const
{
    m_settings.beginGroup(kProfiles);
    QStringList names = m_settings.childGroups();
    m_settings.endGroup();
    names.removeIf([](const QString &name) { return !isValidProfileName(name); });
    names.sort(Qt::CaseInsensitive);
    return names;
}

std::optional<SavedProfile> ConsoleSettings::profile(const QString &name) const
{
    if (!isValidProfileName(name) || !m_settings.contains(profileKey(name, "url")))
        return std::nullopt;
    SavedProfile profile;
    profile.name = name;
    profile.url = m_settings.value(profileKey(name, "url")).toString();
    profile.metricsUrl = m_settings.value(profileKey(name, "metricsUrl")).toString();
    profile.queryFile = m_settings.value(profileKey(name, "queryFile")).toString();
    profile.metricsUser = m_settings.value(profileKey(name, "metricsUser")).toString();
    profile.verifyTls = m_settings.value(profileKey(name, "verifyTls"), true).toBool();
    return profile;
}

void ConsoleSettings::setProfile(const SavedProfile &profile)
{
    if (!isValidProfileName(profile.name))
        return;
    m_settings.setValue(profileKey(profile.name, "url"), profile.url);
    m_settings.setValue(profileKey(profile.name, "metricsUrl"), profile.metricsUrl);
    m_settings.setValue(profileKey(profile.name, "queryFile"), profile.queryFile);
    m_settings.setValue(profileKey(profile.name, "metricsUser"), profile.metricsUser);
    m_settings.setValue(profileKey(profile.name, "verifyTls"), profile.verifyTls);
}

void ConsoleSettings::removeProfile(const QString &name)
{
    if (isValidProfileName(name))
        m_settings.remove(kProfiles + QLatin1Char('/') + name);
}

QString ConsoleSettings::lastProfile() const
{
    return m_settings.value(kLastProfile).toString();
}

void ConsoleSettings::setLastProfile(const QString &name)
{
    m_settings.setValue(kLastProfile, name);
}

bool ConsoleSettings::isValidProfileName(const QString &name)
{
    static const QRegularExpression pattern(QStringLiteral("^[A-Za-z0-9][A-Za-z0-9 ._-]{0,63}$"));
    return pattern.match(name).hasMatch();
}

} // namespace canary
