#pragma once

#include "backends/controlplane.h"
#include "backends/metricssource.h"
#include "simulatedtraffic.h"
#include "simulationscenario.h"
#include "util/scheduler.h"

#include <QPointer>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

namespace canary::simulation {

// A rollout and its metrics in virtual time, without sockets: a control plane and a metrics
// source over one run's SimulatedTraffic. Traffic is drawn second by second up to the
// scheduler's clock whenever something reads or changes the rollout, each second at the weight
// it had when it began, so a weight change takes effect from the next whole second. Answers
// arrive through a zero-delay timer of the scheduler, never inside the call, as a real backend's
// would. The run starts with the canary staged at 0 %.
class SimulatedBackend final
{
public:
    SimulatedBackend(const SimulationScenario &scenario, std::uint64_t runSeed,
                     Scheduler &scheduler);
    ~SimulatedBackend();

    ControlPlane *controlPlane() const;
    MetricsSource *metrics() const;
    SimulatedTraffic &traffic() { return m_traffic; }
    const RolloutState &state() const { return m_state; }

    // Draws every whole second up to the clock's now.
    void catchUp();
    // When the canary was sent back or promoted, as seconds since the start.
    std::optional<double> rolledBackAtS() const { return m_rolledBackAtS; }
    std::optional<double> promotedAtS() const { return m_promotedAtS; }
    double elapsedSeconds() const;

    // The KPI windows a read answers, ending at the newest whole second (public for tests).
    MetricsReading reading(const std::vector<std::chrono::milliseconds> &windows);

private:
    class Control;
    class Metrics;
    friend class Control;
    friend class Metrics;

    void deliver(QObject *context, std::function<void()> answer);
    ControlResult change(const std::function<void()> &apply, bool needsCanary);
    metrics::VariantKpis variantKpis(VariantRole role, std::int64_t from, std::int64_t to) const;

    const SimulationScenario &m_scenario;
    Scheduler &m_scheduler;
    SystemTime m_start;
    SimulatedTraffic m_traffic;
    RolloutState m_state;
    std::optional<double> m_rolledBackAtS;
    std::optional<double> m_promotedAtS;
    std::unique_ptr<Control> m_control;
    std::unique_ptr<Metrics> m_metrics;
    std::unique_ptr<Timer> m_deliveryTimer;
    std::vector<std::pair<QPointer<QObject>, std::function<void()>>> m_pending;
};

} // namespace canary::simulation
