#pragma once

#include "gatewayconfig.h"

#include "domain/rolloutstate.h"
#include "domain/weight.h"
#include "util/clock.h"

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>

namespace canary::gateway {

// The rollout and what serves each slot, under one lock, so that every change is applied
// atomically and the next request sees either all of it or none of it. HTTP-free: the control
// API maps these outcomes to responses.
class RolloutController final
{
public:
    struct Snapshot
    {
        RolloutState state;
        VariantSettings production;
        std::optional<VariantSettings> canary;
    };

    enum class Result {
        Applied,            // state changed, revision bumped
        AlreadyInState,     // a no-op; answered 200 even with a stale If-Match
        PreconditionFailed, // If-Match names another revision
        Conflict,           // not allowed in the current state
    };

    struct Outcome
    {
        Result result = Result::Applied;
        RolloutState state; // the state after the call
        std::string detail; // why, for Conflict
    };

    // ifMatch: the revision the client last saw, or nullopt for "*".
    using Precondition = std::optional<std::int64_t>;

    RolloutController(const GatewayConfig &config, const Clock &clock);

    Snapshot snapshot() const;
    RolloutState state() const;

    Outcome setCanaryWeight(Precondition ifMatch, Weight weight);
    Outcome promote(Precondition ifMatch);
    Outcome rollback(Precondition ifMatch);
    Outcome stageCanary(Precondition ifMatch, const VariantSettings &settings);

private:
    Outcome finish(Result result, std::string detail = {}) const; // m_mutex held
    void bump();                                                  // m_mutex held
    static VariantInfo info(VariantRole role, const VariantSettings &settings, Weight weight);

    const Clock &m_clock;
    mutable std::mutex m_mutex;
    RolloutState m_state;
    VariantSettings m_production;
    std::optional<VariantSettings> m_canary;
};

} // namespace canary::gateway
