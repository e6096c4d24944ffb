#pragma once

#include "analysis/judge.h"
#include "backends/controlplane.h"
#include "backends/metricssource.h"
#include "rollout/plan.h"
#include "util/scheduler.h"

#include <QObject>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace canary::rollout {

enum class RunPhase {
    Idle,        // not started
    Applying,    // a weight of the plan is on its way, or the backend is still applying it
    Baking,      // a step is running; the gates are judged every interval
    Paused,      // waiting for a person: pauseReason() says why. The gates are still judged and a
                 // critical failure still rolls back
    Promoting,   // the promote is on its way
    RollingBack, // the rollback is on its way
    Promoted,    // done: the canary took all traffic
    RolledBack,  // done: the canary was sent back to 0 %
    Stopped,     // done: a person took over (a manual action, or the weight moved outside the plan)
    Failed,      // done: the backend refused a step of the plan; the rollout is as the error says
};
std::string_view toString(RunPhase phase); // "idle", "baking", ...
bool isFinished(RunPhase phase);

enum class DecisionKind {
    Start,     // the plan began
    SetWeight, // a step's weight was sent: the first step's, or the next one after a Skip
    Advance,   // a step's gates passed; the next step begins (the decision carries its weight)
    EndBakeEarly,
    ExtendBake,
    Pause,   // by a person, on Inconclusive, on missing data, on the maximum duration
    Resume,  // by a person
    Skip,    // by a person: the step ends as if it had passed
    Promote, // automatic after the last step, or by a person
    Rollback,
    Hold,     // no decision possible (missing data): nothing is changed, said once per cause
    Override, // a person acted outside the plan; the plan stopped
    Error,    // the backend refused or failed an action
};
std::string_view toString(DecisionKind kind); // "start", "set-weight", ...

// One decision with its reason and the numbers it rested on. Emitted before its action is sent
// (outcome Pending), then again with the outcome: the audit trail records the intention first.
struct Decision
{
    enum class Outcome { None, Pending, Succeeded, Failed };
    SystemTime time{};
    DecisionKind kind = DecisionKind::Start;
    bool automatic = true;         // false: a person asked for it
    int step = -1;                 // index into the plan's steps, -1 outside a step
    std::optional<Weight> weight;  // the weight the action sets, when it sets one
    std::string reason;            // one or two sentences a person can read
    analysis::Judgement judgement; // the verdicts at that moment
    Outcome outcome = Outcome::None;
    std::string error; // why the action failed, when it did
};

struct ControllerOptions
{
    // Refresh the full judgement (verdict sentences, intervals) after every interval, for a live
    // view. Off, it is computed only for decisions and the cheap criticalFailure() check runs every
    // interval: what `canaryctl simulate` needs to run thousands of rollouts.
    bool liveJudgement = true;
};

// Runs a plan against a backend: reads the metrics every plan interval (single flight, windows
// that never overlap), feeds the judge, sets the steps' weights, rolls back the moment a
// critical gate fails, advances when a bake ends with every gate passing, and promotes after the
// last step. Deterministic on a ManualScheduler. Never advances or promotes on missing data.
// A person always wins: pause/resume/skip, and a manual promote or rollback (promoteNow,
// rollbackNow, or one made elsewhere, seen when the rollout changes under the plan) ends it.
// Neither backend is owned; both must outlive the controller and are used by it alone (a
// console gives it its own MetricsSource: a source never has two reads in flight).
class PlanController final : public QObject
{
    Q_OBJECT

public:
    PlanController(Plan plan, ControlPlane *control, MetricsSource *metrics, Scheduler &scheduler,
                   ControllerOptions options = {}, QObject *parent = nullptr);
    ~PlanController() override;

    // Asked after a decision that sends something was emitted Pending (and recorded by whoever
    // listens to decided()), before it is sent: the answer is empty when it may go, else why not
    // (the audit trail could not record it). A weight change or a promotion is then not sent and
    // the plan fails with that reason; a rollback is sent anyway, because it is the safe way and
    // the console's own levers need the trail too (whoever could not record it says so).
    using ActionGate = std::function<std::string(const Decision &)>;
    void setActionGate(ActionGate gate);

    void start();
    // By a person. pause() freezes the bake's remaining time (while baking, or once a weight on
    // its way is applied); resume() goes on with it, or after a pause at the end of a bake judges
    // again: passing gates advance, otherwise the step bakes again for extendBy (or its bake).
    // skipStep() ends the step as if it had passed (the last one: promote). Each is ignored in a
    // phase where it means nothing (e.g. resume() when not paused).
    void pause();
    void resume();
    void skipStep();
    void promoteNow();  // a person promotes: the plan ends
    void rollbackNow(); // a person rolls back: the plan ends
    // A person acted elsewhere (e.g. the console's own Promote button); the plan stops at once and
    // sends nothing more.
    void stopForOverride(const std::string &reason);

    const Plan &plan() const;
    RunPhase phase() const;
    int currentStep() const; // -1 before the first step
    std::string pauseReason() const;
    // Time left in the current bake (nullopt when not baking), and the weight after this step.
    std::optional<std::chrono::milliseconds> bakeRemaining() const;
    std::optional<Weight> nextWeight() const;
    // The gates as of the last interval judged (refreshed every interval while baking).
    const analysis::Judgement &judgement() const;
    const std::vector<Decision> &decisions() const;
    std::optional<RolloutState> lastState() const;
    // Both variants' KPIs over the last interval judged (nullopt before the first): what a
    // decision's record holds when no live monitor gives the numbers (canaryctl run).
    const std::optional<KpiSnapshot> &lastWindow() const;

Q_SIGNALS:
    void decided(const canary::rollout::Decision &decision); // Pending, then with the outcome
    void phaseChanged(canary::rollout::RunPhase phase);
    void judged(); // after every interval: judgement(), bakeRemaining() are new

private:
    struct Private;
    std::unique_ptr<Private> d;
};

} // namespace canary::rollout
