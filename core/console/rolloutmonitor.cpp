#include "rolloutmonitor.h"

#include <algorithm>
#include <map>
#include <set>

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

RolloutMonitor::RolloutMonitor(ControlPlane *control, MetricsSource *metrics, Scheduler &scheduler,
                               MonitorSettings settings, QObject *parent)
    : QObject(parent)
    , m_control(control)
    , m_metrics(metrics)
    , m_clock(scheduler.clock())
    , m_settings(settings)
    , m_timer(scheduler.createTimer([this] { onTimer(); }))
    , m_history(settings.retention)
{
    m_settings.pollInterval = std::max(m_settings.pollInterval, std::chrono::milliseconds(10));
    m_settings.missedPollsForLost = std::max(m_settings.missedPollsForLost, 1);
    m_settings.maxBackoff = std::max(m_settings.maxBackoff, m_settings.pollInterval);
    m_settings.backfillStep = std::max(m_settings.backfillStep, std::chrono::milliseconds(1000));
}

std::chrono::milliseconds RolloutMonitor::currentPollInterval() const
{
    // Back off only while nothing answers: a backend whose metrics fail but whose rollout answers
    // is still polled at the normal cadence, so its levers stay current.
    const int missed = std::min(m_stateFeed.missed, m_metricsFeed.missed);
    const int beyond = missed - m_settings.missedPollsForLost;
    if (beyond < 0)
        return m_settings.pollInterval;
    // Doubling stops once the cap is reached, so no overflow however long the outage.
    auto interval = m_settings.pollInterval;
    for (int i = 0; i <= beyond && interval < m_settings.maxBackoff; ++i)
        interval *= 2;
    return std::min(interval, m_settings.maxBackoff);
}

std::optional<SystemTime> RolloutMonitor::lastGoodUpdate() const
{
    if (!m_stateFeed.lastGood || !m_metricsFeed.lastGood)
        return std::nullopt;
    return std::min(*m_stateFeed.lastGood, *m_metricsFeed.lastGood);
}

QString RolloutMonitor::lastError() const
{
    QString text = m_stateFeed.lastError;
    if (!m_metricsFeed.lastError.isEmpty() && m_metricsFeed.lastError != text) {
        if (!text.isEmpty())
            text += QLatin1Char(' ');
        text += m_metricsFeed.lastError;
    }
    return text;
}

void RolloutMonitor::addEvent(TimelineEvent event)
{
    const SystemTime oldest = m_clock.now() - m_settings.retention;
    while (!m_events.empty() && m_events.front().time < oldest)
        m_events.pop_front();
    m_events.push_back(std::move(event));
    Q_EMIT eventAdded(m_events.back());
}

void RolloutMonitor::start()
{
    if (m_running)
        return;
    m_running = true;
    const bool wantsBackfill = m_settings.backfill.count() > 0 &&
                               m_metrics->capabilities().history && m_backfilledPoints == 0 &&
                               m_history.pointCount() == 0;
    if (!wantsBackfill) {
        refreshNow();
        return;
    }
    // The back-fill lands before the first live point, so history() stays in time order. Its
    // last point is the window up to now; the first live poll continues from there.
    m_backfilling = true;
    const SystemTime now = m_clock.now();
    m_metrics->readHistory(now - m_settings.backfill, now, m_settings.backfillStep,
                           m_settings.kpiWindow, this,
                           [this](MetricsHistory history) { takeBackfill(std::move(history)); });
}

void RolloutMonitor::takeBackfill(MetricsHistory history)
{
    m_backfilling = false;
    if (!history.ok()) {
        m_backfillError = QString::fromStdString(history.error);
    } else if (m_history.pointCount() == 0) {
        // A step without data is a gap in the charts, as a missed poll is; a source with coarser
        // points than the step asked for (CloudWatch's minutes) has its own step.
        const std::chrono::milliseconds step =
            std::max(m_settings.backfillStep, m_metrics->capabilities().granularity);
        std::optional<SystemTime> previous;
        for (const metrics::KpiResult &point : history.points) {
            if (previous && point.time - *previous > step * 3 / 2)
                m_history.appendGap(*previous + step);
            m_history.append(point);
            previous = point.time;
        }
        m_backfilledPoints = history.points.size();
    }
    Q_EMIT backfillFinished();
    if (m_running)
        refreshNow();
}

void RolloutMonitor::stop()
{
    m_running = false;
    m_refreshPending = false;
    m_timer->stop();
}

void RolloutMonitor::refreshNow()
{
    if (m_backfilling) {
        return; // the first poll goes out as soon as the back-fill lands
    }
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
        // jitter; from the second on the picture is getting old and each tick counts as missed,
        // for whichever of the two answers is still out.
        if (++m_round->lateTicks >= 2) {
            const auto waited = std::chrono::duration_cast<std::chrono::milliseconds>(
                m_clock.now() - m_round->sentAt);
            const QString reason =
                QStringLiteral("No answer from the backend for %1 ms.").arg(waited.count());
            if (!m_round->control) {
                m_round->controlCountedAsMissed = true;
                recordMiss(m_stateFeed, QStringLiteral("Rollout: %1").arg(reason), true);
                Q_EMIT pollFailed(m_stateFeed.lastError);
            }
            if (!m_round->scrape) {
                m_round->scrapeCountedAsMissed = true;
                recordMiss(m_metricsFeed, QStringLiteral("Metrics: %1").arg(reason), true);
                Q_EMIT pollFailed(m_metricsFeed.lastError);
            }
        }
        scheduleNext();
        return;
    }
    startRound();
}

void RolloutMonitor::startRound()
{
    m_refreshPending = false;
    m_round = Round();
    m_round->stateEpoch = m_stateEpoch;
    m_round->sentAt = m_clock.now();
    if (m_running)
        scheduleNext();
    m_control->fetchState(this, [this](ControlResult result) {
        if (m_round)
            takeControl(std::move(result));
    });
    m_metrics->read({m_settings.kpiWindow, m_settings.decisionWindow}, this,
                    [this](MetricsReading reading) {
                        if (m_round)
                            takeReading(std::move(reading));
                    });
}

void RolloutMonitor::scheduleNext()
{
    m_scheduledInterval = currentPollInterval();
    m_timer->start(m_scheduledInterval);
}

namespace {

QString sentence(const char *feed, const std::string &why)
{
    QString text = QString::fromStdString(why);
    while (text.endsWith(QLatin1Char('.')))
        text.chop(1);
    return QStringLiteral("%1: %2.").arg(QLatin1String(feed), text);
}

} // namespace

// Each answer is taken as it lands: the rollout does not wait for a slow or broken /metrics.
void RolloutMonitor::takeControl(ControlResult result)
{
    m_round->control = std::move(result);
    const ControlResult &control = *m_round->control;
    if (control.error || !control.state) {
        const std::string why =
            control.error ? control.error.message() : std::string("no rollout document");
        recordMiss(m_stateFeed, sentence("Rollout unreadable", why),
                   !m_round->controlCountedAsMissed);
    } else {
        recordGood(m_stateFeed);
        if (m_round->stateEpoch == m_stateEpoch)
            applyState(*control.state);
    }
    finishRoundIfDone();
}

void RolloutMonitor::takeReading(MetricsReading reading)
{
    m_round->scrape = std::move(reading);
    MetricsReading &metrics = *m_round->scrape;
    if (!metrics.ok()) {
        // One gap per outage; the source starts its windows afresh after it.
        if (!m_gapOpen) {
            m_history.appendGap(m_clock.now());
            m_gapOpen = true;
        }
        m_newestReading.reset();
        recordMiss(m_metricsFeed, sentence("Metrics unreadable", metrics.error),
                   !m_round->scrapeCountedAsMissed);
        finishRoundIfDone();
        return;
    }
    recordGood(m_metricsFeed);
    m_gapOpen = false;
    m_newestReading = metrics.time;
    // windows[0] is the chart point (kpiWindow), windows[1] the decision snapshot.
    if (!metrics.windows.empty() && metrics.windows[0]) {
        metrics::KpiResult kpis = std::move(metrics.windows[0]->kpis);
        // A source with coarse data (CloudWatch's minutes) answers with the same window until
        // a newer one exists: one point per moment, not one per poll.
        if (!m_latestKpis || kpis.time > m_latestKpis->time)
            m_history.append(kpis);
        noteRestarts(kpis);
        m_latestKpis = std::move(kpis);
        if (metrics.windows.size() > 1 && metrics.windows[1] && metrics.windows[1]->valid())
            m_snapshot = std::move(*metrics.windows[1]);
        Q_EMIT kpisUpdated(*m_latestKpis);
    }
    finishRoundIfDone();
}

void RolloutMonitor::finishRoundIfDone()
{
    if (!m_round->control || !m_round->scrape)
        return;
    const bool failed = m_round->failed;
    m_round.reset();
    if (failed)
        Q_EMIT pollFailed(lastError());
    if (m_refreshPending) {
        startRound();
    } else if (m_running && m_timer->isActive() && currentPollInterval() != m_scheduledInterval) {
        // The wait changed (the backoff grew, or Live again): it applies from now, so a
        // recovered backend is back at the normal cadence at once.
        scheduleNext();
    }
}

void RolloutMonitor::noteRestarts(const metrics::KpiResult &kpis)
{
    for (VariantRole role : {VariantRole::Production, VariantRole::Canary}) {
        const metrics::VariantKpis &variant = kpis.variant(role);
        auto &told = m_toldRestart[role == VariantRole::Production ? 0 : 1];
        // The scrapes that saw a counter fall and have not been told yet, oldest first (a reset
        // stays inside the sliding windows for several polls).
        std::map<SystemTime, std::set<std::string>> fresh;
        for (const metrics::CounterReset &reset : variant.resets) {
            if (!told || reset.seenAt > *told)
                fresh[reset.seenAt].insert(reset.version.empty() ? "(no version)" : reset.version);
        }
        if (variant.restartedAt && (!told || *variant.restartedAt > *told))
            fresh[*variant.restartedAt];
        const std::string name(toString(role));
        for (const auto &[at, versions] : fresh) {
            if (variant.restartedAt == at) {
                addEvent({at, TimelineEvent::Kind::Restart, role, "restart",
                          "Every counter of the " + name +
                              " variant went back to a lower value at once: the backend behind it "
                              "restarted. The charts count from the new values; nothing from "
                              "before the restart is mixed in."});
                continue;
            }
            std::string list;
            for (const std::string &version : versions) {
                if (!list.empty())
                    list += ", ";
                list += version;
            }
            addEvent({at, TimelineEvent::Kind::Restart, role, "reset",
                      "Counters of the " + name + " variant's version " + list +
                          " went back to a lower value: that process restarted. The charts count "
                          "from the new values."});
        }
        if (!fresh.empty())
            told = fresh.rbegin()->first;
    }
}

void RolloutMonitor::recordMiss(FeedStatus &feed, const QString &reason, bool countIt)
{
    if (countIt)
        ++feed.missed;
    feed.lastError = reason;
    if (m_round)
        m_round->failed = true;
    updateHealth();
}

void RolloutMonitor::recordGood(FeedStatus &feed)
{
    feed.lastGood = m_clock.now();
    feed.missed = 0;
    feed.lastError.clear();
    updateHealth();
}

void RolloutMonitor::applyState(const RolloutState &state)
{
    if (m_state && *m_state == state)
        return;
    const std::optional<RolloutState> before = m_state;
    m_state = state;
    if (before)
        noteStateChange(*before, *m_state);
    Q_EMIT stateChanged(*m_state);
}

namespace {

std::string modelText(const VariantInfo &variant)
{
    return variant.model + " " + variant.version;
}

} // namespace

// The charts must never mix two models in one column without saying so, and a backend that
// restarted under the console must be told, not absorbed.
void RolloutMonitor::noteStateChange(const RolloutState &before, const RolloutState &after)
{
    const SystemTime now = m_clock.now();
    if (after.revision < before.revision) {
        addEvent({now, TimelineEvent::Kind::Restart, std::nullopt, "restart",
                  "The backend's revision went back from " + std::to_string(before.revision) +
                      " to " + std::to_string(after.revision) +
                      ": it restarted or its state was reset. The rollout shown is the one it "
                      "reports now."});
    }
    auto compare = [&](VariantRole role, const std::optional<VariantInfo> &was,
                       const std::optional<VariantInfo> &is) {
        const std::string name(toString(role));
        if (!is || is->model.empty()) {
            return; // an emptied slot is a state change the cards show, not a new model
        }
        if (was && !was->model.empty() && was->model == is->model && was->version == is->version)
            return;
        std::string detail = "The " + name + " variant now serves " + modelText(*is);
        detail += was && !was->model.empty() ? " (was " + modelText(*was) + ")." : ".";
        addEvent({now, TimelineEvent::Kind::VersionChange, role, is->version, detail});
    };
    compare(VariantRole::Production, before.production, after.production);
    compare(VariantRole::Canary, before.canary, after.canary);
}

void RolloutMonitor::updateHealth()
{
    const auto feedHealth = [this](FeedStatus &feed) {
        if (feed.missed >= m_settings.missedPollsForLost)
            feed.health = LinkHealth::Lost;
        else if (feed.missed > 0)
            feed.health = LinkHealth::Stale;
        else if (!feed.lastGood)
            feed.health = LinkHealth::Connecting;
        else
            feed.health = LinkHealth::Live;
    };
    const LinkHealth stateBefore = m_stateFeed.health;
    const LinkHealth metricsBefore = m_metricsFeed.health;
    feedHealth(m_stateFeed);
    feedHealth(m_metricsFeed);
    const bool feedsChanged =
        stateBefore != m_stateFeed.health || metricsBefore != m_metricsFeed.health;
    // Worst first: Lost, Stale, Connecting, Live.
    const auto rank = [](LinkHealth h) {
        switch (h) {
        case LinkHealth::Lost:
            return 3;
        case LinkHealth::Stale:
            return 2;
        case LinkHealth::Connecting:
            return 1;
        case LinkHealth::Live:
            break;
        }
        return 0;
    };
    const LinkHealth health = rank(m_stateFeed.health) >= rank(m_metricsFeed.health)
                                  ? m_stateFeed.health
                                  : m_metricsFeed.health;
    if (health != m_health) {
        m_health = health;
        Q_EMIT healthChanged(m_health);
    }
    if (feedsChanged)
        Q_EMIT feedHealthChanged();
}

} // namespace canary
