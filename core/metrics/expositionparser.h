#pragma once

#include "metrics/exposition.h"

#include <cstddef>
#include <string_view>

namespace canary::metrics {

// Parsing stops after this many errors; the input is hopeless by then.
inline constexpr std::size_t kMaxParseErrors = 100;

// Inputs above this size are refused outright (a scrape is a few hundred KB at most).
inline constexpr std::size_t kMaxExpositionBytes = 256 * 1024 * 1024;

// Parses a whole scrape in one pass. Never throws and never trusts the input: every problem is
// reported in Exposition::errors with its 1-based line and byte column, the parser carries on at
// the next line, and the result must be treated as unusable unless Exposition::ok().
//
// PrometheusText follows prometheus/common's expfmt.TextParser (version 0.0.4); OpenMetrics is
// the strict OpenMetrics 1.0 grammar including its semantic rules (# EOF, metric families not
// interleaved, cumulative histogram buckets, counter values not negative, exemplars, ...).
Exposition parseExposition(std::string_view text, ExpositionFormat format);

} // namespace canary::metrics
