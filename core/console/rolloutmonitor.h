#pragma once

#include "backends/controlplane.h"
#include "backends/metricssource.h"
#include "domain/rolloutstate.h"
#include "domain/timelineevent.h"
#include "metrics/kpi.h"
#include "metrics/kpisnapshot.h"
#include "metrics/timeseriesstore.h"
#include "util/clock.h"
#include "util/scheduler.h"

#include <QObject>
#include <QString>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <deque>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace canary {

// How fresh the monitor's picture of the backend is.
enum class LinkHealth {
    Connecting, // no poll has succeeded yet and none has failed
    Live,       // the last poll succeeded
    Stale,      // at least one poll missed; lastGoodUpdate() says how old the picture is
    Lost,       // missedPollsForLost polls missed in a row; polling backs off
};

QString toDisplayString(LinkHealth health); // "live", "stale", ...

// How fresh one of the two things the monitor reads is: the rollout document (the control plane)
// or the metrics. They fail independently: a server whose /metrics does not parse still answers
// its rollout, and the levers must stay with the rollout.
struct FeedStatus
{
    LinkHealth health = LinkHealth::Connecting;
    int missed = 0;                     // polls missed in a row
    std::optional<SystemTime> lastGood; // the last good answer
    QString lastError;                  // why the last poll was missed; empty while Live
};

struct MonitorSettings
{
    std::chrono::milliseconds pollInterval{1000};
    int missedPollsForLost = 3;
    std::chrono::milliseconds maxBackoff{30000}; // reconnect backoff doubles up to this
    std::chrono::milliseconds retention{std::chrono::hours(24)};
    // Each KPI point covers the last kpiWindow, like PromQL's rate(x[10s]): a few labelled
    // predictions a second would otherwise make accuracy jump between 80 and 100 % from one poll to
    // the next. Right after a gap the window is shorter, never spanning the outage.
    std::chrono::milliseconds kpiWindow{10000};
    // The window of the decision snapshot (side panel, confirmations, the action log): long
    // enough for a p99 to rest on more than a handful of requests.
    std::chrono::milliseconds decisionWindow{30000};
    // On start, the charts are back-filled over this much of the past from a source with history
    // (Prometheus), one point per backfillStep, so they start full; 0 turns it off.
    std::chrono::milliseconds backfill{std::chrono::minutes(30)};
    std::chrono::milliseconds backfillStep{5000};
};

// The live model behind the console: polls the rollout (a ControlPlane) and the metrics (a
// MetricsSource) on the scheduler's timer, keeps the KPI points and the decision snapshot, and
// tracks how fresh each of the two is. All I/O is asynchronous; a poll whose answer is late is
// never sent twice. Neither backend is owned; both must outlive the monitor.
class RolloutMonitor final : public QObject
{
    Q_OBJECT

public:
    RolloutMonitor(ControlPlane *control, MetricsSource *metrics, Scheduler &scheduler,
                   MonitorSettings settings = {}, QObject *parent = nullptr);

    // Starts polling; with a source that has history, the charts are back-filled first.
    void start();
    // Stops scheduled polls; a poll already in flight still lands.
    void stop();
    bool isRunning() const { return m_running; }
    // True while a poll is under way (sent, not all answers in).
    bool isPolling() const { return m_round.has_value(); }
    // Polls at once (after an action); if a poll is in flight, polls again as soon as it lands.
    // A poll still out after two intervals counts as missed, one more for every further tick.
    void refreshNow();
    // A state an action just got back: shown at once, and answers to polls sent before it are
    // not allowed to overwrite it.
    void acceptState(const RolloutState &state);

    const metrics::TimeSeriesStore &history() const { return m_history; }
    const std::optional<RolloutState> &state() const { return m_state; }
    const std::optional<metrics::KpiResult> &latestKpis() const { return m_latestKpis; }
    // The worse of the two feeds: Live only while both the rollout and the metrics are.
    LinkHealth health() const { return m_health; }
    const FeedStatus &stateFeed() const { return m_stateFeed; }
    const FeedStatus &metricsFeed() const { return m_metricsFeed; }
    // When both feeds last answered well: the age of the picture as a whole.
    std::optional<SystemTime> lastGoodUpdate() const;
    int missedPolls() const { return std::max(m_stateFeed.missed, m_metricsFeed.missed); }
    // Why the last poll was missed, in plain words naming the feed that failed; empty while Live.
    QString lastError() const;
    // The numbers to decide on: the decisionWindow up to the newest good scrape (shorter right
    // after a gap, never spanning one). Invalid until the source gave a first window.
    const KpiSnapshot &snapshot() const { return m_snapshot; }
    // True when the snapshot is of the last poll: the metrics feed is Live. While false, a
    // decision made on the snapshot is made on old numbers and must say how old.
    // Right after an outage the first good scrape is only a baseline: the snapshot is still the
    // one from before, and not live until a window ends at the newest scrape.
    bool numbersAreLive() const
    {
        return m_metricsFeed.health == LinkHealth::Live && m_snapshot.valid() && m_newestReading &&
               m_snapshot.to == *m_newestReading;
    }
    // Markers for the charts: version changes, restarts, and actions (addEvent); within retention.
    const std::deque<TimelineEvent> &events() const { return m_events; }
    void addEvent(TimelineEvent event);
    ControlPlane *controlPlane() const { return m_control; }
    MetricsSource *metricsSource() const { return m_metrics; }
    const MonitorSettings &settings() const { return m_settings; }
    const Clock &clock() const { return m_clock; }
    // Points the back-fill put into history(); 0 until it landed or when there was none.
    std::size_t backfilledPoints() const { return m_backfilledPoints; }
    // Why the back-fill did not happen, when the source has history but it failed.
    const QString &backfillError() const { return m_backfillError; }
    // The wait before the next scheduled poll: pollInterval, or the backoff while Lost.
    std::chrono::milliseconds currentPollInterval() const;

Q_SIGNALS:
    void stateChanged(const canary::RolloutState &state);
    void kpisUpdated(const canary::metrics::KpiResult &kpis); // history() already holds the points
    void healthChanged(canary::LinkHealth health);
    // Either feed's health changed (the combined health() may stay the same).
    void feedHealthChanged();
    void pollFailed(const QString &reason);
    void eventAdded(const canary::TimelineEvent &event);
    // The back-fill landed (history() holds its points) or failed (backfillError()).
    void backfillFinished();

private:
    // One poll: the rollout and the metrics, sent together, judged together once both landed.
    struct Round
    {
        std::optional<ControlResult> control;
        std::optional<MetricsReading> scrape;
        std::uint64_t stateEpoch = 0;
        SystemTime sentAt{};
        int lateTicks = 0; // timer ticks that found this poll still out
        // Already counted as missed for being late, per feed.
        bool controlCountedAsMissed = false;
        bool scrapeCountedAsMissed = false;
        bool failed = false; // an answer of this round was missed: pollFailed once it ends
    };

    void onTimer();
    void startRound();
    void takeControl(ControlResult result);
    void takeReading(MetricsReading reading);
    void takeBackfill(MetricsHistory history);
    void finishRoundIfDone();
    void recordMiss(FeedStatus &feed, const QString &reason, bool countIt);
    void recordGood(FeedStatus &feed);
    void applyState(const RolloutState &state);
    void noteStateChange(const RolloutState &before, const RolloutState &after);
    void noteRestarts(const metrics::KpiResult &kpis);
    void updateHealth();
    void scheduleNext();

    ControlPlane *m_control;
    MetricsSource *m_metrics;
    const Clock &m_clock;
    MonitorSettings m_settings;
    std::unique_ptr<Timer> m_timer;
    metrics::TimeSeriesStore m_history;

    std::optional<Round> m_round;
    bool m_running = false;
    bool m_backfilling = false;
    std::size_t m_backfilledPoints = 0;
    QString m_backfillError;
    bool m_refreshPending = false;
    std::uint64_t m_stateEpoch = 0;
    std::chrono::milliseconds m_scheduledInterval{0};

    // The end of the newest window the source gave; reset by a gap.
    std::optional<SystemTime> m_newestReading;
    bool m_gapOpen = false;
    std::optional<RolloutState> m_state;
    std::optional<metrics::KpiResult> m_latestKpis;
    KpiSnapshot m_snapshot;
    std::deque<TimelineEvent> m_events;
    // The newest counter restart already told, per variant: a reset stays inside the sliding KPI
    // windows for several polls and must be told once.
    std::array<std::optional<SystemTime>, 2> m_toldRestart;
    LinkHealth m_health = LinkHealth::Connecting;
    FeedStatus m_stateFeed;
    FeedStatus m_metricsFeed;
};

} // namespace canary
