#include "reportcommand.h"

#include "audit/sqliteauditstore.h"
#include "ctlcommands.h"
#include "historycommand.h"
#include "report/reportbuilder.h"
#include "report/reportwriter.h"
#include "reportcharts.h"
#include "terminaltext.h"
#include "util/join.h"
#include "util/osuser.h"

#include <QApplication>
#include <QEventLoop>
#include <QFileInfo>

#include <algorithm>
#include <set>
#include <tuple>

namespace canary::ctl {

namespace {

struct ReportSettings
{
    report::Format format = report::Format::Pdf;
    std::optional<SystemTime> since;
    SystemTime until{};
    std::string output;
};

// Checks what every form of the command needs; nullopt after saying why (exit 2).
std::optional<ReportSettings> readSettings(const ReportRequest &request, SystemTime now,
                                           std::FILE *err)
{
    ReportSettings settings;
    const auto format = report::formatFromName(request.format.toLower().toStdString());
    if (!format) {
        std::fprintf(
            err, "canaryctl: report needs --format pdf, html, csv or json%s.\n",
            request.format.isEmpty()
                ? ""
                : join(", not \"", terminalSafe(request.format.toStdString()), "\"").c_str());
        return std::nullopt;
    }
    settings.format = *format;
    if (request.output.isEmpty()) {
        std::fprintf(err, "canaryctl: report needs -o FILE (for example report%s).\n",
                     std::string(report::fileSuffix(*format)).c_str());
        return std::nullopt;
    }
    settings.output = request.output.toStdString();
    settings.until = now;
    for (const auto &[text, into, name] :
         {std::tuple{request.since, &settings.since, "--since"},
          std::tuple{request.until, static_cast<std::optional<SystemTime> *>(nullptr),
                     "--until"}}) {
        if (text.isEmpty())
            continue;
        const auto when = parseWhen(text, now);
        if (!when) {
            std::fprintf(err,
                         "canaryctl: %s wants an RFC 3339 time (2026-12-01T09:30:00Z) or a "
                         "duration back from now (90s, 30m, 2h, 7d), not \"%s\".\n",
                         name, terminalSafe(text.toStdString()).c_str());
            return std::nullopt;
        }
        if (into)
            *into = when;
        else
            settings.until = *when;
    }
    if (settings.since && *settings.since >= settings.until) {
        std::fprintf(err, "canaryctl: --since must be before --until.\n");
        return std::nullopt;
    }
    return settings;
}

// The trail's entries in the window; nullopt after saying why. A missing file is an error only
// where the trail is the sole source.
std::optional<std::vector<audit::AuditEntry>> readTrail(const std::string &path,
                                                        const audit::AuditFilter &filter,
                                                        bool mustExist, std::FILE *err,
                                                        std::vector<std::string> &notes)
{
    if (!QFileInfo::exists(QString::fromStdString(path))) {
        if (mustExist) {
            std::fprintf(err, "canaryctl: there is no audit trail at %s.\n",
                         terminalSafe(path).c_str());
            return std::nullopt;
        }
        notes.push_back(join("There is no audit trail at ", path,
                             ", so the report lists no action or decision."));
        return std::vector<audit::AuditEntry>{};
    }
    std::string error;
    const auto store = audit::SqliteAuditStore::open(path, &error);
    auto entries = store ? store->query(filter, &error) : std::nullopt;
    if (!entries)
        std::fprintf(err, "canaryctl: %s\n", terminalSafe(error).c_str());
    return entries;
}

std::string whoExports()
{
    const std::string user = osUserName();
    return user.empty() ? std::string("an unknown user") : user;
}

// Charts (PDF, HTML) need the widgets' drawing: a QApplication, which main() makes for this
// command on the offscreen platform.
int writeOut(report::ReportData &data, const ReportSettings &settings, std::FILE *out,
             std::FILE *err)
{
    report::finishReport(data);
    std::vector<report::ReportImage> charts;
    if (report::formatHasCharts(settings.format)) {
        if (qobject_cast<QApplication *>(QCoreApplication::instance()))
            charts = renderReportCharts(data);
        else
            data.notes.push_back("The charts were left out: no drawing surface was available.");
    }
    std::string error;
    if (!report::writeReport(data, charts, settings.format, settings.output, {}, &error)) {
        std::fprintf(err, "canaryctl: %s\n", terminalSafe(error).c_str());
        return 1;
    }
    std::fprintf(out, "Wrote %s: %s report of %s, %zu actions and decisions, %zu points.\n",
                 terminalSafe(settings.output).c_str(),
                 std::string(report::toString(settings.format)).c_str(),
                 terminalSafe(data.title).c_str(), data.timeline.size(), data.pointCount());
    std::fprintf(out, "%s\n", terminalSafe(data.headline.sentence).c_str());
    return 0;
}

} // namespace

int runReportFromTrail(const ReportRequest &request, const Clock &clock, std::FILE *out,
                       std::FILE *err)
{
    const SystemTime now = clock.now();
    const auto settings = readSettings(request, now, err);
    if (!settings)
        return 2;
    report::ReportData data;
    audit::AuditFilter filter;
    filter.since = settings->since;
    filter.until = settings->until;
    filter.backend = request.backendMatch.toStdString();
    const std::string path = request.fromDb.toStdString();
    auto entries = readTrail(path, filter, true, err, data.notes);
    if (!entries)
        return 1;
    if (entries->empty()) {
        std::fprintf(err, "canaryctl: the audit trail %s holds no entry%s in that window.\n",
                     terminalSafe(path).c_str(), filter.backend.empty() ? "" : " for that backend");
        return 1;
    }
    // One report speaks of one backend: the newest entry's, unless --backend-match chose.
    const audit::AuditEntry newest = entries->back();
    std::set<std::string> others;
    std::erase_if(*entries, [&](const audit::AuditEntry &e) {
        if (e.backendAddress == newest.backendAddress)
            return false;
        others.insert(e.backendAddress);
        return true;
    });
    if (!others.empty())
        data.notes.push_back(join("The trail also holds ", std::to_string(others.size()),
                                  " other backend(s) in this window; --backend-match picks one."));
    data.backendKind = newest.backendKind;
    data.backendAddress = newest.backendAddress;
    data.from = settings->since.value_or(entries->front().time);
    data.to = settings->until;
    data.exportedAt = now;
    data.exportedBy = whoExports();
    data.source = join("the audit trail ", path, " (the numbers recorded with each action)");
    report::addAuditTrail(data, std::move(*entries));
    return writeOut(data, *settings, out, err);
}

int Commands::report(const ReportRequest &request)
{
    const SystemTime now = SystemClock::instance().now();
    const auto settings = readSettings(request, now, m_err);
    if (!settings)
        return kUsage;
    const ControlResult state = await([&](auto cb) { m_backends.control->fetchState(this, cb); });
    if (state.error)
        return fail(state.error);

    report::ReportData data;
    data.backendKind = m_backends.control->capabilities().kind;
    data.backendAddress = m_backends.control->address();
    data.metricsAddress =
        join(m_backends.metrics->capabilities().kind, " ", m_backends.metrics->address());
    data.exportedAt = now;
    data.exportedBy = whoExports();

    audit::AuditFilter filter;
    filter.since = settings->since;
    filter.until = settings->until;
    filter.backend = data.backendAddress;
    const std::string trail = m_options.auditDatabase.isEmpty()
                                  ? audit::SqliteAuditStore::defaultPath()
                                  : m_options.auditDatabase.toStdString();
    auto entries = readTrail(trail, filter, false, m_err, data.notes);
    if (!entries)
        return 1;
    data.to = settings->until;
    data.from = settings->since.value_or(entries->empty() ? data.to - std::chrono::hours(1)
                                                          : entries->front().time);

    const MetricsCapabilities metrics = m_backends.metrics->capabilities();
    if (metrics.history) {
        const auto span =
            std::chrono::duration_cast<std::chrono::milliseconds>(data.to - data.from);
        const auto step = std::max<std::chrono::milliseconds>(span / 1000, std::chrono::seconds(1));
        const auto window = std::max<std::chrono::milliseconds>(step, std::chrono::seconds(15));
        QEventLoop loop;
        MetricsHistory history;
        m_backends.metrics->readHistory(data.from, data.to, step, window, this,
                                        [&](MetricsHistory h) {
                                            history = std::move(h);
                                            loop.quit();
                                        });
        loop.exec();
        MetricsReading reading;
        m_backends.metrics->read({span}, this, [&](MetricsReading r) {
            reading = std::move(r);
            loop.quit();
        });
        loop.exec();
        if (!history.ok() || !reading.ok()) {
            std::fprintf(m_err, "canaryctl: %s\n",
                         terminalSafe(history.ok() ? reading.error : history.error).c_str());
            return kUnreachable;
        }
        report::setSeries(data, history.points);
        if (!reading.windows.empty() && reading.windows.front())
            report::setKpis(data, *reading.windows.front());
        data.source = join(metrics.kind, " over the whole window, and the audit trail ", trail);
    } else {
        data.notes.push_back(join(metrics.kind,
                                  " keeps no history, so the figures and charts are the numbers "
                                  "the audit trail recorded with each action and decision."));
        data.source = join("the audit trail ", trail, "; the rollout's state from ",
                           data.backendKind, " now");
    }
    if (!metrics.limits.empty())
        data.notes.push_back(metrics.limits);
    report::addAuditTrail(data, std::move(*entries));
    // The models compared are those the trail recorded; the backend's state fills what it lacks
    // (a report of a rollout before any action).
    if (data.canary.model.empty() && data.production.model.empty())
        report::setState(data, *state.state);
    return writeOut(data, *settings, m_out, m_err);
}

} // namespace canary::ctl
