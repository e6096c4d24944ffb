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

CountEvidence::CountEvidence(double alpha, double tolerance, double floorRate)
    : m_alpha(std::clamp(std::isfinite(alpha) ? alpha : 0.05, 1e-12, 1 - 1e-12))
    , m_tolerance(std::max(0.0, std::isfinite(tolerance) ? tolerance : 0))
    , m_floor(std::clamp(std::isfinite(floorRate) ? floorRate : 0, 0.0, 1.0))
{}

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
    for (std::size_t i = 0; i < kAlternatives.size(); ++i)
        m_logRatios[i] +=
            intervalLogRatio(share, double(c.canaryEvents), double(c.productionEvents), theta0,
                             theta0 * kAlternatives[i]);
    m_intervals.push_back({share, c.canaryEvents, c.productionEvents});
    return true;
}

double CountEvidence::logEvidence() const
{
    return logMeanExp(m_logRatios.data(), m_logRatios.size());
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
    std::array<double, kAlternatives.size()> logs{};
    for (const Informative &i : m_intervals)
        for (std::size_t a = 0; a < kAlternatives.size(); ++a) {
            const double theta1 = up ? theta0 * kAlternatives[a] : theta0 / kAlternatives[a];
            logs[a] += intervalLogRatio(i.share, double(i.canaryEvents), double(i.productionEvents),
                                        theta0, theta1);
        }
    return logMeanExp(logs.data(), logs.size());
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
    // rejects it.
    const double logCut = std::log(2 / m_alpha);
    constexpr int kSteps = 600; // 1/1000 .. 1000, about 2.3 % apart
    const auto theta = [](int step) {
        return std::pow(10.0, -3 + 6.0 * step / kSteps);
    };
    int first = -1;
    int last = -1;
    for (int step = 0; step <= kSteps; ++step) {
        const double t = theta(step);
        if (logMixture(t, true) < logCut && logMixture(t, false) < logCut) {
            if (first < 0)
                first = step;
            last = step;
        }
    }
    if (first < 0) { // every theta rejected (improbable under the model): claim nothing
        r.low = 0;
        r.high = kInf;
    } else {
        r.low = first == 0 ? 0 : theta(first - 1);
        r.high = last == kSteps ? kInf : theta(last + 1);
    }
    return r;
}

} // namespace canary::analysis
