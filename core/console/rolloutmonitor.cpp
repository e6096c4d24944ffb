#include "rolloutmonitor.h"

#include <algorithm>

namespace canary {

QString toDisplayString(LinkHealth health)
{
    switch (health) {
    case LinkHealth::Connecting:
        return QStringLiteral("connecting");
    case LinkHealth::Live:
        return QStringLiteral("live");
    case LinkHealth::Stale:
        return QStringLiteral("stale");
    case LinkHealth::Lost:
        return QStringLiteral("lost");
    }
    return {};
}

RolloutMonitor::RolloutMonitor(HttpTransport *transport, ControlEndpoint endpoint,
                               std::string metricsUrl, const Clock &clock, MonitorSettings settings,
                               QObject *parent)
    : QObject(parent)
    , m_client(transport, endpoint)
    , m_scraper(transport, std::move(metricsUrl), clock)
    , m_clock(clock)
    , m_settings(settings)
    , m_history(settings.retention)
{
    m_settings.pollInterval = std::max(m_settings.pollInterval, std::chrono::milliseconds(10));
    m_settings.missedPollsForLost = std::max(m_settings.missedPollsForLost, 1);
    m_settings.maxBackoff = std::max(m_settings.maxBackoff, m_settings.pollInterval);
    m_scraper.setVerifyTls(endpoint.verifyTls);
    m_scraper.setTimeout(endpoint.timeout);
    m_timer.setSingleShot(true);
    connect(&m_timer, &QTimer::timeout, this, &RolloutMonitor::onTimer);
}

std::chrono::milliseconds RolloutMonitor::currentPollInterval() const
{
    const int beyond = m_missedPolls - m_settings.missedPollsForLost;
    if (beyond < 0)
        return m_settings.pollInterval;
    // Doubling stops once the cap is reached, so no overflow however long the outage.
    auto interval = m_settings.pollInterval;
    for (int i = 0; i <= beyond && interval < m_settings.maxBackoff; ++i)
        interval *= 2;
    return std::min(interval, m_settings.maxBackoff);
}

void RolloutMonitor::start()
{
    if (m_running)
        return;
    m_running = true;
    refreshNow();
}

void RolloutMonitor::stop()
{
    m_running = false;
    m_refreshPending = false;
    m_timer.stop();
}

void RolloutMonitor::refreshNow()
{
    if (m_round) {
        m_refreshPending = true;
        return;
    }
    startRound();
}

void RolloutMonitor::acceptState(const RolloutState &state)
{
    ++m_stateEpoch;
    applyState(state);
}

void RolloutMonitor::onTimer()
{
    if (m_round) {
        // The poll is still out: nothing is sent twice, its own timeout ends it. One late tick is
        // jitter; from the second on the picture is getting old and each tick counts as missed.
        if (++m_round->lateTicks >= 2) {
            m_round->countedAsMissed = true;
            recordMiss(QStringLiteral("No answer from the backend for %1 ms.")
                           .arg(m_round->sent.elapsed()),
                       true);
        }
        scheduleNext();
        return;
    }
    startRound();
}

void RolloutMonitor::startRound()
{
    m_refreshPending = false;
    m_round.emplace();
    m_round->stateEpoch = m_stateEpoch;
    m_round->sent.start();
    if (m_running)
        scheduleNext();
    m_client.fetchState(this, [this](ControlResult result) {
        if (!m_round)
            return;
        m_round->control = std::move(result);
        finishRound();
    });
    m_scraper.scrape(this, [this](ScrapeResult result) {
        if (!m_round)
            return;
        m_round->scrape = std::move(result);
        finishRound();
    });
}

void RolloutMonitor::scheduleNext()
{
    m_scheduledInterval = currentPollInterval();
    m_timer.start(m_scheduledInterval);
}

void RolloutMonitor::finishRound()
{
    if (!m_round->control || !m_round->scrape)
        return;
    Round round = std::move(*m_round);
    m_round.reset();
    ControlResult &control = *round.control;
    ScrapeResult &scrape = *round.scrape;

    QString problem;
    auto addProblem = [&problem](const char *what, const std::string &why) {
        QString text = QString::fromStdString(why);
        while (text.endsWith(QLatin1Char('.')))
            text.chop(1);
        if (!problem.isEmpty())
            problem += QLatin1Char(' ');
        problem += QStringLiteral("Cannot read the %1: %2.").arg(QLatin1String(what), text);
    };
    if (control.error)
        addProblem("rollout", control.error.message());
    if (!scrape.ok())
        addProblem("metrics", scrape.error);

    if (!problem.isEmpty()) {
        // One gap per outage, and no KPI window may span it: the next good scrape is a baseline.
        if (!m_gapOpen) {
            m_history.appendGap(m_clock.now());
            m_gapOpen = true;
        }
        m_recent.clear();
        recordMiss(problem, !round.countedAsMissed);
    } else {
        m_lastGoodUpdate = m_clock.now();
        m_missedPolls = 0;
        m_lastError.clear();
        updateHealth();
        if (round.stateEpoch == m_stateEpoch && control.state)
            applyState(*control.state);
        takeScrape(std::move(scrape));
    }

    if (m_refreshPending) {
        startRound();
    } else if (m_running && m_timer.isActive() && currentPollInterval() != m_scheduledInterval) {
        // The wait changed (the backoff grew, or Live again): it applies from now, so a
        // recovered backend is back at the normal cadence at once.
        scheduleNext();
    }
}

void RolloutMonitor::takeScrape(ScrapeResult scrape)
{
    if (!m_recent.empty() && !m_gapOpen) {
        // The baseline is the newest scrape at least kpiWindow old, or the oldest one there is.
        const SystemTime windowStart = scrape.scrape.time - m_settings.kpiWindow;
        while (m_recent.size() > 1 && m_recent[1].time <= windowStart)
            m_recent.pop_front();
        metrics::KpiResult kpis = metrics::computeKpis(m_recent.front(), scrape.scrape);
        if (kpis.ok()) {
            m_history.append(kpis);
            m_latestKpis = std::move(kpis);
            m_recent.push_back(std::move(scrape.scrape));
            Q_EMIT kpisUpdated(*m_latestKpis);
            return;
        }
        // A refused window (e.g. the clock did not move) yields no point; start afresh.
    }
    m_gapOpen = false;
    m_recent.clear();
    m_recent.push_back(std::move(scrape.scrape));
}

void RolloutMonitor::recordMiss(const QString &reason, bool countIt)
{
    if (countIt)
        ++m_missedPolls;
    m_lastError = reason;
    updateHealth();
    Q_EMIT pollFailed(reason);
}

void RolloutMonitor::applyState(const RolloutState &state)
{
    if (m_state && *m_state == state)
        return;
    m_state = state;
    Q_EMIT stateChanged(*m_state);
}

void RolloutMonitor::updateHealth()
{
    LinkHealth health = LinkHealth::Live;
    if (m_missedPolls >= m_settings.missedPollsForLost)
        health = LinkHealth::Lost;
    else if (m_missedPolls > 0)
        health = LinkHealth::Stale;
    else if (!m_lastGoodUpdate)
        health = LinkHealth::Connecting;
    if (health == m_health)
        return;
    m_health = health;
    Q_EMIT healthChanged(m_health);
}

} // namespace canary
