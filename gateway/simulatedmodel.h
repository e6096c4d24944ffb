#pragma once

#include "gatewayconfig.h"
#include "random.h"

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>

namespace canary::gateway {

struct SimulatedOutcome
{
    std::chrono::microseconds latency{0};
    bool failed = false;
    nlohmann::json prediction;
};

// Draws what one request to a simulated model does: its latency (lognormal with
// mu = ln(p50), sigma = ln(p99/p50) / z(0.99); a slowShare of requests then takes slowFactor
// times as long, a tail on top of the body p50 and p99 describe), whether it fails, and its
// prediction (the true
// label with probability `accuracy`, otherwise a different value of the same type).
class SimulatedModel final
{
public:
    static constexpr double kZ99 = 2.3263478740408408;
    static constexpr double kMaxLatencyMs = 60'000;

    static SimulatedOutcome draw(const SimulateParams &params, Random &random,
                                 const nlohmann::json *label);
    static std::chrono::microseconds drawLatency(const SimulateParams &params, Random &random);
    // A value of the same JSON type as `label` that differs from it.
    static nlohmann::json wrongValue(const nlohmann::json &label);
};

} // namespace canary::gateway
