#include "awsclient.h"

#include "util/boundedjson.h"
#include "util/join.h"

#include <QPointer>

#include <algorithm>

namespace canary::aws {

namespace {

// AWS answers are small; a DescribeEndpoint is a few KiB, a GetMetricData page at most a few MiB.
constexpr std::size_t kMaxAnswerBytes = 16 * 1024 * 1024;

// "com.amazonaws.sagemaker#ValidationException" and "ValidationException:http://..." are both
// ValidationException.
std::string errorCode(std::string code)
{
    if (const auto hash = code.rfind('#'); hash != std::string::npos)
        code.erase(0, hash + 1);
    if (const auto colon = code.find(':'); colon != std::string::npos)
        code.resize(colon);
    return code;
}

void cutOut(std::string &text, const std::string &secret)
{
    if (secret.size() < 4)
        return;
    for (auto at = text.find(secret); at != std::string::npos; at = text.find(secret, at))
        text.replace(at, secret.size(), "[redacted]");
}

bool isOneOf(const std::string &code, std::initializer_list<std::string_view> codes)
{
    return std::find(codes.begin(), codes.end(), code) != codes.end();
}

} // namespace

Service sageMakerService()
{
    return {"SageMaker", "sagemaker", "api.sagemaker", "SageMaker", "application/x-amz-json-1.1",
            "SAGEMAKER"};
}

Service cloudWatchService()
{
    return {"CloudWatch",
            "monitoring",
            "monitoring",
            "GraniteServiceVersion20100801",
            "application/x-amz-json-1.0",
            "CLOUDWATCH"};
}

std::string publicEndpoint(const Service &service, const std::string &region)
{
    // China's regions have their own domain.
    const bool china = region.starts_with("cn-");
    return join("https://", service.hostPrefix, ".", region,
                china ? ".amazonaws.com.cn" : ".amazonaws.com");
}

struct JsonClient::Call
{
    std::string action;
    std::string body;
    QPointer<QObject> context;
    Callback onDone;
    int attempts = 0;
    std::unique_ptr<Timer> retry;
};

JsonClient::JsonClient(HttpTransport *transport, Scheduler &scheduler, Service service,
                       ClientSettings settings)
    : m_transport(transport)
    , m_scheduler(scheduler)
    , m_service(std::move(service))
    , m_settings(std::move(settings))
    , m_url(m_settings.endpointUrl.empty() ? publicEndpoint(m_service, m_settings.region)
                                           : m_settings.endpointUrl)
{
    while (m_url.size() > 1 && m_url.back() == '/')
        m_url.pop_back();
    m_url += '/';
}

JsonClient::~JsonClient() = default;

void JsonClient::call(const std::string &action, const nlohmann::json &request, QObject *context,
                      Callback onDone)
{
    auto call = std::make_shared<Call>();
    call->action = action;
    call->body = request.dump();
    call->context = context;
    call->onDone = std::move(onDone);
    attempt(std::move(call));
}

void JsonClient::attempt(std::shared_ptr<Call> call)
{
    ++call->attempts;
    std::string problem;
    const std::optional<Credentials> credentials =
        resolveCredentials(m_settings.environment, &problem);
    if (!credentials) {
        Answer answer;
        answer.error.kind = Error::Kind::NoCredentials;
        answer.error.attempts = call->attempts;
        answer.error.sentence = join(m_service.name, " ", call->action, " was not sent: ", problem);
        // Asynchronous like every other answer: never inside the call that asked.
        QPointer<QObject> context = call->context;
        if (context)
            QMetaObject::invokeMethod(
                context, [call, answer]() mutable { call->onDone(std::move(answer)); },
                Qt::QueuedConnection);
        return;
    }

    HttpRequest request;
    request.method = "POST";
    request.url = m_url;
    request.headers = {{"Content-Type", m_service.contentType},
                       {"X-Amz-Target", join(m_service.targetPrefix, ".", call->action)}};
    if (!credentials->sessionToken.empty())
        request.headers.emplace_back("X-Amz-Security-Token", credentials->sessionToken);
    request.body = call->body;
    request.timeout = m_settings.timeout;
    request.verifyTls = m_settings.verifyTls;
    request.maxResponseBytes = kMaxAnswerBytes;
    request.awsSigV4 = join("aws:amz:", m_settings.region, ":", m_service.signingName);
    request.awsAccessKeyId = credentials->accessKeyId;
    request.awsSecretAccessKey = credentials->secretAccessKey;

    std::weak_ptr<bool> alive = m_alive;
    m_transport->send(
        std::move(request), call->context,
        [this, alive, call, credentials = *credentials](HttpResponse response) {
            if (alive.expired())
                return;
            Answer answer;
            answer.error =
                errorOf(m_service, m_settings.region, call->action, response, credentials);
            answer.error.attempts = call->attempts;
            if (answer.error.kind == Error::Kind::Throttled &&
                call->attempts < m_settings.maxAttempts) {
                const auto wait = m_settings.firstBackoff * (1 << (call->attempts - 1));
                call->retry = m_scheduler.createTimer([this, alive, call] {
                    if (alive.expired())
                        return;
                    std::erase(m_waiting, call);
                    if (call->context)
                        attempt(call);
                });
                call->retry->start(wait);
                m_waiting.push_back(call);
                return;
            }
            if (!answer.error) {
                answer.body = std::move(response.body);
                JsonParseError parseError;
                auto document = parseBoundedJson(answer.body, &parseError);
                if (document && document->is_object()) {
                    answer.document = std::move(*document);
                } else {
                    answer.error.kind = Error::Kind::BadAnswer;
                    answer.error.httpStatus = response.status;
                    answer.error.sentence =
                        join(m_service.name, " (", m_settings.region, ") answered ", call->action,
                             " with something that is not its JSON: ",
                             document ? std::string("not an object") : parseError.message);
                }
            }
            call->onDone(std::move(answer));
        });
}

Error JsonClient::errorOf(const Service &service, const std::string &region,
                          const std::string &action, const HttpResponse &response,
                          const Credentials &credentials)
{
    Error error;
    const std::string where = join(service.name, " (", region, ")");
    switch (response.outcome) {
    case HttpResponse::Outcome::Answered:
        break;
    case HttpResponse::Outcome::NotSent:
        error.kind = Error::Kind::NotSent;
        error.sentence = join(where, " cannot be reached: ", response.transportError, "; ", action,
                              " was not sent");
        return error;
    case HttpResponse::Outcome::NoAnswer:
        error.kind = Error::Kind::NoAnswer;
        error.sentence = join(where, " did not answer ", action, ": ", response.transportError);
        return error;
    case HttpResponse::Outcome::TooLarge:
        error.kind = Error::Kind::BadAnswer;
        error.sentence =
            join(where, " answered ", action, " with more than ",
                 std::to_string(kMaxAnswerBytes / (1024 * 1024)), " MiB; the answer was not read");
        return error;
    }
    error.httpStatus = response.status;
    if (response.status >= 200 && response.status < 300)
        return error;

    // The AWS JSON protocols' error document: {"__type": "...", "message": "..."}, the type also
    // in x-amzn-ErrorType. Some services spell the message "Message".
    const auto document = parseBoundedJson(response.body);
    std::string code = response.header("x-amzn-errortype");
    std::string message;
    if (document && document->is_object()) {
        if (code.empty() && document->contains("__type") && (*document)["__type"].is_string())
            code = (*document)["__type"].get<std::string>();
        for (const char *key : {"message", "Message"}) {
            if (document->contains(key) && (*document)[key].is_string()) {
                message = (*document)[key].get<std::string>();
                break;
            }
        }
    }
    code = errorCode(code);
    cutOut(message, credentials.secretAccessKey);
    cutOut(message, credentials.sessionToken);
    if (message.size() > 500)
        message = message.substr(0, 500) + "...";
    error.type = code;
    error.message = message;
    const std::string said = code.empty() ? join("HTTP ", std::to_string(response.status))
                                          : (message.empty() ? code : join(code, ": ", message));

    if (isOneOf(code, {"ThrottlingException", "Throttling", "ThrottledException",
                       "TooManyRequestsException", "RequestLimitExceeded"}) ||
        response.status == 429) {
        error.kind = Error::Kind::Throttled;
        error.sentence = join(where, " kept throttling ", action, " (", said,
                              ") and it was given up after several attempts with backoff; "
                              "nothing was changed. Try again in a minute");
    } else if (isOneOf(code, {"InvalidSignatureException", "SignatureDoesNotMatch",
                              "IncompleteSignature", "IncompleteSignatureException"})) {
        error.kind = Error::Kind::Signature;
        error.sentence = join(where, " refused the signature of ", action, " (", said,
                              "). The secret access key from ", credentials.source,
                              " does not belong to its access key id, or this machine's clock "
                              "is more than 5 minutes off");
    } else if (isOneOf(code,
                       {"UnrecognizedClientException", "InvalidClientTokenId",
                        "MissingAuthenticationTokenException", "MissingAuthenticationToken"})) {
        error.kind = Error::Kind::UnknownKey;
        error.sentence =
            join(where, " does not know the credentials from ", credentials.source, " (", said,
                 "): the access key id is wrong or deleted, or its session token is "
                 "missing or wrong");
    } else if (isOneOf(code, {"ExpiredTokenException", "ExpiredToken", "RequestExpired",
                              "TokenRefreshRequired"})) {
        error.kind = Error::Kind::ExpiredToken;
        error.sentence =
            join("The AWS credentials from ", credentials.source, " have expired (", said,
                 "). Refresh them (aws sso login, or new STS credentials) and "
                 "retry; nothing was changed");
    } else if (isOneOf(code, {"AccessDeniedException", "AccessDenied", "UnauthorizedOperation"}) ||
               response.status == 403) {
        error.kind = Error::Kind::AccessDenied;
        error.sentence = join(
            where, " denied ", action, " to the credentials from ", credentials.source, ": ",
            said.empty() ? "access denied" : said, ". The IAM policy needs to allow ",
            service.signingName == "monitoring" ? "cloudwatch" : service.signingName, ":", action);
    } else if (response.status >= 500 ||
               isOneOf(code, {"InternalFailure", "InternalServerError", "ServiceUnavailable",
                              "InternalServiceError", "InternalServiceFault"})) {
        error.kind = Error::Kind::ServerError;
        error.sentence = join(where, " failed on ", action, " (", said, ")");
    } else {
        error.kind = Error::Kind::Validation;
        error.sentence = join(where, " refused ", action, ": ", said);
    }
    return error;
}

} // namespace canary::aws
