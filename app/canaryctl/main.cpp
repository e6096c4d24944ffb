// canaryctl: the Canary Console core, headless, for scripts and CI.
#include "backends/backendfactory.h"
#include "backends/connectionoptions.h"
#include "backends/httptransport.h"
#include "ctlcommands.h"
#include "historycommand.h"
#include "judgecommand.h"
#include "reportcommand.h"
#include "runcommand.h"
#include "simulatecommand.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QCoreApplication>
#include <QUrl>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <functional>
#include <memory>
#include <vector>

using namespace canary;
using namespace canary::ctl;

namespace {

const char *kDescription =
    R"(Control a canary rollout: through the Canary Control API v1, or HAProxy's
runtime API, with metrics from the backend itself or from Prometheus.

Backends (--backend; docs/canaryctl.md has every form):
  http(s)://HOST:PORT         a Control API server (the same as --url); metrics from URL/metrics
  haproxy+unix:///PATH?backend=B&production=S1&canary=S2
  haproxy+tcp://HOST:PORT?backend=B&production=S1&canary=S2
                              HAProxy's runtime API; metrics from its `show stat`
Metrics (--metrics; default: the backend's own):
  prometheus+http(s)://HOST:PORT[?job=J]   a Prometheus server (back-fills watch)
  http(s)://HOST:PORT/metrics              any Prometheus text endpoint, scraped

Commands:
  status [--json]             show the rollout: state, revision, variants and weights
  set-weight PCT [--db FILE]  send PCT % of traffic (0-100, 0.1 steps) to the canary
  promote [--yes] [--db FILE] make the canary the production model at 100 %
  rollback [--yes] [--db FILE]
                              send the canary back to 0 %
  stage --model M --model-version V [--spec FILE] [--db FILE]
                              stage the next canary at 0 % (FILE: JSON with serving settings)
                              These four record each change in the audit trail (--db FILE,
                              default the console's) before it is sent, and its outcome after;
                              a change that cannot be recorded is not sent (exit 1)
  watch [--interval S] [--count N]
                              print per-variant req/s, error %, p50/p95/p99 ms, accuracy
  metrics-lint [--openmetrics] FILE|-
                              check a Prometheus text 0.0.4 (or OpenMetrics 1.0) exposition
  check-backend [--mutating [--spec FILE]]
                              check that the Control API backend conforms to the Control API v1:
                              one PASS/FAIL line per check. Read-only by default. --mutating
                              also stages, ramps, rolls back and promotes (and restores what it
                              can): only on a backend meant for testing, never on live traffic
  run --plan FILE             run a rollout plan (docs/plans.md): step the canary up while the
                              gates pass, roll back the moment a critical gate fails, promote
                              after the last step; every decision printed with its reason.
                              Exit 0 promoted, 2 rolled back, 3 paused for a person or stopped
                              (Ctrl-C: the rollout stays where it is), 1 error
  report (backend options | --from-db FILE) [--since T] [--until T] --format F -o FILE
                              a comparison report (F: pdf, html, csv, json; docs/reports.md):
                              verdict, both variants' figures, charts, the plan and the timeline
                              of actions and decisions. From a live backend (with its audit
                              trail, --db) or from an audit trail file alone
  history [--since T] [--until T] [--action A] [--actor U] [--backend-match TEXT] [--db FILE] [--json]
                              the audit trail: every action and automatic decision, oldest
                              first (T: RFC 3339, or back from now: 90s, 30m, 2h, 7d)
  judge --production FILE --canary FILE [--kind latency|proportion] [--alpha A] [--json]
                              compare two samples offline, one number a line (proportion: 0 or
                              1); exit 1 when the canary is significantly worse
  simulate --scenario FILE [--runs N] [--seed S] [--policies LIST] [--json] [--progress]
                              run N whole rollouts of FILE in virtual time: this project's plan
                              controller against an oracle, Flagger- and Kayenta-style baselines

Exit codes (run has its own, above):
  0 success   1 metrics-lint or check-backend found problems, judge found the canary worse,
    an action could not be recorded in the audit trail (nothing was sent)
  2 usage error or bad URL, unreadable file, missing token or confirmation, a command the
    backend's kind cannot do (stage on HAProxy)
  3 backend unreachable, malformed answer or server error
  4 refused by the backend (401, 409, 412, other 4xx)   5 not confirmed by the operator

Environment: CANARY_URL (default for --url), CANARY_TOKEN (the token when --token-file is absent),
CANARY_METRICS_TOKEN (the metrics token when --metrics-token-file is absent).)";

int usage(const QString &message, int code = kUsage)
{
    std::fprintf(stderr, "canaryctl: %s\nTry 'canaryctl --help'.\n", message.toUtf8().constData());
    return code;
}

} // namespace

int main(int argc, char *argv[])
{
    // `report` draws its charts with the console's widgets, off screen: it needs a QApplication
    // but never a display. Every other command stays a plain QCoreApplication.
    const bool drawsCharts = std::any_of(
        argv + 1, argv + argc, [](const char *arg) { return std::strcmp(arg, "report") == 0; });
    if (drawsCharts)
        qputenv("QT_QPA_PLATFORM", "offscreen");
    const std::unique_ptr<QCoreApplication> app =
        drawsCharts ? std::make_unique<QApplication>(argc, argv)
                    : std::make_unique<QCoreApplication>(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("canaryctl"));
    QCoreApplication::setApplicationVersion(QStringLiteral(CANARY_VERSION));

    QCommandLineParser parser;
    parser.setApplicationDescription(QString::fromUtf8(kDescription));
    parser.addHelpOption();
    parser.addOption({QStringLiteral("version"), QStringLiteral("Show version information.")});
    const QString envUrl =
        qEnvironmentVariable("CANARY_URL", QStringLiteral("http://127.0.0.1:8080"));
    const ConnectionOptions connection;
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
    const QCommandLineOption productionSample(QStringLiteral("production"),
                                              QStringLiteral("judge: the production sample."),
                                              QStringLiteral("FILE"));
    const QCommandLineOption canarySample(QStringLiteral("canary"),
                                          QStringLiteral("judge: the canary sample."),
                                          QStringLiteral("FILE"));
    const QCommandLineOption kind(QStringLiteral("kind"),
                                  QStringLiteral("judge: latency (default) or proportion."),
                                  QStringLiteral("K"), QStringLiteral("latency"));
    const QCommandLineOption alpha(QStringLiteral("alpha"),
                                   QStringLiteral("judge: significance level (default 0.05)."),
                                   QStringLiteral("A"), QStringLiteral("0.05"));
    const QCommandLineOption scenario(QStringLiteral("scenario"),
                                      QStringLiteral("simulate: the scenario file."),
                                      QStringLiteral("FILE"));
    const QCommandLineOption runs(QStringLiteral("runs"),
                                  QStringLiteral("simulate: how many rollouts (default 100)."),
                                  QStringLiteral("N"), QStringLiteral("100"));
    const QCommandLineOption seed(QStringLiteral("seed"),
                                  QStringLiteral("simulate: the seed (default 1)."),
                                  QStringLiteral("S"), QStringLiteral("1"));
    const QCommandLineOption policies(
        QStringLiteral("policies"),
        QStringLiteral("simulate: comma-separated policies (default all)."),
        QStringLiteral("LIST"));
    const QCommandLineOption progress(QStringLiteral("progress"),
                                      QStringLiteral("simulate: report progress on stderr."));
    const QCommandLineOption planFile(QStringLiteral("plan"),
                                      QStringLiteral("run: the plan file (docs/plans.md)."),
                                      QStringLiteral("FILE"));
    const QCommandLineOption since(QStringLiteral("since"),
                                   QStringLiteral("history: from this time (RFC 3339 or 30m)."),
                                   QStringLiteral("T"));
    const QCommandLineOption until(QStringLiteral("until"),
                                   QStringLiteral("history: up to this time (RFC 3339 or 30m)."),
                                   QStringLiteral("T"));
    const QCommandLineOption historyAction(QStringLiteral("action"),
                                           QStringLiteral("history: only this action."),
                                           QStringLiteral("A"));
    const QCommandLineOption historyActor(QStringLiteral("actor"),
                                          QStringLiteral("history: only this actor (auto: plans)."),
                                          QStringLiteral("U"));
    const QCommandLineOption backendMatch(
        QStringLiteral("backend-match"),
        QStringLiteral("history: only backends whose address holds TEXT."), QStringLiteral("TEXT"));
    const QCommandLineOption database(
        QStringLiteral("db"),
        QStringLiteral("history, run, report, set-weight, promote, rollback, stage: the audit "
                       "trail file (default: the console's)."),
        QStringLiteral("FILE"));
    const QCommandLineOption fromDb(
        QStringLiteral("from-db"),
        QStringLiteral("report: from this audit trail file alone, no backend."),
        QStringLiteral("FILE"));
    const QCommandLineOption reportFormat(QStringLiteral("format"),
                                          QStringLiteral("report: pdf, html, csv or json."),
                                          QStringLiteral("F"));
    const QCommandLineOption output({QStringLiteral("o"), QStringLiteral("output")},
                                    QStringLiteral("report: the file to write."),
                                    QStringLiteral("FILE"));
    connection.addTo(parser);
    parser.addOptions(
        {timeout,  json,  yes,      openMetrics,      interval,     count,        model,
         version,  spec,  mutating, productionSample, canarySample, kind,         alpha,
         planFile, since, until,    historyAction,    historyActor, backendMatch, database,
         scenario, runs,  seed,     policies,         progress,     fromDb,       reportFormat,
         output});
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

    // Commands and their arguments are checked before any URL, so that a typo in the command is
    // named as such.
    struct Command
    {
        const char *name;
        qsizetype arguments; // positional arguments, the command included
        std::function<int(Commands &)> run;
    };
    const std::vector<Command> known = {
        {"status", 1,
         [](Commands &c) {
             return c.status();
         }},
        {"set-weight", 2,
         [&](Commands &c) {
             return c.setWeight(args.at(1));
         }},
        {"promote", 1,
         [](Commands &c) {
             return c.promote();
         }},
        {"rollback", 1,
         [](Commands &c) {
             return c.rollback();
         }},
        {"stage", 1,
         [&](Commands &c) {
             return c.stage(parser.value(model), parser.value(version), parser.value(spec));
         }},
        {"watch", 1,
         [](Commands &c) {
             return c.watch();
         }},
        {"check-backend", 1,
         [&](Commands &c) {
             return c.checkBackend(parser.value(spec));
         }},
        {"judge", 1,
         [&](Commands &) {
             return runJudge({parser.value(productionSample), parser.value(canarySample),
                              parser.value(kind), parser.value(alpha), parser.isSet(json)},
                             stdout, stderr);
         }},
        {"simulate", 1,
         [&](Commands &) {
             return runSimulate({parser.value(scenario), parser.value(runs), parser.value(seed),
                                 parser.value(policies), parser.isSet(json),
                                 parser.isSet(progress)},
                                stdout, stderr);
         }},
        {"run", 1,
         [&](Commands &c) {
             return c.run(parser.value(planFile));
         }},
        {"history", 1,
         [&](Commands &) {
             return runHistory({parser.value(database), parser.value(since), parser.value(until),
                                parser.value(historyAction), parser.value(historyActor),
                                parser.value(backendMatch), parser.isSet(json)},
                               SystemClock::instance(), stdout, stderr);
         }},
        {"report", 1,
         [&](Commands &c) {
             const ReportRequest request{parser.value(fromDb),       parser.value(database),
                                         parser.value(since),        parser.value(until),
                                         parser.value(reportFormat), parser.value(output),
                                         parser.value(backendMatch)};
             if (parser.isSet(fromDb))
                 return runReportFromTrail(request, SystemClock::instance(), stdout, stderr);
             return c.report(request);
         }},
        {"metrics-lint", 2,
         [&](Commands &c) {
             return c.metricsLint(args.at(1));
         }},
    };
    const auto found = std::find_if(known.begin(), known.end(), [&](const Command &c) {
        return command == QLatin1String(c.name) && args.size() == c.arguments;
    });
    if (found == known.end())
        return usage(QStringLiteral("unknown command or wrong number of arguments: %1")
                         .arg(args.join(QLatin1Char(' '))));

    // `run` says "rolled back" with 2, so its usage errors are plain errors (1).
    const int usageCode = command == QLatin1String("run") ? int(kRunError) : int(kUsage);

    Options options;
    QString error;
    const auto profile = connection.read(parser, envUrl, QStringLiteral("CANARY_URL"), &error);
    if (!profile)
        return usage(error, usageCode);
    options.connection = *profile;
    BackendOptions &backendOptions = options.connection.options;
    bool okNumber = false;
    const double timeoutSeconds = parser.value(timeout).toDouble(&okNumber);
    if (!okNumber || timeoutSeconds <= 0 || timeoutSeconds > 600)
        return usage(QStringLiteral("--timeout must be between 0 and 600 seconds"), usageCode);
    backendOptions.timeout = std::chrono::milliseconds(qRound64(timeoutSeconds * 1000));
    options.json = parser.isSet(json);
    options.yes = parser.isSet(yes);
    options.openMetrics = parser.isSet(openMetrics);
    options.mutating = parser.isSet(mutating);
    options.auditDatabase = parser.value(database);
    const double intervalSeconds = parser.value(interval).toDouble(&okNumber);
    if (!okNumber || intervalSeconds < 0.1 || intervalSeconds > 3600)
        return usage(QStringLiteral("--interval must be between 0.1 and 3600 seconds"), usageCode);
    options.interval = std::chrono::milliseconds(qRound64(intervalSeconds * 1000));
    options.count = parser.value(count).toInt(&okNumber);
    if (!okNumber || options.count < 0)
        return usage(QStringLiteral("--count must be a non-negative integer"), usageCode);

    Commands commands(options, stdout, stderr);
    // Commands that read files only need no backend.
    const bool offline = command == QLatin1String("metrics-lint") ||
                         command == QLatin1String("judge") || command == QLatin1String("history") ||
                         command == QLatin1String("simulate") ||
                         (command == QLatin1String("report") && parser.isSet(fromDb));
    if (!offline) {
        std::string why;
        if (!commands.openBackends(&why))
            return usage(QString::fromStdString(why), usageCode);
    }
    return found->run(commands);
}
