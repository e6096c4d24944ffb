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

void ProfileStore::save(const SavedProfile &profile, const QString &token)
{
    m_settings.setProfile(profile);
    m_settings.setLastProfile(profile.name);
    m_settings.sync();
    const QString name = profile.name;
    m_memoryTokens.insert(name, token);
    if (!m_keychainAvailable) {
        QTimer::singleShot(0, this, [this, name] {
            Q_EMIT tokenStored(name, false, memoryOnlyAfterSave(m_keychainProblem));
        });
        return;
    }
    auto *job = new QKeychain::WritePasswordJob(kService);
    job->setInsecureFallback(false); // a plain-text fallback would defeat the point
    job->setKey(tokenKey(name));
    job->setTextData(token);
    runJob(job, this, [this, name](QKeychain::WritePasswordJob *done, bool timedOut) {
        if (!timedOut && done && done->error() == QKeychain::NoError) {
            Q_EMIT tokenStored(name, true, tr("The token is saved in the desktop keychain."));
            return;
        }
        markKeychainUnavailable(timedOut || !done
                                    ? keychainDidNotAnswer()
                                    : keychainProblem(done->error(), done->errorString()));
        Q_EMIT tokenStored(name, false, memoryOnlyAfterSave(m_keychainProblem));
    });
}

void ProfileStore::remove(const QString &name)
{
    m_settings.removeProfile(name);
    m_settings.sync();
    m_memoryTokens.remove(name);
    if (!m_keychainAvailable)
        return;
    auto *job = new QKeychain::DeletePasswordJob(kService);
    job->setKey(tokenKey(name));
    runJob(job, this, [](QKeychain::DeletePasswordJob *, bool) {});
}

void ProfileStore::loadToken(const QString &name)
{
    const auto memory = m_memoryTokens.constFind(name);
    if (memory != m_memoryTokens.constEnd() || !m_keychainAvailable) {
        const QString token = memory != m_memoryTokens.constEnd() ? *memory : QString();
        QTimer::singleShot(0, this, [this, name, token] {
            Q_EMIT tokenLoaded(name, token,
                               token.isEmpty() ? memoryOnlyOnLoad(m_keychainProblem) : QString());
        });
        return;
    }
    auto *job = new QKeychain::ReadPasswordJob(kService);
    job->setInsecureFallback(false);
    job->setKey(tokenKey(name));
    runJob(job, this, [this, name](QKeychain::ReadPasswordJob *done, bool timedOut) {
        if (!timedOut && done && done->error() == QKeychain::NoError) {
            m_memoryTokens.insert(name, done->textData());
            Q_EMIT tokenLoaded(name, done->textData(), QString());
            return;
        }
        if (!timedOut && done && done->error() == QKeychain::EntryNotFound) {
            Q_EMIT tokenLoaded(name, QString(), tr("No token is saved for this profile."));
            return;
        }
        const QString problem = timedOut || !done
                                    ? keychainDidNotAnswer()
                                    : keychainProblem(done->error(), done->errorString());
        if (timedOut || !done || isBackendMissing(done->error()))
            markKeychainUnavailable(problem);
        Q_EMIT tokenLoaded(name, QString(), memoryOnlyOnLoad(problem));
    });
}

} // namespace canary
