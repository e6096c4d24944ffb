#include "rolloutactions.h"

#include <utility>

namespace canary {

namespace {

QString percent(Weight weight)
{
    return QString::number(weight.percent(), 'f', 1) + QStringLiteral(" %");
}

QString modelName(const VariantInfo &variant)
{
    return QString::fromStdString(variant.model + " " + variant.version);
}

} // namespace

RolloutActions::RolloutActions(ControlPlane *control, RolloutMonitor *monitor, QObject *parent)
    : QObject(parent)
    , m_control(control)
    , m_monitor(monitor)
{}

void RolloutActions::setActionLog(ActionLog *log)
{
    m_log = log ? log : &m_ownLog;
}

void RolloutActions::setCanaryWeight(Weight weight, std::optional<KpiSnapshot> decidedOn)
{
    run(
        Lever::SetWeight, weightParameters(weight), std::move(decidedOn),
        [this, weight](std::int64_t revision, ControlPlane::Callback done) {
            m_control->setCanaryWeight(weight, revision, this, std::move(done));
        },
        [](const RolloutState &state) {
            return QStringLiteral("Canary weight set to %1").arg(percent(state.canaryWeight()));
        });
}

void RolloutActions::promote(std::optional<KpiSnapshot> decidedOn)
{
    run(
        Lever::Promote, nlohmann::json::object(), std::move(decidedOn),
        [this](std::int64_t revision, ControlPlane::Callback done) {
            m_control->promote(revision, this, std::move(done));
        },
        [](const RolloutState &state) {
            return QStringLiteral("Promoted: %1 is production at 100 %")
                .arg(modelName(state.production));
        });
}

void RolloutActions::rollback(std::optional<KpiSnapshot> decidedOn)
{
    run(
        Lever::Rollback, nlohmann::json::object(), std::move(decidedOn),
        [this](std::int64_t revision, ControlPlane::Callback done) {
            m_control->rollback(revision, this, std::move(done));
        },
        [](const RolloutState &state) {
            return state.canary ? QStringLiteral("Rolled back: canary %1 is at 0 %")
                                      .arg(modelName(*state.canary))
                                : QStringLiteral("Rolled back: the canary is at 0 %");
        });
}

void RolloutActions::stageCanary(const nlohmann::json &canary, std::optional<KpiSnapshot> decidedOn)
{
    if (!canary.is_object()) {
        Q_EMIT failed(QStringLiteral("The canary to stage must name a model and a version. "
                                     "Nothing was sent."),
                      false);
        return;
    }
    run(
        Lever::Stage, canary, std::move(decidedOn),
        [this, canary](std::int64_t revision, ControlPlane::Callback done) {
            m_control->stageCanary(canary, revision, this, std::move(done));
        },
        [](const RolloutState &state) {
            return state.canary ? QStringLiteral("Staged canary %1 at %2")
                                      .arg(modelName(*state.canary), percent(state.canaryWeight()))
                                : QStringLiteral("Canary staged");
        });
}

void RolloutActions::run(Lever lever, nlohmann::json parameters,
                         std::optional<KpiSnapshot> decidedOn, Send send, Summary summary)
{
    // Set for this action only: an action refused here must not leave it to the next one.
    std::optional<analysis::Judgement> judgement = std::exchange(m_judgement, std::nullopt);
    if (m_busy) {
        Q_EMIT failed(QStringLiteral("Another action is still running; wait for its result. "
                                     "Nothing was sent."),
                      false);
        return;
    }
    const auto &state = m_monitor->state();
    if (!state) {
        Q_EMIT failed(QStringLiteral("The rollout has not been read from the backend yet, so "
                                     "there is no revision to act on. Nothing was sent."),
                      false);
        return;
    }

    ActionRecord record =
        leverRecord(lever, std::move(parameters), *state, m_monitor->clock().now());
    record.judgement = std::move(judgement);
    if (decidedOn && !decidedOn->valid())
        decidedOn.reset(); // no numbers were shown: record none, not an empty window
    if (!decidedOn && m_monitor->snapshot().valid())
        decidedOn = m_monitor->snapshot();
    if (decidedOn) {
        // Live only if these are the numbers of the last poll, not older ones kept through an
        // outage.
        const bool live = m_monitor->numbersAreLive() && decidedOn->to == m_monitor->snapshot().to;
        record.setKpis(*decidedOn, live);
    }
    if (!m_log->begin(record)) {
        Q_EMIT failed(QStringLiteral("The action could not be recorded (%1). Nothing was sent.")
                          .arg(m_log->error()),
                      false);
        return;
    }

    setBusy(true);
    const std::uint64_t id = record.id;
    send(state->revision, [this, id, summary = std::move(summary)](ControlResult result) {
        finish(id, std::move(result), summary);
    });
}

void RolloutActions::finish(std::uint64_t recordId, ControlResult result, const Summary &summary)
{
    const SystemTime now = m_monitor->clock().now();
    const ControlError &error = result.error;
    const ActionEnd end = actionEnd(result);

    if (!error && result.state) {
        QString text = summary(*result.state);
        if (!m_log->finish(recordId, end.outcome, text.toStdString(), end.revision, now,
                           end.stateAfter))
            text += QStringLiteral(" (Not recorded: %1.)").arg(m_log->error());
        if (const ActionRecord *record = m_log->find(recordId))
            markTimeline(*record);
        m_monitor->acceptState(*result.state);
        m_monitor->refreshNow();
        setBusy(false);
        Q_EMIT succeeded(text);
        return;
    }

    const bool conflict = error.kind == ControlError::Kind::StaleRevision;
    m_lastFailureSentNothing = error.kind == ControlError::Kind::Unreachable && !error.requestSent;
    QString text;
    if (conflict && error.current) {
        text = QStringLiteral("Someone else changed the rollout (now revision %1). Nothing was "
                              "applied; review and try again.")
                   .arg(error.current->revision);
        m_monitor->acceptState(*error.current);
    } else {
        text = failureMessage(error);
    }
    if (!m_log->finish(recordId, end.outcome, text.toStdString(), end.revision, now,
                       end.stateAfter))
        text += QStringLiteral(" (Not recorded: %1.)").arg(m_log->error());
    // Sent and unanswered: it may have moved traffic, so the charts must show when it was tried.
    if (error.kind == ControlError::Kind::Unreachable && error.requestSent) {
        if (const ActionRecord *record = m_log->find(recordId))
            markTimeline(*record, " ?");
    }
    m_monitor->refreshNow();
    setBusy(false);
    Q_EMIT failed(text, conflict);
}

void RolloutActions::markTimeline(const ActionRecord &record, const char *suffix)
{
    std::string label = record.action;
    if (record.action == "set_weight" && record.parameters.contains("canary"))
        label = "weight " +
                Weight::fromPercent(record.parameters["canary"].get<double>())
                    .value_or(Weight())
                    .toString() +
                " %";
    else if (record.action == "stage_canary")
        label = "stage " + record.parameters.value("version", std::string());
    else if (record.action == "rollback")
        label = "roll back";
    label += suffix;
    m_monitor->addEvent({record.time, TimelineEvent::Kind::Action, std::nullopt, label,
                         record.message + " (by " + record.actor + ")"});
}

QString RolloutActions::failureMessage(const ControlError &error)
{
    QString what = QString::fromStdString(error.message());
    while (what.endsWith(QLatin1Char('.')))
        what.chop(1); // the hints below start new sentences
    switch (error.kind) {
    case ControlError::Kind::Unauthorized:
        return QStringLiteral("%1. The backend did not accept the credentials: check the token.")
            .arg(what);
    case ControlError::Kind::Conflict:
        return QStringLiteral("%1. Nothing was applied.").arg(what);
    case ControlError::Kind::StaleRevision:
        return QStringLiteral("%1. Someone else changed the rollout; nothing was applied. Review "
                              "and try again.")
            .arg(what);
    case ControlError::Kind::Rejected:
        return QStringLiteral("%1. The backend refused the request; nothing was applied.")
            .arg(what);
    case ControlError::Kind::ServerError:
        return QStringLiteral("%1. The backend failed; check its logs. The rollout is being "
                              "re-read to show where it stands.")
            .arg(what);
    case ControlError::Kind::Unreachable:
        // Only a request that left can have arrived: a refused connection applied nothing.
        if (!error.requestSent)
            return QStringLiteral("%1. Check the connection. The request was not sent; nothing "
                                  "was applied.")
                .arg(what);
        return QStringLiteral("%1. Check the connection. It is not known whether the action "
                              "arrived; the rollout is being re-read to show where it stands.")
            .arg(what);
    case ControlError::Kind::BadAnswer:
        return QStringLiteral("%1. The rollout is being re-read to show where it stands.")
            .arg(what);
    case ControlError::Kind::None:
        break;
    }
    return QStringLiteral("The backend gave no rollout back. The rollout is being re-read to "
                          "show where it stands.");
}

void RolloutActions::setBusy(bool busy)
{
    if (m_busy == busy)
        return;
    m_busy = busy;
    Q_EMIT busyChanged(m_busy);
}

} // namespace canary
