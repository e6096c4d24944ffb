#include "simulatedtraffic.h"

#include "random.h"
#include "router.h"
#include "simulatedmodel.h"

#include <algorithm>
#include <cmath>

namespace canary::simulation {

SimulatedTraffic::SimulatedTraffic(const SimulationScenario &scenario, std::uint64_t runSeed)
    : m_scenario(scenario)
    , m_changes(scenario.changes)
    , m_seed(runSeed)
{
    const auto seconds = std::size_t(scenario.durationS());
    for (std::size_t v = 0; v < 2; ++v) {
        m_seconds[v].reserve(seconds + 1);
        m_histograms[v].reserve((seconds + 1) * kBuckets);
    }
}

gateway::SimulateParams SimulatedTraffic::paramsAt(VariantRole role, double second) const
{
    return m_changes.effective(
        role, role == VariantRole::Canary ? m_scenario.canary : m_scenario.production, second);
}

void SimulatedTraffic::addLabel(std::size_t variant, std::int64_t second, bool correct)
{
    auto &arrivals = m_labelArrivals[variant];
    if (arrivals.size() <= std::size_t(second))
        arrivals.resize(std::size_t(second) + 1, {0, 0});
    ++arrivals[std::size_t(second)][0];
    if (correct)
        ++arrivals[std::size_t(second)][1];
}

void SimulatedTraffic::generateSecond(Weight canaryWeight)
{
    const std::int64_t second = generatedSeconds();
    // Each second its own stream: its draws do not depend on how earlier seconds were split.
    gateway::Random random(
        gateway::Router::mix(m_seed ^ gateway::Router::mix(std::uint64_t(second))));
    const std::array<gateway::SimulateParams, 2> params = {
        paramsAt(VariantRole::Production, double(second)),
        paramsAt(VariantRole::Canary, double(second))};
    const double canaryShare = canaryWeight.percent() / 100.0;
    const auto &bounds = gateway::MetricsRegistry::bucketBounds();

    std::array<Totals, 2> counts{};
    for (std::size_t v = 0; v < 2; ++v)
        m_histograms[v].resize(m_histograms[v].size() + kBuckets, 0);
    std::array<std::uint32_t *, 2> histogram = {
        m_histograms[0].data() + std::size_t(second) * kBuckets,
        m_histograms[1].data() + std::size_t(second) * kBuckets};

    // Poisson arrivals: exponential gaps at the scenario's rate, within this second.
    const double rate = m_scenario.requestsPerSecond;
    double at = 0;
    while (true) {
        at += -std::log(1.0 - random.uniform()) / rate;
        if (at >= 1.0)
            break;
        const std::size_t v = random.uniform() < canaryShare ? 1 : 0;
        const auto &model = params[v];
        const double latency =
            double(gateway::SimulatedModel::drawLatency(model, random).count()) / 1e6;
        const bool failed = random.uniform() < model.errorRate;
        ++counts[v].requests;
        if (failed)
            ++counts[v].errors;
        const auto bucket =
            std::size_t(std::lower_bound(bounds.begin(), bounds.end(), latency) - bounds.begin());
        ++histogram[v][bucket];
        if (m_scenario.labelShare > 0 && random.uniform() < m_scenario.labelShare) {
            const bool correct = random.uniform() < model.accuracy;
            const double delay =
                m_scenario.labelDelayMinS +
                (m_scenario.labelDelayMaxS - m_scenario.labelDelayMinS) * random.uniform();
            addLabel(v, second + std::int64_t(std::floor(at + delay)), correct);
        }
        if (m_observer)
            m_observer(
                {v == 1 ? VariantRole::Canary : VariantRole::Production, second, latency, failed});
    }
    for (std::size_t v = 0; v < 2; ++v) {
        if (m_labelArrivals[v].size() > std::size_t(second)) {
            counts[v].labelled = m_labelArrivals[v][std::size_t(second)][0];
            counts[v].correct = m_labelArrivals[v][std::size_t(second)][1];
        }
        m_seconds[v].push_back(counts[v]);
    }
}

SimulatedTraffic::Totals SimulatedTraffic::totals(VariantRole role, std::int64_t from,
                                                  std::int64_t to) const
{
    const auto &seconds = m_seconds[index(role)];
    from = std::clamp<std::int64_t>(from, 0, std::int64_t(seconds.size()));
    to = std::clamp<std::int64_t>(to, from, std::int64_t(seconds.size()));
    Totals sum;
    for (auto s = from; s < to; ++s) {
        const auto &t = seconds[std::size_t(s)];
        sum.requests += t.requests;
        sum.errors += t.errors;
        sum.labelled += t.labelled;
        sum.correct += t.correct;
    }
    return sum;
}

std::vector<metrics::Bucket> SimulatedTraffic::latency(VariantRole role, std::int64_t from,
                                                       std::int64_t to) const
{
    const auto &histograms = m_histograms[index(role)];
    const auto generated = generatedSeconds();
    from = std::clamp<std::int64_t>(from, 0, generated);
    to = std::clamp<std::int64_t>(to, from, generated);
    std::array<std::uint64_t, kBuckets> sum{};
    for (auto s = from; s < to; ++s) {
        const std::uint32_t *h = histograms.data() + std::size_t(s) * kBuckets;
        for (std::size_t b = 0; b < kBuckets; ++b)
            sum[b] += h[b];
    }
    const auto &bounds = gateway::MetricsRegistry::bucketBounds();
    std::vector<metrics::Bucket> buckets(kBuckets);
    double cumulative = 0;
    for (std::size_t b = 0; b < kBuckets; ++b) {
        cumulative += double(sum[b]);
        buckets[b] = {b < bounds.size() ? bounds[b] : std::numeric_limits<double>::infinity(),
                      cumulative};
    }
    return buckets;
}

} // namespace canary::simulation
