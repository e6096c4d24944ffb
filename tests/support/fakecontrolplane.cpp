#include "fakecontrolplane.h"

#include <algorithm>

namespace canary::testing {

namespace {

ControlError conflict(std::string why)
{
    ControlError error;
    error.kind = ControlError::Kind::Conflict;
    error.httpStatus = 409;
    error.title = "Conflict";
    error.detail = std::move(why);
    return error;
}

ControlError malformed(std::string detail)
{
    ControlError error;
    error.kind = ControlError::Kind::Rejected;
    error.httpStatus = 400;
    error.title = "Bad Request";
    error.detail = std::move(detail);
    return error;
}

// The RFC 9457 document a Control API backend would send with `error`.
std::string problemBody(const ControlError &error)
{
    if (error.httpStatus == 0)
        return {};
    nlohmann::json problem = {
        {"status", error.httpStatus}, {"title", error.title}, {"detail", error.detail}};
    if (error.current)
        problem["rollout"] = toJson(*error.current);
    return problem.dump();
}

} // namespace

std::string_view FakeControlPlane::toString(Request request)
{
    switch (request) {
    case Request::FetchState:
        return "fetchState";
    case Request::SetCanaryWeight:
        return "setCanaryWeight";
    case Request::Promote:
        return "promote";
    case Request::Rollback:
        return "rollback";
    case Request::StageCanary:
        return "stageCanary";
    }
    return "unknown";
}

RolloutState FakeControlPlane::canaryAt(Weight canaryWeight, std::int64_t revision)
{
    RolloutState state;
    state.revision = revision;
    state.phase = RolloutPhase::Canary;
    state.production = {VariantRole::Production, "m", "1.0", canaryWeight.complement()};
    state.canary = VariantInfo{VariantRole::Canary, "m", "2.0", canaryWeight};
    return state;
}

RolloutState FakeControlPlane::stable(std::int64_t revision)
{
    RolloutState state;
    state.revision = revision;
    state.phase = RolloutPhase::Stable;
    state.production = {VariantRole::Production, "m", "1.0", Weight::fromTenths(1000)};
    return state;
}

FakeControlPlane::FakeControlPlane(RolloutState state, QObject *parent)
    : ControlPlane(parent)
    , m_state(std::move(state))
{}

ControlPlaneCapabilities FakeControlPlane::defaultCapabilities()
{
    ControlPlaneCapabilities capabilities;
    capabilities.kind = "Fake control plane";
    capabilities.revisions = true;
    capabilities.staging = true;
    capabilities.convergesOverTime = false;
    capabilities.resolution = Weight::fromTenths(1);
    return capabilities;
}

void FakeControlPlane::setCapabilities(ControlPlaneCapabilities capabilities)
{
    m_capabilities = std::move(capabilities);
}

QStringList FakeControlPlane::callLog() const
{
    QStringList lines;
    for (const Call &call : m_calls) {
        std::string line(toString(call.request));
        if (call.weight)
            line += ' ' + call.weight->toString();
        if (call.request == Request::StageCanary)
            line += ' ' + call.canary.value("model", std::string("?")) + ' ' +
                    call.canary.value("version", std::string("?"));
        if (call.request != Request::FetchState)
            line += " @" + std::to_string(call.revision);
        lines << QString::fromStdString(line);
    }
    return lines;
}

int FakeControlPlane::callCount(Request request) const
{
    return int(std::count_if(m_calls.begin(), m_calls.end(),
                             [request](const Call &call) { return call.request == request; }));
}

void FakeControlPlane::failNext(ControlError error, std::optional<Request> only)
{
    m_failures.push_back({std::move(error), only, false});
}

void FakeControlPlane::failNextAfterApplying(ControlError error, std::optional<Request> only)
{
    m_failures.push_back({std::move(error), only, true});
}

ControlError FakeControlPlane::unreachable(bool requestSent)
{
    ControlError error;
    error.kind = ControlError::Kind::Unreachable;
    error.requestSent = requestSent;
    error.detail = requestSent ? "no answer within 5000 ms; the request may have arrived"
                               : "connection refused; the request was not sent";
    return error;
}

ControlError FakeControlPlane::serverError(std::string detail)
{
    ControlError error;
    error.kind = ControlError::Kind::ServerError;
    error.httpStatus = 500;
    error.title = "Internal Server Error";
    error.detail = std::move(detail);
    return error;
}

ControlError FakeControlPlane::staleRevision(const RolloutState &current, std::int64_t asked)
{
    ControlError error;
    error.kind = ControlError::Kind::StaleRevision;
    error.httpStatus = 412;
    error.title = "Precondition Failed";
    error.detail = "the rollout is at revision " + std::to_string(current.revision) + ", not " +
                   std::to_string(asked) + ": someone else changed it; re-read and decide again";
    error.current = current;
    return error;
}

Weight FakeControlPlane::nearestWeight(Weight requested) const
{
    const int step = std::max(1, m_capabilities.resolution.tenths());
    const int steps = (requested.tenths() + step / 2) / step;
    return Weight::fromTenths(std::min(steps * step, Weight::kMaxTenths));
}

void FakeControlPlane::fetchState(QObject *context, Callback onDone)
{
    handle({Request::FetchState, std::nullopt, 0, {}}, context, std::move(onDone),
           [this] { return answerWithState(); });
}

void FakeControlPlane::setCanaryWeight(Weight weight, std::int64_t revision, QObject *context,
                                       Callback onDone)
{
    handle({Request::SetCanaryWeight, weight, revision, {}}, context, std::move(onDone),
           [this, weight, revision] { return applySetWeight(weight, revision); });
}

void FakeControlPlane::promote(std::int64_t revision, QObject *context, Callback onDone)
{
    handle({Request::Promote, std::nullopt, revision, {}}, context, std::move(onDone),
           [this, revision] { return applyPromote(revision); });
}

void FakeControlPlane::rollback(std::int64_t revision, QObject *context, Callback onDone)
{
    handle({Request::Rollback, std::nullopt, revision, {}}, context, std::move(onDone),
           [this, revision] { return applyRollback(revision); });
}

void FakeControlPlane::stageCanary(const nlohmann::json &canary, std::int64_t revision,
                                   QObject *context, Callback onDone)
{
    handle({Request::StageCanary, std::nullopt, revision, canary}, context, std::move(onDone),
           [this, &canary, revision] { return applyStage(canary, revision); });
}

void FakeControlPlane::handle(Call call, QObject *context, Callback onDone, const Apply &apply)
{
    const Request request = call.request;
    m_calls.push_back(std::move(call));
    ControlResult result;
    if (std::optional<Failure> failure = takeFailure(request)) {
        if (failure->applyFirst)
            apply();
        result = refuse(std::move(failure->error));
    } else {
        result = apply();
    }
    m_answers.deliver(context, [onDone = std::move(onDone), result = std::move(result)] {
        if (onDone)
            onDone(result);
    });
}

std::optional<FakeControlPlane::Failure> FakeControlPlane::takeFailure(Request request)
{
    const auto fits =
        std::find_if(m_failures.begin(), m_failures.end(),
                     [request](const Failure &f) { return !f.only || *f.only == request; });
    if (fits == m_failures.end())
        return std::nullopt;
    Failure failure = std::move(*fits);
    m_failures.erase(fits);
    return failure;
}

ControlResult FakeControlPlane::answerWithState() const
{
    return {m_state, {}, toJson(m_state).dump()};
}

ControlResult FakeControlPlane::refuse(ControlError error) const
{
    std::string body = problemBody(error);
    return {std::nullopt, std::move(error), std::move(body)};
}

std::optional<ControlResult> FakeControlPlane::precondition(std::int64_t revision,
                                                            Lever lever) const
{
    if (m_capabilities.revisions && revision != m_state.revision)
        return refuse(staleRevision(m_state, revision));
    // The rules the console offers its levers by are the rules the fake refuses by.
    const LeverDecision decision = decideLever(lever, readRollout(m_state), m_capabilities);
    if (!decision.allowed)
        return refuse(conflict(decision.why));
    return std::nullopt;
}

void FakeControlPlane::bump()
{
    if (m_capabilities.revisions)
        ++m_state.revision;
    m_state.updatedAt = m_clock->now();
}

// Each lever first answers a request that would change nothing with the current state, whatever
// the revision (the Control API's idempotent retry), then checks the precondition.

ControlResult FakeControlPlane::applySetWeight(Weight weight, std::int64_t revision)
{
    const Weight target = nearestWeight(weight);
    const RolloutPhase phase = m_state.phase;
    if ((phase == RolloutPhase::Canary && m_state.canary && m_state.canaryWeight() == target) ||
        (phase == RolloutPhase::RolledBack && target.isZero()))
        return answerWithState();
    if (auto refused = precondition(revision, Lever::SetWeight))
        return *refused;
    m_state.canary->weight = target;
    m_state.production.weight = target.complement();
    bump();
    return answerWithState();
}

ControlResult FakeControlPlane::applyPromote(std::int64_t revision)
{
    if (m_state.phase == RolloutPhase::Promoted && !m_state.canary)
        return answerWithState();
    if (auto refused = precondition(revision, Lever::Promote))
        return *refused;
    m_state.production = {VariantRole::Production, m_state.canary->model, m_state.canary->version,
                          Weight::fromTenths(1000)};
    m_state.canary.reset();
    m_state.phase = RolloutPhase::Promoted;
    bump();
    return answerWithState();
}

ControlResult FakeControlPlane::applyRollback(std::int64_t revision)
{
    if (m_state.phase == RolloutPhase::RolledBack && m_state.canaryWeight().isZero())
        return answerWithState();
    if (auto refused = precondition(revision, Lever::Rollback))
        return *refused;
    m_state.canary->weight = Weight();
    m_state.production.weight = Weight::fromTenths(1000);
    m_state.phase = RolloutPhase::RolledBack;
    bump();
    return answerWithState();
}

ControlResult FakeControlPlane::applyStage(const nlohmann::json &canary, std::int64_t revision)
{
    if (!m_capabilities.staging) {
        ControlError error;
        error.kind = ControlError::Kind::Rejected;
        error.detail = m_capabilities.kind + " cannot stage a canary; put it in place on the "
                                             "backend itself.";
        return refuse(std::move(error));
    }
    const auto text = [&canary](const char *key) {
        const auto member = canary.find(key); // end() when `canary` is not an object
        return member != canary.end() && member->is_string() ? member->get<std::string>()
                                                             : std::string();
    };
    const std::string model = text("model");
    const std::string version = text("version");
    if (model.empty() || version.empty())
        return refuse(malformed("the canary to stage needs a model and a version, both "
                                "non-empty strings"));
    if (m_state.phase == RolloutPhase::Canary && m_state.canary && m_state.canary->model == model &&
        m_state.canary->version == version && m_state.canaryWeight().isZero())
        return answerWithState();
    if (auto refused = precondition(revision, Lever::Stage))
        return *refused;
    m_state.canary = VariantInfo{VariantRole::Canary, model, version, Weight()};
    m_state.production.weight = Weight::fromTenths(1000);
    m_state.phase = RolloutPhase::Canary;
    bump();
    return answerWithState();
}

} // namespace canary::testing
