#include "ourpolicy.h"

#include "rollout/plancontroller.h"
#include "simulatedbackend.h"
#include "util/clock.h"
#include "util/scheduler.h"

#include <chrono>
#include <cmath>

namespace canary::simulation {

std::optional<rollout::Plan> planFor(const SimulationScenario &scenario, std::string *error)
{
    if (!scenario.planFile.empty())
        return rollout::loadPlanFile(scenario.planFile, error);
    rollout::Plan plan;
    plan.name = scenario.name;
    for (const auto &step : scenario.steps)
        plan.steps.push_back({step.weight, std::chrono::seconds(step.durationS), 1000});
    plan.interval = scenario.interval;
    return plan;
}

RunOutcome runOurs(const SimulationScenario &scenario, const rollout::Plan &plan,
                   std::uint64_t seed)
{
    using namespace std::chrono;
    ManualClock clock;
    ManualScheduler scheduler(clock);
    SimulatedBackend backend(scenario, seed, scheduler);
    rollout::ControllerOptions options;
    options.liveJudgement = false;
    rollout::PlanController controller(plan, backend.controlPlane(), backend.metrics(), scheduler,
                                       options);
    controller.start();

    seconds planned{0};
    for (const auto &step : plan.steps)
        planned += step.bake;
    const double limitS = double((planned + minutes(10)).count());
    while (!rollout::isFinished(controller.phase()) &&
           controller.phase() != rollout::RunPhase::Paused && backend.elapsedSeconds() < limitS)
        scheduler.advance(seconds(1));

    RunOutcome outcome;
    if (auto at = backend.rolledBackAtS()) {
        outcome.end = RunOutcome::End::RolledBack;
        outcome.atS = *at;
        // The gates that failed when the controller decided.
        for (const auto &decision : controller.decisions()) {
            if (decision.kind != rollout::DecisionKind::Rollback)
                continue;
            for (const auto &gate : decision.judgement.gates) {
                if (gate.verdict == analysis::Verdict::Fail)
                    outcome.decidedBy += (outcome.decidedBy.empty() ? "" : "+") + gate.spec.name;
            }
            break;
        }
    } else if (auto promoted = backend.promotedAtS()) {
        outcome.end = RunOutcome::End::Promoted;
        outcome.atS = *promoted;
    } else {
        outcome.end = RunOutcome::End::Undecided;
        outcome.atS = backend.elapsedSeconds();
    }
    const auto from = std::int64_t(std::floor(scenario.regressionFromS.value_or(0)));
    outcome.canaryRequests =
        backend.traffic()
            .totals(VariantRole::Canary, from, std::int64_t(std::ceil(outcome.atS)))
            .requests;
    return outcome;
}

} // namespace canary::simulation
