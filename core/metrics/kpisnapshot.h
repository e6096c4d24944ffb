#pragma once

#include "domain/rolloutstate.h"
#include "metrics/kpi.h"

#include <chrono>
#include <cstddef>

namespace canary {

// The numbers one decision is made on: both variants' KPIs over one window of consecutive good
// scrapes, with the window's true bounds. The side panel, the confirmation dialog and the action
// log all show the same snapshot, so one decision never reads three different error rates.
struct KpiSnapshot
{
    metrics::KpiResult kpis; // over (from, to]
    SystemTime from{};       // the oldest scrape of the window
    SystemTime to{};         // the newest scrape: the moment the numbers are of
    std::size_t scrapes = 0; // good scrapes the window spans (2 or more)

    bool valid() const { return scrapes >= 2 && kpis.ok(); }
    double seconds() const { return std::chrono::duration<double>(to - from).count(); }
    // How old the numbers are at `now`.
    std::chrono::milliseconds age(SystemTime now) const
    {
        return std::chrono::duration_cast<std::chrono::milliseconds>(now - to);
    }
};

} // namespace canary
