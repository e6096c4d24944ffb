#pragma once

#include "weight.h"

#include <nlohmann/json_fwd.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace canary {

// The two traffic slots. Spelled "production" and "canary" everywhere: API, metric labels, UI.
enum class VariantRole { Production, Canary };

std::string_view toString(VariantRole role);
std::optional<VariantRole> variantRoleFromString(std::string_view name);

// Where a rollout stands (Control API v1 "state").
enum class RolloutPhase {
    Stable,     // no canary staged
    Canary,     // a canary is staged (at any weight, 0 included)
    Promoted,   // the last canary became production; the canary slot is empty
    RolledBack, // the canary was sent back to 0 %; it stays in the slot until the next is staged
};

std::string_view toString(RolloutPhase phase);
std::optional<RolloutPhase> rolloutPhaseFromString(std::string_view name);

struct VariantInfo
{
    VariantRole role = VariantRole::Production;
    std::string model;
    std::string version;
    Weight weight;

    bool operator==(const VariantInfo &) const = default;
};

using SystemTime = std::chrono::time_point<std::chrono::system_clock, std::chrono::milliseconds>;

// The rollout as a backend reports it. The backend's copy is the truth; clients re-read it after
// every action and send `revision` back as If-Match.
struct RolloutState
{
    std::int64_t revision = 0;
    RolloutPhase phase = RolloutPhase::Stable;
    VariantInfo production;
    std::optional<VariantInfo> canary;
    SystemTime updatedAt{};
    // The backend accepted a change and is still applying it (ControlPlaneCapabilities::
    // convergesOverTime); no further change is sent until it ends.
    bool updating = false;

    Weight canaryWeight() const { return canary ? canary->weight : Weight(); }
    bool operator==(const RolloutState &) const = default;
};

// RFC 3339 in UTC with milliseconds, e.g. 2026-11-26T12:00:00.250Z.
std::string formatRfc3339(SystemTime time);
std::optional<SystemTime> parseRfc3339(std::string_view text);

nlohmann::json toJson(const RolloutState &state);

// Reads a Control API rollout document. Answers from a backend are untrusted: every missing
// field, wrong type or inconsistent weight sum is reported in `error` and nothing is returned.
std::optional<RolloutState> rolloutStateFromJson(const nlohmann::json &json, std::string *error);

} // namespace canary
