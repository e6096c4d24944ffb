#include "sagemakercontrolplane.h"

#include "util/join.h"

#include <nlohmann/json.hpp>

#include <QPointer>

#include <cmath>

namespace canary {

namespace {

// "123456789012.dkr.ecr.eu-west-1.amazonaws.com/fraud-scorer:2.1@sha256:..." -> "2.1": the tag
// is what teams name model versions by. Empty when the image has none.
std::string versionOfImage(std::string image)
{
    if (const auto at = image.find('@'); at != std::string::npos)
        image.resize(at);
    const auto slash = image.rfind('/');
    const auto colon = image.rfind(':');
    if (colon == std::string::npos || (slash != std::string::npos && colon < slash))
        return {};
    return image.substr(colon + 1);
}

// The canary's share of the two weights on the 0.1 % grid.
std::optional<Weight> shareOf(double production, double canary)
{
    const double total = production + canary;
    if (!(total > 0) || !std::isfinite(total))
        return std::nullopt;
    return Weight::fromTenths(static_cast<int>(std::lround(canary / total * 1000.0)));
}

// A percentage as SageMaker's DesiredWeight: relative weights, so percentages are as good as any
// and read back the same.
double percentOf(Weight weight)
{
    return weight.tenths() / 10.0;
}

} // namespace

const SageMakerEndpoint::Variant *SageMakerEndpoint::variant(const std::string &wanted) const
{
    for (const Variant &v : variants) {
        if (v.name == wanted)
            return &v;
    }
    return nullptr;
}

bool SageMakerEndpoint::busy() const
{
    return status == "Updating" || status == "SystemUpdating" || status == "RollingBack" ||
           status == "Creating" || status == "UpdateRollbackFailed";
}

struct SageMakerControlPlane::Change
{
    Weight canary;
    std::string what; // "set the canary to 25 %", "promote", "roll back"
    QPointer<QObject> context;
    Callback onDone;
    SystemTime started{};
    int failedPolls = 0;
    std::unique_ptr<Timer> timer;
};

SageMakerControlPlane::SageMakerControlPlane(std::unique_ptr<aws::JsonClient> client,
                                             SageMakerTarget target, Scheduler &scheduler,
                                             Settings settings, QObject *parent)
    : ControlPlane(parent)
    , m_client(std::move(client))
    , m_target(std::move(target))
    , m_scheduler(scheduler)
    , m_settings(settings)
{}

SageMakerControlPlane::~SageMakerControlPlane() = default;

ControlPlaneCapabilities SageMakerControlPlane::capabilities() const
{
    ControlPlaneCapabilities capabilities;
    capabilities.kind = "SageMaker";
    capabilities.revisions = false;
    capabilities.staging = false;
    capabilities.convergesOverTime = true;
    capabilities.resolution = Weight::fromTenths(1);
    capabilities.changesNeedToken = false;
    return capabilities;
}

std::string SageMakerControlPlane::address() const
{
    std::string shown =
        join("sagemaker://", m_target.endpoint, "?region=", m_client->settings().region,
             "&production=", m_target.production, "&canary=", m_target.canary);
    if (!m_client->settings().endpointUrl.empty())
        shown += join("&endpoint=", m_client->settings().endpointUrl);
    return shown;
}

ControlError SageMakerControlPlane::error(ControlError::Kind kind, const std::string &sentence,
                                          bool sent) const
{
    ControlError failure;
    failure.kind = kind;
    failure.detail = sentence;
    failure.requestSent = sent;
    return failure;
}

ControlError SageMakerControlPlane::errorOf(const aws::Error &failure) const
{
    using K = aws::Error::Kind;
    ControlError::Kind kind = ControlError::Kind::Rejected;
    switch (failure.kind) {
    case K::None:
        return {};
    case K::NotSent:
    case K::NoAnswer:
        kind = ControlError::Kind::Unreachable;
        break;
    case K::NoCredentials:
    case K::Signature:
    case K::UnknownKey:
    case K::ExpiredToken:
    case K::AccessDenied:
        kind = ControlError::Kind::Unauthorized;
        break;
    case K::Throttled:
    case K::Validation:
        kind = ControlError::Kind::Rejected;
        break;
    case K::ServerError:
        kind = ControlError::Kind::ServerError;
        break;
    case K::BadAnswer:
        kind = ControlError::Kind::BadAnswer;
        break;
    }
    return error(kind, failure.sentence, failure.requestSent());
}

std::optional<SageMakerEndpoint> SageMakerControlPlane::parseDescribe(const nlohmann::json &doc,
                                                                      std::string *error)
{
    const auto fail = [&](const std::string &what) -> std::optional<SageMakerEndpoint> {
        if (error)
            *error = join("DescribeEndpoint's answer ", what);
        return std::nullopt;
    };
    if (!doc.is_object())
        return fail("is not a JSON object");
    SageMakerEndpoint endpoint;
    const auto text = [&](const nlohmann::json &object,
                          const char *key) -> std::optional<std::string> {
        const auto it = object.find(key);
        if (it == object.end() || !it->is_string())
            return std::nullopt;
        return it->get<std::string>();
    };
    const auto name = text(doc, "EndpointName");
    const auto status = text(doc, "EndpointStatus");
    if (!name || !status)
        return fail("has no EndpointName or EndpointStatus");
    endpoint.name = *name;
    endpoint.status = *status;
    endpoint.failureReason = text(doc, "FailureReason").value_or("");
    const auto variants = doc.find("ProductionVariants");
    if (variants == doc.end() || !variants->is_array())
        return fail("has no ProductionVariants");
    for (const nlohmann::json &v : *variants) {
        if (!v.is_object())
            return fail("has a production variant that is not an object");
        SageMakerEndpoint::Variant variant;
        const auto variantName = text(v, "VariantName");
        if (!variantName)
            return fail("has a production variant without a VariantName");
        variant.name = *variantName;
        const auto weight = [&](const char *key) -> std::optional<double> {
            const auto it = v.find(key);
            if (it == v.end())
                return 0.0; // absent while a variant is being created
            if (!it->is_number() || !std::isfinite(it->get<double>()) || it->get<double>() < 0)
                return std::nullopt;
            return it->get<double>();
        };
        const auto current = weight("CurrentWeight");
        const auto desired = weight("DesiredWeight");
        if (!current || !desired)
            return fail(
                join("gives variant ", variant.name, " a weight that is not a number >= 0"));
        variant.currentWeight = *current;
        variant.desiredWeight = v.contains("DesiredWeight") ? *desired : *current;
        if (const auto images = v.find("DeployedImages"); images != v.end() && images->is_array() &&
                                                          !images->empty() &&
                                                          images->front().is_object())
            variant.image = text(images->front(), "SpecifiedImage").value_or("");
        endpoint.variants.push_back(std::move(variant));
    }
    return endpoint;
}

std::optional<RolloutState> SageMakerControlPlane::stateOf(const SageMakerTarget &target,
                                                           const SageMakerEndpoint &endpoint,
                                                           std::string *error)
{
    const auto fail = [&](const std::string &what) -> std::optional<RolloutState> {
        if (error)
            *error = join("SageMaker endpoint ", endpoint.name, " ", what);
        return std::nullopt;
    };
    if (endpoint.status == "Failed" || endpoint.status == "OutOfService" ||
        endpoint.status == "Deleting")
        return fail(join("is ", endpoint.status,
                         endpoint.failureReason.empty() ? "" : join(": ", endpoint.failureReason)));
    std::string names;
    for (const auto &v : endpoint.variants)
        names += (names.empty() ? "" : ", ") + v.name;
    const SageMakerEndpoint::Variant *production = endpoint.variant(target.production);
    const SageMakerEndpoint::Variant *canary = endpoint.variant(target.canary);
    if (!production || !canary)
        return fail(join("has no variant named ", !production ? target.production : target.canary,
                         "; its variants are ", names.empty() ? std::string("(none)") : names));
    for (const auto &v : endpoint.variants) {
        if (&v != production && &v != canary && v.currentWeight > 0)
            return fail(join("has a third variant, ", v.name,
                             ", with weight > 0: it takes traffic too, so the split between ",
                             target.production, " and ", target.canary,
                             " would not be the whole picture. Set its weight to 0 first"));
    }
    const auto share = shareOf(production->currentWeight, canary->currentWeight);
    if (!share)
        return fail(join("gives both ", target.production, " and ", target.canary,
                         " weight 0: it serves no traffic"));
    RolloutState state;
    state.revision = 0;
    state.phase = RolloutPhase::Canary;
    state.production = {VariantRole::Production, production->name,
                        versionOfImage(production->image), share->complement()};
    state.canary =
        VariantInfo{VariantRole::Canary, canary->name, versionOfImage(canary->image), *share};
    state.updating = endpoint.busy();
    return state;
}

ControlResult SageMakerControlPlane::resultOf(const SageMakerEndpoint &endpoint) const
{
    ControlResult result;
    std::string problem;
    result.state = stateOf(m_target, endpoint, &problem);
    if (!result.state) {
        result.error = error(ControlError::Kind::Rejected, problem, true);
        return result;
    }
    result.state->updatedAt = m_scheduler.clock().now();
    // Ours is under way until we have seen it end, even if the endpoint's status moved on.
    result.state->updating = result.state->updating || m_change != nullptr;
    return result;
}

void SageMakerControlPlane::describe(QObject *context, Described onDone)
{
    m_client->call(
        "DescribeEndpoint", {{"EndpointName", m_target.endpoint}}, context,
        [this, onDone = std::move(onDone)](aws::Answer answer) {
            if (answer.error) {
                onDone(std::nullopt, errorOf(answer.error));
                return;
            }
            std::string problem;
            auto endpoint = parseDescribe(answer.document, &problem);
            if (!endpoint) {
                onDone(std::nullopt,
                       error(ControlError::Kind::BadAnswer,
                             join("SageMaker (", m_client->settings().region, ") ", problem),
                             true));
                return;
            }
            onDone(std::move(endpoint), {});
        });
}

void SageMakerControlPlane::fetchState(QObject *context, Callback onDone)
{
    describe(context, [this, onDone = std::move(onDone)](std::optional<SageMakerEndpoint> endpoint,
                                                         ControlError failure) {
        if (!endpoint) {
            ControlResult result;
            result.error = std::move(failure);
            onDone(std::move(result));
            return;
        }
        onDone(resultOf(*endpoint));
    });
}

void SageMakerControlPlane::setCanaryWeight(Weight weight, std::int64_t, QObject *context,
                                            Callback onDone)
{
    applyShare(weight, join("set the canary to ", weight.toString(), " %"), context,
               std::move(onDone));
}

void SageMakerControlPlane::promote(std::int64_t, QObject *context, Callback onDone)
{
    applyShare(Weight::fromTenths(Weight::kMaxTenths), "promote the canary", context,
               std::move(onDone));
}

void SageMakerControlPlane::rollback(std::int64_t, QObject *context, Callback onDone)
{
    applyShare(Weight(), "roll the canary back", context, std::move(onDone));
}

void SageMakerControlPlane::stageCanary(const nlohmann::json &, std::int64_t, QObject *context,
                                        Callback onDone)
{
    ControlResult result;
    result.error = error(ControlError::Kind::Rejected,
                         join("a SageMaker backend cannot stage a model: the canary is whatever "
                              "variant ",
                              m_target.canary,
                              " serves. Deploy the new model to it with an endpoint "
                              "configuration update (your own tooling), then move its weight "
                              "here"),
                         false);
    QMetaObject::invokeMethod(
        context, [onDone = std::move(onDone), result]() { onDone(result); }, Qt::QueuedConnection);
}

void SageMakerControlPlane::applyShare(Weight canary, const std::string &what, QObject *context,
                                       Callback onDone)
{
    if (m_change) {
        ControlResult result;
        result.error =
            error(ControlError::Kind::Conflict,
                  join("cannot ", what, ": the last change to SageMaker endpoint ",
                       m_target.endpoint, " is still being applied. Wait until it is InService"),
                  false);
        QMetaObject::invokeMethod(
            context, [onDone = std::move(onDone), result]() { onDone(result); },
            Qt::QueuedConnection);
        return;
    }
    auto change = std::make_shared<Change>();
    change->canary = canary;
    change->what = what;
    change->context = context;
    change->onDone = std::move(onDone);
    change->started = m_scheduler.clock().now();
    m_change = change;
    // No revisions: the decision rests on this read, the freshest there is.
    describe(this, [this, change](std::optional<SageMakerEndpoint> endpoint, ControlError failure) {
        if (!endpoint) {
            failure.requestSent = false; // only the read was sent; nothing was changed
            finish(change, {std::nullopt, std::move(failure), {}});
            return;
        }
        ControlResult now = resultOf(*endpoint);
        if (now.error) {
            now.error.requestSent = false;
            finish(change, std::move(now));
            return;
        }
        if (endpoint->busy()) {
            ControlResult refused;
            refused.state = now.state;
            refused.error = error(ControlError::Kind::Conflict,
                                  join("cannot ", change->what, ": SageMaker endpoint ",
                                       m_target.endpoint, " is ", endpoint->status,
                                       " and accepts no change until it is InService again"),
                                  false);
            finish(change, std::move(refused));
            return;
        }
        const SageMakerEndpoint::Variant *production = endpoint->variant(m_target.production);
        const SageMakerEndpoint::Variant *canaryVariant = endpoint->variant(m_target.canary);
        const bool settled = production->desiredWeight == production->currentWeight &&
                             canaryVariant->desiredWeight == canaryVariant->currentWeight;
        if (settled && now.state->canaryWeight() == change->canary) {
            finish(change, std::move(now)); // already so: nothing to send
            return;
        }
        sendUpdate(change);
    });
}

void SageMakerControlPlane::sendUpdate(std::shared_ptr<Change> change)
{
    const nlohmann::json request = {
        {"EndpointName", m_target.endpoint},
        {"DesiredWeightsAndCapacities",
         nlohmann::json::array(
             {{{"VariantName", m_target.production},
               {"DesiredWeight", percentOf(change->canary.complement())}},
              {{"VariantName", m_target.canary}, {"DesiredWeight", percentOf(change->canary)}}})}};
    m_client->call("UpdateEndpointWeightsAndCapacities", request, this,
                   [this, change](aws::Answer answer) {
                       if (answer.error) {
                           ControlError failure = errorOf(answer.error);
                           if (answer.error.kind == aws::Error::Kind::NoAnswer ||
                               answer.error.kind == aws::Error::Kind::ServerError)
                               failure.detail += "; it is not known whether SageMaker took the "
                                                 "change: the next reading of the endpoint "
                                                 "shows it";
                           else
                               failure.detail += "; nothing was changed";
                           finish(change, {std::nullopt, std::move(failure), {}});
                           return;
                       }
                       // Accepted: the endpoint is Updating until the new weights apply.
                       change->timer = m_scheduler.createTimer([this, change] { poll(change); });
                       change->timer->start(m_settings.pollInterval);
                   });
}

void SageMakerControlPlane::poll(std::shared_ptr<Change> change)
{
    describe(this, [this, change](std::optional<SageMakerEndpoint> endpoint, ControlError failure) {
        const auto waited = m_scheduler.clock().now() - change->started;
        if (!endpoint) {
            if (++change->failedPolls > m_settings.maxFailedPolls) {
                failure.detail += join("; SageMaker accepted the change (", change->what,
                                       ") but the endpoint could not be read since, so whether "
                                       "it finished is not known");
                finish(change, {std::nullopt, std::move(failure), {}});
                return;
            }
            change->timer->start(m_settings.pollInterval);
            return;
        }
        change->failedPolls = 0;
        if (endpoint->busy()) {
            if (waited >= m_settings.updateTimeout) {
                ControlResult late = resultOf(*endpoint);
                late.error = error(
                    ControlError::Kind::ServerError,
                    join("SageMaker endpoint ", m_target.endpoint, " is still ", endpoint->status,
                         " after ",
                         std::to_string(
                             std::chrono::duration_cast<std::chrono::minutes>(waited).count()),
                         " min; the console stopped waiting, and SageMaker may still apply the "
                         "change"),
                    true);
                finish(change, std::move(late));
                return;
            }
            change->timer->start(m_settings.pollInterval);
            return;
        }
        m_change.reset(); // seen InService: the state below is no longer "updating" for ours
        ControlResult done = resultOf(*endpoint);
        m_change = change;
        if (!done.error && done.state->canaryWeight() != change->canary)
            done.error = error(ControlError::Kind::ServerError,
                               join("SageMaker finished updating endpoint ", m_target.endpoint,
                                    ", but the canary has ", done.state->canaryWeight().toString(),
                                    " % of traffic, not ", change->canary.toString(),
                                    " %: someone else changed it meanwhile, or SageMaker rolled "
                                    "the change back"),
                               true);
        finish(change, std::move(done));
    });
}

void SageMakerControlPlane::finish(std::shared_ptr<Change> change, ControlResult result)
{
    if (m_change == change)
        m_change.reset();
    if (change->context && change->onDone)
        change->onDone(std::move(result));
    change->onDone = nullptr;
}

} // namespace canary
