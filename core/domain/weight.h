#pragma once

#include <optional>
#include <string>

namespace canary {

// A traffic weight in percent, 0–100, with 0.1 resolution. Stored as integer tenths so that
// comparisons, sums and JSON round trips are exact.
class Weight final
{
public:
    static constexpr int kMaxTenths = 1000;

    constexpr Weight() = default;
    static constexpr Weight fromTenths(int tenths) { return Weight(clampTenths(tenths)); }

    // Parses a percentage as sent over the wire. Values off the 0.1 grid (beyond floating-point
    // noise), out of range or not finite are refused with a sentence a person can act on.
    static std::optional<Weight> fromPercent(double percent, std::string *error = nullptr);

    constexpr int tenths() const { return m_tenths; }
    constexpr double percent() const { return m_tenths / 10.0; }
    constexpr Weight complement() const { return Weight(kMaxTenths - m_tenths); }
    constexpr bool isZero() const { return m_tenths == 0; }

    std::string toString() const; // "12.5"

    friend constexpr auto operator<=>(Weight, Weight) = default;

private:
    constexpr explicit Weight(int tenths)
        : m_tenths(tenths)
    {}
    static constexpr int clampTenths(int t)
    {
        return t < 0 ? 0 : (t > kMaxTenths ? kMaxTenths : t);
    }

    int m_tenths = 0;
};

} // namespace canary
