#include "ctlcommands.h"

#include "audit/sqliteauditstore.h"
#include "console/actionlog.h"

#include "backendcheck.h"
#include "backends/controlapi/controlclient.h"
#include "backends/scrape/scrapesource.h"
#include "console/rolloutmonitor.h"
#include "domain/rolloutrules.h"
#include "kpitable.h"
#include "metrics/expositionparser.h"
#include "rollout/plan.h"
#include "runcommand.h"
#include "terminaltext.h"
#include "util/boundedjson.h"
#include "util/scheduler.h"

#include <QEventLoop>
#include <QFile>

#include <nlohmann/json.hpp>

#include <unistd.h>

#include <algorithm>
#include <iostream>
#include <string>

namespace canary::ctl {

namespace {

constexpr qint64 kMaxInputBytes = 64LL * 1024 * 1024;

// Backend text, made safe for the terminal (see terminaltext.h).
std::string describeVariant(const VariantInfo &v)
{
    std::string text = v.model;
    if (!v.version.empty())
        text += " " + v.version;
    return terminalSafe(text);
}

std::string sentence(const QString &text)
{
    return terminalSafe(text.toStdString());
}

} // namespace

Commands::Commands(Options options, std::FILE *out, std::FILE *err)
    : m_options(std::move(options))
    , m_out(out)
    , m_err(err)
{}

Commands::~Commands() = default;

bool Commands::openBackends(std::string *error)
{
    m_backends = makeBackends(m_options.connection, &m_transport, SystemClock::instance(), error);
    return m_backends.control && m_backends.metrics;
}

ControlResult Commands::await(const std::function<void(ControlPlane::Callback)> &start)
{
    // A CLI has no window to keep alive: waiting in a local loop keeps each command linear.
    QEventLoop loop;
    ControlResult result;
    start([&](ControlResult r) {
        result = std::move(r);
        loop.quit();
    });
    loop.exec();
    return result;
}

int Commands::fail(const ControlError &error)
{
    // The message carries the backend's own words (problem details, a socket's answer): they must
    // not drive the terminal. Each adapter's message names the system that failed.
    std::fprintf(m_err, "canaryctl: %s\n", terminalSafe(error.message()).c_str());
    if (error.kind == ControlError::Kind::StaleRevision) {
        std::fprintf(m_err, "canaryctl: someone else changed the rollout meanwhile; nothing was "
                            "applied. Check `canaryctl status` and run the command again.\n");
        if (error.current)
            printState(*error.current);
    }
    if (error.kind == ControlError::Kind::Unauthorized &&
        m_backends.control->capabilities().changesNeedToken)
        std::fprintf(m_err, "canaryctl: check the token (--token-file or CANARY_TOKEN)\n");
    switch (error.kind) {
    case ControlError::Kind::Unreachable:
    case ControlError::Kind::BadAnswer:
    case ControlError::Kind::ServerError:
        return kUnreachable;
    default:
        return kRefused;
    }
}

int Commands::needToken()
{
    std::fprintf(m_err, "canaryctl: this command changes the rollout and needs a token: pass "
                        "--token-file FILE or set CANARY_TOKEN\n");
    return kUsage;
}

bool Commands::confirm(const std::string &question)
{
    std::fprintf(m_out, "%s [y/N] ", question.c_str());
    std::fflush(m_out);
    std::string answer;
    if (!std::getline(std::cin, answer))
        return false;
    return answer == "y" || answer == "Y" || answer == "yes" || answer == "YES";
}

void Commands::printState(const RolloutState &state)
{
    // Only the model and version are backend text here (describeVariant); the rest is parsed.
    const ControlPlaneCapabilities capabilities = m_backends.control->capabilities();
    if (capabilities.revisions) {
        std::fprintf(m_out, "rollout     %s (revision %lld, updated %s)\n",
                     std::string(toString(state.phase)).c_str(),
                     static_cast<long long>(state.revision),
                     formatRfc3339(state.updatedAt).c_str());
    } else {
        // A backend without revisions has no number to show: say what was read, and when.
        std::fprintf(m_out, "rollout     %s (%s, no revisions, read %s)\n",
                     std::string(toString(state.phase)).c_str(), capabilities.kind.c_str(),
                     formatRfc3339(state.updatedAt).c_str());
    }
    auto line = [this](const VariantInfo &v) {
        std::fprintf(m_out, "%-11s %-32s %5s %%\n", std::string(toString(v.role)).c_str(),
                     describeVariant(v).c_str(), v.weight.toString().c_str());
    };
    line(state.production);
    if (state.canary)
        line(*state.canary);
    else
        std::fprintf(m_out, "%-11s %s\n", "canary", "(slot empty)");
    if (state.updating)
        std::fprintf(m_out, "%-11s %s\n", "", "(the backend is still applying the last change)");
    std::fflush(m_out);
}

void Commands::printJson(const ControlResult &result)
{
    if (result.body.empty()) {
        // Backends that speak no JSON (HAProxy): the state in the Control API's document shape.
        const nlohmann::json document = result.state ? toJson(*result.state) : nlohmann::json();
        std::fprintf(
            m_out, "%s\n",
            document.dump(-1, ' ', /*ensure_ascii=*/true, nlohmann::json::error_handler_t::replace)
                .c_str());
        std::fflush(m_out);
        return;
    }
    // As the backend sent it, byte for byte: valid JSON (it was parsed) cannot hold a raw control
    // character outside its whitespace, since JSON escapes them (\u001b). It can hold C1 controls
    // and bidi overrides as plain UTF-8 characters, though: only then is the document written
    // again with every non-ASCII character escaped, which means the same JSON.
    if (isTerminalSafeJson(result.body)) {
        std::fputs(result.body.c_str(), m_out);
        if (result.body.back() != '\n')
            std::fputc('\n', m_out);
    } else {
        const auto json = parseBoundedJson(result.body).value_or(nlohmann::json());
        std::fprintf(
            m_out, "%s\n",
            json.dump(-1, ' ', /*ensure_ascii=*/true, nlohmann::json::error_handler_t::replace)
                .c_str());
    }
    std::fflush(m_out);
}

int Commands::finishAction(const ControlResult &result, const std::string &done)
{
    if (result.error.kind == ControlError::Kind::Unreachable && result.error.requestSent) {
        const int code = fail(result.error);
        std::fprintf(m_err, "canaryctl: the request may have arrived: check `canaryctl status` "
                            "before running the command again\n");
        return code;
    }
    if (result.error)
        return fail(result.error);
    if (m_options.json) {
        printJson(result);
    } else {
        std::fprintf(m_out, "%s\n", done.c_str());
        printState(*result.state);
    }
    return kOk;
}

int Commands::status()
{
    auto result = await([&](auto cb) { m_backends.control->fetchState(this, cb); });
    if (result.error)
        return fail(result.error);
    if (m_options.json)
        printJson(result);
    else
        printState(*result.state);
    return kOk;
}

int Commands::setWeight(const QString &percentText)
{
    QString text = percentText.trimmed();
    if (text.endsWith(QLatin1Char('%')))
        text.chop(1);
    bool number = false;
    const double percent = text.toDouble(&number);
    std::string why;
    auto weight = number ? Weight::fromPercent(percent, &why) : std::nullopt;
    if (!weight) {
        std::fprintf(m_err, "canaryctl: set-weight: \"%s\" is not a weight: %s\n",
                     percentText.toUtf8().constData(),
                     number ? why.c_str() : "expected a number between 0 and 100");
        return kUsage;
    }
    const Weight asked = *weight;
    const Weight applied = m_backends.control->nearestWeight(asked);
    const std::string kind = m_backends.control->capabilities().kind;
    return mutate(
        "set-weight", Lever::SetWeight, weightParameters(asked), nullptr,
        [&](std::int64_t revision, auto cb) {
            m_backends.control->setCanaryWeight(asked, revision, this, cb);
        },
        [&](const RolloutState &after) {
            std::string done = "canary weight set to " + after.canaryWeight().toString() + " %";
            // A backend with a coarser step (HAProxy's integer server weights) applies the
            // nearest weight it can: say so, so nobody believes in a tenth that is not there.
            if (applied != asked)
                done += " (" + asked.toString() + " % asked; " + kind + " applies " +
                        applied.toString() + " %)";
            return done;
        });
}

std::string Commands::concurrencyWarning() const
{
    const ControlPlaneCapabilities capabilities = m_backends.control->capabilities();
    if (capabilities.revisions)
        return {};
    return " (" + capabilities.kind +
           " numbers no states: a change someone else makes at the same time cannot be "
           "detected)";
}

std::unique_ptr<audit::SqliteAuditStore> Commands::openAuditTrail(std::string *error) const
{
    const std::string trail = m_options.auditDatabase.isEmpty()
                                  ? audit::SqliteAuditStore::defaultPath()
                                  : m_options.auditDatabase.toStdString();
    return audit::SqliteAuditStore::open(trail, error);
}

int Commands::mutate(const char *command, Lever lever, const nlohmann::json &parameters,
                     const Question &question, const Send &send, const Done &done)
{
    if (m_backends.control->capabilities().changesNeedToken &&
        m_options.connection.options.token.empty())
        return needToken();
    // Opened before anything is read or asked: an action that cannot be recorded is not offered.
    std::string error;
    const auto store = openAuditTrail(&error);
    if (!store) {
        std::fprintf(m_err, "canaryctl: %s Nothing was sent: the %s could not be recorded.\n",
                     terminalSafe(error).c_str(), command);
        return kNotRecorded;
    }
    auto current = await([&](auto cb) { m_backends.control->fetchState(this, cb); });
    if (current.error)
        return fail(current.error);
    const RolloutState &state = *current.state;
    if (question && !m_options.yes) {
        if (!isatty(STDIN_FILENO)) {
            std::fprintf(m_err,
                         "canaryctl: %s needs confirmation: run it on a terminal or pass --yes\n",
                         command);
            return kUsage;
        }
        printState(state);
        if (!confirm(question(state) + concurrencyWarning())) {
            std::fprintf(m_err, "canaryctl: %s not confirmed; nothing was changed\n", command);
            return kNotConfirmed;
        }
    }
    ActionLog log;
    log.setSink(store.get());
    log.setBackend(m_backends.control->capabilities().kind, m_backends.control->address());
    ActionRecord record = leverRecord(lever, parameters, state, SystemClock::instance().now());
    if (!log.begin(record)) {
        std::fprintf(m_err, "canaryctl: the %s could not be recorded (%s). Nothing was sent.\n",
                     command, sentence(log.error()).c_str());
        return kNotRecorded;
    }
    // The revision just read goes out as If-Match: a change in between is refused, not
    // overwritten. A backend without revisions ignores it (see concurrencyWarning()).
    if (m_backends.control->capabilities().convergesOverTime) {
        // SageMaker takes minutes to move weights: say why nothing seems to happen.
        std::fprintf(m_err, "canaryctl: %s applies a change over time; waiting until it has\n",
                     m_backends.control->capabilities().kind.c_str());
        std::fprintf(m_err, "           finished (the backend shows \"updating\" meanwhile)...\n");
        std::fflush(m_err);
    }
    auto result = await([&](auto cb) { send(state.revision, cb); });
    const std::string summary = result.state ? done(*result.state) : std::string();
    const ActionEnd end = actionEnd(result);
    if (!log.finish(record.id, end.outcome, result.error ? result.error.message() : summary,
                    end.revision, SystemClock::instance().now(), end.stateAfter))
        std::fprintf(m_err, "canaryctl: the outcome of the %s could not be recorded: %s\n", command,
                     sentence(log.error()).c_str());
    return finishAction(result, summary);
}

int Commands::promote()
{
    return mutate(
        "promote", Lever::Promote, nlohmann::json::object(),
        [](const RolloutState &state) {
            const std::string what = state.canary ? describeVariant(*state.canary) : "the canary";
            return "Promote " + what + " to production at 100 %?";
        },
        [this](std::int64_t revision, auto cb) { m_backends.control->promote(revision, this, cb); },
        [](const RolloutState &) { return std::string("promoted"); });
}

int Commands::rollback()
{
    return mutate(
        "rollback", Lever::Rollback, nlohmann::json::object(),
        [](const RolloutState &state) {
            const std::string what = state.canary ? describeVariant(*state.canary) : "the canary";
            return "Roll back " + what + " to 0 %?";
        },
        [this](std::int64_t revision, auto cb) {
            m_backends.control->rollback(revision, this, cb);
        },
        [](const RolloutState &) { return std::string("rolled back"); });
}

std::optional<nlohmann::json> Commands::readSpec(const QString &path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly) || file.size() > kMaxInputBytes) {
        std::fprintf(m_err, "canaryctl: cannot read %s\n", path.toUtf8().constData());
        return std::nullopt;
    }
    JsonParseError error;
    JsonParseOptions options;
    options.refuseDuplicateKeys = true; // a typo'd twin must not silently win
    auto spec = parseBoundedJson(file.readAll().toStdString(), &error, options);
    if (!spec) {
        std::fprintf(m_err, "canaryctl: %s: %s\n", path.toUtf8().constData(),
                     error.message.c_str());
        return std::nullopt;
    }
    if (!spec->is_object()) {
        std::fprintf(m_err, "canaryctl: %s is not a JSON object\n", path.toUtf8().constData());
        return std::nullopt;
    }
    return spec;
}

int Commands::stage(const QString &model, const QString &version, const QString &specFile)
{
    // A kind that cannot stage is refused before anything is sent, in the words the console uses.
    // Only the backend's kind matters here; the rollout's state is the backend's to judge.
    const ControlPlaneCapabilities capabilities = m_backends.control->capabilities();
    if (!capabilities.staging) {
        const LeverDecision decision = decideLever(Lever::Stage, RolloutReading{}, capabilities);
        std::fprintf(m_err, "canaryctl: stage: %s Nothing was sent.\n", decision.why.c_str());
        return kUsage;
    }
    nlohmann::json spec = nlohmann::json::object();
    if (!specFile.isEmpty()) {
        auto read = readSpec(specFile);
        if (!read)
            return kUsage;
        spec = std::move(*read);
    }
    if (!model.isEmpty())
        spec["model"] = model.toStdString();
    if (!version.isEmpty())
        spec["version"] = version.toStdString();
    if (!spec.contains("model") || !spec.contains("version")) {
        std::fprintf(m_err, "canaryctl: stage needs --model and --model-version (or a --spec file "
                            "that has them)\n");
        return kUsage;
    }
    return mutate(
        "stage", Lever::Stage, spec, nullptr,
        [&](std::int64_t revision, auto cb) {
            m_backends.control->stageCanary(spec, revision, this, cb);
        },
        [](const RolloutState &) { return std::string("canary staged at 0 %"); });
}

int Commands::checkBackend(const QString &specFile)
{
    // check-backend speaks HTTP to a Control API server itself (paths, headers, bodies that the
    // ControlPlane interface never sends), so it needs that server's own endpoint.
    const auto *client = dynamic_cast<const ControlClient *>(m_backends.control.get());
    if (!client) {
        std::fprintf(m_err,
                     "canaryctl: check-backend checks a Control API server, and %s is a %s "
                     "backend; give a Control API URL (http:// or https://) with --backend or "
                     "--url\n",
                     m_backends.control->address().c_str(),
                     m_backends.control->capabilities().kind.c_str());
        return kUsage;
    }
    const auto *scrape = dynamic_cast<const ScrapeMetricsSource *>(m_backends.metrics.get());
    if (!scrape) {
        std::fprintf(m_err,
                     "canaryctl: check-backend checks a metrics endpoint in the Prometheus text "
                     "format, and %s is a %s source; leave --metrics out (the server's own "
                     "/metrics) or give an http(s):// metrics URL\n",
                     m_backends.metrics->address().c_str(),
                     m_backends.metrics->capabilities().kind.c_str());
        return kUsage;
    }
    if (m_options.mutating && client->endpoint().token.empty())
        return needToken();
    BackendCheck::Settings settings;
    settings.endpoint = client->endpoint();
    settings.metricsUrl = scrape->address();
    settings.mutating = m_options.mutating;
    if (!specFile.isEmpty()) {
        auto spec = readSpec(specFile);
        if (!spec)
            return kUsage;
        settings.stageSettings = std::move(*spec);
    }
    BackendCheck check(
        &m_transport, std::move(settings),
        [this](const CheckOutcome &outcome) {
            std::fprintf(m_out, "%s  %-20s  %s\n", outcome.passed ? "PASS" : "FAIL",
                         outcome.name.c_str(), terminalSafe(outcome.detail).c_str());
            std::fflush(m_out);
        },
        [this](const std::string &note) {
            std::fprintf(m_out, "note  %s\n", terminalSafe(note).c_str());
            std::fflush(m_out);
        });
    const auto verdict = check.run();
    std::fprintf(m_out, "check-backend: %d check%s, %d failed%s\n", check.checks(),
                 check.checks() == 1 ? "" : "s", check.failures(),
                 verdict == BackendCheck::Verdict::Unreachable ? " (the backend did not answer)"
                                                               : "");
    switch (verdict) {
    case BackendCheck::Verdict::Conforms:
        return kOk;
    case BackendCheck::Verdict::Deviates:
        return kCheckFailed;
    case BackendCheck::Verdict::Unreachable:
        break;
    }
    return kUnreachable;
}

int Commands::watch()
{
    // The console's own monitor: the same polling, single flight, gaps, staleness and back-fill.
    MonitorSettings settings;
    settings.pollInterval = m_options.interval;
    RolloutMonitor monitor(m_backends.control.get(), m_backends.metrics.get(),
                           QtScheduler::instance(), settings);
    const ControlPlaneCapabilities controlCaps = m_backends.control->capabilities();
    const MetricsCapabilities metricsCaps = m_backends.metrics->capabilities();
    const std::string rolloutName = controlCaps.kind + " at " + m_backends.control->address();
    const std::string metricsName = metricsCaps.kind + " at " + m_backends.metrics->address();
    const bool terminal = isatty(fileno(m_out));

    QEventLoop loop;
    int tables = 0;
    int failedRounds = 0;
    int linesOnScreen = 0;
    // The newest KPIs not printed yet: the first table waits for the first rollout answer, so
    // that it does not say "state unknown" only because the metrics answered first.
    std::optional<metrics::KpiResult> pending;
    LinkHealth rolloutWas = LinkHealth::Connecting;
    LinkHealth metricsWas = LinkHealth::Connecting;

    // --count counts rounds: a table, or a poll whose metrics failed (no table can come of it),
    // so that a backend that is down or answers garbage still lets `watch --count N` end.
    const auto done = [&] {
        return m_options.count > 0 && tables + failedRounds >= m_options.count;
    };
    const auto endIfDone = [&] {
        if (done()) {
            monitor.stop();
            loop.quit();
        }
    };
    // A line between tables; on a terminal the next table is drawn below it, not over it.
    const auto say = [&](std::FILE *stream, const std::string &line) {
        std::fprintf(stream, "%s\n", line.c_str());
        std::fflush(stream);
        linesOnScreen = 0;
    };
    const auto printTable = [&] {
        if (!pending || done() || monitor.stateFeed().health == LinkHealth::Connecting)
            return;
        // The decision snapshot when it is of this poll (what the console decides on), else the
        // newest KPI window.
        const metrics::KpiResult &kpis =
            monitor.numbersAreLive() ? monitor.snapshot().kpis : *pending;
        RolloutContext rollout;
        rollout.state = monitor.state() ? &*monitor.state() : nullptr;
        rollout.revisions = controlCaps.revisions;
        rollout.stateError = sentence(monitor.stateFeed().lastError);
        const std::string table = formatKpiTable(kpis, rollout);
        pending.reset();
        // On a terminal the table is redrawn in place (cursor up, clear to the end), so what was
        // printed above it stays readable.
        if (terminal && linesOnScreen > 0)
            std::fprintf(m_out, "\033[%dA\033[J", linesOnScreen);
        std::fputs(table.c_str(), m_out);
        std::fflush(m_out);
        linesOnScreen = static_cast<int>(std::count(table.begin(), table.end(), '\n'));
        ++tables;
        endIfDone();
    };
    // A failed poll is said when it ends (pollFailed), in the monitor's words, which name the
    // feed. What the failure lines cannot say is said here: a feed given up on (polling backs
    // off), and a feed that answers again.
    const auto reportFeed = [&](const FeedStatus &feed, LinkHealth &was, const std::string &name,
                                const char *what) {
        if (feed.health == was)
            return;
        if (feed.health == LinkHealth::Lost)
            say(m_err, "canaryctl: " + std::string(what) + " (" + name +
                           ") lost: " + std::to_string(feed.missed) +
                           " polls missed in a row; polling less often until it answers");
        else if (feed.health == LinkHealth::Live && was != LinkHealth::Connecting)
            say(m_err, "canaryctl: " + std::string(what) + " (" + name + ") answers again");
        was = feed.health;
    };

    connect(&monitor, &RolloutMonitor::kpisUpdated, this, [&](const metrics::KpiResult &kpis) {
        pending = kpis;
        printTable();
    });
    connect(&monitor, &RolloutMonitor::stateChanged, this, [&] { printTable(); });
    connect(&monitor, &RolloutMonitor::feedHealthChanged, this, [&] {
        reportFeed(monitor.stateFeed(), rolloutWas, rolloutName, "the rollout");
        reportFeed(monitor.metricsFeed(), metricsWas, metricsName, "the metrics");
        printTable();
    });
    connect(&monitor, &RolloutMonitor::pollFailed, this, [&](const QString &reason) {
        // While the poll is still out this is a late answer, not its end: the end says why, and
        // reportFeed says when a feed is lost.
        if (monitor.isPolling())
            return;
        std::string line = "canaryctl: " + sentence(reason);
        const bool rolloutFine = monitor.stateFeed().health == LinkHealth::Live;
        const bool metricsFine = monitor.metricsFeed().health == LinkHealth::Live;
        if (rolloutFine && !metricsFine)
            line += " The rollout (" + rolloutName + ") is read fine.";
        else if (metricsFine && !rolloutFine)
            line += " The metrics (" + metricsName + ") are read fine.";
        say(m_err, line);
        if (!metricsFine) {
            ++failedRounds;
            endIfDone();
        }
    });
    connect(&monitor, &RolloutMonitor::backfillFinished, this, [&] {
        const std::size_t points = monitor.backfilledPoints();
        if (monitor.backfillError().isEmpty())
            say(m_out, "note: back-filled " + std::to_string(points) +
                           (points == 1 ? " point" : " points") + " from " + metricsName);
        else
            say(m_err, "canaryctl: no back-fill: " + sentence(monitor.backfillError()));
    });

    if (!metricsCaps.limits.empty())
        say(m_out, "note: " + metricsCaps.limits);
    monitor.start();
    loop.exec();
    // Not one table in all those rounds: the backend could not be read, as for `status`.
    return tables == 0 && failedRounds > 0 ? kUnreachable : kOk;
}

int Commands::run(const QString &planFile)
{
    if (planFile.isEmpty()) {
        std::fprintf(m_err, "canaryctl: run needs --plan FILE (docs/plans.md describes the file; "
                            "docs/examples/plan-default.json is the built-in plan)\n");
        return kRunError;
    }
    std::string error;
    const auto plan = rollout::loadPlanFile(planFile.toStdString(), &error);
    if (!plan) {
        std::fprintf(m_err, "canaryctl: %s\n", terminalSafe(error).c_str());
        return kRunError;
    }
    if (m_backends.control->capabilities().changesNeedToken &&
        m_options.connection.options.token.empty()) {
        needToken();
        return kRunError;
    }
    // Every decision goes to the audit trail, as the console's do; without a trail the plan
    // does not start.
    const auto store = openAuditTrail(&error);
    if (!store) {
        std::fprintf(m_err,
                     "canaryctl: %s The plan was not started: its decisions could not be "
                     "recorded.\n",
                     terminalSafe(error).c_str());
        return kRunError;
    }
    ActionLog log;
    log.setSink(store.get());
    log.setBackend(m_backends.control->capabilities().kind, m_backends.control->address());
    return runPlan(*plan, m_backends.control.get(), m_backends.metrics.get(),
                   QtScheduler::instance(), m_out, m_err, &log);
}

int Commands::metricsLint(const QString &path)
{
    QFile file;
    const bool fromStdin = path == QStringLiteral("-");
    const bool opened = fromStdin ? file.open(stdin, QIODevice::ReadOnly)
                                  : (file.setFileName(path), file.open(QIODevice::ReadOnly));
    const std::string name = fromStdin ? "<stdin>" : path.toStdString();
    if (!opened) {
        std::fprintf(m_err, "canaryctl: cannot read %s: %s\n", name.c_str(),
                     file.errorString().toUtf8().constData());
        return kUsage;
    }
    const auto format = m_options.openMetrics ? metrics::ExpositionFormat::OpenMetrics
                                              : metrics::ExpositionFormat::PrometheusText;
    // Checked piece by piece, so a file of any size needs the same little memory.
    constexpr qint64 kPieceBytes = 1024 * 1024;
    std::string piece(std::size_t(kPieceBytes), '\0');
    metrics::ExpositionChecker checker(format);
    while (!checker.stopped()) {
        const qint64 read = file.read(piece.data(), kPieceBytes);
        if (read < 0) {
            std::fprintf(m_err, "canaryctl: cannot read %s: %s\n", name.c_str(),
                         file.errorString().toUtf8().constData());
            return kUsage;
        }
        if (read == 0)
            break;
        checker.feed(std::string_view(piece.data(), std::size_t(read)));
    }
    const auto errors = checker.finish();
    for (const auto &error : errors)
        std::fprintf(m_out, "%s:%d:%d: %s\n", name.c_str(), error.line, error.column,
                     error.message.c_str());
    return errors.empty() ? kOk : kLintFailed;
}

} // namespace canary::ctl
