#pragma once

#include "rollout/plan.h"
#include "simulationscenario.h"
#include "simulator.h"

#include <cstdint>
#include <optional>
#include <string>

namespace canary::simulation {

// The plan the project's controller runs in a scenario: the scenario's plan file, or its steps
// with the default gates (each step's bake its duration, promotion after the last).
std::optional<rollout::Plan> planFor(const SimulationScenario &scenario, std::string *error);

// One whole rollout under the real rollout::PlanController (ControllerOptions{.liveJudgement =
// false}) on a ManualScheduler over a SimulatedBackend. It ends at the rollback or the promotion,
// or undecided when the plan pauses for a person or the rollout outlasts its plan by ten minutes.
RunOutcome runOurs(const SimulationScenario &scenario, const rollout::Plan &plan,
                   std::uint64_t seed);

} // namespace canary::simulation
