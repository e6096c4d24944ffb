#pragma once

#include "metrics/kpi.h"

#include <QString>

#include <array>
#include <cstddef>
#include <optional>
#include <utility>
#include <vector>

namespace canary {

// One line of a chart row: which KPI, its short name in legends ("p95"; empty for a row's only
// line) and, for latency, which quantile colour it takes.
struct ChartLineSpec
{
    metrics::Kpi kpi = metrics::Kpi::RequestRate;
    QString name;
    int quantileIndex = -1; // -1: coloured by variant
};

// What one row of the chart grid shows and how its value axis behaves. Store values are converted
// to display units with `scale` (seconds → ms, ratio → %).
struct ChartRowSpec
{
    enum class Id { Latency, ErrorRate, Accuracy, Throughput };

    Id id = Id::Latency;
    QString title; // "Latency"
    QString unit;  // "ms"
    double scale = 1.0;
    std::vector<ChartLineSpec> lines;
    bool includeZero = true; // the axis starts at 0 (rates, latencies)
    double minSpan = 1.0;    // the smallest value range shown, so noise does not look like a cliff
    double upperLimit = 0.0; // > 0: values never exceed it (percentages), so the axis stops there
    int decimals = 1;        // in read-outs

    QString axisLabel() const { return title + QStringLiteral(" (") + unit + QStringLiteral(")"); }
    QString formatValue(double displayValue) const;

    using Span = std::pair<double, double>; // lower, upper
    // The value axis for data spanning `extent` (none: no data): padded, at least minSpan tall,
    // from just below 0 where includeZero, so a line at 0 (no errors) runs visibly above the
    // axis and cannot be taken for a gap. The margin is smaller than any tick step, so no
    // negative tick appears. While `current` still fits the data well it is kept, so a live
    // chart does not twitch with every new point.
    Span valueRange(std::optional<Span> extent, std::optional<Span> current) const;

    static const std::array<ChartRowSpec, 4> &all();

    static constexpr double kZeroLift = 0.03; // share of the axis height below 0
};

inline constexpr std::size_t kChartRowCount = 4;

} // namespace canary
