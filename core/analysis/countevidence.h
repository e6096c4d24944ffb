#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <unordered_map>
#include <vector>

// The always-valid sequential count test behind the judge (docs/analysis.md).
//
// Per interval both arms report requests and events (errors, wrong predictions among labelled
// requests, requests above a latency threshold). Given the events of an interval, each lands in
// the canary with probability q = s*theta / (s*theta + 1 - s), s the canary's share of the
// interval's requests and theta the ratio canary rate / production rate. H0 ("no regression"):
// theta <= theta0 = 1 + tolerance. The evidence is the average, over the alternatives
// theta0 * {1.5, 2, 3, 5}, of the likelihood ratios against theta0, multiplied over intervals.
// Under H0 it is a nonnegative supermartingale with mean at most 1, so by Ville's inequality
// P(evidence ever >= 1/alpha) <= alpha however often it is looked at, whatever the shares do
// (they only need to be set before the interval's events are seen). The binomial split is exact
// for Poisson counts; for binomial counts (n requests, each failing with rate p) it is
// conservative at theta0 = 1 (the exact split is hypergeometric, smaller in convex order:
// Hoeffding 1963) and a close approximation at small rates otherwise.
namespace canary::analysis {

struct IntervalCounts
{
    std::int64_t canaryRequests = 0;
    std::int64_t canaryEvents = 0;
    std::int64_t productionRequests = 0;
    std::int64_t productionEvents = 0;
};

enum class CountVerdict {
    NoData,       // no interval with requests in both arms and at least one event yet
    Inconclusive, // evidence below 1/alpha, or above it while the canary is under the floor
    Fail,         // evidence >= 1/alpha and the canary's rate is at or above the floor
};

struct RateRatioEstimate
{
    double ratio = 0; // maximum-likelihood theta; +inf when every event is the canary's
    // Always-valid (1 - alpha) confidence sequence for theta: the thetas a two-sided version of
    // this test (alpha/2 each way) does not reject, found by bisection on a log grid from 1/1000
    // to 1000 and widened to the next grid point (so conservative). 0 or +inf at an open end.
    double low = 0;
    double high = 0;
};

class CountEvidence final
{
public:
    // tolerance: relative, >= 0 (0.1 = the canary may be 10 % worse). floorRate: the canary's
    // cumulative event rate (events/requests) under which the test never fails, e.g. 0.002.
    // alpha in (0, 1). Invalid arguments are clamped to the nearest valid value.
    // alternatives: the effect sizes the mixture averages over, as multiples of theta0 (each > 1,
    // at most kMaxAlternatives); the default suits errors, where a regression is a multiple. A
    // gate on a common event (wrong predictions at 8 %) whose regressions are 10-30 % uses smaller
    // ones.
    explicit CountEvidence(double alpha = 0.05, double tolerance = 0, double floorRate = 0,
                           std::span<const double> alternatives = kAlternatives);

    static constexpr std::array<double, 4> kAlternatives = {1.5, 2, 3, 5};
    static constexpr std::size_t kMaxAlternatives = 8;

    // Adds one interval. Intervals with no requests in one arm are skipped: every event then
    // lands in one arm for certain (q = 0 or 1), their likelihood ratio is 1 and the interval
    // says nothing about the ratio. Negative counts or events > requests are rejected (false).
    bool add(const IntervalCounts &counts);

    double evidence() const;    // the mixture likelihood ratio, >= 0
    double logEvidence() const; // its logarithm, kept in log space throughout
    double alpha() const { return m_alpha; }
    double threshold() const { return 1 / m_alpha; }
    CountVerdict verdict() const;
    std::optional<RateRatioEstimate> estimate() const; // nullopt without informative events

    // Totals over the informative intervals (those add() did not skip).
    std::int64_t canaryRequests() const { return m_totals.canaryRequests; }
    std::int64_t canaryEvents() const { return m_totals.canaryEvents; }
    std::int64_t productionRequests() const { return m_totals.productionRequests; }
    std::int64_t productionEvents() const { return m_totals.productionEvents; }
    double canaryRate() const; // events / requests of the canary, 0 without requests

private:
    // The informative intervals, for the estimate, merged by canary share: intervals whose
    // shares round to the same 1/kShareBins add their events (the share is the first one's).
    // The estimate's cost is then bounded by the number of distinct shares, not of intervals.
    // The evidence itself is accumulated exactly, interval by interval.
    static constexpr double kShareBins = 4096;
    struct Informative
    {
        double share; // canary share of the interval's requests
        std::int64_t canaryEvents;
        std::int64_t productionEvents;
    };
    // log of the mixture likelihood ratio against theta0, alternatives theta0*a (up) or
    // theta0/a (down), over the stored intervals.
    double logMixture(double theta0, bool up) const;

    double m_alpha;
    double m_tolerance;
    double m_floor;
    std::array<double, kMaxAlternatives> m_alternatives{};
    std::size_t m_alternativeCount = 0;
    std::array<double, kMaxAlternatives> m_logRatios{}; // per alternative, accumulated
    IntervalCounts m_totals;
    std::vector<Informative> m_intervals;                 // with events only, by share bin
    std::unordered_map<std::int64_t, std::size_t> m_bins; // share bin -> index in m_intervals
};

} // namespace canary::analysis
