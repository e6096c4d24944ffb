// The AWS pieces that need no network: where credentials, region and endpoint URL come from, the
// sagemaker:// and cloudwatch:// URLs, AWS's errors in words, DescribeEndpoint read into a
// rollout, and CloudWatch's numbers into KPIs. The signed conversation itself is in
// tests/integration/tst_sagemaker.cpp, against the fake service that checks every signature.
#include "backends/aws/awsbackend.h"
#include "backends/aws/awsclient.h"
#include "backends/aws/awscredentials.h"
#include "backends/aws/cloudwatchsource.h"
#include "backends/aws/sagemakercontrolplane.h"

#include <nlohmann/json.hpp>

#include <QFile>
#include <QTemporaryDir>
#include <QTest>

using namespace canary;

namespace {

void writeFile(const QString &path, const QByteArray &text)
{
    QFile file(path);
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write(text);
}

bool contains(const std::string &text, const char *part)
{
    return text.find(part) != std::string::npos;
}

} // namespace

class TestAws : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void credentials_data();
    void credentials();
    void regionAndEndpointUrl();
    void iniSection();
    void urls_data();
    void urls();
    void errors_data();
    void errors();
    void secretsAreCutOutOfMessages();
    void describe_data();
    void describe();
    void describeRefusesMalformedAnswers_data();
    void describeRefusesMalformedAnswers();
    void cloudWatchKpis();
    void cloudWatchResults_data();
    void cloudWatchResults();
};

void TestAws::credentials_data()
{
    QTest::addColumn<QStringList>("variables"); // NAME=VALUE
    QTest::addColumn<QByteArray>("credentialsFile");
    QTest::addColumn<QByteArray>("configFile");
    QTest::addColumn<QString>("keyId"); // empty: none found
    QTest::addColumn<QString>("token");
    QTest::addColumn<QString>("sourceOrError"); // a part of the source or of the error

    const QByteArray shared = "[default]\naws_access_key_id = AKIDDEFAULT\n"
                              "aws_secret_access_key = secretdefault\n\n"
                              "[ops]\r\naws_access_key_id=AKIDOPS\r\naws_secret_access_key="
                              "secretops # comment\r\naws_session_token = tokenops\r\n";
    const QByteArray config = "[profile cfg]\nregion = eu-west-1\naws_access_key_id = AKIDCFG\n"
                              "aws_secret_access_key = secretcfg\n"
                              "[profile sso]\nsso_session = corp\nregion = us-east-1\n";
    QTest::newRow("environment first")
        << QStringList{QStringLiteral("AWS_ACCESS_KEY_ID=AKIDENV"),
                       QStringLiteral("AWS_SECRET_ACCESS_KEY=secretenv"),
                       QStringLiteral("AWS_SESSION_TOKEN=tokenenv")}
        << shared << config << "AKIDENV"
        << "tokenenv"
        << "environment";
    QTest::newRow("half the environment")
        << QStringList{QStringLiteral("AWS_ACCESS_KEY_ID=AKIDENV")} << shared << config << ""
        << ""
        << "AWS_SECRET_ACCESS_KEY is not";
    QTest::newRow("default profile") << QStringList{} << shared << config << "AKIDDEFAULT"
                                     << ""
                                     << "profile \"default\"";
    QTest::newRow("AWS_PROFILE, CRLF, comment, token")
        << QStringList{QStringLiteral("AWS_PROFILE=ops")} << shared << config << "AKIDOPS"
        << "tokenops"
        << "profile \"ops\"";
    QTest::newRow("keys in the config file")
        << QStringList{QStringLiteral("AWS_PROFILE=cfg")} << shared << config << "AKIDCFG"
        << ""
        << "config";
    QTest::newRow("sso profile") << QStringList{QStringLiteral("AWS_PROFILE=sso")} << shared
                                 << config << ""
                                 << ""
                                 << "export-credentials --profile sso";
    QTest::newRow("unknown profile")
        << QStringList{QStringLiteral("AWS_PROFILE=nope")} << shared << config << ""
        << ""
        << "profile \"nope\" is in neither";
    QTest::newRow("no files") << QStringList{} << QByteArray() << QByteArray() << ""
                              << ""
                              << "no AWS credentials";
}

void TestAws::credentials()
{
    QFETCH(QStringList, variables);
    QFETCH(QByteArray, credentialsFile);
    QFETCH(QByteArray, configFile);
    QFETCH(QString, keyId);
    QFETCH(QString, token);
    QFETCH(QString, sourceOrError);

    QTemporaryDir home;
    QVERIFY(QDir(home.path()).mkpath(QStringLiteral(".aws")));
    if (!credentialsFile.isEmpty())
        writeFile(home.filePath(QStringLiteral(".aws/credentials")), credentialsFile);
    if (!configFile.isEmpty())
        writeFile(home.filePath(QStringLiteral(".aws/config")), configFile);
    aws::Environment env;
    env.home = home.path().toStdString();
    for (const QString &variable : variables) {
        const auto parts = variable.split(QLatin1Char('='));
        env.variables[parts[0].toStdString()] = parts[1].toStdString();
    }
    std::string error;
    const auto found = aws::resolveCredentials(env, &error);
    if (keyId.isEmpty()) {
        QVERIFY(!found);
        QVERIFY2(contains(error, sourceOrError.toUtf8().constData()), error.c_str());
        QVERIFY2(!contains(error, "secret"), error.c_str()); // no secret in any sentence
        return;
    }
    QVERIFY2(found, error.c_str());
    QCOMPARE(QString::fromStdString(found->accessKeyId), keyId);
    QCOMPARE(QString::fromStdString(found->sessionToken), token);
    QVERIFY(found->secretAccessKey.starts_with("secret"));
    QVERIFY2(contains(found->source, sourceOrError.toUtf8().constData()), found->source.c_str());
    QVERIFY(!contains(found->source, found->secretAccessKey.c_str()));
}

void TestAws::regionAndEndpointUrl()
{
    QTemporaryDir home;
    QVERIFY(QDir(home.path()).mkpath(QStringLiteral(".aws")));
    writeFile(home.filePath(QStringLiteral(".aws/config")),
              "[default]\nregion = ap-south-1\n[profile ops]\nregion = eu-north-1\n");
    aws::Environment env;
    env.home = home.path().toStdString();
    QCOMPARE(aws::resolveRegion(env), std::string("ap-south-1"));
    env.variables["AWS_PROFILE"] = "ops";
    QCOMPARE(aws::resolveRegion(env), std::string("eu-north-1"));
    env.variables["AWS_DEFAULT_REGION"] = "us-west-2";
    QCOMPARE(aws::resolveRegion(env), std::string("us-west-2"));
    env.variables["AWS_REGION"] = "eu-west-3";
    QCOMPARE(aws::resolveRegion(env), std::string("eu-west-3"));

    QCOMPARE(aws::resolveEndpointUrl(env, "SAGEMAKER"), std::string());
    env.variables["AWS_ENDPOINT_URL"] = "http://127.0.0.1:4566";
    QCOMPARE(aws::resolveEndpointUrl(env, "SAGEMAKER"), std::string("http://127.0.0.1:4566"));
    env.variables["AWS_ENDPOINT_URL_SAGEMAKER"] =
        "https://vpce-1.api.sagemaker.eu-west-3.vpce.amazonaws.com";
    QCOMPARE(aws::resolveEndpointUrl(env, "SAGEMAKER"),
             std::string("https://vpce-1.api.sagemaker.eu-west-3.vpce.amazonaws.com"));
    QCOMPARE(aws::resolveEndpointUrl(env, "CLOUDWATCH"), std::string("http://127.0.0.1:4566"));

    QCOMPARE(aws::publicEndpoint(aws::sageMakerService(), "eu-west-1"),
             std::string("https://api.sagemaker.eu-west-1.amazonaws.com"));
    QCOMPARE(aws::publicEndpoint(aws::cloudWatchService(), "cn-north-1"),
             std::string("https://monitoring.cn-north-1.amazonaws.com.cn"));
}

void TestAws::iniSection()
{
    const std::string text = "; top\n[a]\nx = 1\n  nested = no\n[b]\nY = 2\n[a]\nz = 3\n";
    const auto a = aws::readIniSection(text, "a");
    QVERIFY(a);
    QCOMPARE(a->at("x"), std::string("1"));
    QCOMPARE(a->at("z"), std::string("3")); // a section given twice adds up, as in the CLI
    QVERIFY(!a->contains("nested"));
    QCOMPARE(aws::readIniSection(text, "b")->at("y"), std::string("2")); // keys case-insensitive
    QVERIFY(!aws::readIniSection(text, "c"));
    QVERIFY(!aws::readIniSection(text, "A")); // profile names are case-sensitive
}

void TestAws::urls_data()
{
    QTest::addColumn<QString>("url");
    QTest::addColumn<bool>("control");
    QTest::addColumn<QString>("expected"); // endpoint|production|canary|region|endpointUrl|poll s
    QTest::addColumn<QString>("error");    // a part of the error

    QTest::newRow("full") << "sagemaker://Fraud-Scorer?region=eu-west-1&production=prod-v1&"
                             "canary=canary-v2&endpoint=http://127.0.0.1:9&poll=2"
                          << true << "Fraud-Scorer|prod-v1|canary-v2|eu-west-1|http://127.0.0.1:9|2"
                          << "";
    QTest::newRow("region from the environment")
        << "sagemaker://e1?production=a&canary=b" << true << "e1|a|b|us-east-2||5"
        << "";
    QTest::newRow("no variants") << "sagemaker://e1?region=eu-west-1" << true << ""
                                 << "lacks production and canary";
    QTest::newRow("same variant") << "sagemaker://e1?region=eu-west-1&production=a&canary=a" << true
                                  << ""
                                  << "same variant";
    QTest::newRow("bad region") << "sagemaker://e1?region=eu.evil.com/&production=a&canary=b"
                                << true << ""
                                << "not an AWS region name";
    QTest::newRow("bad endpoint name")
        << "sagemaker://my_endpoint?production=a&canary=b" << true << ""
        << "not a SageMaker endpoint name";
    QTest::newRow("bad variant name") << "sagemaker://e1?production=a b&canary=b" << true << ""
                                      << "not a SageMaker variant name";
    QTest::newRow("no endpoint") << "sagemaker://?production=a&canary=b" << true << ""
                                 << "names no endpoint";
    QTest::newRow("typo") << "sagemaker://e1?production=a&canery=b" << true << ""
                          << "parameter \"canery\"";
    QTest::newRow("bad poll") << "sagemaker://e1?production=a&canary=b&poll=0" << true << ""
                              << "poll=";
    QTest::newRow("endpoint URL with user info")
        << "sagemaker://e1?production=a&canary=b&endpoint=http://u:p@127.0.0.1:9" << true << ""
        << "not http(s)://HOST";
    QTest::newRow("cloudwatch alone")
        << "cloudwatch://?region=eu-west-1" << false << "|||eu-west-1||5"
        << "";
    QTest::newRow("cloudwatch with its own names")
        << "cloudwatch://e2?region=eu-west-1&production=a&canary=b" << false
        << "e2|a|b|eu-west-1||5"
        << "";
    QTest::newRow("cloudwatch: variants without an endpoint")
        << "cloudwatch://?production=a&canary=b" << false << ""
        << "names variants but no endpoint";
    QTest::newRow("cloudwatch has no poll") << "cloudwatch://?poll=3" << false << ""
                                            << "parameter \"poll\"";
}

void TestAws::urls()
{
    QFETCH(QString, url);
    QFETCH(bool, control);
    QFETCH(QString, expected);
    QFETCH(QString, error);
    aws::Environment env;
    env.home = QDir::tempPath().toStdString() + "/no-such-home";
    env.variables["AWS_REGION"] = "us-east-2";
    std::string problem;
    const auto parsed =
        parseAwsUrl(url.toStdString(), control ? aws::sageMakerService() : aws::cloudWatchService(),
                    env, &problem);
    if (!error.isEmpty()) {
        QVERIFY(!parsed);
        QVERIFY2(contains(problem, error.toUtf8().constData()), problem.c_str());
        QVERIFY2(!contains(problem, ":p@"), problem.c_str());
        return;
    }
    QVERIFY2(parsed, problem.c_str());
    const QString got =
        QStringList{
            QString::fromStdString(parsed->endpoint),
            QString::fromStdString(parsed->production),
            QString::fromStdString(parsed->canary),
            QString::fromStdString(parsed->region),
            QString::fromStdString(parsed->endpointUrl),
            QString::number(std::chrono::duration_cast<std::chrono::seconds>(parsed->poll).count())}
            .join(QLatin1Char('|'));
    QCOMPARE(got, expected);
}

void TestAws::errors_data()
{
    QTest::addColumn<int>("status");
    QTest::addColumn<QByteArray>("errorTypeHeader");
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<int>("kind");
    QTest::addColumn<QString>("sentence"); // a part of it

    using K = aws::Error::Kind;
    QTest::newRow("ok") << 200 << QByteArray() << QByteArray("{}") << int(K::None) << "";
    QTest::newRow("validation")
        << 400 << QByteArray("ValidationException")
        << QByteArray(
               R"({"__type":"ValidationException","message":"Could not find endpoint \"x\"."})")
        << int(K::Validation)
        << "refused DescribeEndpoint: ValidationException: Could not find endpoint";
    QTest::newRow("type with namespace, Message")
        << 400 << QByteArray()
        << QByteArray(R"({"__type":"com.amazonaws.sagemaker#ValidationException","Message":"bad"})")
        << int(K::Validation) << "ValidationException: bad";
    QTest::newRow("throttling")
        << 400 << QByteArray("ThrottlingException")
        << QByteArray(R"({"__type":"ThrottlingException","message":"Rate exceeded"})")
        << int(K::Throttled) << "kept throttling DescribeEndpoint";
    QTest::newRow("signature")
        << 403 << QByteArray("InvalidSignatureException:http://internal")
        << QByteArray(R"({"message":"The request signature we calculated does not match"})")
        << int(K::Signature) << "secret access key from the test";
    QTest::newRow("unknown key")
        << 403 << QByteArray("UnrecognizedClientException")
        << QByteArray(R"({"message":"The security token included in the request is invalid."})")
        << int(K::UnknownKey) << "access key id is wrong";
    QTest::newRow("expired")
        << 400 << QByteArray("ExpiredTokenException")
        << QByteArray(R"({"message":"The security token included in the request is expired"})")
        << int(K::ExpiredToken) << "have expired";
    QTest::newRow("access denied")
        << 400 << QByteArray("AccessDeniedException")
        << QByteArray(R"({"message":"User: arn:aws:iam::1:user/x is not authorized"})")
        << int(K::AccessDenied) << "sagemaker:DescribeEndpoint";
    QTest::newRow("server") << 500 << QByteArray("InternalFailure") << QByteArray("{}")
                            << int(K::ServerError) << "failed on DescribeEndpoint";
    QTest::newRow("not JSON") << 502 << QByteArray() << QByteArray("<html>bad gateway</html>")
                              << int(K::ServerError) << "HTTP 502";
}

void TestAws::errors()
{
    QFETCH(int, status);
    QFETCH(QByteArray, errorTypeHeader);
    QFETCH(QByteArray, body);
    QFETCH(int, kind);
    QFETCH(QString, sentence);
    HttpResponse response;
    response.status = status;
    if (!errorTypeHeader.isEmpty())
        response.headers.emplace_back("x-amzn-errortype", errorTypeHeader.toStdString());
    response.body = body.toStdString();
    aws::Credentials credentials{"AKIDTEST", "secretvalue", "", "the test"};
    const aws::Error error = aws::JsonClient::errorOf(aws::sageMakerService(), "eu-west-1",
                                                      "DescribeEndpoint", response, credentials);
    QCOMPARE(int(error.kind), kind);
    QVERIFY2(contains(error.sentence, sentence.toUtf8().constData()), error.sentence.c_str());
    if (kind != int(aws::Error::Kind::None))
        QVERIFY2(contains(error.sentence, "SageMaker (eu-west-1)") ||
                     contains(error.sentence, "AWS credentials"),
                 error.sentence.c_str());
}

void TestAws::secretsAreCutOutOfMessages()
{
    HttpResponse response;
    response.status = 400;
    response.body =
        R"({"__type":"ValidationException","message":"echo wJalrXUtnFEMI and tok123456"})";
    aws::Credentials credentials{"AKIDTEST", "wJalrXUtnFEMI", "tok123456", "the test"};
    const aws::Error error = aws::JsonClient::errorOf(aws::cloudWatchService(), "eu-west-1",
                                                      "GetMetricData", response, credentials);
    QVERIFY2(!contains(error.sentence, "wJalrXUtnFEMI"), error.sentence.c_str());
    QVERIFY2(!contains(error.sentence, "tok123456"), error.sentence.c_str());
    QVERIFY(contains(error.sentence, "[redacted]"));
}

void TestAws::describe_data()
{
    QTest::addColumn<QByteArray>("document");
    QTest::addColumn<QString>("expected"); // canary tenths|updating|prod version|canary version
    QTest::addColumn<QString>("error");

    const auto endpoint = [](const char *status, const char *variants) {
        return QByteArray(R"({"EndpointName":"fraud","EndpointStatus":")") + status +
               R"(","ProductionVariants":[)" + variants + "]}";
    };
    const char *split = R"({"VariantName":"prod","CurrentWeight":0.9,"DesiredWeight":0.9,
        "DeployedImages":[{"SpecifiedImage":"1.dkr.ecr.eu-west-1.amazonaws.com/fraud:1.4@sha256:ab"}]},
        {"VariantName":"can","CurrentWeight":0.1,"DesiredWeight":0.1,
        "DeployedImages":[{"SpecifiedImage":"localhost:5000/fraud:2.0"}]})";
    QTest::newRow("90/10") << endpoint("InService", split) << "100|0|1.4|2.0"
                           << "";
    QTest::newRow("updating") << endpoint("Updating", split) << "100|1|1.4|2.0"
                              << "";
    QTest::newRow("thirds") << endpoint("InService", R"({"VariantName":"prod","CurrentWeight":1},
                                         {"VariantName":"can","CurrentWeight":2})")
                            << "667|0||"
                            << "";
    QTest::newRow("idle third variant")
        << endpoint("InService", R"({"VariantName":"prod","CurrentWeight":1},
                    {"VariantName":"can","CurrentWeight":0},{"VariantName":"old","CurrentWeight":0})")
        << "0|0||"
        << "";
    QTest::newRow("third variant with traffic")
        << endpoint("InService", R"({"VariantName":"prod","CurrentWeight":1},
                    {"VariantName":"can","CurrentWeight":1},{"VariantName":"old","CurrentWeight":1})")
        << ""
        << "third variant, old";
    QTest::newRow("missing variant")
        << endpoint("InService", R"({"VariantName":"prod","CurrentWeight":1},
                    {"VariantName":"other","CurrentWeight":1})")
        << ""
        << "no variant named can; its variants are prod, other";
    QTest::newRow("no traffic") << endpoint("InService",
                                            R"({"VariantName":"prod","CurrentWeight":0},
                                            {"VariantName":"can","CurrentWeight":0})")
                                << ""
                                << "weight 0";
    QTest::newRow("failed") << QByteArray(R"({"EndpointName":"fraud","EndpointStatus":"Failed",
        "FailureReason":"image not found","ProductionVariants":[]})")
                            << ""
                            << "is Failed: image not found";
}

void TestAws::describe()
{
    QFETCH(QByteArray, document);
    QFETCH(QString, expected);
    QFETCH(QString, error);
    const auto json = nlohmann::json::parse(document.toStdString());
    std::string problem;
    const auto endpoint = SageMakerControlPlane::parseDescribe(json, &problem);
    QVERIFY2(endpoint, problem.c_str());
    const auto state =
        SageMakerControlPlane::stateOf({"fraud", "prod", "can"}, *endpoint, &problem);
    if (!error.isEmpty()) {
        QVERIFY(!state);
        QVERIFY2(contains(problem, error.toUtf8().constData()), problem.c_str());
        return;
    }
    QVERIFY2(state, problem.c_str());
    const QString got = QStringLiteral("%1|%2|%3|%4")
                            .arg(state->canaryWeight().tenths())
                            .arg(int(state->updating))
                            .arg(QString::fromStdString(state->production.version),
                                 QString::fromStdString(state->canary->version));
    QCOMPARE(got, expected);
    QCOMPARE(state->production.weight.tenths() + state->canary->weight.tenths(), 1000);
    QCOMPARE(state->production.model, std::string("prod"));
}

void TestAws::describeRefusesMalformedAnswers_data()
{
    QTest::addColumn<QByteArray>("document");
    QTest::newRow("array") << QByteArray("[]");
    QTest::newRow("no status") << QByteArray(R"({"EndpointName":"e","ProductionVariants":[]})");
    QTest::newRow("variants not a list") << QByteArray(
        R"({"EndpointName":"e","EndpointStatus":"InService","ProductionVariants":{}})");
    QTest::newRow("weight a string") << QByteArray(
        R"({"EndpointName":"e","EndpointStatus":"InService","ProductionVariants":[{"VariantName":"a","CurrentWeight":"1"}]})");
    QTest::newRow("negative weight") << QByteArray(
        R"({"EndpointName":"e","EndpointStatus":"InService","ProductionVariants":[{"VariantName":"a","CurrentWeight":-1}]})");
    QTest::newRow("variant without name") << QByteArray(
        R"({"EndpointName":"e","EndpointStatus":"InService","ProductionVariants":[{"CurrentWeight":1}]})");
}

void TestAws::describeRefusesMalformedAnswers()
{
    QFETCH(QByteArray, document);
    std::string problem;
    QVERIFY(!SageMakerControlPlane::parseDescribe(nlohmann::json::parse(document.toStdString()),
                                                  &problem));
    QVERIFY2(contains(problem, "DescribeEndpoint's answer"), problem.c_str());
}

void TestAws::cloudWatchKpis()
{
    cloudwatch::Period period;
    period.invocations = 1200;
    period.errors4xx = 6;
    period.errors5xx = 18;
    period.averageMicros = 41'000;
    period.p50Micros = 38'000;
    period.p95Micros = 70'000;
    period.p99Micros = 95'000;
    const metrics::VariantKpis kpis = cloudwatch::variantKpis(period, 60, "can");
    QCOMPARE(kpis.requestRate, 20.0);
    QCOMPARE(kpis.errorRatio, 0.02);
    QCOMPARE(kpis.requestsInWindow, 1200.0);
    QCOMPARE(kpis.errorsInWindow, 24.0);
    QCOMPARE(kpis.p50Seconds, 0.038);
    QCOMPARE(kpis.p99Seconds, 0.095);
    QCOMPARE(kpis.meanSeconds, 0.041);
    QVERIFY(!kpis.accuracy);
    QVERIFY(contains(kpis.reason(metrics::Kpi::Accuracy), "no accuracy"));
    QVERIFY(!kpis.known(metrics::Kpi::Weight));

    // A minute without invocations: rates are zero, ratios and latency unknown with a reason.
    const metrics::VariantKpis idle = cloudwatch::variantKpis({}, 60, "can");
    QCOMPARE(idle.requestRate, 0.0);
    QVERIFY(std::isnan(idle.errorRatio));
    QVERIFY(contains(idle.reason(metrics::Kpi::ErrorRate), "no invocations of variant can"));
    QVERIFY(std::isnan(idle.p99Seconds));
    QVERIFY(!idle.reason(metrics::Kpi::LatencyP99).empty());
}

void TestAws::cloudWatchResults_data()
{
    QTest::addColumn<QByteArray>("answer");
    QTest::addColumn<QString>("expected"); // id:time=value,... or "error:PART"
    QTest::newRow("two series") << QByteArray(R"({"MetricDataResults":[
        {"Id":"p_inv","Label":"x","Timestamps":[1700000060,1700000000],"Values":[5,7],"StatusCode":"Complete"},
        {"Id":"c_inv","Timestamps":[],"Values":[],"StatusCode":"Complete"}],"Messages":[]})")
                                << "c_inv:;p_inv:1700000000=7,1700000060=5";
    QTest::newRow("fractional timestamp") << QByteArray(R"({"MetricDataResults":[
        {"Id":"a","Timestamps":[1.7000000600E9],"Values":[1.5]}]})")
                                          << "a:1700000060=1.5";
    QTest::newRow("mismatch") << QByteArray(R"({"MetricDataResults":[
        {"Id":"a","Timestamps":[1,2],"Values":[1]}]})")
                              << "error:different number";
    QTest::newRow("internal error") << QByteArray(R"({"MetricDataResults":[
        {"Id":"a","Timestamps":[],"Values":[],"StatusCode":"InternalError"}]})")
                                    << "error:InternalError";
    QTest::newRow("no results") << QByteArray(R"({"Messages":[]})") << "error:no MetricDataResults";
    QTest::newRow("string value") << QByteArray(R"({"MetricDataResults":[
        {"Id":"a","Timestamps":[1],"Values":["1"]}]})")
                                  << "error:not a number";
}

void TestAws::cloudWatchResults()
{
    QFETCH(QByteArray, answer);
    QFETCH(QString, expected);
    cloudwatch::Results results;
    std::string error;
    const bool ok =
        cloudwatch::addResults(nlohmann::json::parse(answer.toStdString()), results, &error);
    if (expected.startsWith(QLatin1String("error:"))) {
        QVERIFY(!ok);
        QVERIFY2(contains(error, expected.mid(6).toUtf8().constData()), error.c_str());
        return;
    }
    QVERIFY2(ok, error.c_str());
    QStringList parts;
    for (const auto &[id, series] : results) {
        QStringList points;
        for (const auto &[time, value] : series)
            points << QStringLiteral("%1=%2").arg(time).arg(value);
        parts << QString::fromStdString(id) + QLatin1Char(':') + points.join(QLatin1Char(','));
    }
    QCOMPARE(parts.join(QLatin1Char(';')), expected);
}

QTEST_GUILESS_MAIN(TestAws)
#include "tst_aws.moc"
