#pragma once

#include "gatewayconfig.h"
#include "random.h"
#include "simulatedtraffic.h"
#include "simulationscenario.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

// The policies the project's controller is compared with (docs/simulation.md): each watches one
// run's traffic second by second and may roll the canary back at the end of any second. They only
// ever roll back, so they all watch the same traffic: the planned weights, drawn once per run.
namespace canary::simulation {

class BaselinePolicy
{
public:
    virtual ~BaselinePolicy() = default;
    // Whether observe() must see every request (it costs a call per request).
    virtual bool wantsRequests() const { return false; }
    virtual void observe(const RequestSample &) {}
    // Second `second` has just been drawn; true: roll back now, at the second's end.
    virtual bool endOfSecond(const SimulatedTraffic &traffic, std::int64_t second) = 0;
};

// Wald's sequential probability ratio test that knows both variants' true rates at every second
// (the limit no policy that must estimate them can beat), on the canary's requests alone, with
// only the upper boundary 1/alpha: it never stops early to accept. The metric is the one the
// scenario's canary changes: errors; requests above the production latency threshold that
// separates the two distributions best; or wrong predictions among the labels that arrived.
// A scenario whose canary changes nothing is tested against doubled errors.
class OraclePolicy final : public BaselinePolicy
{
public:
    enum class Metric { Errors, LatencyAbove, WrongPredictions };
    static constexpr double kAlpha = 0.05;

    explicit OraclePolicy(const SimulationScenario &scenario);
    bool wantsRequests() const override { return m_metric == Metric::LatencyAbove; }
    void observe(const RequestSample &request) override;
    bool endOfSecond(const SimulatedTraffic &traffic, std::int64_t second) override;

    Metric metric() const { return m_metric; }
    double thresholdSeconds() const { return m_threshold; } // LatencyAbove only
    // The true probability that one request of a variant with these parameters is slower than
    // `seconds` (the lognormal body with its slow share).
    static double probabilityAbove(const gateway::SimulateParams &params, double seconds);

private:
    Metric m_metric = Metric::Errors;
    bool m_doubledErrors = false; // no change in the canary: H1 is "errors doubled"
    double m_threshold = 0;
    std::int64_t m_slowInSecond = 0; // canary requests above the threshold, this second
    double m_logRatio = 0;
};

// Flagger's analysis as commonly configured: every `interval` seconds, over the last interval,
// the canary's request success rate must be at least `minSuccessPercent` and its p99 (from the
// latency histogram, as Prometheus' histogram_quantile) at most `maxP99Ms`; a check without
// canary requests fails ("no values found"). The canary is rolled back when `threshold` checks
// have failed (failed checks are counted over the whole analysis, as Flagger does).
class FlaggerPolicy final : public BaselinePolicy
{
public:
    struct Settings
    {
        double minSuccessPercent = 99;
        double maxP99Ms = 500;
        std::int64_t intervalS = 60;
        int threshold = 1;
    };
    explicit FlaggerPolicy(Settings settings);
    bool endOfSecond(const SimulatedTraffic &traffic, std::int64_t second) override;

    // Each check's success rate in percent, -infinity for a check that fails whatever the
    // success threshold (p99 above the limit, no requests): what the tuning sorts.
    const std::vector<double> &checkScores() const { return m_scores; }
    // The success threshold below which at most `allowed` of the runs' `threshold`-th lowest
    // scores fall: a threshold with that false-rollback count on those runs.
    static double tunedSuccessPercent(const std::vector<std::vector<double>> &runScores,
                                      int threshold, std::size_t allowed);

private:
    Settings m_settings;
    int m_failed = 0;
    std::vector<double> m_scores;
};

// A Kayenta-style fixed-horizon judge: at the end of every analysis interval it compares that
// interval's canary with production, Mann-Whitney on request latencies (a uniform sample of at
// most kSamplesPerArm per arm and interval) and the two proportions of errors and of wrong
// predictions, at confidence 0.98; a metric fails when the lower end of the interval of the
// difference is above tolerance x |estimate| (Kayenta's MannWhitneyClassifier rule, tolerance
// 0.25), and one failing metric fails the interval and rolls back.
class KayentaPolicy final : public BaselinePolicy
{
public:
    static constexpr std::size_t kSamplesPerArm = 400;
    static constexpr double kConfidence = 0.98;
    static constexpr double kTolerance = 0.25;

    KayentaPolicy(std::int64_t intervalS, std::uint64_t seed);
    bool wantsRequests() const override { return true; }
    void observe(const RequestSample &request) override;
    bool endOfSecond(const SimulatedTraffic &traffic, std::int64_t second) override;

private:
    bool fails(const SimulatedTraffic &traffic, std::int64_t from, std::int64_t to);

    std::int64_t m_intervalS;
    gateway::Random m_random;
    std::array<std::vector<double>, 2> m_samples;
    std::array<std::int64_t, 2> m_seen{}; // requests offered to each sample this interval
};

} // namespace canary::simulation
