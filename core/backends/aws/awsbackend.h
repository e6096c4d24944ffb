#pragma once

#include "backends/aws/awsclient.h"
#include "backends/aws/cloudwatchsource.h"
#include "backends/aws/sagemakercontrolplane.h"
#include "backends/backendfactory.h"

#include <QUrl>

#include <chrono>
#include <memory>
#include <optional>
#include <string>

namespace canary {

// What a sagemaker:// or cloudwatch:// URL says (docs/backends.md, "SageMaker"):
//   sagemaker://ENDPOINT?region=R&production=VARIANT&canary=VARIANT[&endpoint=URL][&poll=S]
//   cloudwatch://[ENDPOINT]?region=R[&production=VARIANT&canary=VARIANT][&endpoint=URL]
// A cloudwatch:// URL without an endpoint and variants takes them from a sagemaker:// backend.
// The region defaults to AWS_REGION / AWS_DEFAULT_REGION / the profile's; the endpoint URL to
// AWS_ENDPOINT_URL_SAGEMAKER or _CLOUDWATCH, then AWS_ENDPOINT_URL.
struct AwsUrl
{
    std::string endpoint; // the SageMaker endpoint's name, case kept
    std::string production;
    std::string canary;
    std::string region;
    std::string endpointUrl; // the override; empty: the public endpoint
    std::chrono::milliseconds poll{std::chrono::seconds(5)};
};

// `raw` is the URL as typed (QUrl lower-cases host names; SageMaker's names keep their case).
// `service` is aws::sageMakerService() or aws::cloudWatchService(). On a bad URL returns nullopt
// and sets `error` to a sentence naming the URL and the problem.
std::optional<AwsUrl> parseAwsUrl(const std::string &raw, const aws::Service &service,
                                  const aws::Environment &env, std::string *error);

// The makers the backend factory calls for sagemaker:// and cloudwatch://.
std::unique_ptr<ControlPlane>
makeSageMakerControlPlane(const QUrl &url, const BackendContext &context, std::string *error);
std::unique_ptr<MetricsSource> makeCloudWatchSource(const QUrl &url, const BackendContext &context,
                                                    std::string *error);

} // namespace canary
