#pragma once

#include "console/actionlog.h"
#include "domain/timelineevent.h"
#include "rollout/plancontroller.h"

#include <optional>
#include <string>
#include <vector>

// How a rollout plan's decisions enter the console's audit trail: as action log records (a
// pending record before an action is sent, finished with its outcome; a record of its own for a
// decision that sends nothing) and as markers on the charts.
namespace canary {

// "plan_rollback", "plan_set_weight", ... (the action log's snake_case actions, prefixed)
std::string decisionAction(rollout::DecisionKind kind);
// "pending", "succeeded", "failed"; "decided" for a decision that sends nothing.
std::string decisionOutcome(rollout::Decision::Outcome outcome);
// The record of a decision: its time, action, who (`plan <name>` when automatic, else
// `operatorName`), the step, the weight, the overall verdict and the reason as its message.
ActionRecord decisionRecord(const rollout::Decision &decision, const std::string &planName,
                            const std::string &operatorName);
// The message a record finishes with: the reason, and the backend's error when it failed.
std::string decisionMessage(const rollout::Decision &decision);
// A chart marker: "plan 25 %", "plan roll back", "plan pause"; " ✖" when the action failed.
TimelineEvent decisionMarker(const rollout::Decision &decision);

// What the rollout and the numbers were when a decision was made, for its record.
struct DecisionContext
{
    const KpiSnapshot *snapshot = nullptr; // both variants' KPIs of that moment; null: none
    bool live = false;                     // the snapshot is of the last poll
    std::optional<RolloutState> state;     // the rollout the decision was made on
    const rollout::Plan *plan = nullptr;   // its steps go into the record of the plan's start
};

// Writes a plan's decisions to an action log (and so to its audit trail): a decision that sends
// something is begun as pending when it is emitted and finished when its outcome comes; one that
// sends nothing is one record of its own. The console and `canaryctl run` both record through it.
class PlanDecisionLog final
{
public:
    explicit PlanDecisionLog(ActionLog &log)
        : m_log(log)
    {}
    // Records one emission of PlanController::decided. Returns why it could not be recorded, or
    // an empty string.
    std::string record(const rollout::Decision &decision, const std::string &planName,
                       const DecisionContext &context, SystemTime now);
    void clear() { m_pending.clear(); } // a new plan or connection: nothing is pending any more

private:
    struct Pending
    {
        rollout::DecisionKind kind;
        SystemTime time;
        std::uint64_t record;
    };
    ActionLog &m_log;
    std::vector<Pending> m_pending;
};

} // namespace canary
