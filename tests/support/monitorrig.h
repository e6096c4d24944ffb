#pragma once

#include "backends/backendfactory.h"
#include "console/rolloutmonitor.h"

#include <QtTest>

#include <memory>
#include <string>

// A RolloutMonitor on the backends that a URL names (as canaryctl and the console build them),
// owning both. Used like a std::unique_ptr<RolloutMonitor>.
class MonitorRig final
{
public:
    MonitorRig(canary::HttpTransport *transport, const canary::ConnectionProfile &profile,
               canary::Scheduler &scheduler, canary::MonitorSettings settings)
    {
        build(transport, profile, scheduler, settings);
    }
    // Real timers, with time read from `clock` (a ManualClock in tests that set the time).
    MonitorRig(canary::HttpTransport *transport, const canary::ConnectionProfile &profile,
               const canary::Clock &clock, canary::MonitorSettings settings)
        : m_ownScheduler(std::make_unique<canary::QtScheduler>(clock))
    {
        build(transport, profile, *m_ownScheduler, settings);
    }

    canary::RolloutMonitor *get() const { return monitor.get(); }
    canary::RolloutMonitor *operator->() const { return monitor.get(); }
    canary::RolloutMonitor &operator*() const { return *monitor; }

private:
    std::unique_ptr<canary::QtScheduler> m_ownScheduler; // first: outlives the monitor's timer

    void build(canary::HttpTransport *transport, const canary::ConnectionProfile &profile,
               canary::Scheduler &scheduler, canary::MonitorSettings settings)
    {
        std::string error;
        backends = canary::makeBackends(profile, transport, scheduler.clock(), &error);
        if (!backends.control)
            qFatal("MonitorRig: %s", error.c_str());
        monitor = std::make_unique<canary::RolloutMonitor>(
            backends.control.get(), backends.metrics.get(), scheduler, settings);
    }

public:
    canary::Backends backends; // before the monitor: outlives it
    std::unique_ptr<canary::RolloutMonitor> monitor;
};
