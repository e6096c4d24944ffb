#pragma once

#include "domain/rolloutstate.h"
#include "domain/weight.h"
#include "metrics/histogramquantile.h"
#include "metricsregistry.h"
#include "scenario.h"
#include "simulationscenario.h"

#include <array>
#include <cstdint>
#include <functional>
#include <vector>

namespace canary::simulation {

// One request as the simulation drew it, for the baselines that look at single requests (the
// oracle's latency threshold, the fixed-horizon judge's samples).
struct RequestSample
{
    VariantRole role = VariantRole::Production;
    std::int64_t second = 0;
    double latencySeconds = 0;
    bool failed = false;
};

// Whole seconds of one run's traffic, drawn one after another: Poisson arrivals at the
// scenario's rate, each request sent to the canary with the second's weight, its latency, error
// and label drawn by the gateway's simulated model, its label (if any) arriving a delay later.
// Kept per second and variant: counts, labels that arrived, and a latency histogram on the
// gateway's bucket bounds. Every second draws from its own generator seeded by (run seed,
// second), so two runs with the same seed and the same weights see the very same requests, and
// a run whose weights differ from another's only from some second on differs only from there.
class SimulatedTraffic final
{
public:
    static constexpr std::size_t kBuckets = gateway::MetricsRegistry::kFiniteBuckets + 1;

    struct Totals
    {
        std::int64_t requests = 0;
        std::int64_t errors = 0;
        std::int64_t labelled = 0; // labels that arrived in the seconds summed
        std::int64_t correct = 0;  // of those, correct predictions
    };

    SimulatedTraffic(const SimulationScenario &scenario, std::uint64_t runSeed);

    using Observer = std::function<void(const RequestSample &)>;
    void setObserver(Observer observer) { m_observer = std::move(observer); }

    // Draws the next second (generatedSeconds() becomes one more) with the canary at `weight`.
    void generateSecond(Weight canaryWeight);
    std::int64_t generatedSeconds() const { return std::int64_t(m_seconds[0].size()); }

    // Over the generated seconds [from, to), clamped to what was generated.
    Totals totals(VariantRole role, std::int64_t from, std::int64_t to) const;
    // Cumulative counts by upper bound in seconds, +Inf last (as a window of gateway metrics).
    std::vector<metrics::Bucket> latency(VariantRole role, std::int64_t from,
                                         std::int64_t to) const;

    gateway::SimulateParams paramsAt(VariantRole role, double second) const;

private:
    static std::size_t index(VariantRole role) { return role == VariantRole::Canary ? 1 : 0; }
    void addLabel(std::size_t variant, std::int64_t second, bool correct);

    const SimulationScenario &m_scenario;
    gateway::Scenario m_changes;
    std::uint64_t m_seed;
    Observer m_observer;
    std::array<std::vector<Totals>, 2> m_seconds; // labelled/correct: arrivals in that second
    // Labels by the second they arrive in ({labelled, correct}), ahead of the generated seconds.
    std::array<std::vector<std::array<std::int64_t, 2>>, 2> m_labelArrivals;
    std::array<std::vector<std::uint32_t>, 2> m_histograms; // kBuckets per second
};

} // namespace canary::simulation
