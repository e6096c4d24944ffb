#include "rolloutcontroller.h"

namespace canary::gateway {

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
    if (phase == RolloutPhase::RolledBack)
        return finish(Result::Conflict, "The canary was rolled back; stage the canary again "
                                        "(PUT /v1/rollout/canary) before giving it traffic.");
    if (phase != RolloutPhase::Canary)
        return finish(Result::Conflict, "No canary is staged; stage one with "
                                        "PUT /v1/rollout/canary first.");
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
    if (m_state.phase != RolloutPhase::Canary || !m_canary)
        return finish(Result::Conflict,
                      m_state.phase == RolloutPhase::RolledBack
                          ? "The canary was rolled back and cannot be promoted; stage it again "
                            "first."
                          : "No canary is staged, so there is nothing to promote.");
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
    if (m_state.phase != RolloutPhase::Canary)
        return finish(Result::Conflict, "No canary is staged, so there is nothing to roll back.");
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
    if (m_state.phase == RolloutPhase::Canary && !m_state.canaryWeight().isZero())
        return finish(Result::Conflict,
                      "The staged canary holds " + m_state.canaryWeight().toString() +
                          " % of the traffic; set its weight to 0, roll it back or promote it "
                          "before staging another.");
    m_canary = settings;
    m_state.canary = info(VariantRole::Canary, settings, Weight());
    m_state.production.weight = Weight::fromTenths(1000);
    m_state.phase = RolloutPhase::Canary;
    bump();
    return finish(Result::Applied);
}

} // namespace canary::gateway
