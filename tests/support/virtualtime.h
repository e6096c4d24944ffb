#pragma once

#include "fakemetricssource.h"

#include <QCoreApplication>

// What the tests of the console's logic on virtual time share: the fakes' numbers and the wait
// for their answers.
namespace canary::testing {

// Served requests in one window, of which `errors` failed, at a p99 of `p99Ms` (unset: unknown).
inline FakeMetricsSource::VariantNumbers
served(double requests, double errors = 0, double p99Ms = FakeMetricsSource::VariantNumbers::kUnset)
{
    FakeMetricsSource::VariantNumbers numbers;
    numbers.requests = requests;
    numbers.errors = errors;
    numbers.p99Ms = p99Ms;
    return numbers;
}

// Production serves 100 requests per window, the canary 10 of which 1 fails.
inline MetricsReading steady(const FakeMetricsSource::Windows &windows, SystemTime now)
{
    return FakeMetricsSource::steadyReading(windows, now, served(100, 0, 50), served(10, 1, 60));
}

// The fakes answer on the next event-loop turn; an answer that sends a new request (a refresh
// asked for while a poll was out) is answered on the turn after. A few turns let every answer
// given so far land, and the virtual clock does not move meanwhile.
inline void settle()
{
    for (int turn = 0; turn < 4; ++turn)
        QCoreApplication::processEvents();
}

} // namespace canary::testing
