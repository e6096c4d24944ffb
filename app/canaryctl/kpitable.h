#pragma once

#include "domain/rolloutstate.h"
#include "metrics/kpi.h"

#include <string>

namespace canary::ctl {

// The per-variant table `canaryctl watch` prints. Unknown values print as "-", never as 0.
std::string formatKpiTable(const metrics::KpiResult &kpis, const RolloutState *state,
                           const std::string &stateError);

} // namespace canary::ctl
