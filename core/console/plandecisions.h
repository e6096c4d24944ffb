#pragma once

#include "console/actionlog.h"
#include "domain/timelineevent.h"
#include "rollout/plancontroller.h"

#include <string>

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

} // namespace canary
