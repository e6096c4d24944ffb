#include "report/reportformat.h"

#include "util/join.h"

#include <charconv>
#include <cmath>
#include <cstdint>

namespace canary::report {

std::string formatFixed(double value, int decimals)
{
    if (!std::isfinite(value))
        return kUnknownText;
    if (value == 0)
        value = 0; // no "-0.00"
    char buffer[64];
    const auto [end, ec] =
        std::to_chars(buffer, buffer + sizeof buffer, value, std::chars_format::fixed, decimals);
    if (ec != std::errc())
        return kUnknownText;
    return std::string(buffer, end);
}

std::string formatPercentText(double percent, int decimals, bool signedValue)
{
    if (!std::isfinite(percent))
        return kUnknownText;
    return join(signedValue && percent > 0 ? "+" : "", formatFixed(percent, decimals), " %");
}

std::string formatCountText(double count)
{
    if (!std::isfinite(count))
        return kUnknownText;
    const auto whole = static_cast<std::int64_t>(std::llround(count));
    const std::string digits = std::to_string(whole < 0 ? -whole : whole);
    // Appended digit by digit (no insert(): GCC 12 at -O3 misreads it as an overlapping copy).
    std::string out = whole < 0 ? std::string("-") : std::string();
    for (std::size_t i = 0; i < digits.size(); ++i) {
        if (i > 0 && (digits.size() - i) % 3 == 0)
            out += ',';
        out += digits[i];
    }
    return out;
}

std::string formatReadableTime(SystemTime time)
{
    std::string text = formatRfc3339(time); // 2026-12-02T14:03:12.250Z
    if (text.size() >= 19)
        return join(text.substr(0, 10), " ", text.substr(11, 8), " UTC");
    return text;
}

} // namespace canary::report
