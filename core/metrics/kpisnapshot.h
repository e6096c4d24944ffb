#pragma once

#include "domain/rolloutstate.h"
#include "metrics/kpi.h"

#include <chrono>
#include <cstddef>

namespace canary {

// The numbers one decision is made on: both variants' KPIs over one window of time without a gap,
// with the window's true bounds. The side panel, the confirmation dialog and the action
// log all show the same snapshot, so one decision never reads three different error rates.
struct KpiSnapshot
{
    metrics::KpiResult kpis; // over (from, to]
    SystemTime from{};       // the start of the window (a scraping source: its oldest scrape)
    SystemTime to{};         // the end: the moment the numbers are of
    // The readings the window rests on: good scrapes for a scraping source (2 or more), 1 for a
    // source that computes the window itself (Prometheus, CloudWatch).
    std::size_t readings = 0;

    bool valid() const { return readings >= 1 && to > from && kpis.ok(); }
    double seconds() const { return std::chrono::duration<double>(to - from).count(); }
    // How old the numbers are at `now`.
    std::chrono::milliseconds age(SystemTime now) const
    {
        return std::chrono::duration_cast<std::chrono::milliseconds>(now - to);
    }
};

} // namespace canary
