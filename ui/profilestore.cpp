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
    m_keychainProblem = enabled ? QString() : tr("the desktop keychain is switched off");
}

void ProfileStore::markKeychainUnavailable(const QString &why)
{
    m_keychainAvailable = false;
    m_keychainProblem = why;
}

void ProfileStore::save(const ConnectionProfile &profile, const QString &token)
{
    m_settings.setProfile(profile);
    m_settings.setLastProfile(profile.name);
    m_settings.sync();
    const QString name = profile.name;
    m_memoryTokens.insert(name, token);
    if (!m_keychainAvailable) {
        QTimer::singleShot(0, this, [this, name] {
            Q_EMIT tokenStored(name, false,
                               tr("The token is kept in memory for this session only (%1); you "
                                  "will be asked for it next time.")
                                   .arg(m_keychainProblem));
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
        markKeychainUnavailable(timedOut ? tr("the desktop keychain did not answer")
                                         : tr("no desktop keychain: %1").arg(done->errorString()));
        Q_EMIT tokenStored(name, false,
                           tr("The token is kept in memory for this session only (%1); you will "
                              "be asked for it next time.")
                               .arg(m_keychainProblem));
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
                               token.isEmpty()
                                   ? tr("No desktop keychain (%1): enter the token; it is kept "
                                        "in memory for this session only.")
                                         .arg(m_keychainProblem)
                                   : QString());
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
        if (timedOut || !done || isBackendMissing(done->error()))
            markKeychainUnavailable(timedOut || !done
                                        ? tr("the desktop keychain did not answer")
                                        : tr("no desktop keychain: %1").arg(done->errorString()));
        Q_EMIT tokenLoaded(name, QString(),
                           tr("No desktop keychain (%1): enter the token; it is kept in memory "
                              "for this session only.")
                               .arg(m_keychainProblem));
    });
}

} // namespace canary
