#pragma once

#include "gatewayconfig.h"

#include <vector>

namespace canary::gateway {

// Scripted changes of the simulated models over time ("at 120 s the canary's p99 becomes 400 ms").
// Each step applies from its offset on, to whatever occupies its slot; later steps win.
class Scenario final
{
public:
    Scenario() = default;
    explicit Scenario(std::vector<ScenarioStep> steps);

    SimulateParams effective(VariantRole role, const SimulateParams &base, double elapsedS) const;
    bool empty() const { return m_steps.empty(); }

private:
    std::vector<ScenarioStep> m_steps; // sorted by atS, stable
};

} // namespace canary::gateway
