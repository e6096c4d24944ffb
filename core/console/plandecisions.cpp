#include "console/plandecisions.h"

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

} // namespace canary
