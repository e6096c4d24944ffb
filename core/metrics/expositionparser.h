#pragma once

#include "metrics/exposition.h"

#include <cstddef>
#include <functional>
#include <memory>
#include <string_view>
#include <vector>

namespace canary::metrics {

// Parsing stops after this many errors; the input is hopeless by then.
inline constexpr std::size_t kMaxParseErrors = 100;

// The largest exposition read as one text: what the console accepts from a /metrics endpoint
// and parseExposition() refuses beyond (a scrape is a few hundred KB at most). Streams checked
// with ExpositionChecker have no size limit.
inline constexpr std::size_t kMaxExpositionBytes = 16 * 1024 * 1024;

struct ParseOptions
{
    // Parsing stops with an error (and Exposition::tooManySamples) at the sample after this
    // many; 0 means no limit.
    std::size_t maxSamples = 0;
    // Which families keep their samples in the result (every sample is checked all the same);
    // all of them when empty. Families that keep none are still listed, with their metadata.
    std::function<bool(std::string_view familyName)> keepSamplesOf;
};

// Parses a whole scrape in one pass. Never throws and never trusts the input: every problem is
// reported in Exposition::errors with its 1-based line and byte column, the parser carries on at
// the next line, and the result must be treated as unusable unless Exposition::ok().
//
// PrometheusText follows prometheus/common's expfmt.TextParser (version 0.0.4); OpenMetrics is
// the strict OpenMetrics 1.0 grammar including its semantic rules (# EOF, metric families not
// interleaved, cumulative histogram buckets, counter values not negative, exemplars, ...).
Exposition parseExposition(std::string_view text, ExpositionFormat format,
                           const ParseOptions &options = {});

// Checks an exposition handed over in pieces of any size (a line may span pieces), with the same
// rules, errors and positions as parseExposition() but keeping no samples: memory grows with the
// number of families, the longest line and, in OpenMetrics, the label sets of one family, not with
// the input.
class ExpositionChecker final
{
public:
    explicit ExpositionChecker(ExpositionFormat format);
    ~ExpositionChecker();
    ExpositionChecker(const ExpositionChecker &) = delete;
    ExpositionChecker &operator=(const ExpositionChecker &) = delete;

    void feed(std::string_view bytes);
    // True once kMaxParseErrors were found: feeding more changes nothing.
    bool stopped() const;
    // Ends the input and returns every error found, in input order.
    std::vector<ParseError> finish();

private:
    struct State;
    std::unique_ptr<State> m_state;
};

} // namespace canary::metrics
