#include "weight.h"

#include <cmath>
#include <cstdio>

namespace canary {

std::optional<Weight> Weight::fromPercent(double percent, std::string *error)
{
    auto fail = [error](std::string message) -> std::optional<Weight> {
        if (error)
            *error = std::move(message);
        return std::nullopt;
    };
    if (!std::isfinite(percent))
        return fail("weight must be a finite number between 0 and 100");
    if (percent < 0.0 || percent > 100.0) {
        char buf[96];
        std::snprintf(buf, sizeof buf, "weight %g is outside 0–100", percent);
        return fail(buf);
    }
    const double tenths = percent * 10.0;
    const double rounded = std::round(tenths);
    // 1e-6 tenths absorbs binary floating-point noise such as 12.300000000000001.
    if (std::fabs(tenths - rounded) > 1e-6) {
        char buf[128];
        std::snprintf(buf, sizeof buf, "weight %.10g has a finer resolution than 0.1 percent",
                      percent);
        return fail(buf);
    }
    return Weight(static_cast<int>(rounded));
}

std::string Weight::toString() const
{
    char buf[16];
    std::snprintf(buf, sizeof buf, "%d.%d", m_tenths / 10, m_tenths % 10);
    return buf;
}

} // namespace canary
