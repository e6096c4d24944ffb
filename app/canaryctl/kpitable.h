#pragma once

#include "domain/rolloutstate.h"
#include "metrics/kpi.h"

#include <string>

namespace canary::ctl {

// What the table says about the rollout above the numbers.
struct RolloutContext
{
    const RolloutState *state = nullptr; // the rollout as last read; nullptr: never read
    bool revisions = true;               // the backend numbers its states (HAProxy does not)
    // Why the rollout shown is not of the last poll (or was never read); empty while fresh.
    std::string stateError;
};

// The per-variant table `canaryctl watch` prints. Unknown values print as "-", never as 0.
std::string formatKpiTable(const metrics::KpiResult &kpis, const RolloutContext &rollout);

} // namespace canary::ctl
