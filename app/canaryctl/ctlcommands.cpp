#include "ctlcommands.h"

#include "backendcheck.h"
#include "backends/scrape/metricsscraper.h"
#include "kpitable.h"
#include "metrics/expositionparser.h"
#include "terminaltext.h"
#include "util/boundedjson.h"

#include <QEventLoop>
#include <QFile>
#include <QTimer>

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
    return terminalSafe(v.model + " " + v.version);
}

} // namespace

Commands::Commands(Options options, std::FILE *out, std::FILE *err)
    : m_options(std::move(options))
    , m_out(out)
    , m_err(err)
    , m_client(&m_transport, m_options.endpoint)
{
    if (m_options.metricsUrl.empty())
        m_options.metricsUrl = m_client.endpoint().baseUrl + "/metrics";
}

ControlResult Commands::await(const std::function<void(ControlClient::Callback)> &start)
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
    // The message carries the backend's problem details: they must not drive the terminal.
    std::fprintf(m_err, "canaryctl: %s\n", terminalSafe(error.message()).c_str());
    if (error.kind == ControlError::Kind::StaleRevision) {
        std::fprintf(m_err, "canaryctl: someone else changed the rollout meanwhile; nothing was "
                            "applied. Check `canaryctl status` and run the command again.\n");
        if (error.current)
            printState(*error.current);
    }
    if (error.kind == ControlError::Kind::Unauthorized)
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
    std::fprintf(m_out, "rollout     %s (revision %lld, updated %s)\n",
                 std::string(toString(state.phase)).c_str(), static_cast<long long>(state.revision),
                 formatRfc3339(state.updatedAt).c_str());
    auto line = [this](const VariantInfo &v) {
        std::fprintf(m_out, "%-11s %-32s %5s %%\n", std::string(toString(v.role)).c_str(),
                     describeVariant(v).c_str(), v.weight.toString().c_str());
    };
    line(state.production);
    if (state.canary)
        line(*state.canary);
    else
        std::fprintf(m_out, "%-11s %s\n", "canary", "(slot empty)");
    std::fflush(m_out);
}

void Commands::printRawJson(const ControlResult &result)
{
    // As the backend sent it, byte for byte: valid JSON (it was parsed) cannot hold a raw control
    // character outside its whitespace, since JSON escapes them (\u001b). It can hold C1 controls
    // and bidi overrides as plain UTF-8 characters, though: only then is the document written
    // again with every non-ASCII character escaped, which means the same JSON.
    if (isTerminalSafeJson(result.body)) {
        std::fputs(result.body.c_str(), m_out);
        if (result.body.empty() || result.body.back() != '\n')
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

int Commands::finishAction(const ControlResult &result, const char *done)
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
        printRawJson(result);
    } else {
        std::fprintf(m_out, "%s\n", done);
        printState(*result.state);
    }
    return kOk;
}

int Commands::status()
{
    auto result = await([&](auto cb) { m_client.fetchState(this, cb); });
    if (result.error)
        return fail(result.error);
    if (m_options.json)
        printRawJson(result);
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
    return mutate(
        "set-weight", nullptr,
        [&](std::int64_t revision, auto cb) {
            m_client.setCanaryWeight(*weight, revision, this, cb);
        },
        "canary weight set to " + weight->toString() + " %");
}

int Commands::mutate(const char *command, const Question &question, const Send &send,
                     const std::string &done)
{
    if (m_options.endpoint.token.empty())
        return needToken();
    auto current = await([&](auto cb) { m_client.fetchState(this, cb); });
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
        if (!confirm(question(state))) {
            std::fprintf(m_err, "canaryctl: %s not confirmed; nothing was changed\n", command);
            return kNotConfirmed;
        }
    }
    // The revision just read goes out as If-Match: a change in between is refused, not overwritten.
    auto result = await([&](auto cb) { send(state.revision, cb); });
    return finishAction(result, done.c_str());
}

int Commands::promote()
{
    return mutate(
        "promote",
        [](const RolloutState &state) {
            const std::string what = state.canary ? describeVariant(*state.canary) : "the canary";
            return "Promote " + what + " to production at 100 %?";
        },
        [this](std::int64_t revision, auto cb) { m_client.promote(revision, this, cb); },
        "promoted");
}

int Commands::rollback()
{
    return mutate(
        "rollback",
        [](const RolloutState &state) {
            const std::string what = state.canary ? describeVariant(*state.canary) : "the canary";
            return "Roll back " + what + " to 0 %?";
        },
        [this](std::int64_t revision, auto cb) { m_client.rollback(revision, this, cb); },
        "rolled back");
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
        "stage", nullptr,
        [&](std::int64_t revision, auto cb) { m_client.stageCanary(spec, revision, this, cb); },
        "canary staged at 0 %");
}

int Commands::checkBackend(const QString &specFile)
{
    if (m_options.mutating && m_options.endpoint.token.empty())
        return needToken();
    BackendCheck::Settings settings;
    settings.endpoint = m_client.endpoint();
    settings.metricsUrl = m_options.metricsUrl;
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
    SystemClock clock;
    MetricsScraper scraper(&m_transport, m_options.metricsUrl, clock);
    scraper.setVerifyTls(m_options.endpoint.verifyTls);
    scraper.setTimeout(m_options.endpoint.timeout);
    const bool terminal = isatty(fileno(m_out));

    std::optional<metrics::Scrape> previous;
    std::optional<RolloutState> state;
    std::string stateError;
    int tables = 0;
    int failedRounds = 0;
    int linesOnScreen = 0;
    QEventLoop loop;
    QTimer ticker;
    ticker.setInterval(m_options.interval);
    // The context of this watch's requests: answers still on their way when it ends are dropped.
    QObject rounds;

    // A round ends with a table, with a failure, or (after a gap) with the first of the two
    // scrapes a table needs. --count counts tables and failed rounds, so that a backend that is
    // down or answers garbage still lets `watch --count N` end.
    auto roundEnded = [&] {
        if (m_options.count > 0 && tables + failedRounds >= m_options.count)
            loop.quit();
    };
    // Single flight, as in the console's monitor: a tick that finds the previous scrape still out
    // sends nothing, so answers never arrive out of order and a slow backend is not piled on.
    bool scrapeInFlight = false;
    bool stateInFlight = false;
    auto tick = [&] {
        if (!stateInFlight) {
            stateInFlight = true;
            m_client.fetchState(&rounds, [&](ControlResult r) {
                stateInFlight = false;
                if (r.state)
                    state = std::move(r.state);
                stateError = r.error ? r.error.message() : std::string();
            });
        }
        if (scrapeInFlight)
            return;
        scrapeInFlight = true;
        scraper.scrape(&rounds, [&](ScrapeResult s) {
            scrapeInFlight = false;
            if (!s.ok()) {
                std::fprintf(m_err, "canaryctl: %s\n", terminalSafe(s.error).c_str());
                std::fflush(m_err);
                previous.reset();  // a gap: the next table needs two fresh scrapes
                linesOnScreen = 0; // keep the error line visible above the next table
                ++failedRounds;
                roundEnded();
                return;
            }
            if (previous) {
                const auto kpis = metrics::computeKpis(*previous, s.scrape);
                const std::string table =
                    formatKpiTable(kpis, state ? &*state : nullptr, stateError);
                // On a terminal the table is redrawn in place (cursor up, clear to the end), so
                // what was printed above it stays readable.
                if (terminal && linesOnScreen > 0)
                    std::fprintf(m_out, "\033[%dA\033[J", linesOnScreen);
                std::fputs(table.c_str(), m_out);
                linesOnScreen = static_cast<int>(std::count(table.begin(), table.end(), '\n'));
                std::fflush(m_out);
                ++tables;
                roundEnded();
            }
            previous = std::move(s.scrape);
        });
    };
    connect(&ticker, &QTimer::timeout, this, tick);
    tick();
    ticker.start();
    loop.exec();
    // Not one table in all those rounds: the backend could not be read, as for `status`.
    return tables == 0 && failedRounds > 0 ? kUnreachable : kOk;
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
