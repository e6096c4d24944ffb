#include "profilestore.h"

#include <qt6keychain/keychain.h>

#include <QPointer>
#include <QTimer>

#include <memory>

namespace canary {

namespace {

const QString kService = QStringLiteral("canary-console");

QString tokenKey(const QString &profile)
{
    return QStringLiteral("profile/%1/token").arg(profile);
}

// The Prometheus bearer token or password: the profile's metricsUser says which.
QString metricsSecretKey(const QString &profile)
{
    return QStringLiteral("profile/%1/metricsSecret").arg(profile);
}

bool isBackendMissing(QKeychain::Error error)
{
    return error == QKeychain::NoBackendAvailable || error == QKeychain::NotImplemented ||
           error == QKeychain::OtherError || error == QKeychain::AccessDenied;
}

// Why the keychain cannot hold tokens, said once and plainly, as the start of a sentence. The
// keychain's own text is added only when it says more than "Unknown error" or the like.
QString keychainProblem(QKeychain::Error error, const QString &detail)
{
    const QString said = detail.simplified();
    const bool informative = !said.isEmpty() &&
                             said.compare(QStringLiteral("Unknown error"), Qt::CaseInsensitive) &&
                             said.compare(QStringLiteral("Unknown error."), Qt::CaseInsensitive);
    switch (error) {
    case QKeychain::AccessDenied:
        return informative ? ProfileStore::tr("The desktop keychain refused access (%1)").arg(said)
                           : ProfileStore::tr("The desktop keychain refused access");
    case QKeychain::NoBackendAvailable:
    case QKeychain::NotImplemented:
        return ProfileStore::tr("No desktop keychain is available");
    default:
        return informative ? ProfileStore::tr("The desktop keychain failed (%1)").arg(said)
                           : ProfileStore::tr("No desktop keychain is available");
    }
}

QString memoryOnlyAfterSave(const QString &problem)
{
    return ProfileStore::tr("%1, so the token is kept in memory for this session only; you will "
                            "be asked for it next time.")
        .arg(problem);
}

QString memoryOnlyOnLoad(const QString &problem)
{
    return ProfileStore::tr("%1. Enter the token; it is kept in memory for this session only.")
        .arg(problem);
}

// Runs a keychain job with a deadline: a Secret Service that never answers must not leave the
// console waiting. `onDone` runs exactly once, with timedOut set when the deadline won.
template<typename JobT, typename Done> void runJob(JobT *job, QObject *context, Done onDone)
{
    auto finished = std::make_shared<bool>(false);
    auto *timer = new QTimer(context);
    timer->setSingleShot(true);
    QPointer<JobT> guard(job);
    QObject::connect(timer, &QTimer::timeout, context, [finished, timer, guard, onDone] {
        timer->deleteLater();
        if (*finished)
            return;
        *finished = true;
        onDone(guard.data(), true);
    });
    QObject::connect(job, &QKeychain::Job::finished, context,
                     [finished, timer, onDone](QKeychain::Job *done) {
                         timer->stop();
                         timer->deleteLater();
                         if (*finished)
                             return;
                         *finished = true;
                         onDone(static_cast<JobT *>(done), false);
                     });
    job->setAutoDelete(true);
    timer->start(ProfileStore::kKeychainTimeoutMs);
    job->start();
}

} // namespace

ProfileStore::ProfileStore(QObject *parent)
    : QObject(parent)
{}

void ProfileStore::setKeychainEnabled(bool enabled)
{
    m_keychainAvailable = enabled;
    m_keychainProblem = enabled ? QString() : tr("The desktop keychain is switched off");
}

QString ProfileStore::keychainDidNotAnswer()
{
    return tr("The desktop keychain did not answer within %1 s").arg(kKeychainTimeoutMs / 1000);
}

void ProfileStore::markKeychainUnavailable(const QString &why)
{
    m_keychainAvailable = false;
    m_keychainProblem = why;
}

void ProfileStore::save(const SavedProfile &profile, const ProfileSecrets &secrets)
{
    m_settings.setProfile(profile);
    m_settings.setLastProfile(profile.name);
    m_settings.sync();
    const QString name = profile.name;
    m_memorySecrets.insert(name, secrets);
    if (!m_keychainAvailable) {
        QTimer::singleShot(0, this, [this, name] {
            Q_EMIT tokenStored(name, false, memoryOnlyAfterSave(m_keychainProblem));
        });
        return;
    }
    writeSecret(tokenKey(name), secrets.token, [this, name, secrets](bool written) {
        if (!written) {
            Q_EMIT tokenStored(name, false, memoryOnlyAfterSave(m_keychainProblem));
            return;
        }
        writeSecret(metricsSecretKey(name), secrets.metricsSecret, [this, name](bool alsoWritten) {
            if (alsoWritten)
                Q_EMIT tokenStored(name, true,
                                   tr("The secrets are saved in the desktop keychain."));
            else
                Q_EMIT tokenStored(name, false, memoryOnlyAfterSave(m_keychainProblem));
        });
    });
}

void ProfileStore::writeSecret(const QString &key, const QString &value,
                               std::function<void(bool)> onDone)
{
    if (value.isEmpty()) {
        // Nothing to keep: an older secret under this key must not outlive the profile's edit.
        auto *job = new QKeychain::DeletePasswordJob(kService);
        job->setKey(key);
        runJob(job, this, [onDone](QKeychain::DeletePasswordJob *, bool) { onDone(true); });
        return;
    }
    auto *job = new QKeychain::WritePasswordJob(kService);
    job->setInsecureFallback(false); // a plain-text fallback would defeat the point
    job->setKey(key);
    job->setTextData(value);
    runJob(job, this, [this, onDone](QKeychain::WritePasswordJob *done, bool timedOut) {
        if (!timedOut && done && done->error() == QKeychain::NoError) {
            onDone(true);
            return;
        }
        markKeychainUnavailable(timedOut || !done
                                    ? keychainDidNotAnswer()
                                    : keychainProblem(done->error(), done->errorString()));
        onDone(false);
    });
}

void ProfileStore::remove(const QString &name)
{
    m_settings.removeProfile(name);
    m_settings.sync();
    m_memorySecrets.remove(name);
    if (!m_keychainAvailable)
        return;
    for (const QString &key : {tokenKey(name), metricsSecretKey(name)}) {
        auto *job = new QKeychain::DeletePasswordJob(kService);
        job->setKey(key);
        runJob(job, this, [](QKeychain::DeletePasswordJob *, bool) {});
    }
}

void ProfileStore::emitLoaded(const QString &name, const ProfileSecrets &secrets,
                              const QString &note)
{
    Q_EMIT secretsLoaded(name, secrets, note);
    Q_EMIT tokenLoaded(name, secrets.token, note);
}

void ProfileStore::readSecret(const QString &key,
                              std::function<void(bool found, const QString &value,
                                                 const QString &problem, bool backendMissing)>
                                  onDone)
{
    auto *job = new QKeychain::ReadPasswordJob(kService);
    job->setInsecureFallback(false);
    job->setKey(key);
    runJob(job, this, [onDone](QKeychain::ReadPasswordJob *done, bool timedOut) {
        if (!timedOut && done && done->error() == QKeychain::NoError) {
            onDone(true, done->textData(), QString(), false);
            return;
        }
        if (!timedOut && done && done->error() == QKeychain::EntryNotFound) {
            onDone(false, QString(), QString(), false);
            return;
        }
        const QString problem = timedOut || !done
                                    ? keychainDidNotAnswer()
                                    : keychainProblem(done->error(), done->errorString());
        onDone(false, QString(), problem, timedOut || !done || isBackendMissing(done->error()));
    });
}

void ProfileStore::loadSecrets(const QString &name)
{
    const auto memory = m_memorySecrets.constFind(name);
    if (memory != m_memorySecrets.constEnd() || !m_keychainAvailable) {
        const ProfileSecrets secrets =
            memory != m_memorySecrets.constEnd() ? *memory : ProfileSecrets{};
        QTimer::singleShot(0, this, [this, name, secrets] {
            emitLoaded(name, secrets,
                       secrets == ProfileSecrets{} ? memoryOnlyOnLoad(m_keychainProblem)
                                                   : QString());
        });
        return;
    }
    readSecret(tokenKey(name), [this, name](bool tokenFound, const QString &token,
                                            const QString &problem, bool backendMissing) {
        if (!problem.isEmpty()) {
            if (backendMissing)
                markKeychainUnavailable(problem);
            emitLoaded(name, {}, memoryOnlyOnLoad(problem));
            return;
        }
        readSecret(metricsSecretKey(name),
                   [this, name, tokenFound, token](bool found, const QString &metricsSecret,
                                                   const QString &metricsProblem, bool missing) {
                       if (!metricsProblem.isEmpty() && missing)
                           markKeychainUnavailable(metricsProblem);
                       const ProfileSecrets secrets{token, metricsSecret};
                       if (tokenFound || found)
                           m_memorySecrets.insert(name, secrets);
                       QString note;
                       if (!metricsProblem.isEmpty())
                           note = memoryOnlyOnLoad(metricsProblem);
                       else if (!tokenFound && !found)
                           note = tr("No token or password is saved for this profile.");
                       emitLoaded(name, secrets, note);
                   });
    });
}

} // namespace canary
