#include "weight.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <system_error>

namespace canary {

namespace {

// The shortest text that reads back as exactly `value` (100.00000000001 stays 100.00000000001,
// where printf's %g would say 100): a refusal must quote the value that was given.
std::string exactText(double value)
{
    char buf[64];
    const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value);
    return ec == std::errc() ? std::string(buf, end) : std::string("?");
}

} // namespace

std::optional<Weight> Weight::fromPercent(double percent, std::string *error)
{
    auto fail = [error](std::string message) -> std::optional<Weight> {
        if (error)
            *error = std::move(message);
        return std::nullopt;
    };
    if (!std::isfinite(percent))
        return fail("weight " + exactText(percent) +
                    " is not a finite number: it must be between 0 and 100");
    if (percent < 0.0 || percent > 100.0)
        return fail("weight " + exactText(percent) + " is outside 0–100");
    const double tenths = percent * 10.0;
    const double rounded = std::round(tenths);
    // 1e-6 tenths absorbs binary floating-point noise such as 12.300000000000001.
    if (std::fabs(tenths - rounded) > 1e-6)
        return fail("weight " + exactText(percent) + " has a finer resolution than 0.1 percent");
    return Weight(static_cast<int>(rounded));
}

std::string Weight::toString() const
{
    char buf[24];
    std::snprintf(buf, sizeof buf, "%d.%d", m_tenths / 10, m_tenths % 10);
    return buf;
}

} // namespace canary
