#include "awsbackend.h"

#include "util/join.h"
#include "util/scheduler.h"

#include <QUrlQuery>

namespace canary {

namespace {

// SageMaker's pattern for endpoint and variant names: ^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}.
bool isSageMakerName(const std::string &name)
{
    if (name.empty() || name.size() > 63 || name.front() == '-' || name.back() == '-')
        return false;
    for (const char c : name) {
        const bool allowed =
            (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
        if (!allowed)
            return false;
    }
    return true;
}

// The URL as shown in errors: user info cut out wherever it is, the endpoint= URL inside the query
// included, so a password typed into one is never repeated.
std::string shownUrl(const std::string &raw)
{
    std::string shown = raw;
    for (std::size_t scheme = shown.find("://"); scheme != std::string::npos;
         scheme = shown.find("://", scheme + 3)) {
        const std::size_t begin = scheme + 3;
        const std::size_t end = shown.find_first_of("/?&#", begin);
        const std::size_t at = shown.find('@', begin);
        if (at != std::string::npos && (end == std::string::npos || at < end))
            shown.erase(begin, at + 1 - begin);
    }
    return shown;
}

} // namespace

std::optional<AwsUrl> parseAwsUrl(const std::string &raw, const aws::Service &service,
                                  const aws::Environment &env, std::string *error)
{
    const bool control = service.signingName == "sagemaker";
    const char *scheme = control ? "sagemaker://" : "cloudwatch://";
    const auto fail = [&](const std::string &what) -> std::optional<AwsUrl> {
        if (error)
            *error = join("the URL \"", shownUrl(raw), "\" ", what);
        return std::nullopt;
    };
    const std::string lowered =
        QString::fromStdString(raw.substr(0, std::string(scheme).size())).toLower().toStdString();
    if (lowered != scheme)
        return fail(join("does not start with ", scheme));
    std::string rest = raw.substr(std::string(scheme).size());
    std::string query;
    if (const auto mark = rest.find('?'); mark != std::string::npos) {
        query = rest.substr(mark + 1);
        rest.resize(mark);
    }
    if (!rest.empty() && rest.back() == '/')
        rest.pop_back();
    AwsUrl url;
    url.endpoint = rest;
    if (!url.endpoint.empty() && !isSageMakerName(url.endpoint))
        return fail(join("names the endpoint \"", url.endpoint,
                         "\", which is not a SageMaker endpoint name (letters, digits and "
                         "dashes, at most 63)"));
    const QUrlQuery items(QString::fromStdString(query));
    for (const auto &[key, value] : items.queryItems(QUrl::FullyDecoded)) {
        const std::string k = key.toStdString();
        const std::string v = value.toStdString();
        if (k == "region")
            url.region = v;
        else if (k == "production")
            url.production = v;
        else if (k == "canary")
            url.canary = v;
        else if (k == "endpoint")
            url.endpointUrl = v;
        else if (k == "poll" && control) {
            bool ok = false;
            const int seconds = value.toInt(&ok);
            if (!ok || seconds < 1 || seconds > 300)
                return fail("has poll= that is not a whole number of seconds from 1 to 300");
            url.poll = std::chrono::seconds(seconds);
        } else
            return fail(join("has a parameter \"", k, "\" that ", scheme,
                             " does not know; it knows region, production, canary, endpoint",
                             control ? ", poll" : ""));
    }
    if (url.region.empty())
        url.region = aws::resolveRegion(env);
    if (url.region.empty())
        return fail("gives no region (region=eu-west-1), and neither AWS_REGION, "
                    "AWS_DEFAULT_REGION nor the AWS profile sets one");
    if (!aws::isRegionName(url.region))
        return fail(join("has region=", url.region,
                         ", which is not an AWS region name (such as eu-west-1)"));
    if (control || !url.endpoint.empty()) {
        if (url.endpoint.empty())
            return fail(join("names no endpoint (", scheme, "ENDPOINT?region=...)"));
        std::string missing;
        if (url.production.empty())
            missing = "production";
        if (url.canary.empty())
            missing += missing.empty() ? "canary" : " and canary";
        if (!missing.empty())
            return fail(join("lacks ", missing,
                             " (it needs ?production=VARIANT&canary=VARIANT, the endpoint's "
                             "production variants' names)"));
        for (const std::string *variant : {&url.production, &url.canary}) {
            if (!isSageMakerName(*variant))
                return fail(join("names the variant \"", *variant,
                                 "\", which is not a SageMaker variant name (letters, digits "
                                 "and dashes, at most 63)"));
        }
        if (url.production == url.canary)
            return fail("names the same variant as production and canary");
    } else if (!url.production.empty() || !url.canary.empty()) {
        return fail("names variants but no endpoint (cloudwatch://ENDPOINT?region=...)");
    }
    if (url.endpointUrl.empty())
        url.endpointUrl = aws::resolveEndpointUrl(env, service.envName);
    if (!url.endpointUrl.empty()) {
        const QUrl override(QString::fromStdString(url.endpointUrl), QUrl::StrictMode);
        const QString overrideScheme = override.scheme().toLower();
        if (!override.isValid() || override.host().isEmpty() ||
            (overrideScheme != QLatin1String("http") && overrideScheme != QLatin1String("https")) ||
            !override.userInfo().isEmpty() || override.hasQuery())
            return fail(join("has an endpoint URL \"", displayUrl(url.endpointUrl),
                             "\" that is not http(s)://HOST[:PORT] (from endpoint= or "
                             "AWS_ENDPOINT_URL)"));
    }
    return url;
}

namespace {

aws::ClientSettings clientSettings(const AwsUrl &url, const BackendContext &context,
                                   aws::Environment env)
{
    aws::ClientSettings settings;
    settings.region = url.region;
    settings.endpointUrl = url.endpointUrl;
    settings.environment = std::move(env);
    settings.timeout =
        std::max<std::chrono::milliseconds>(context.options.timeout, std::chrono::seconds(10));
    settings.verifyTls = context.options.verifyTls;
    return settings;
}

} // namespace

std::unique_ptr<ControlPlane> makeSageMakerControlPlane(const QUrl &, const BackendContext &context,
                                                        std::string *error)
{
    aws::Environment env = aws::Environment::system();
    const aws::Service service = aws::sageMakerService();
    const auto url = parseAwsUrl(context.rawUrl, service, env, error);
    if (!url)
        return nullptr;
    auto client = std::make_unique<aws::JsonClient>(context.transport, QtScheduler::instance(),
                                                    service, clientSettings(*url, context, env));
    SageMakerControlPlane::Settings settings;
    settings.pollInterval = url->poll;
    return std::make_unique<SageMakerControlPlane>(
        std::move(client), SageMakerTarget{url->endpoint, url->production, url->canary},
        QtScheduler::instance(), settings);
}

std::unique_ptr<MetricsSource> makeCloudWatchSource(const QUrl &, const BackendContext &context,
                                                    std::string *error)
{
    aws::Environment env = aws::Environment::system();
    const aws::Service service = aws::cloudWatchService();
    const auto isSageMaker = [](const std::string &url) {
        return QString::fromStdString(url).startsWith(QLatin1String("sagemaker://"),
                                                      Qt::CaseInsensitive);
    };
    std::optional<AwsUrl> url;
    if (isSageMaker(context.rawUrl)) {
        // A sagemaker:// backend without --metrics: its CloudWatch, same region and names, at
        // AWS_ENDPOINT_URL_CLOUDWATCH or else where the backend's endpoint URL points.
        url = parseAwsUrl(context.rawUrl, aws::sageMakerService(), env, error);
        if (!url)
            return nullptr;
        if (const std::string own = env.get("AWS_ENDPOINT_URL_CLOUDWATCH"); !own.empty())
            url->endpointUrl = own;
    } else {
        url = parseAwsUrl(context.rawUrl, service, env, error);
        if (!url)
            return nullptr;
    }
    if (url->endpoint.empty()) {
        // The endpoint and variants are the sagemaker:// backend's.
        std::string ignored;
        const auto backend =
            isSageMaker(context.backendUrl)
                ? parseAwsUrl(context.backendUrl, aws::sageMakerService(), env, &ignored)
                : std::nullopt;
        if (!backend) {
            if (error)
                *error = join("the URL \"", shownUrl(context.rawUrl),
                              "\" names no SageMaker endpoint, and the backend is not a "
                              "sagemaker:// one to take it from: use "
                              "cloudwatch://ENDPOINT?region=R&production=V&canary=V");
            return nullptr;
        }
        url->endpoint = backend->endpoint;
        url->production = backend->production;
        url->canary = backend->canary;
    }
    auto client = std::make_unique<aws::JsonClient>(context.transport, QtScheduler::instance(),
                                                    service, clientSettings(*url, context, env));
    return std::make_unique<CloudWatchSource>(
        std::move(client), CloudWatchTarget{url->endpoint, url->production, url->canary},
        context.clock, CloudWatchSource::Settings{});
}

} // namespace canary
