#include "controlclient.h"

#include "util/boundedjson.h"

namespace canary {

namespace {

bool isProblem(const HttpResponse &response)
{
    return response.header("content-type").starts_with("application/problem+json");
}

ControlError::Kind kindForStatus(long status)
{
    switch (status) {
    case 401:
    case 403:
        return ControlError::Kind::Unauthorized;
    case 409:
        return ControlError::Kind::Conflict;
    case 412:
        return ControlError::Kind::StaleRevision;
    default:
        return status >= 500 ? ControlError::Kind::ServerError : ControlError::Kind::Rejected;
    }
}

} // namespace

ControlClient::ControlClient(HttpTransport *transport, ControlEndpoint endpoint, QObject *parent)
    : ControlPlane(parent)
    , m_transport(transport)
    , m_endpoint(std::move(endpoint))
{
    while (!m_endpoint.baseUrl.empty() && m_endpoint.baseUrl.back() == '/')
        m_endpoint.baseUrl.pop_back();
}

ControlPlaneCapabilities ControlClient::capabilities() const
{
    return controlApiCapabilities();
}

void ControlClient::fetchState(QObject *context, Callback onDone)
{
    send("GET", "/v1/rollout", std::nullopt, {}, context, std::move(onDone));
}

void ControlClient::setCanaryWeight(Weight weight, std::int64_t revision, QObject *context,
                                    Callback onDone)
{
    nlohmann::json body{{"canary", weight.percent()}};
    send("PUT", "/v1/rollout/weights", revision, body.dump(), context, std::move(onDone));
}

void ControlClient::promote(std::int64_t revision, QObject *context, Callback onDone)
{
    send("POST", "/v1/rollout/promote", revision, "{}", context, std::move(onDone));
}

void ControlClient::rollback(std::int64_t revision, QObject *context, Callback onDone)
{
    send("POST", "/v1/rollout/rollback", revision, "{}", context, std::move(onDone));
}

void ControlClient::stageCanary(const nlohmann::json &canary, std::int64_t revision,
                                QObject *context, Callback onDone)
{
    send("PUT", "/v1/rollout/canary", revision, canary.dump(), context, std::move(onDone));
}

void ControlClient::send(const char *method, const char *path, std::optional<std::int64_t> revision,
                         std::string body, QObject *context, Callback onDone)
{
    HttpRequest request;
    request.method = method;
    request.url = m_endpoint.baseUrl + path;
    request.timeout = m_endpoint.timeout;
    request.verifyTls = m_endpoint.verifyTls;
    request.maxResponseBytes = kMaxAnswerBytes;
    request.headers.emplace_back("Accept", "application/json, application/problem+json");
    if (revision)
        request.headers.emplace_back("If-Match", "\"" + std::to_string(*revision) + "\"");
    if (std::string_view(method) != "GET") {
        if (!m_endpoint.token.empty())
            request.headers.emplace_back("Authorization", "Bearer " + m_endpoint.token);
        request.headers.emplace_back("Content-Type", "application/json");
        request.body = std::move(body);
    }
    m_transport->send(
        std::move(request), context,
        [onDone = std::move(onDone)](HttpResponse response) { onDone(interpretAnswer(response)); });
}

ControlResult ControlClient::interpretAnswer(const HttpResponse &response)
{
    ControlResult result;
    ControlError &error = result.error;
    if (!response.answered()) {
        if (response.outcome == HttpResponse::Outcome::TooLarge) {
            // An answer came; it was only too large to read.
            error.kind = ControlError::Kind::BadAnswer;
            error.answerLimitBytes = kMaxAnswerBytes;
        } else {
            error.kind = ControlError::Kind::Unreachable;
            error.requestSent = response.outcome != HttpResponse::Outcome::NotSent;
        }
        error.detail = response.transportError;
        return result;
    }
    result.body = response.body;
    // Backend answers are untrusted: nesting is bounded while parsing, so a hostile document
    // cannot exhaust the stack.
    JsonParseError parseError;
    const nlohmann::json json = parseBoundedJson(response.body, &parseError)
                                    .value_or(nlohmann::json(nlohmann::json::value_t::discarded));

    if (response.status >= 200 && response.status < 300) {
        std::string why;
        if (json.is_discarded())
            why = parseError.reason.find("nested deeper") != std::string::npos
                      ? "the body is " + parseError.message
                      : std::string("the body is not JSON");
        else if (auto state = rolloutStateFromJson(json, &why))
            result.state = std::move(state);
        if (!result.state) {
            error.kind = ControlError::Kind::BadAnswer;
            error.httpStatus = response.status;
            error.detail = why;
        }
        return result;
    }

    error.kind = kindForStatus(response.status);
    error.httpStatus = response.status;
    if (isProblem(response) && json.is_object()) {
        auto text = [&](const char *key) {
            auto it = json.find(key);
            return it != json.end() && it->is_string() ? it->get<std::string>() : std::string();
        };
        error.title = text("title");
        error.detail = text("detail");
        if (auto it = json.find("rollout"); it != json.end())
            error.current = rolloutStateFromJson(*it, nullptr);
    } else if (!response.body.empty() && response.body.size() < 512) {
        error.detail = response.body; // a non-conforming backend; show what it said
    }
    return result;
}

} // namespace canary
