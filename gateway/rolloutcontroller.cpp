#include "rolloutcontroller.h"

#include "domain/rolloutrules.h"

namespace canary::gateway {

namespace {

// Whether a lever fits the rollout is decided by the rules the console and canaryctl offer their
// levers by, with the Control API's capabilities, so the gateway refuses with the same sentence
// the console would have shown. What stays here is the server's own business: answering a repeat
// that changes nothing, checking If-Match, and applying the change.
std::optional<std::string> refusal(Lever lever, const RolloutState &state)
{
    LeverDecision decision = decideLever(lever, readRollout(state), controlApiCapabilities());
    if (decision.allowed)
        return std::nullopt;
    return std::move(decision.why);
}

} // namespace

RolloutController::RolloutController(const GatewayConfig &config, const Clock &clock)
    : m_clock(clock)
    , m_production(config.production)
    , m_canary(config.canary)
{
    const Weight canaryWeight = config.canary ? config.canaryWeight : Weight();
    m_state.revision = 1;
    m_state.phase = config.canary ? RolloutPhase::Canary : RolloutPhase::Stable;
    m_state.production = info(VariantRole::Production, m_production, canaryWeight.complement());
    if (m_canary)
        m_state.canary = info(VariantRole::Canary, *m_canary, canaryWeight);
    m_state.updatedAt = m_clock.now();
}

VariantInfo RolloutController::info(VariantRole role, const VariantSettings &settings,
                                    Weight weight)
{
    return VariantInfo{role, settings.model, settings.version, weight};
}

RolloutController::Snapshot RolloutController::snapshot() const
{
    std::lock_guard lock(m_mutex);
    return {m_state, m_production, m_canary};
}

RolloutState RolloutController::state() const
{
    std::lock_guard lock(m_mutex);
    return m_state;
}

RolloutController::Outcome RolloutController::finish(Result result, std::string detail) const
{
    return {result, m_state, std::move(detail)};
}

void RolloutController::bump()
{
    ++m_state.revision;
    m_state.updatedAt = m_clock.now();
}

RolloutController::Outcome RolloutController::setCanaryWeight(Precondition ifMatch, Weight weight)
{
    std::lock_guard lock(m_mutex);
    const auto phase = m_state.phase;
    if ((phase == RolloutPhase::Canary && m_state.canaryWeight() == weight) ||
        (phase == RolloutPhase::RolledBack && weight.isZero()))
        return finish(Result::AlreadyInState);
    if (ifMatch && *ifMatch != m_state.revision)
        return finish(Result::PreconditionFailed);
    if (auto why = refusal(Lever::SetWeight, m_state))
        return finish(Result::Conflict, std::move(*why));
    m_state.canary->weight = weight;
    m_state.production.weight = weight.complement();
    bump();
    return finish(Result::Applied);
}

RolloutController::Outcome RolloutController::promote(Precondition ifMatch)
{
    std::lock_guard lock(m_mutex);
    if (m_state.phase == RolloutPhase::Promoted)
        return finish(Result::AlreadyInState);
    if (ifMatch && *ifMatch != m_state.revision)
        return finish(Result::PreconditionFailed);
    if (auto why = refusal(Lever::Promote, m_state))
        return finish(Result::Conflict, std::move(*why));
    // A staged canary always has its serving settings: stageCanary() and the constructor set
    // both together.
    m_production = *m_canary;
    m_canary.reset();
    m_state.production = info(VariantRole::Production, m_production, Weight::fromTenths(1000));
    m_state.canary.reset();
    m_state.phase = RolloutPhase::Promoted;
    bump();
    return finish(Result::Applied);
}

RolloutController::Outcome RolloutController::rollback(Precondition ifMatch)
{
    std::lock_guard lock(m_mutex);
    if (m_state.phase == RolloutPhase::RolledBack)
        return finish(Result::AlreadyInState);
    if (ifMatch && *ifMatch != m_state.revision)
        return finish(Result::PreconditionFailed);
    if (auto why = refusal(Lever::Rollback, m_state))
        return finish(Result::Conflict, std::move(*why));
    m_state.canary->weight = Weight();
    m_state.production.weight = Weight::fromTenths(1000);
    m_state.phase = RolloutPhase::RolledBack;
    bump();
    return finish(Result::Applied);
}

RolloutController::Outcome RolloutController::stageCanary(Precondition ifMatch,
                                                          const VariantSettings &settings)
{
    std::lock_guard lock(m_mutex);
    // Staging the very canary that already sits at 0 % changes nothing.
    if (m_state.phase == RolloutPhase::Canary && m_canary && *m_canary == settings &&
        m_state.canaryWeight().isZero())
        return finish(Result::AlreadyInState);
    if (ifMatch && *ifMatch != m_state.revision)
        return finish(Result::PreconditionFailed);
    if (auto why = refusal(Lever::Stage, m_state))
        return finish(Result::Conflict, std::move(*why));
    m_canary = settings;
    m_state.canary = info(VariantRole::Canary, settings, Weight());
    m_state.production.weight = Weight::fromTenths(1000);
    m_state.phase = RolloutPhase::Canary;
    bump();
    return finish(Result::Applied);
}

} // namespace canary::gateway
