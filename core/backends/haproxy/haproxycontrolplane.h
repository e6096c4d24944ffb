#pragma once

#include "backends/controlplane.h"
#include "backends/haproxy/haproxyruntime.h"
#include "backends/haproxy/haproxystat.h"
#include "util/clock.h"

#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace canary {

// Which backend and which two of its servers are the rollout's variants.
struct HaproxyTarget
{
    HaproxyEndpoint endpoint;
    std::string backend;
    std::string production; // server name
    std::string canary;     // server name
};

// HAProxy as a control plane (docs/haproxy.md): production and canary are two servers of one
// backend, and the canary's share of traffic is set through their weights over the runtime API.
// HAProxy numbers no states, so every action re-reads the weights before and after; it stages
// nothing, so the two servers are always in the canary slot and the phase is always "canary".
class HaproxyControlPlane final : public ControlPlane
{
    Q_OBJECT

public:
    // `clock` stamps each state with the moment it was read (HAProxy keeps no such time).
    HaproxyControlPlane(HaproxyTarget target, std::chrono::milliseconds timeout,
                        const Clock &clock = SystemClock::instance(), QObject *parent = nullptr);

    const HaproxyTarget &target() const { return m_target; }

    ControlPlaneCapabilities capabilities() const override;
    std::string address() const override;
    Weight nearestWeight(Weight requested) const override;

    void fetchState(QObject *context, Callback onDone) override;
    void setCanaryWeight(Weight weight, std::int64_t revision, QObject *context,
                         Callback onDone) override;
    // All traffic to the canary: production's weight 0, the canary's 256.
    void promote(std::int64_t revision, QObject *context, Callback onDone) override;
    // All traffic to production: the canary's weight 0, production's 256.
    void rollback(std::int64_t revision, QObject *context, Callback onDone) override;
    void stageCanary(const nlohmann::json &canary, std::int64_t revision, QObject *context,
                     Callback onDone) override;

    // What was read of the backend before or after an action.
    struct Reading
    {
        int productionWeight = 0;
        int canaryWeight = 0;
        std::string productionStatus;
        std::string canaryStatus;
        std::string algorithm;
    };
    // The rollout state a reading shows, or an error sentence when it shows none (both servers
    // at weight 0, or neither taking traffic). Public so it can be tested without HAProxy.
    // Sets the state's updatedAt to now: the moment it was read.
    void stamp(std::optional<RolloutState> &state) const;
    static std::optional<RolloutState> stateOf(const HaproxyTarget &target, const Reading &reading,
                                               std::string *error);

private:
    using ReadingCallback = std::function<void(std::optional<Reading>, ControlError)>;

    void read(QObject *context, ReadingCallback onDone);
    void applyWeights(haproxy::ServerWeights wanted, QObject *context, Callback onDone);
    struct Change;
    void applyChecked(haproxy::ServerWeights wanted, const Reading &before, QObject *context,
                      Callback onDone);
    void sendFirst(std::shared_ptr<Change> change);
    void sendSecond(std::shared_ptr<Change> change);
    void undoFirst(std::shared_ptr<Change> change, ControlError failure);
    void finishWithRead(ControlError failure, QObject *context, Callback onDone);
    ControlError error(ControlError::Kind kind, const std::string &what, bool sent = true) const;
    // `changes`: the command changes something, so an unanswered one may have applied.
    ControlError errorOf(const RuntimeAnswer &answer, const std::string &command,
                         bool changes = false) const;

    HaproxyTarget m_target;
    HaproxyRuntime m_runtime;
    const Clock &m_clock;
};

} // namespace canary
