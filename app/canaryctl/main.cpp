// canaryctl: the Canary Console core, headless, for scripts and CI.
#include "backends/httptransport.h"
#include "ctlcommands.h"
#include "util/tokenfile.h"

#include <QCommandLineParser>
#include <QCoreApplication>

#include <cstdio>

using namespace canary;
using namespace canary::ctl;

namespace {

const char *kDescription = R"(Control a canary rollout through the Canary Control API v1.

Commands:
  status [--json]             show the rollout: state, revision, variants and weights
  set-weight PCT              send PCT % of traffic (0-100, 0.1 steps) to the canary
  promote [--yes]             make the canary the production model at 100 %
  rollback [--yes]            send the canary back to 0 %
  stage --model M --model-version V [--spec FILE]
                              stage the next canary at 0 % (FILE: JSON with serving settings)
  watch [--interval S] [--count N]
                              print per-variant req/s, error %, p50/p95/p99 ms, accuracy
  metrics-lint [--openmetrics] FILE|-
                              check a Prometheus text 0.0.4 (or OpenMetrics 1.0) exposition
  check-backend [--mutating [--spec FILE]]
                              check that the backend at --url conforms to the Control API v1:
                              one PASS/FAIL line per check. Read-only by default. --mutating
                              also stages, ramps, rolls back and promotes (and restores what it
                              can): only on a backend meant for testing, never on live traffic

Exit codes:
  0 success   1 metrics-lint or check-backend found problems
  2 usage error, unreadable file, missing token or confirmation
  3 backend unreachable, malformed answer or server error
  4 refused by the backend (401, 409, 412, other 4xx)   5 not confirmed by the operator

Environment: CANARY_URL (default for --url), CANARY_TOKEN (the token when --token-file is absent).)";

int usage(const QString &message)
{
    std::fprintf(stderr, "canaryctl: %s\nTry 'canaryctl --help'.\n", message.toUtf8().constData());
    return kUsage;
}

} // namespace

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("canaryctl"));
    QCoreApplication::setApplicationVersion(QStringLiteral(CANARY_VERSION));

    QCommandLineParser parser;
    parser.setApplicationDescription(QString::fromUtf8(kDescription));
    parser.addHelpOption();
    parser.addOption({QStringLiteral("version"), QStringLiteral("Show version information.")});
    const QString envUrl =
        qEnvironmentVariable("CANARY_URL", QStringLiteral("http://127.0.0.1:8080"));
    const QCommandLineOption url(QStringLiteral("url"),
                                 QStringLiteral("Control API base URL (default %1).").arg(envUrl),
                                 QStringLiteral("URL"), envUrl);
    const QCommandLineOption metricsUrl(QStringLiteral("metrics-url"),
                                        QStringLiteral("Metrics endpoint (default URL/metrics)."),
                                        QStringLiteral("URL"));
    const QCommandLineOption tokenFile(QStringLiteral("token-file"),
                                       QStringLiteral("File whose first line is the bearer token."),
                                       QStringLiteral("FILE"));
    const QCommandLineOption insecure(QStringLiteral("insecure"),
                                      QStringLiteral("Do not verify TLS certificates."));
    const QCommandLineOption timeout(QStringLiteral("timeout"),
                                     QStringLiteral("Per-request timeout in seconds (default 5)."),
                                     QStringLiteral("S"), QStringLiteral("5"));
    const QCommandLineOption json(QStringLiteral("json"), QStringLiteral("Print JSON."));
    const QCommandLineOption yes(QStringLiteral("yes"), QStringLiteral("Do not ask to confirm."));
    const QCommandLineOption openMetrics(QStringLiteral("openmetrics"),
                                         QStringLiteral("metrics-lint: strict OpenMetrics 1.0."));
    const QCommandLineOption interval(QStringLiteral("interval"),
                                      QStringLiteral("watch: seconds between tables (default 1)."),
                                      QStringLiteral("S"), QStringLiteral("1"));
    const QCommandLineOption count(QStringLiteral("count"),
                                   QStringLiteral("watch: stop after N tables."),
                                   QStringLiteral("N"), QStringLiteral("0"));
    const QCommandLineOption model(QStringLiteral("model"), QStringLiteral("stage: model name."),
                                   QStringLiteral("M"));
    const QCommandLineOption version(QStringLiteral("model-version"),
                                     QStringLiteral("stage: model version."), QStringLiteral("V"));
    const QCommandLineOption spec(
        QStringLiteral("spec"),
        QStringLiteral("stage, check-backend --mutating: JSON file with serving settings."),
        QStringLiteral("FILE"));
    const QCommandLineOption mutating(
        QStringLiteral("mutating"),
        QStringLiteral("check-backend: also change the rollout (a backend meant for testing)."));
    parser.addOptions({url, metricsUrl, tokenFile, insecure, timeout, json, yes, openMetrics,
                       interval, count, model, version, spec, mutating});
    parser.addPositionalArgument(QStringLiteral("command"), QStringLiteral("See Commands above."));

    if (!parser.parse(QCoreApplication::arguments()))
        return usage(parser.errorText());
    if (parser.isSet(QStringLiteral("help"))) {
        std::fputs(parser.helpText().toUtf8().constData(), stdout);
        return kOk;
    }
    if (parser.isSet(QStringLiteral("version"))) {
        std::printf("canaryctl %s (Qt %s, libcurl %s)\n", CANARY_VERSION, qVersion(),
                    HttpTransport::curlVersion().c_str());
        return kOk;
    }

    const QStringList args = parser.positionalArguments();
    if (args.isEmpty())
        return usage(QStringLiteral("no command given"));
    const QString command = args.first();

    Options options;
    options.endpoint.baseUrl = parser.value(url).toStdString();
    options.endpoint.verifyTls = !parser.isSet(insecure);
    bool okNumber = false;
    const double timeoutSeconds = parser.value(timeout).toDouble(&okNumber);
    if (!okNumber || timeoutSeconds <= 0 || timeoutSeconds > 600)
        return usage(QStringLiteral("--timeout must be between 0 and 600 seconds"));
    options.endpoint.timeout = std::chrono::milliseconds(qRound64(timeoutSeconds * 1000));
    options.metricsUrl = parser.value(metricsUrl).toStdString();
    options.json = parser.isSet(json);
    options.yes = parser.isSet(yes);
    options.openMetrics = parser.isSet(openMetrics);
    options.mutating = parser.isSet(mutating);
    const double intervalSeconds = parser.value(interval).toDouble(&okNumber);
    if (!okNumber || intervalSeconds < 0.1 || intervalSeconds > 3600)
        return usage(QStringLiteral("--interval must be between 0.1 and 3600 seconds"));
    options.interval = std::chrono::milliseconds(qRound64(intervalSeconds * 1000));
    options.count = parser.value(count).toInt(&okNumber);
    if (!okNumber || options.count < 0)
        return usage(QStringLiteral("--count must be a non-negative integer"));

    if (parser.isSet(tokenFile)) {
        QString error;
        const auto token = readTokenFile(parser.value(tokenFile), &error);
        if (!token)
            return usage(error);
        options.endpoint.token = token->toStdString();
    } else {
        options.endpoint.token = qEnvironmentVariable("CANARY_TOKEN").trimmed().toStdString();
    }

    auto expectArgs = [&](qsizetype n) {
        return args.size() == n;
    };
    Commands commands(options, stdout, stderr);
    if (command == QStringLiteral("status") && expectArgs(1))
        return commands.status();
    if (command == QStringLiteral("set-weight") && expectArgs(2))
        return commands.setWeight(args.at(1));
    if (command == QStringLiteral("promote") && expectArgs(1))
        return commands.promote();
    if (command == QStringLiteral("rollback") && expectArgs(1))
        return commands.rollback();
    if (command == QStringLiteral("stage") && expectArgs(1))
        return commands.stage(parser.value(model), parser.value(version), parser.value(spec));
    if (command == QStringLiteral("watch") && expectArgs(1))
        return commands.watch();
    if (command == QStringLiteral("check-backend") && expectArgs(1))
        return commands.checkBackend(parser.value(spec));
    if (command == QStringLiteral("metrics-lint") && expectArgs(2))
        return commands.metricsLint(args.at(1));
    return usage(QStringLiteral("unknown command or wrong number of arguments: %1")
                     .arg(args.join(QLatin1Char(' '))));
}
