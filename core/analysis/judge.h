#pragma once

#include "analysis/countevidence.h"
#include "metrics/histogramquantile.h"
#include "metrics/kpisnapshot.h"
#include "util/clock.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

// The live judge: gates over both variants' counts, re-evaluated after every interval with the
// always-valid count test (countevidence.h), each with a verdict and one sentence a person can
// read. docs/analysis.md describes the gates, the α split and the sources.
namespace canary::analysis {

// What a gate compares.
enum class GateMetric {
    ErrorRate,   // errors among requests
    LatencyTail, // requests above production's p90 / p99 / p99.9, the thresholds' evidence averaged
    LatencyBody, // requests above production's median: a shift of the body of the distribution
    Accuracy,    // correct predictions among the labelled ones (labels may arrive late)
};
std::string_view toString(GateMetric metric); // "error_rate", "latency_tail", ...
std::optional<GateMetric> gateMetricFromString(std::string_view text);

// Which way is a regression. The count test always tests "more bad events in the canary": for
// HigherIsWorse the events are errors / requests above a threshold / correct predictions, for
// LowerIsWorse requests without an error / at or below the threshold / wrong predictions.
enum class Direction { HigherIsWorse, LowerIsWorse };
std::string_view toString(Direction direction); // "higher_is_worse", "lower_is_worse"
std::optional<Direction> directionFromString(std::string_view text);
Direction naturalDirection(GateMetric metric); // accuracy: lower is worse; the rest: higher

struct GateSpec
{
    std::string name; // shown and logged, e.g. "errors"; unique within a plan
    GateMetric metric = GateMetric::ErrorRate;
    Direction direction = Direction::HigherIsWorse;
    // The canary may be this much worse, relatively, before it counts as a regression: the test's
    // H0 is "canary bad-event rate <= (1 + tolerance) x production's".
    double tolerance = 0.2;
    // The canary's bad-event rate (0..1) under which the gate never fails: 0.1 % against 0.2 %
    // errors on ten requests is not a crisis.
    double floor = 0;
    bool critical = true; // a failing critical gate rolls the canary back at once
    // This gate's part of the plan's family-wise alpha; 0 = an equal part of what the gates that
    // name no share leave. The shares of a plan's gates are normalised to sum to 1.
    double alphaShare = 0;
    // LatencyTail only: the production quantiles the thresholds are fixed at.
    std::vector<double> tailQuantiles = {0.9, 0.99, 0.999};
};

// The default gate set: errors, latency tail, latency body, accuracy (all critical but the
// body), with the α shares tuned in docs/benchmarks.md.
std::vector<GateSpec> defaultGates();

// One variant's counts over one interval. Counts are whole numbers of events (sources that give
// extrapolated increases are rounded). `latency` is the interval's histogram, cumulative counts
// by upper bound, +Inf last; empty when the source has none.
struct VariantCounts
{
    std::int64_t requests = 0;
    std::int64_t errors = 0;
    std::int64_t labelled = 0; // labels that arrived in the interval
    std::int64_t correct = 0;  // of those, correct predictions
    std::vector<metrics::Bucket> latency;
    // False when the source could not count errors / labels in this interval (unknown, not 0).
    bool hasErrors = true;
    bool hasLabels = true;
    bool hasLatency() const { return latency.size() >= 2; }
};

// Both variants over one interval (from, to]. Intervals fed to one judge must not overlap; gaps
// between them are fine (they are simply not counted).
struct JudgeInterval
{
    SystemTime from{};
    SystemTime to{};
    VariantCounts production;
    VariantCounts canary;
    // The newest label counted was for a prediction this old when it arrived (nullopt: unknown).
    std::optional<double> labelDelaySeconds;
};

// The interval one window of a metrics source spans, its counts rounded to whole events.
// nullopt when the snapshot is not valid or a variant's request count is unknown.
std::optional<JudgeInterval> intervalFrom(const KpiSnapshot &snapshot);

enum class Verdict {
    NoData,       // nothing to judge: no requests in an arm, or the source lacks the metric
    Inconclusive, // not enough evidence yet (fewer requests than the step's minimum)
    Pass,         // no evidence of a regression on at least the minimum of requests
    Better,       // the canary is shown better: the always-valid interval lies below 1
    Fail,         // evidence against "no regression" reached 1/alpha, above the floor
};
std::string_view toString(Verdict verdict); // "no-data", "inconclusive", "pass", "better", "fail"

struct GateResult
{
    GateSpec spec;
    Verdict verdict = Verdict::NoData;
    // One line, e.g. "canary errors 2.1 % vs 1.0 % (+110 %, tolerance +20 %), evidence 1:41
    // against no regression (rollback at 1:20), 3,812 vs 34,090 requests".
    std::string sentence;
    // The compared figures as ratios (0..1): errors, accuracy, or the share of requests above the
    // threshold(s); NaN when unknown. delta = canary / production - 1 (relative), NaN when
    // production is 0.
    double productionValue = 0;
    double canaryValue = 0;
    double delta = 0;
    // Always-valid interval of canary / production bad-event rates (the ratio, not the delta);
    // 0 / +inf at an open end; NaN without informative events.
    double ratioLow = 0;
    double ratioHigh = 0;
    std::int64_t productionSamples = 0; // requests, or labels for accuracy
    std::int64_t canarySamples = 0;
    double evidence = 1;  // against "no regression"; >= threshold fails
    double threshold = 0; // 1 / (this gate's alpha)
    double alpha = 0;
    // LatencyTail / LatencyBody: the thresholds in seconds, empty until fixed.
    std::vector<double> thresholdsSeconds;
    // Accuracy: how late the newest counted label was, when the source says.
    std::optional<double> labelDelaySeconds;
    // True when the upper end of the interval is below 1 + tolerance: the canary is shown no
    // worse than the tolerance (a step may end its bake early on this, when the plan allows it).
    bool provenWithinTolerance = false;
};

struct Judgement
{
    std::vector<GateResult> gates;
    Verdict overall = Verdict::NoData; // Fail if a critical gate fails; else the weakest gate
    std::string sentence;              // the overall reason, naming the deciding gate(s)
    bool failed() const { return overall == Verdict::Fail; }
};

struct JudgeSettings
{
    std::vector<GateSpec> gates = defaultGates();
    double alpha = 0.05; // family-wise false-rollback rate over all gates and the whole rollout
    // Tail and body thresholds are fixed from this many production requests at the start of a
    // step (the intervals spent calibrating are not tested on).
    std::int64_t calibrationRequests = 2000;
};

// Feeds intervals to one always-valid test per gate and answers a Judgement. One judge lives for
// the whole rollout, so the α guarantee covers every step and every look: weight changes and
// traffic swings cancel out of the count test. startStep() re-fixes the latency thresholds for the
// new step; their evidence so far is kept as a factor (a product of e-values taken in sequence
// stays an e-value). Not thread-safe; cheap per interval (O(gates x thresholds)).
class Judge final
{
public:
    explicit Judge(JudgeSettings settings = {});

    // Starts a new step: request counts for `minimumRequests` restart, latency thresholds are
    // re-fixed from production's next calibrationRequests (or from `reference` now, when it holds
    // as many: e.g. production's histogram over the last minutes).
    void startStep(const std::vector<metrics::Bucket> &reference = {});
    // Adds one interval; false (and nothing counted) when it overlaps the previous one or holds
    // impossible counts (negative, errors > requests, correct > labelled).
    bool add(const JudgeInterval &interval);

    // The verdicts now. minimumRequests: per variant within the current step (labels for
    // accuracy count against minimumRequests scaled by nothing: a gate on labels is
    // Inconclusive until each arm has minimumLabels labels).
    Judgement evaluate(std::int64_t minimumRequests = 0, std::int64_t minimumLabels = 0) const;
    // Just whether a critical gate fails now: cheap, for every interval.
    bool criticalFailure() const;

    const JudgeSettings &settings() const { return m_settings; }
    std::int64_t stepRequests(VariantRole role) const;
    std::optional<SystemTime> lastIntervalEnd() const { return m_lastTo; }

private:
    struct GateState;
    JudgeSettings m_settings;
    std::vector<double> m_alphas; // per gate
    std::vector<std::shared_ptr<GateState>> m_states;
    std::optional<SystemTime> m_lastTo;
    std::int64_t m_stepProductionRequests = 0;
    std::int64_t m_stepCanaryRequests = 0;
};

// "1:41" for an evidence of 41.3, "1:3.1" for 3.14, "1:0.31" under 1, "1:2.0e6" when large.
std::string formatOdds(double evidence);
// "34,090": a count as the sentences write it.
std::string formatCount(std::int64_t count);

} // namespace canary::analysis
