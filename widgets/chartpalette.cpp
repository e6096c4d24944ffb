#include "chartpalette.h"

#include <QPalette>

#include <algorithm>

namespace canary {

namespace {

QColor mix(const QColor &a, const QColor &b, double amountOfB)
{
    const double k = 1.0 - amountOfB;
    return QColor::fromRgbF(static_cast<float>(a.redF() * k + b.redF() * amountOfB),
                            static_cast<float>(a.greenF() * k + b.greenF() * amountOfB),
                            static_cast<float>(a.blueF() * k + b.blueF() * amountOfB));
}

} // namespace

ChartPalette ChartPalette::fromPalette(const QPalette &palette)
{
    ChartPalette p;
    p.window = palette.color(QPalette::Active, QPalette::Window);
    p.background = palette.color(QPalette::Active, QPalette::Base);
    p.foreground = palette.color(QPalette::Active, QPalette::Text);
    p.dark = p.background.lightnessF() < 0.5;
    p.mutedForeground = mix(p.foreground, p.background, 0.35);
    p.axis = mix(p.foreground, p.background, 0.55);
    p.grid = mix(p.foreground, p.background, p.dark ? 0.82 : 0.88);
    p.cursor = mix(p.foreground, p.background, 0.3);
    // The darker blue and vermillion keep their contrast on white; on a dark base the lighter
    // members of the set do.
    p.production = QColor::fromRgb(p.dark ? okabeIto::kSkyBlue : okabeIto::kBlue);
    p.canary = QColor::fromRgb(p.dark ? okabeIto::kOrange : okabeIto::kVermillion);
    p.quantiles = {QColor::fromRgb(okabeIto::kBluishGreen),
                   QColor::fromRgb(p.dark ? okabeIto::kSkyBlue : okabeIto::kBlue),
                   QColor::fromRgb(okabeIto::kReddishPurple)};
    p.marker = mix(p.foreground, p.background, 0.2);
    p.gapBand = mix(p.foreground, p.background, p.dark ? 0.8 : 0.78);
    p.gapText = mix(p.foreground, p.background, 0.45);
    return p;
}

QColor ChartPalette::variantQuantile(VariantRole role, std::size_t quantileIndex) const
{
    static constexpr std::array<double, 3> kTowardsBackground = {0.55, 0.28, 0.0};
    return mix(variant(role), background,
               kTowardsBackground[std::min(quantileIndex, kTowardsBackground.size() - 1)]);
}

} // namespace canary
