#pragma once

#include "backends/controlplane.h"
#include "console/actionlog.h"
#include "console/rolloutmonitor.h"
#include "domain/weight.h"

#include <nlohmann/json.hpp>

#include <QObject>
#include <QString>

#include <functional>

namespace canary {

// The levers on a rollout: one action at a time, each decided on the revision the monitor shows
// (If-Match), each written to the action log before the outcome is announced.
class RolloutActions final : public QObject
{
    Q_OBJECT

public:
    RolloutActions(ControlPlane *control, RolloutMonitor *monitor, QObject *parent = nullptr);

    bool busy() const { return m_busy; }
    // Whether the last failure was a backend that could not be reached before anything was sent:
    // nothing can have been applied, so the failure lasts only as long as the outage.
    bool lastFailureSentNothing() const { return m_lastFailureSentNothing; }

    // Each action is recorded with the numbers it was decided on: `decidedOn` is the snapshot the
    // operator was shown (the monitor's current one when none is given).
    void setCanaryWeight(canary::Weight weight, std::optional<KpiSnapshot> decidedOn = {});
    void promote(std::optional<KpiSnapshot> decidedOn = {});
    void rollback(std::optional<KpiSnapshot> decidedOn = {});
    // model, version, serving settings
    void stageCanary(const nlohmann::json &canary, std::optional<KpiSnapshot> decidedOn = {});

    // The log the actions are written to; an in-memory one unless another is set. The log must
    // outlive this object; nullptr goes back to the in-memory log.
    void setActionLog(ActionLog *log);
    // The judge's verdicts the next action is decided on (a plan's, while one judges); that
    // action's record carries them, and they are forgotten once it has been begun.
    void setJudgement(std::optional<analysis::Judgement> judgement)
    {
        m_judgement = std::move(judgement);
    }
    ActionLog &actionLog() { return *m_log; }
    const ActionLog &actionLog() const { return *m_log; }

Q_SIGNALS:
    void busyChanged(bool busy);
    void succeeded(const QString &summary);             // "Canary weight set to 25.0 %"
    void failed(const QString &message, bool conflict); // conflict: someone else changed it (412)

private:
    using Send = std::function<void(std::int64_t revision, ControlPlane::Callback onDone)>;
    using Summary = std::function<QString(const RolloutState &state)>;

    void run(Lever lever, nlohmann::json parameters, std::optional<KpiSnapshot> decidedOn,
             Send send, Summary summary);
    void finish(std::uint64_t recordId, ControlResult result, const Summary &summary);
    // A marker on every chart for what was done (or tried), at the moment it was asked for.
    void markTimeline(const ActionRecord &record, const char *suffix = "");
    void setBusy(bool busy);
    static QString failureMessage(const ControlError &error);

    ControlPlane *m_control;
    RolloutMonitor *m_monitor;
    ActionLog m_ownLog;
    ActionLog *m_log = &m_ownLog;
    bool m_busy = false;
    bool m_lastFailureSentNothing = false;
    std::optional<analysis::Judgement> m_judgement;
};

} // namespace canary
