#pragma once

#include "domain/weight.h"
#include "gatewayconfig.h"

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

// What `canaryctl simulate` runs: traffic, the canary's weights over time, both variants'
// simulated models and their changes, labels, and whether (and from when) the canary is a
// regression. docs/simulation.md documents the JSON file.
namespace canary::simulation {

// One step of the weights the canary climbs: the baselines follow these; the project's plan
// controller gets them as its plan's steps (unless the scenario names a plan of its own).
struct WeightStep
{
    Weight weight;
    std::int64_t durationS = 0;
};

struct SimulationScenario
{
    std::string name; // the file's base name unless given
    double requestsPerSecond = 100;
    std::vector<WeightStep> steps; // at least one; the rollout lasts their sum
    gateway::SimulateParams production;
    gateway::SimulateParams canary;
    // Timed changes of either variant's model, applied from their second on (later ones win).
    std::vector<gateway::ScenarioStep> changes;
    double labelShare = 0;     // of requests that get a label
    double labelDelayMinS = 0; // each label arrives this long after its request: uniform in
    double labelDelayMaxS = 0; // [min, max]
    // The canary is a regression from this second on; nullopt: it is healthy (its rollbacks are
    // false rollbacks).
    std::optional<double> regressionFromS;
    // A plan file (resolved against the scenario's folder) for the project's controller; empty:
    // the steps above with the default gates.
    std::string planFile;
    std::chrono::milliseconds interval{1000}; // how often the project's controller judges

    std::int64_t durationS() const;
    Weight weightAt(double second) const; // the planned weight; the last step's after the end
    bool hasRegression() const { return regressionFromS.has_value(); }
    // The same scenario with the canary exactly like production and no regression: the A/A run
    // the tuned baselines are calibrated on.
    SimulationScenario healthyTwin() const;
};

// Parses a scenario document. Every problem names the field: "<source>: canary.error_rate: must
// be between 0 and 1, got 2". Unknown fields are refused.
std::optional<SimulationScenario> parseScenario(std::string_view text, std::string_view source,
                                                std::string *error);
std::optional<SimulationScenario> loadScenarioFile(const std::string &path, std::string *error);

} // namespace canary::simulation
