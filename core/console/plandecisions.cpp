#include "console/plandecisions.h"

#include <algorithm>

namespace canary {

namespace {

std::string snake(std::string_view text)
{
    std::string out(text);
    for (char &c : out) {
        if (c == '-')
            c = '_';
    }
    return out;
}

} // namespace

std::string decisionAction(rollout::DecisionKind kind)
{
    return "plan_" + snake(rollout::toString(kind));
}

std::string decisionOutcome(rollout::Decision::Outcome outcome)
{
    switch (outcome) {
    case rollout::Decision::Outcome::Pending:
        return "pending";
    case rollout::Decision::Outcome::Succeeded:
        return "succeeded";
    case rollout::Decision::Outcome::Failed:
        return "failed";
    case rollout::Decision::Outcome::None:
        break;
    }
    return "decided";
}

ActionRecord decisionRecord(const rollout::Decision &decision, const std::string &planName,
                            const std::string &operatorName)
{
    ActionRecord record;
    record.time = decision.time;
    record.action = decisionAction(decision.kind);
    record.actor = decision.automatic ? "plan " + planName : operatorName;
    record.parameters = {{"plan", planName},
                         {"automatic", decision.automatic},
                         {"verdict", std::string(analysis::toString(decision.judgement.overall))}};
    if (decision.step >= 0)
        record.parameters["step"] = decision.step + 1; // as shown: step 1 of 3
    if (decision.weight)
        record.parameters["canary"] = decision.weight->percent();
    if (!decision.judgement.sentence.empty())
        record.parameters["judgement"] = decision.judgement.sentence;
    record.judgement = decision.judgement;
    record.message = decisionMessage(decision);
    record.automatic = decision.automatic;
    record.plan = planName;
    record.reason = decision.reason;
    return record;
}

std::string decisionMessage(const rollout::Decision &decision)
{
    std::string message = "Plan: " + decision.reason;
    if (decision.outcome == rollout::Decision::Outcome::Failed && !decision.error.empty())
        message += " It failed: " + decision.error;
    return message;
}

TimelineEvent decisionMarker(const rollout::Decision &decision)
{
    using rollout::DecisionKind;
    std::string label;
    switch (decision.kind) {
    case DecisionKind::SetWeight:
        label = decision.weight ? decision.weight->toString() + " %" : "weight";
        break;
    case DecisionKind::Rollback:
        label = "roll back";
        break;
    case DecisionKind::EndBakeEarly:
        label = "bake ends early";
        break;
    case DecisionKind::ExtendBake:
        label = "bake extended";
        break;
    case DecisionKind::Advance:
        label = decision.weight ? "advance to " + decision.weight->toString() + " %" : "advance";
        break;
    default:
        label = std::string(rollout::toString(decision.kind));
        break;
    }
    label = "plan " + label;
    if (decision.outcome == rollout::Decision::Outcome::Failed)
        label += " \u2716";
    TimelineEvent event;
    event.time = decision.time;
    event.kind = TimelineEvent::Kind::Action;
    event.label = label;
    event.detail = decisionMessage(decision) + (decision.automatic ? " (automatic)" : " (by hand)");
    return event;
}

std::string PlanDecisionLog::record(const rollout::Decision &decision, const std::string &planName,
                                    const DecisionContext &context, SystemTime now)
{
    using Outcome = rollout::Decision::Outcome;
    const auto pending = std::find_if(m_pending.begin(), m_pending.end(), [&](const Pending &p) {
        return p.kind == decision.kind && p.time == decision.time;
    });
    if (decision.outcome != Outcome::Pending && pending != m_pending.end()) {
        const std::uint64_t id = pending->record;
        m_pending.erase(pending);
        const std::optional<std::int64_t> revision =
            context.state ? std::optional<std::int64_t>(context.state->revision) : std::nullopt;
        const std::string phase =
            context.state ? std::string(toString(context.state->phase)) : std::string();
        if (!m_log.finish(id, decisionOutcome(decision.outcome), decisionMessage(decision),
                          revision, now, phase))
            return m_log.error().toStdString();
        return {};
    }
    ActionRecord record = decisionRecord(decision, planName, m_log.actor());
    if (context.snapshot && context.snapshot->valid())
        record.setKpis(*context.snapshot, context.live);
    if (context.state)
        record.setState(*context.state);
    if (decision.kind == rollout::DecisionKind::Start && context.plan) {
        // The steps, so that a report from the trail alone can say how far the plan went.
        nlohmann::json steps = nlohmann::json::array();
        for (const rollout::PlanStep &step : context.plan->steps)
            steps.push_back(
                {{"weight_percent", step.weight.percent()}, {"bake_seconds", step.bake.count()}});
        record.parameters["steps"] = std::move(steps);
    }
    if (!m_log.begin(record))
        return m_log.error().toStdString();
    if (decision.outcome == Outcome::Pending) {
        m_pending.push_back({decision.kind, decision.time, record.id});
        return {};
    }
    if (!m_log.finish(record.id, decisionOutcome(decision.outcome), decisionMessage(decision),
                      std::nullopt, now))
        return m_log.error().toStdString();
    return {};
}

} // namespace canary
