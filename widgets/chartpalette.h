#pragma once

#include "domain/rolloutstate.h"

#include <QColor>

#include <array>

class QPalette;

namespace canary {

// The chart colours, derived from the application palette so light and dark themes both work.
// Line colours come from the Okabe–Ito set, which stays distinguishable with colour-blindness.
struct ChartPalette
{
    bool dark = false;
    QColor window;     // around the plot area
    QColor background; // the plot area
    QColor foreground;
    QColor mutedForeground;
    QColor axis;
    QColor grid;
    QColor cursor;
    QColor production;
    QColor canary;
    std::array<QColor, 3> quantiles; // p50, p95, p99
    QColor marker;  // event lines and their labels: neutral, so they never read as a data line
    QColor gapBand; // the "no data" shading over gaps
    QColor gapText;

    QColor variant(VariantRole role) const
    {
        return role == VariantRole::Production ? production : canary;
    }
    // A quantile of one variant when both share a chart: the variant's colour, lighter (towards
    // the background) for the lower quantiles, so colour says which model and shade which
    // quantile.
    QColor variantQuantile(VariantRole role, std::size_t quantileIndex) const;

    static ChartPalette fromPalette(const QPalette &palette);
};

namespace okabeIto {
inline constexpr QRgb kBlack = 0x000000;
inline constexpr QRgb kOrange = 0xE69F00;
inline constexpr QRgb kSkyBlue = 0x56B4E9;
inline constexpr QRgb kBluishGreen = 0x009E73;
inline constexpr QRgb kYellow = 0xF0E442;
inline constexpr QRgb kBlue = 0x0072B2;
inline constexpr QRgb kVermillion = 0xD55E00;
inline constexpr QRgb kReddishPurple = 0xCC79A7;
} // namespace okabeIto

} // namespace canary
