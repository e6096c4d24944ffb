#include "analysis/fixedhorizon.h"

#include <boost/math/distributions/normal.hpp>

#include <algorithm>
#include <cmath>
#include <vector>

namespace canary::analysis {

namespace {

bool fail(std::string *error, std::string message)
{
    if (error)
        *error = std::move(message);
    return false;
}

double upperNormalQuantile(double tailProbability)
{
    return boost::math::quantile(boost::math::complement(boost::math::normal(), tailProbability));
}

double twoSidedNormalP(double z)
{
    const double tail =
        boost::math::cdf(boost::math::complement(boost::math::normal(), std::abs(z)));
    return std::min(1.0, 2 * tail);
}

// Every k-th value of a sorted sample, starting in the middle of the first block, so that the
// thinned sample keeps the shape of the whole.
std::vector<double> thin(const std::vector<double> &sorted, std::size_t k)
{
    if (k <= 1)
        return sorted;
    std::vector<double> out;
    for (std::size_t i = k / 2; i < sorted.size(); i += k)
        out.push_back(sorted[i]);
    return out;
}

} // namespace

std::optional<MannWhitneyResult> mannWhitney(std::span<const double> canary,
                                             std::span<const double> production, double alpha,
                                             std::string *error)
{
    if (canary.empty() || production.empty()) {
        fail(error, "Both samples need at least one value.");
        return std::nullopt;
    }
    if (!(alpha > 0 && alpha < 1)) {
        fail(error, "The significance level must be between 0 and 1.");
        return std::nullopt;
    }
    const auto finite = [](double v) {
        return std::isfinite(v);
    };
    if (!std::all_of(canary.begin(), canary.end(), finite) ||
        !std::all_of(production.begin(), production.end(), finite)) {
        fail(error, "Every value must be a finite number.");
        return std::nullopt;
    }
    const double n = double(canary.size());
    const double m = double(production.size());

    // Pooled ranks with ties averaged; `true` marks a canary value.
    std::vector<std::pair<double, bool>> pooled;
    pooled.reserve(canary.size() + production.size());
    for (double v : canary)
        pooled.emplace_back(v, true);
    for (double v : production)
        pooled.emplace_back(v, false);
    std::sort(pooled.begin(), pooled.end(),
              [](const auto &a, const auto &b) { return a.first < b.first; });
    double canaryRankSum = 0;
    double tieTerm = 0; // sum over tie groups of t^3 - t
    for (std::size_t i = 0; i < pooled.size();) {
        std::size_t j = i;
        while (j < pooled.size() && pooled[j].first == pooled[i].first)
            ++j;
        const double t = double(j - i);
        const double averageRank = (double(i + 1) + double(j)) / 2;
        for (std::size_t k = i; k < j; ++k)
            if (pooled[k].second)
                canaryRankSum += averageRank;
        tieTerm += t * t * t - t;
        i = j;
    }
    const double total = n + m;
    const double variance =
        n * m / 12 * ((total + 1) - (total > 1 ? tieTerm / (total * (total - 1)) : 0));
    if (!(variance > 0)) {
        fail(error, "Every value in both samples is the same: there is nothing to rank.");
        return std::nullopt;
    }
    const double sigma = std::sqrt(variance);

    MannWhitneyResult result;
    result.u = canaryRankSum - n * (n + 1) / 2;
    const double centred = result.u - n * m / 2;
    const double correction = centred > 0 ? 0.5 : (centred < 0 ? -0.5 : 0);
    result.z = (centred - correction) / sigma;
    result.pValue = twoSidedNormalP(result.z);

    // Hodges-Lehmann shift and its interval from the sorted pairwise differences.
    std::vector<double> sortedCanary(canary.begin(), canary.end());
    std::vector<double> sortedProduction(production.begin(), production.end());
    std::sort(sortedCanary.begin(), sortedCanary.end());
    std::sort(sortedProduction.begin(), sortedProduction.end());
    std::size_t k = 1;
    while (double(sortedCanary.size() / k + 1) * double(sortedProduction.size() / k + 1) >
           double(kMaxPairs))
        ++k;
    const std::vector<double> xs = thin(sortedCanary, k);
    const std::vector<double> ys = thin(sortedProduction, k);
    result.sampled = k > 1;
    std::vector<double> diffs;
    diffs.reserve(xs.size() * ys.size());
    for (double x : xs)
        for (double y : ys)
            diffs.push_back(x - y);
    std::sort(diffs.begin(), diffs.end());
    const std::size_t pairs = diffs.size();
    result.pairs = pairs;
    result.estimate =
        pairs % 2 == 1 ? diffs[pairs / 2] : (diffs[pairs / 2 - 1] + diffs[pairs / 2]) / 2;

    // The order statistic for the interval, on the scale of the pairs actually formed: a thinned
    // sample scales sigma with it (sigma^2 ~ nm(n+m+1)/12).
    const double pn = double(xs.size());
    const double pm = double(ys.size());
    const double pairSigma = result.sampled ? std::sqrt(pn * pm * (pn + pm + 1) / 12) : sigma;
    const double zq = upperNormalQuantile(alpha / 2);
    const double maxK = std::ceil(double(pairs) / 2);
    const double order =
        std::clamp(std::floor(double(pairs) / 2 - zq * pairSigma + 0.5), 1.0, maxK);
    const auto lowIndex = std::size_t(order) - 1;
    result.ciLow = diffs[lowIndex];
    result.ciHigh = diffs[pairs - 1 - lowIndex];
    return result;
}

Interval wilsonInterval(long long events, long long total, double alpha)
{
    const double z = upperNormalQuantile(alpha / 2);
    const double nn = double(total);
    const double p = double(events) / nn;
    const double z2 = z * z;
    const double centre = (p + z2 / (2 * nn)) / (1 + z2 / nn);
    const double half = z / (1 + z2 / nn) * std::sqrt(p * (1 - p) / nn + z2 / (4 * nn * nn));
    return {std::max(0.0, centre - half), std::min(1.0, centre + half)};
}

std::optional<ProportionsResult> twoProportions(long long canaryEvents, long long canaryTotal,
                                                long long productionEvents,
                                                long long productionTotal, double alpha,
                                                std::string *error)
{
    if (canaryTotal <= 0 || productionTotal <= 0) {
        fail(error, "Both samples need at least one observation.");
        return std::nullopt;
    }
    if (canaryEvents < 0 || productionEvents < 0 || canaryEvents > canaryTotal ||
        productionEvents > productionTotal) {
        fail(error, "Event counts must be between 0 and the number of observations.");
        return std::nullopt;
    }
    if (!(alpha > 0 && alpha < 1)) {
        fail(error, "The significance level must be between 0 and 1.");
        return std::nullopt;
    }
    ProportionsResult r;
    r.canaryRate = double(canaryEvents) / double(canaryTotal);
    r.productionRate = double(productionEvents) / double(productionTotal);
    r.estimate = r.canaryRate - r.productionRate;

    // Newcombe (1998), method 10: each rate's Wilson interval, combined in quadrature.
    const Interval c = wilsonInterval(canaryEvents, canaryTotal, alpha);
    const Interval p = wilsonInterval(productionEvents, productionTotal, alpha);
    r.ciLow = r.estimate -
              std::sqrt(std::pow(r.canaryRate - c.low, 2) + std::pow(p.high - r.productionRate, 2));
    r.ciHigh = r.estimate + std::sqrt(std::pow(c.high - r.canaryRate, 2) +
                                      std::pow(r.productionRate - p.low, 2));

    const double pooled =
        double(canaryEvents + productionEvents) / double(canaryTotal + productionTotal);
    const double se =
        std::sqrt(pooled * (1 - pooled) * (1 / double(canaryTotal) + 1 / double(productionTotal)));
    if (se > 0) {
        r.z = r.estimate / se;
        r.pValue = twoSidedNormalP(r.z);
    }
    return r;
}

} // namespace canary::analysis
