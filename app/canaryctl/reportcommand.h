#pragma once

#include "util/clock.h"

#include <QString>

#include <cstdio>

namespace canary::ctl {

// `canaryctl report`: a comparison report (docs/reports.md) as PDF, HTML, CSV or JSON, from a
// live backend (its state, its metrics' history where the source keeps one, and the audit trail's
// entries for it) or from an audit trail file alone (--from-db).
struct ReportRequest
{
    QString fromDb;   // --from-db FILE: the trail is the only source
    QString database; // --db FILE: the trail to read beside a live backend; empty: the console's
    QString since;    // RFC 3339 or back from now (30m, 2h, 7d); empty: the trail's first entry
    QString until;    // empty: now
    QString format;   // pdf, html, csv, json
    QString output;   // -o FILE
    QString backendMatch; // --from-db: only this backend (a part of its address)
};

// The offline form (--from-db). Exit 0 written, 1 the trail could not be read or the file not
// written, 2 a usage error.
int runReportFromTrail(const ReportRequest &request, const Clock &clock, std::FILE *out,
                       std::FILE *err);

} // namespace canary::ctl
