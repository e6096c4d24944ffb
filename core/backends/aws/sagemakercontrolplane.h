#pragma once

#include "backends/aws/awsclient.h"
#include "backends/controlplane.h"
#include "util/clock.h"
#include "util/scheduler.h"

#include <nlohmann/json_fwd.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace canary {

// Which endpoint and which two of its production variants are the rollout's.
struct SageMakerTarget
{
    std::string endpoint;
    std::string production; // variant name
    std::string canary;     // variant name
};

// What DescribeEndpoint says, as far as the console needs it.
struct SageMakerEndpoint
{
    struct Variant
    {
        std::string name;
        double currentWeight = 0;
        double desiredWeight = 0;
        std::string image; // the first deployed image, as specified
    };
    std::string name;
    std::string status; // InService, Updating, SystemUpdating, RollingBack, Failed, ...
    std::string failureReason;
    std::vector<Variant> variants;

    const Variant *variant(const std::string &name) const;
    // Updating, SystemUpdating, RollingBack, Creating: accepted work under way; no change now.
    bool busy() const;
};

// An Amazon SageMaker real-time endpoint as a control plane (docs/backends.md, "SageMaker"): the
// canary's share of traffic is the canary variant's weight over both variants' weights, set with
// UpdateEndpointWeightsAndCapacities. SageMaker applies a change over time: after it accepts one,
// the endpoint is Updating and this polls DescribeEndpoint until it is InService again; the
// action's callback runs then, and no second change is sent meanwhile. SageMaker numbers no
// states, so every action re-reads the endpoint first; a change made by someone else between that
// read and the update cannot be detected (capabilities().revisions is false, and confirmations
// say so).
class SageMakerControlPlane final : public ControlPlane
{
    Q_OBJECT

public:
    struct Settings
    {
        std::chrono::milliseconds pollInterval{std::chrono::seconds(5)};
        // An update still not InService after this is reported as such; SageMaker may still
        // finish it.
        std::chrono::milliseconds updateTimeout{std::chrono::minutes(30)};
        // Polls in a row that may fail while waiting before the wait is given up.
        int maxFailedPolls = 5;
    };

    SageMakerControlPlane(std::unique_ptr<aws::JsonClient> client, SageMakerTarget target,
                          Scheduler &scheduler, Settings settings, QObject *parent = nullptr);
    ~SageMakerControlPlane() override;

    const SageMakerTarget &target() const { return m_target; }
    ControlPlaneCapabilities capabilities() const override;
    std::string address() const override;

    void fetchState(QObject *context, Callback onDone) override;
    void setCanaryWeight(Weight weight, std::int64_t revision, QObject *context,
                         Callback onDone) override;
    // The canary variant to 100 % of traffic, production to 0. Its instances keep running:
    // retiring a variant stays with the user's own tooling.
    void promote(std::int64_t revision, QObject *context, Callback onDone) override;
    // The canary variant to 0 %, production to 100 %.
    void rollback(std::int64_t revision, QObject *context, Callback onDone) override;
    void stageCanary(const nlohmann::json &canary, std::int64_t revision, QObject *context,
                     Callback onDone) override;

    // True from an accepted update until the endpoint is InService again.
    bool changeUnderWay() const { return m_change != nullptr; }

    // DescribeEndpoint's answer read, or nullopt and a sentence. Public for tests.
    static std::optional<SageMakerEndpoint> parseDescribe(const nlohmann::json &document,
                                                          std::string *error);
    // The rollout an endpoint shows, or an error sentence when it shows none (a variant missing,
    // a third variant taking traffic, no traffic at all, the endpoint failed).
    static std::optional<RolloutState>
    stateOf(const SageMakerTarget &target, const SageMakerEndpoint &endpoint, std::string *error);

private:
    struct Change;
    using Described = std::function<void(std::optional<SageMakerEndpoint>, ControlError)>;

    void describe(QObject *context, Described onDone);
    void applyShare(Weight canary, const std::string &what, QObject *context, Callback onDone);
    void sendUpdate(std::shared_ptr<Change> change);
    void poll(std::shared_ptr<Change> change);
    void finish(std::shared_ptr<Change> change, ControlResult result);
    ControlResult resultOf(const SageMakerEndpoint &endpoint) const;
    ControlError errorOf(const aws::Error &error) const;
    ControlError error(ControlError::Kind kind, const std::string &sentence, bool sent) const;

    std::unique_ptr<aws::JsonClient> m_client;
    SageMakerTarget m_target;
    Scheduler &m_scheduler;
    Settings m_settings;
    std::shared_ptr<Change> m_change; // the update being waited for, if any
};

} // namespace canary
