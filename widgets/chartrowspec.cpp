#include "chartrowspec.h"

#include <algorithm>
#include <cmath>

namespace canary {

using metrics::Kpi;

QString ChartRowSpec::formatValue(double displayValue) const
{
    if (!std::isfinite(displayValue)) {
        return QStringLiteral("no data");
    }
    const QString number = QString::number(displayValue, 'f', decimals);
    return unit == QStringLiteral("%") ? number + unit : number + QLatin1Char(' ') + unit;
}

ChartRowSpec::Span ChartRowSpec::valueRange(std::optional<Span> extent,
                                            std::optional<Span> current) const
{
    if (!extent || !std::isfinite(extent->first) || !std::isfinite(extent->second)) {
        return upperLimit > 0 && !includeZero ? Span{0.0, upperLimit}
                                              : Span{-kZeroLift * minSpan, minSpan};
    }
    double lower = std::min(extent->first, extent->second);
    double upper = std::max(extent->first, extent->second);
    if (includeZero) {
        lower = std::min(lower, 0.0);
    }
    if (upper - lower < minSpan) {
        if (includeZero && lower >= 0.0) {
            upper = lower + minSpan;
        } else {
            const double middle = (lower + upper) / 2;
            lower = middle - minSpan / 2;
            upper = middle + minSpan / 2;
        }
    }
    const double pad = (upper - lower) * 0.08;
    upper += pad;
    if (!includeZero || lower < 0.0) {
        lower -= pad;
    } else {
        lower -= (upper - lower) * kZeroLift;
    }
    if (upperLimit > 0 && upper > upperLimit) {
        upper = upperLimit;
        lower = std::min(lower, upper - minSpan);
    }

    if (current && current->first <= lower && current->second >= upper &&
        (upper - lower) >= 0.6 * (current->second - current->first)) {
        return *current;
    }
    return {lower, upper};
}

const std::array<ChartRowSpec, 4> &ChartRowSpec::all()
{
    static const std::array<ChartRowSpec, 4> rows = [] {
        std::array<ChartRowSpec, 4> r;
        r[0].id = Id::Latency;
        r[0].title = QStringLiteral("Latency");
        r[0].unit = QStringLiteral("ms");
        r[0].scale = 1000.0;
        r[0].lines = {{Kpi::LatencyP50, QStringLiteral("p50"), 0},
                      {Kpi::LatencyP95, QStringLiteral("p95"), 1},
                      {Kpi::LatencyP99, QStringLiteral("p99"), 2}};
        r[0].minSpan = 5.0;

        r[1].id = Id::ErrorRate;
        r[1].title = QStringLiteral("Errors");
        r[1].unit = QStringLiteral("%");
        r[1].scale = 100.0;
        r[1].lines = {{Kpi::ErrorRate, QString(), -1}};
        r[1].minSpan = 1.0;
        r[1].upperLimit = 100.0;
        r[1].decimals = 2;

        r[2].id = Id::Accuracy;
        r[2].title = QStringLiteral("Accuracy");
        r[2].unit = QStringLiteral("%");
        r[2].scale = 100.0;
        r[2].lines = {{Kpi::Accuracy, QString(), -1}};
        r[2].includeZero = false;
        r[2].minSpan = 2.0;
        r[2].upperLimit = 100.0;
        r[2].decimals = 2;

        r[3].id = Id::Throughput;
        r[3].title = QStringLiteral("Throughput");
        r[3].unit = QStringLiteral("req/s");
        r[3].scale = 1.0;
        r[3].lines = {{Kpi::RequestRate, QString(), -1}};
        r[3].minSpan = 1.0;
        return r;
    }();
    return rows;
}

} // namespace canary
