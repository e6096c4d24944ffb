#include "baselines.h"

#include "analysis/fixedhorizon.h"
#include "metrics/histogramquantile.h"
#include "scenario.h"
#include "simulatedmodel.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>

namespace canary::simulation {

namespace {

constexpr double kInfinity = std::numeric_limits<double>::infinity();

// The log likelihood ratio of `events` events and `others` non-events under p1 against p0.
double logLikelihoodRatio(std::int64_t events, std::int64_t others, double p0, double p1)
{
    if (p0 == p1)
        return 0;
    double sum = 0;
    if (events > 0)
        sum += p1 <= 0 ? -kInfinity : p0 <= 0 ? kInfinity : double(events) * std::log(p1 / p0);
    if (others > 0)
        sum += p1 >= 1   ? -kInfinity
               : p0 >= 1 ? kInfinity
                         : double(others) * std::log((1 - p1) / (1 - p0));
    return sum;
}

// Kullback-Leibler divergence of Bernoulli(p1) from Bernoulli(p0): the expected log likelihood
// ratio per canary request, so the larger, the sooner the test decides.
double divergence(double p1, double p0)
{
    auto term = [](double p, double q) {
        return p <= 0 ? 0.0 : p * std::log(p / q);
    };
    if (p0 <= 0 || p0 >= 1)
        return 0;
    return term(p1, p0) + term(1 - p1, 1 - p0);
}

// The latency (seconds) production exceeds with probability `tail`, by bisection on log time.
double productionQuantile(const gateway::SimulateParams &params, double tail)
{
    double low = 1e-6, high = gateway::SimulatedModel::kMaxLatencyMs / 1000;
    for (int i = 0; i < 100; ++i) {
        const double mid = std::sqrt(low * high);
        if (OraclePolicy::probabilityAbove(params, mid) > tail)
            low = mid;
        else
            high = mid;
    }
    return std::sqrt(low * high);
}

bool latencyDiffers(const gateway::SimulateParams &a, const gateway::SimulateParams &b)
{
    return a.latencyP50Ms != b.latencyP50Ms || a.latencyP99Ms != b.latencyP99Ms ||
           a.slowShare != b.slowShare || a.slowFactor != b.slowFactor;
}

} // namespace

double OraclePolicy::probabilityAbove(const gateway::SimulateParams &params, double seconds)
{
    const double p50 = std::max(params.latencyP50Ms, 0.001);
    const double p99 = std::max(params.latencyP99Ms, p50);
    const double sigma = std::log(p99 / p50) / gateway::SimulatedModel::kZ99;
    auto above = [&](double ms) {
        if (ms <= 0)
            return 1.0;
        if (sigma <= 0)
            return ms < p50 ? 1.0 : 0.0;
        return 0.5 * std::erfc((std::log(ms) - std::log(p50)) / (sigma * std::sqrt(2.0)));
    };
    const double ms = seconds * 1000;
    const double share = std::clamp(params.slowShare, 0.0, 1.0);
    return (1 - share) * above(ms) + share * above(ms / std::max(params.slowFactor, 1.0));
}

OraclePolicy::OraclePolicy(const SimulationScenario &scenario)
{
    // The metric the canary changes, judged where the scenario ends (after every change).
    const gateway::Scenario changes(scenario.changes);
    const double end = double(std::max<std::int64_t>(scenario.durationS() - 1, 0));
    const auto production = changes.effective(VariantRole::Production, scenario.production, end);
    const auto canary = changes.effective(VariantRole::Canary, scenario.canary, end);
    if (canary.errorRate != production.errorRate) {
        m_metric = Metric::Errors;
    } else if (latencyDiffers(canary, production)) {
        m_metric = Metric::LatencyAbove;
        double best = -1;
        for (double quantile : {0.5, 0.75, 0.9, 0.95, 0.975, 0.99, 0.995, 0.999}) {
            const double threshold = productionQuantile(production, 1 - quantile);
            const double d = divergence(probabilityAbove(canary, threshold),
                                        probabilityAbove(production, threshold));
            if (d > best) {
                best = d;
                m_threshold = threshold;
            }
        }
    } else if (canary.accuracy != production.accuracy && scenario.labelShare > 0) {
        m_metric = Metric::WrongPredictions;
    } else {
        m_metric = Metric::Errors;
        m_doubledErrors = true;
    }
}

void OraclePolicy::observe(const RequestSample &request)
{
    if (request.role == VariantRole::Canary && request.latencySeconds > m_threshold)
        ++m_slowInSecond;
}

bool OraclePolicy::endOfSecond(const SimulatedTraffic &traffic, std::int64_t second)
{
    const auto production = traffic.paramsAt(VariantRole::Production, double(second));
    const auto canary = traffic.paramsAt(VariantRole::Canary, double(second));
    const auto counts = traffic.totals(VariantRole::Canary, second, second + 1);
    switch (m_metric) {
    case Metric::Errors: {
        const double p0 = production.errorRate;
        const double p1 = m_doubledErrors ? std::min(2 * p0, 1.0) : canary.errorRate;
        m_logRatio += logLikelihoodRatio(counts.errors, counts.requests - counts.errors, p0, p1);
        break;
    }
    case Metric::LatencyAbove:
        m_logRatio += logLikelihoodRatio(m_slowInSecond, counts.requests - m_slowInSecond,
                                         probabilityAbove(production, m_threshold),
                                         probabilityAbove(canary, m_threshold));
        m_slowInSecond = 0;
        break;
    case Metric::WrongPredictions:
        m_logRatio += logLikelihoodRatio(counts.labelled - counts.correct, counts.correct,
                                         1 - production.accuracy, 1 - canary.accuracy);
        break;
    }
    return m_logRatio >= std::log(1 / kAlpha);
}

FlaggerPolicy::FlaggerPolicy(Settings settings)
    : m_settings(settings)
{}

bool FlaggerPolicy::endOfSecond(const SimulatedTraffic &traffic, std::int64_t second)
{
    const std::int64_t end = second + 1;
    if (end % m_settings.intervalS != 0)
        return false;
    const std::int64_t from = end - m_settings.intervalS;
    const auto canary = traffic.totals(VariantRole::Canary, from, end);
    double score = -kInfinity;
    if (canary.requests > 0) {
        const auto buckets = traffic.latency(VariantRole::Canary, from, end);
        const double p99Ms = metrics::histogramQuantile(0.99, buckets) * 1000;
        if (!(p99Ms > m_settings.maxP99Ms))
            score = 100.0 * (1.0 - double(canary.errors) / double(canary.requests));
    }
    m_scores.push_back(score);
    if (score < m_settings.minSuccessPercent)
        ++m_failed;
    return m_failed >= m_settings.threshold;
}

double FlaggerPolicy::tunedSuccessPercent(const std::vector<std::vector<double>> &runScores,
                                          int threshold, std::size_t allowed)
{
    // A run rolls back at success threshold T exactly when its threshold-th lowest score is
    // below T; a run with fewer checks than that never does.
    std::vector<double> deciding;
    deciding.reserve(runScores.size());
    for (auto scores : runScores) {
        std::sort(scores.begin(), scores.end());
        deciding.push_back(scores.size() >= std::size_t(threshold)
                               ? scores[std::size_t(threshold - 1)]
                               : kInfinity);
    }
    std::sort(deciding.begin(), deciding.end());
    if (allowed >= deciding.size())
        return 100;
    // Fewer than `allowed` + 1 runs lie below the (allowed + 1)-th lowest.
    return std::clamp(deciding[allowed], 0.0, 100.0);
}

KayentaPolicy::KayentaPolicy(std::int64_t intervalS, std::uint64_t seed)
    : m_intervalS(intervalS)
    , m_random(seed)
{
    for (auto &sample : m_samples)
        sample.reserve(kSamplesPerArm);
}

void KayentaPolicy::observe(const RequestSample &request)
{
    // Reservoir sampling (Vitter's algorithm R): a uniform sample of the interval's requests.
    const std::size_t v = request.role == VariantRole::Canary ? 1 : 0;
    auto &sample = m_samples[v];
    const auto seen = ++m_seen[v];
    if (sample.size() < kSamplesPerArm) {
        sample.push_back(request.latencySeconds);
        return;
    }
    const auto slot = std::size_t(m_random.uniform() * double(seen));
    if (slot < kSamplesPerArm)
        sample[slot] = request.latencySeconds;
}

bool KayentaPolicy::fails(const SimulatedTraffic &traffic, std::int64_t from, std::int64_t to)
{
    const double alpha = 1 - kConfidence;
    // Kayenta's rule: the interval's lower end above tolerance x |estimate| is "High".
    auto high = [](double ciLow, double estimate) {
        return ciLow > 0 && ciLow > kTolerance * std::abs(estimate);
    };
    if (!m_samples[0].empty() && !m_samples[1].empty()) {
        if (auto mw = analysis::mannWhitney(m_samples[1], m_samples[0], alpha);
            mw && high(mw->ciLow, mw->estimate))
            return true;
    }
    const auto canary = traffic.totals(VariantRole::Canary, from, to);
    const auto production = traffic.totals(VariantRole::Production, from, to);
    if (canary.requests > 0 && production.requests > 0) {
        if (auto errors = analysis::twoProportions(canary.errors, canary.requests,
                                                   production.errors, production.requests, alpha);
            errors && high(errors->ciLow, errors->estimate))
            return true;
    }
    if (canary.labelled > 0 && production.labelled > 0) {
        if (auto wrong = analysis::twoProportions(canary.labelled - canary.correct, canary.labelled,
                                                  production.labelled - production.correct,
                                                  production.labelled, alpha);
            wrong && high(wrong->ciLow, wrong->estimate))
            return true;
    }
    return false;
}

bool KayentaPolicy::endOfSecond(const SimulatedTraffic &traffic, std::int64_t second)
{
    const std::int64_t end = second + 1;
    if (end % m_intervalS != 0)
        return false;
    const bool failed = fails(traffic, end - m_intervalS, end);
    for (auto &sample : m_samples)
        sample.clear();
    m_seen = {};
    return failed;
}

} // namespace canary::simulation
