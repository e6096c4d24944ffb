#include "scenario.h"

#include <algorithm>

namespace canary::gateway {

Scenario::Scenario(std::vector<ScenarioStep> steps)
    : m_steps(std::move(steps))
{
    std::stable_sort(m_steps.begin(), m_steps.end(),
                     [](const ScenarioStep &a, const ScenarioStep &b) { return a.atS < b.atS; });
}

SimulateParams Scenario::effective(VariantRole role, const SimulateParams &base,
                                   double elapsedS) const
{
    SimulateParams params = base;
    for (const auto &step : m_steps) {
        if (step.atS > elapsedS)
            break;
        if (step.variant == role)
            params = step.simulate.applyTo(params);
    }
    return params;
}

} // namespace canary::gateway
