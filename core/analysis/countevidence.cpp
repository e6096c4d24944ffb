#include "analysis/countevidence.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace canary::analysis {

namespace {

// P(an event is the canary's | share s, ratio theta).
double canaryProbability(double share, double theta)
{
    return share * theta / (share * theta + 1 - share);
}

double logMeanExp(const double *values, std::size_t count)
{
    const double top = *std::max_element(values, values + count);
    if (!std::isfinite(top))
        return top;
    double sum = 0;
    for (std::size_t i = 0; i < count; ++i)
        sum += std::exp(values[i] - top);
    return top + std::log(sum / double(count));
}

// Log likelihood ratio of theta1 against theta0 for one interval's events.
double intervalLogRatio(double share, double canaryEvents, double productionEvents, double theta0,
                        double theta1)
{
    const double q0 = canaryProbability(share, theta0);
    const double q1 = canaryProbability(share, theta1);
    // log1p keeps small shares exact: log((1 - q1) / (1 - q0)).
    return canaryEvents * (std::log(q1) - std::log(q0)) +
           productionEvents * (std::log1p(-q1) - std::log1p(-q0));
}

} // namespace

CountEvidence::CountEvidence(double alpha, double tolerance, double floorRate,
                             std::span<const double> alternatives)
    : m_alpha(std::clamp(std::isfinite(alpha) ? alpha : 0.05, 1e-12, 1 - 1e-12))
    , m_tolerance(std::max(0.0, std::isfinite(tolerance) ? tolerance : 0))
    , m_floor(std::clamp(std::isfinite(floorRate) ? floorRate : 0, 0.0, 1.0))
{
    for (double a : alternatives) {
        if (std::isfinite(a) && a > 1 && m_alternativeCount < kMaxAlternatives)
            m_alternatives[m_alternativeCount++] = a;
    }
    if (m_alternativeCount == 0) { // nothing usable: the default mixture
        for (double a : kAlternatives)
            m_alternatives[m_alternativeCount++] = a;
    }
}

bool CountEvidence::add(const IntervalCounts &c)
{
    if (c.canaryRequests < 0 || c.productionRequests < 0 || c.canaryEvents < 0 ||
        c.productionEvents < 0 || c.canaryEvents > c.canaryRequests ||
        c.productionEvents > c.productionRequests)
        return false;
    if (c.canaryRequests == 0 || c.productionRequests == 0)
        return true; // no information: see the header
    m_totals.canaryRequests += c.canaryRequests;
    m_totals.canaryEvents += c.canaryEvents;
    m_totals.productionRequests += c.productionRequests;
    m_totals.productionEvents += c.productionEvents;
    if (c.canaryEvents + c.productionEvents == 0)
        return true;
    const double share =
        double(c.canaryRequests) / (double(c.canaryRequests) + double(c.productionRequests));
    const double theta0 = 1 + m_tolerance;
    for (std::size_t i = 0; i < m_alternativeCount; ++i)
        m_logRatios[i] +=
            intervalLogRatio(share, double(c.canaryEvents), double(c.productionEvents), theta0,
                             theta0 * m_alternatives[i]);
    const auto bin = static_cast<std::int64_t>(std::llround(share * kShareBins));
    const auto [at, added] = m_bins.try_emplace(bin, m_intervals.size());
    if (added) {
        m_intervals.push_back({share, c.canaryEvents, c.productionEvents});
    } else {
        m_intervals[at->second].canaryEvents += c.canaryEvents;
        m_intervals[at->second].productionEvents += c.productionEvents;
    }
    return true;
}

double CountEvidence::logEvidence() const
{
    return logMeanExp(m_logRatios.data(), m_alternativeCount);
}

double CountEvidence::evidence() const
{
    return std::exp(logEvidence());
}

double CountEvidence::canaryRate() const
{
    return m_totals.canaryRequests > 0
               ? double(m_totals.canaryEvents) / double(m_totals.canaryRequests)
               : 0;
}

CountVerdict CountEvidence::verdict() const
{
    if (m_intervals.empty())
        return CountVerdict::NoData;
    if (logEvidence() >= std::log(threshold()) && canaryRate() >= m_floor)
        return CountVerdict::Fail;
    return CountVerdict::Inconclusive;
}

double CountEvidence::logMixture(double theta0, bool up) const
{
    std::array<double, kMaxAlternatives> logs{};
    for (const Informative &i : m_intervals)
        for (std::size_t a = 0; a < m_alternativeCount; ++a) {
            const double theta1 = up ? theta0 * m_alternatives[a] : theta0 / m_alternatives[a];
            logs[a] += intervalLogRatio(i.share, double(i.canaryEvents), double(i.productionEvents),
                                        theta0, theta1);
        }
    return logMeanExp(logs.data(), m_alternativeCount);
}

std::optional<RateRatioEstimate> CountEvidence::estimate() const
{
    if (m_intervals.empty())
        return std::nullopt;
    RateRatioEstimate r;
    std::int64_t canary = 0;
    std::int64_t production = 0;
    for (const Informative &i : m_intervals) {
        canary += i.canaryEvents;
        production += i.productionEvents;
    }
    constexpr double kInf = std::numeric_limits<double>::infinity();
    if (production == 0)
        r.ratio = kInf;
    else if (canary == 0)
        r.ratio = 0;
    else {
        // The score d/d(log theta) of the log likelihood is decreasing: bisect in log theta.
        const auto score = [this](double logTheta) {
            double s = 0;
            for (const Informative &i : m_intervals)
                s += double(i.canaryEvents) - double(i.canaryEvents + i.productionEvents) *
                                                  canaryProbability(i.share, std::exp(logTheta));
            return s;
        };
        double lo = -30;
        double hi = 30;
        for (int step = 0; step < 200 && hi - lo > 1e-12; ++step) {
            const double mid = (lo + hi) / 2;
            (score(mid) > 0 ? lo : hi) = mid;
        }
        r.ratio = std::exp((lo + hi) / 2);
    }
    // The confidence sequence: theta0 is kept while neither one-sided mixture (alpha/2 each)
    // rejects it. The upward mixture rejects small theta0 (the data say theta is larger) and the
    // downward one large theta0, each on one side of the estimate: both bounds are found by
    // bisection over the grid (about 10 evaluations each instead of 600).
    const double logCut = std::log(2 / m_alpha);
    constexpr int kSteps = 600; // 1/1000 .. 1000, about 2.3 % apart
    const auto theta = [](int step) {
        return std::pow(10.0, -3 + 6.0 * step / kSteps);
    };
    const auto upRejects = [&](int step) {
        return logMixture(theta(step), true) >= logCut;
    };
    const auto downRejects = [&](int step) {
        return logMixture(theta(step), false) >= logCut;
    };
    // The first step the upward mixture keeps (kSteps + 1: it rejects every one).
    int lo = 0;
    int hi = kSteps + 1;
    while (lo < hi) {
        const int mid = (lo + hi) / 2;
        if (upRejects(mid))
            lo = mid + 1;
        else
            hi = mid;
    }
    const int first = lo;
    // The last step the downward mixture keeps (-1: it rejects every one).
    lo = -1;
    hi = kSteps;
    while (lo < hi) {
        const int mid = (lo + hi + 1) / 2;
        if (downRejects(mid))
            hi = mid - 1;
        else
            lo = mid;
    }
    const int last = lo;
    if (first > kSteps || last < 0 || first > last) {
        // every theta rejected (improbable under the model): claim nothing
        r.low = 0;
        r.high = kInf;
    } else {
        r.low = first == 0 ? 0 : theta(first - 1);
        r.high = last == kSteps ? kInf : theta(last + 1);
    }
    return r;
}

} // namespace canary::analysis
