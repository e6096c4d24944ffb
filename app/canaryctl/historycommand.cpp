#include "historycommand.h"

#include "audit/sqliteauditstore.h"
#include "terminaltext.h"

#include <QFileInfo>

#include <nlohmann/json.hpp>

#include <optional>
#include <string>

namespace canary::ctl {

std::optional<SystemTime> parseWhen(const QString &text, SystemTime now)
{
    if (const auto t = parseRfc3339(text.toStdString()))
        return t;
    static const std::pair<QChar, std::int64_t> kUnits[] = {{QLatin1Char('s'), 1},
                                                            {QLatin1Char('m'), 60},
                                                            {QLatin1Char('h'), 3600},
                                                            {QLatin1Char('d'), 86400}};
    for (const auto &[unit, seconds] : kUnits) {
        if (text.size() < 2 || !text.endsWith(unit))
            continue;
        bool ok = false;
        const qlonglong count = text.left(text.size() - 1).toLongLong(&ok);
        if (!ok || count < 0 || count > 100LL * 365 * 86400 / seconds)
            return std::nullopt;
        return now - std::chrono::seconds(count * seconds);
    }
    return std::nullopt;
}

int runHistory(const HistoryRequest &request, const Clock &clock, std::FILE *out, std::FILE *err)
{
    audit::AuditFilter filter;
    const SystemTime now = clock.now();
    for (const auto &[text, into, name] : {std::tuple{request.since, &filter.since, "--since"},
                                           std::tuple{request.until, &filter.until, "--until"}}) {
        if (text.isEmpty())
            continue;
        *into = parseWhen(text, now);
        if (!*into) {
            std::fprintf(err,
                         "canaryctl: %s wants an RFC 3339 time (2026-12-01T09:30:00Z) or a "
                         "duration back from now (90s, 30m, 2h, 7d), not \"%s\".\n",
                         name, terminalSafe(text.toStdString()).c_str());
            return 2;
        }
    }
    filter.action = request.action.toStdString();
    filter.actor = request.actor.toStdString();
    filter.backend = request.backend.toStdString();
    const std::string path = request.database.isEmpty() ? audit::SqliteAuditStore::defaultPath()
                                                        : request.database.toStdString();
    if (!QFileInfo::exists(QString::fromStdString(path))) {
        // Reading must not create an empty trail where the user expected theirs.
        std::fprintf(err,
                     "canaryctl: there is no audit trail at %s yet (--db FILE names another).\n",
                     terminalSafe(path).c_str());
        return 1;
    }
    std::string error;
    const auto store = audit::SqliteAuditStore::open(path, &error);
    const auto entries = store ? store->query(filter, &error) : std::nullopt;
    if (!entries) {
        std::fprintf(err, "canaryctl: %s\n", terminalSafe(error).c_str());
        return 1;
    }
    if (request.json) {
        nlohmann::json all = nlohmann::json::array();
        for (const auto &e : *entries)
            all.push_back(audit::toJson(e));
        std::fprintf(out, "%s\n",
                     all.dump(2, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
        return 0;
    }
    if (entries->empty()) {
        std::fprintf(out, "No entries%s.\n",
                     request.since.isEmpty() && request.until.isEmpty() ? "" : " in that time");
        return 0;
    }
    for (const auto &e : *entries) {
        const std::string params = e.parameters.empty() ? std::string() : e.parameters.dump();
        std::fprintf(out, "%s  %-9s  %-12s %s  %s\n", formatRfc3339(e.time).c_str(),
                     e.outcome.c_str(), terminalSafe(e.action).c_str(),
                     terminalSafe(params).c_str(), terminalSafe(audit::actorText(e)).c_str());
        std::fprintf(out, "    %s %s\n", terminalSafe(e.backendKind).c_str(),
                     terminalSafe(e.backendAddress).c_str());
        if (!e.reason.empty())
            std::fprintf(out, "    why: %s\n", terminalSafe(e.reason).c_str());
        if (!e.message.empty())
            std::fprintf(out, "    %s\n", terminalSafe(e.message).c_str());
    }
    return 0;
}

} // namespace canary::ctl
