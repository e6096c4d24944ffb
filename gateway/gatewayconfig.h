#pragma once

#include "domain/rolloutstate.h"
#include "domain/weight.h"

#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace canary::gateway {

// How a simulated model behaves. Latency is lognormal, fitted to the two percentiles; a share of
// requests (`slowShare`) may take `slowFactor` times as long, a slow tail that leaves the median
// where it is (a cold cache, a slow shard).
struct SimulateParams
{
    double latencyP50Ms = 40.0;
    double latencyP99Ms = 120.0;
    double errorRate = 0.005;
    double accuracy = 0.92;
    double slowShare = 0;  // 0..1
    double slowFactor = 1; // >= 1

    bool operator==(const SimulateParams &) const = default;
};

// A partial SimulateParams, as a scenario step changes only what it names.
struct SimulateOverride
{
    std::optional<double> latencyP50Ms;
    std::optional<double> latencyP99Ms;
    std::optional<double> errorRate;
    std::optional<double> accuracy;
    std::optional<double> slowShare;
    std::optional<double> slowFactor;

    SimulateParams applyTo(SimulateParams base) const;
};

struct UpstreamUrl
{
    std::string host;
    std::uint16_t port = 80;
    std::string path = "/";
    std::string text; // as configured

    bool operator==(const UpstreamUrl &) const = default;
};

// What serves one slot: a model identity plus either a simulation or an upstream to proxy to.
struct VariantSettings
{
    std::string model;
    std::string version;
    SimulateParams simulate;
    std::optional<UpstreamUrl> upstream;
    int timeoutMs = 2000;

    bool operator==(const VariantSettings &) const = default;
};

struct ScenarioStep
{
    double atS = 0;
    VariantRole variant = VariantRole::Canary;
    SimulateOverride simulate;
};

struct FeedbackSettings
{
    std::size_t capacity = 100'000;
    int ttlS = 600;
};

struct LoadSettings
{
    double rps = 300;
    double labelledShare = 0.3;
    int feedbackDelayMs = 2000;
};

struct GatewayConfig
{
    std::uint64_t seed = 42;
    std::string routingSalt = "canary";
    VariantSettings production;
    std::optional<VariantSettings> canary;
    Weight canaryWeight;
    std::vector<ScenarioStep> scenario;
    FeedbackSettings feedback;
    LoadSettings load;

    // fraud-model 2.3.0 in production, 2.4.0 as a slightly better canary at 10 %.
    static GatewayConfig demo();
};

// Parses a gateway config document. Every problem is reported as "<source>:<field>: <problem>";
// unknown fields are refused so that a typo never silently falls back to a default.
std::optional<GatewayConfig> parseGatewayConfig(std::string_view text, std::string_view source,
                                                std::string *error);
std::optional<GatewayConfig> loadGatewayConfigFile(const std::string &path, std::string *error);

// Reads the serving settings of one slot ({"model","version","simulate"|"upstream","timeout_ms"}),
// as used by the config file and by PUT /v1/rollout/canary. `where` prefixes field names in errors
// (may be empty). When neither simulate nor upstream is given, `fallback` supplies them.
std::optional<VariantSettings> parseVariantSettings(const nlohmann::json &json,
                                                    const std::string &where,
                                                    const VariantSettings *fallback,
                                                    std::string *error);

// Reads a partial `simulate` object ({"latency_p50_ms", ..., "slow_factor"}), as a config's
// variants and scenario steps hold it. `where` prefixes field names in errors.
std::optional<SimulateOverride> parseSimulateOverride(const nlohmann::json &json,
                                                      const std::string &where, std::string *error);

std::optional<UpstreamUrl> parseUpstreamUrl(std::string_view text, std::string *error);

} // namespace canary::gateway
