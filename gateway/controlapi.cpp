#include "controlapi.h"

#include <nlohmann/json.hpp>

#include <cctype>

namespace canary::gateway {

namespace {

using nlohmann::json;

constexpr std::string_view kRollout = "/v1/rollout";
constexpr std::string_view kWeights = "/v1/rollout/weights";
constexpr std::string_view kPromote = "/v1/rollout/promote";
constexpr std::string_view kRollback = "/v1/rollout/rollback";
constexpr std::string_view kCanary = "/v1/rollout/canary";

HttpResponse malformed(const std::string &detail)
{
    return HttpResponse::problem(400, "malformed-request", "Malformed request", detail);
}

std::string etag(const RolloutState &state)
{
    // Appended piece by piece: "\"" + std::string&& makes GCC 12 at -O2 warn about an
    // overlapping memcpy inside basic_string::insert (a false positive, GCC bug 105329).
    std::string tag(1, '"');
    tag += std::to_string(state.revision);
    tag += '"';
    return tag;
}

std::string_view trim(std::string_view s)
{
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
        s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
        s.remove_suffix(1);
    return s;
}

// "7", 7, W/"7" or * (nullopt). Anything unreadable becomes -1, which matches no revision.
RolloutController::Precondition parseIfMatch(std::string_view value)
{
    value = trim(value.substr(0, value.find(',')));
    if (value == "*")
        return std::nullopt;
    if (value.substr(0, 2) == "W/")
        value.remove_prefix(2);
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"')
        value = value.substr(1, value.size() - 2);
    if (value.empty() || value.size() > 18)
        return -1;
    std::int64_t revision = 0;
    for (char c : value) {
        if (c < '0' || c > '9')
            return -1;
        revision = revision * 10 + (c - '0');
    }
    return revision;
}

// Promote and rollback take an empty body or {}.
bool emptyBody(const HttpRequest &request, HttpResponse &problem)
{
    json body;
    if (!parseJsonBody(request, body, problem))
        return false;
    if (body.is_null() || (body.is_object() && body.empty()))
        return true;
    problem = malformed("This action takes no parameters: send an empty body or {}.");
    return false;
}

} // namespace

ControlApi::ControlApi(RolloutController &controller, std::string token)
    : m_controller(controller)
    , m_token(std::move(token))
{}

bool ControlApi::handles(std::string_view path)
{
    return path == kRollout || path == kWeights || path == kPromote || path == kRollback ||
           path == kCanary;
}

std::string_view ControlApi::allowedMethod(std::string_view path)
{
    if (path == kRollout)
        return "GET";
    if (path == kWeights || path == kCanary)
        return "PUT";
    return "POST";
}

bool ControlApi::authorized(std::string_view header) const
{
    header = trim(header);
    constexpr std::string_view scheme = "bearer ";
    if (header.size() < scheme.size())
        return false;
    for (std::size_t i = 0; i < scheme.size(); ++i) {
        if (std::tolower(static_cast<unsigned char>(header[i])) != scheme[i])
            return false;
    }
    const auto given = trim(header.substr(scheme.size()));
    // Every byte of the expected token is looked at whatever the input, so timing does not
    // reveal how much of a guess was right.
    unsigned diff = given.size() == m_token.size() ? 0u : 1u;
    for (std::size_t i = 0; i < m_token.size(); ++i) {
        const char g = i < given.size() ? given[i] : '\0';
        diff |= static_cast<unsigned char>(g ^ m_token[i]);
    }
    return diff == 0 && !m_token.empty();
}

HttpResponse ControlApi::stateResponse(const RolloutState &state)
{
    auto response = HttpResponse::json(200, toJson(state));
    response.setHeader("ETag", etag(state));
    return response;
}

HttpResponse ControlApi::answer(const RolloutController::Outcome &outcome) const
{
    using Result = RolloutController::Result;
    switch (outcome.result) {
    case Result::Applied:
    case Result::AlreadyInState:
        return stateResponse(outcome.state);
    case Result::PreconditionFailed: {
        auto response = HttpResponse::problem(
            412, "precondition-failed", "Precondition failed",
            "The rollout changed since you read it (it is now at revision " +
                std::to_string(outcome.state.revision) +
                "); look at the current state included here and decide again.",
            json{{"rollout", toJson(outcome.state)}});
        response.setHeader("ETag", etag(outcome.state));
        return response;
    }
    case Result::Conflict: {
        auto response =
            HttpResponse::problem(409, "conflict", "Not allowed in this state", outcome.detail);
        response.setHeader("ETag", etag(outcome.state));
        return response;
    }
    }
    return HttpResponse::problem(500, "internal", "Internal error", "Unexpected outcome.");
}

HttpResponse ControlApi::handle(const HttpRequest &request)
{
    const auto path = request.path();
    if (request.method != allowedMethod(path)) {
        auto response = HttpResponse::problem(405, "method-not-allowed", "Method not allowed",
                                              std::string(path) + " accepts " +
                                                  std::string(allowedMethod(path)) + " only.");
        response.setHeader("Allow", std::string(allowedMethod(path)));
        return response;
    }
    if (path == kRollout)
        return stateResponse(m_controller.state());

    if (!authorized(request.header("Authorization"))) {
        auto response = HttpResponse::problem(
            401, "unauthorized", "Unauthorized",
            "Changing the rollout needs the header Authorization: Bearer <token> with the "
            "gateway's token.");
        response.setHeader("WWW-Authenticate", "Bearer realm=\"canary\"");
        return response;
    }
    if (!request.hasHeader("If-Match")) {
        auto response = HttpResponse::problem(
            428, "precondition-required", "Precondition required",
            "Send If-Match with the revision you last read (GET /v1/rollout, header ETag), or "
            "If-Match: * to override.");
        response.setHeader("ETag", etag(m_controller.state()));
        return response;
    }
    const auto ifMatch = parseIfMatch(request.header("If-Match"));

    HttpResponse problem;
    if (path == kPromote) {
        if (!emptyBody(request, problem))
            return problem;
        return answer(m_controller.promote(ifMatch));
    }
    if (path == kRollback) {
        if (!emptyBody(request, problem))
            return problem;
        return answer(m_controller.rollback(ifMatch));
    }

    json body;
    if (!parseJsonBody(request, body, problem))
        return problem;
    if (!body.is_object())
        return malformed("The request body must be a JSON object.");

    if (path == kWeights) {
        for (const auto &[name, value] : body.items()) {
            if (name != "canary")
                return malformed("Unknown field \"" + name +
                                 "\"; send exactly {\"canary\": <percent>}.");
        }
        auto it = body.find("canary");
        if (it == body.end())
            return malformed("Send {\"canary\": <percent>}, e.g. {\"canary\": 12.5}.");
        if (!it->is_number())
            return malformed("canary must be a number between 0 and 100.");
        std::string error;
        auto weight = Weight::fromPercent(it->get<double>(), &error);
        if (!weight)
            return malformed("canary " + error + ".");
        return answer(m_controller.setCanaryWeight(ifMatch, *weight));
    }

    // kCanary: parse against the current production, which supplies unspecified settings.
    const auto production = m_controller.snapshot().production;
    std::string error;
    auto settings = parseVariantSettings(body, "", &production, &error);
    if (!settings)
        return malformed(error + ".");
    return answer(m_controller.stageCanary(ifMatch, *settings));
}

} // namespace canary::gateway
