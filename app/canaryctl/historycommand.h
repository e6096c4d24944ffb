#pragma once

#include "util/clock.h"

#include <QString>

#include <cstdio>
#include <optional>

namespace canary::ctl {

// `canaryctl history`: the audit trail (docs/audit.md), oldest first, optionally within a time
// range, as text or as one JSON array.
struct HistoryRequest
{
    QString database; // empty: the console's usual file
    QString since;    // RFC 3339, or a duration back from now: 90s, 30m, 2h, 7d
    QString until;
    QString action;  // exact, e.g. rollback
    QString actor;   // exact, e.g. auto
    QString backend; // a part of the backend's address
    bool json = false;
};

// An RFC 3339 time, or a duration back from `now` ("90s", "30m", "2h", "7d"). nullopt for
// anything else.
std::optional<SystemTime> parseWhen(const QString &text, SystemTime now);

// Exit code: 0 (also when nothing matched), 1 the trail could not be read, 2 a usage error.
int runHistory(const HistoryRequest &request, const Clock &clock, std::FILE *out, std::FILE *err);

} // namespace canary::ctl
