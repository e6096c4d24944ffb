#pragma once

#include "backends/aws/awscredentials.h"
#include "backends/httptransport.h"
#include "util/scheduler.h"

#include <nlohmann/json.hpp>

#include <QObject>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace canary::aws {

// An AWS service spoken to in one of the AWS JSON protocols (1.0 or 1.1): every call is a POST
// of a JSON document to "/" with the action in X-Amz-Target.
struct Service
{
    std::string name;         // "SageMaker", "CloudWatch": in sentences
    std::string signingName;  // the SigV4 service name: "sagemaker", "monitoring"
    std::string hostPrefix;   // "api.sagemaker" -> https://api.sagemaker.REGION.amazonaws.com
    std::string targetPrefix; // "SageMaker", "GraniteServiceVersion20100801"
    std::string contentType;  // "application/x-amz-json-1.1", "application/x-amz-json-1.0"
    std::string envName;      // AWS_ENDPOINT_URL_<envName>: "SAGEMAKER", "CLOUDWATCH"
};

Service sageMakerService();
Service cloudWatchService();

struct ClientSettings
{
    std::string region;
    // Where requests go: empty means the service's public endpoint in the region; set for local
    // testing and VPC endpoints (the URL parameter endpoint=, or AWS_ENDPOINT_URL[_SERVICE]).
    std::string endpointUrl;
    Environment environment; // credentials are read from it at every call
    std::chrono::milliseconds timeout{10000};
    bool verifyTls = true;
    // A throttled call is sent again after firstBackoff, then twice as long each time, up to
    // maxAttempts in all. AWS refuses a throttled call before doing anything, so retrying a
    // change is as safe as retrying a read.
    int maxAttempts = 4;
    std::chrono::milliseconds firstBackoff{500};
};

// Why a call failed, sorted by what the operator can do about it.
struct Error
{
    enum class Kind {
        None,
        NoCredentials, // none could be found; nothing was sent
        NotSent,       // the connection was never made; nothing was sent
        NoAnswer,      // sent, no complete answer: a change may or may not have been applied
        Throttled,     // ThrottlingException on every attempt
        Signature,     // InvalidSignatureException / SignatureDoesNotMatch: a wrong secret
        UnknownKey,    // UnrecognizedClientException / InvalidClientTokenId
        ExpiredToken,  // ExpiredTokenException / ExpiredToken
        AccessDenied,  // AccessDeniedException: IAM does not allow the action
        Validation,    // ValidationException and the like: the request was refused as it is
        ServerError,   // 5xx, InternalFailure, ServiceUnavailable
        BadAnswer,     // 200 but not the document the API reference describes, or too large
    };

    Kind kind = Kind::None;
    long httpStatus = 0;
    std::string type;    // AWS's error code, e.g. "ValidationException"
    std::string message; // AWS's message, secrets cut out
    // One sentence for the operator naming the service, the region and the action, saying what to
    // do; never a secret.
    std::string sentence;
    int attempts = 0;

    explicit operator bool() const { return kind != Kind::None; }
    // False only when nothing can have reached AWS.
    bool requestSent() const { return kind != Kind::NoCredentials && kind != Kind::NotSent; }
};

struct Answer
{
    nlohmann::json document; // the answer's JSON when the call succeeded
    std::string body;        // as AWS sent it
    Error error;
};

// Signed calls to one AWS JSON service. SigV4 is done by libcurl (CURLOPT_AWS_SIGV4) with
// credentials read afresh for every call (resolveCredentials); throttled calls are retried with
// backoff on the scheduler. Callbacks run on the thread of `context`, never once it is gone.
class JsonClient final
{
public:
    using Callback = std::function<void(Answer)>;

    JsonClient(HttpTransport *transport, Scheduler &scheduler, Service service,
               ClientSettings settings);
    ~JsonClient();
    JsonClient(const JsonClient &) = delete;
    JsonClient &operator=(const JsonClient &) = delete;

    void call(const std::string &action, const nlohmann::json &request, QObject *context,
              Callback onDone);

    const Service &service() const { return m_service; }
    const ClientSettings &settings() const { return m_settings; }
    // The URL requests go to: the override, or https://PREFIX.REGION.amazonaws.com(.cn).
    const std::string &url() const { return m_url; }

    // The error an HTTP answer means (Kind::None for a good one), in words. Public so that the
    // wording can be tested without a network. `secrets` are cut out of AWS's message.
    static Error errorOf(const Service &service, const std::string &region,
                         const std::string &action, const HttpResponse &response,
                         const Credentials &credentials);

private:
    struct Call;
    void attempt(std::shared_ptr<Call> call);

    HttpTransport *m_transport;
    Scheduler &m_scheduler;
    Service m_service;
    ClientSettings m_settings;
    std::string m_url;
    // Calls waiting for their retry timer; destroyed with the client, so no timer outlives it.
    std::vector<std::shared_ptr<Call>> m_waiting;
    // Answers arriving after the client is gone find this expired and do nothing.
    std::shared_ptr<bool> m_alive = std::make_shared<bool>(true);
};

// The public endpoint of a service in a region.
std::string publicEndpoint(const Service &service, const std::string &region);

} // namespace canary::aws
