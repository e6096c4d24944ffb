#pragma once

#include "domain/rolloutstate.h"

#include <string>

// Numbers and times as every report format prints them: locale-independent (a report read in
// Berlin and in Boston says the same), "—" for what is unknown.
namespace canary::report {

inline constexpr const char *kUnknownText = "\u2014"; // an em dash

std::string formatFixed(double value, int decimals); // "12.50"; "—" when not finite
// "1.8 %" / "—"; signed adds a "+" to positive values ("+12.0 %").
std::string formatPercentText(double percent, int decimals = 2, bool signedValue = false);
std::string formatCountText(double count); // "34,090"; "—" when unknown
// "2026-12-02 14:03:12 UTC": a reviewer reads it; the JSON keeps RFC 3339.
std::string formatReadableTime(SystemTime time);

} // namespace canary::report
