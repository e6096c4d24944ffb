#include "simulatedmodel.h"

#include "router.h"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace canary::gateway {

std::chrono::microseconds SimulatedModel::drawLatency(const SimulateParams &params, Random &random)
{
    const double p50 = std::max(params.latencyP50Ms, 0.001);
    const double p99 = std::max(params.latencyP99Ms, p50);
    const double sigma = std::log(p99 / p50) / kZ99;
    double ms = std::exp(std::log(p50) + sigma * random.normal());
    // The slow share is drawn only when there is one, so a model without a slow tail draws the
    // same latencies from the same seed as it always did.
    if (params.slowShare > 0 && random.uniform() < params.slowShare)
        ms *= std::max(params.slowFactor, 1.0);
    ms = std::min(ms, kMaxLatencyMs);
    return std::chrono::microseconds(std::llround(ms * 1000.0));
}

nlohmann::json SimulatedModel::wrongValue(const nlohmann::json &label)
{
    switch (label.type()) {
    case nlohmann::json::value_t::boolean:
        return !label.get<bool>();
    case nlohmann::json::value_t::number_integer:
    case nlohmann::json::value_t::number_unsigned: {
        // Binary labels stay binary: 0 <-> 1.
        const auto v = label.get<std::int64_t>();
        if (v == 0 || v == 1)
            return 1 - v;
        return v == INT64_MAX ? v - 1 : v + 1;
    }
    case nlohmann::json::value_t::number_float:
        return label.get<double>() + 1.0;
    case nlohmann::json::value_t::string:
        return "not-" + label.get<std::string>();
    default:
        return "unknown";
    }
}

SimulatedOutcome SimulatedModel::draw(const SimulateParams &params, Random &random,
                                      const nlohmann::json *label)
{
    SimulatedOutcome out;
    out.latency = drawLatency(params, random);
    out.failed = random.uniform() < params.errorRate;
    const bool correct = random.uniform() < params.accuracy;
    if (label && !label->is_null())
        out.prediction = correct ? *label : wrongValue(*label);
    else
        out.prediction = int(random.next() & 1);
    return out;
}

} // namespace canary::gateway
