#pragma once

#include "backends/controlplane.h"
#include "backends/metricssource.h"
#include "console/actionlog.h"
#include "rollout/plan.h"
#include "util/scheduler.h"

#include <cstdio>

namespace canary::ctl {

// `canaryctl run --plan FILE`: the console's plan controller without a GUI. Every decision is
// printed as it is made (time, step, weight, reason, and the gates that decided it), with a
// progress line at most once a minute. Documented in docs/canaryctl.md.
enum RunExitCode : int {
    kRunPromoted = 0,
    kRunError = 1, // the plan file, the token, or the backend refused or failed an action
    kRunRolledBack = 2,
    kRunWaiting = 3, // paused waiting for a person, stopped by one, or interrupted (SIGINT)
};

// Runs `plan` to its end (or until SIGINT or SIGTERM) on the given backends and scheduler. With
// `log`, every decision is recorded there too (and so in its audit trail).
int runPlan(const rollout::Plan &plan, ControlPlane *control, MetricsSource *metrics,
            Scheduler &scheduler, std::FILE *out, std::FILE *err, ActionLog *log = nullptr);

} // namespace canary::ctl
