#pragma once

#include <QString>

#include <cstdio>

namespace canary::ctl {

// `canaryctl judge`: an offline fixed-horizon comparison of two samples, one number a line
// (docs/analysis.md). Latency: Mann-Whitney U with the Hodges-Lehmann shift; proportion: each
// line 0 or 1, the difference of the two rates with Newcombe's interval.
struct JudgeRequest
{
    QString productionFile;
    QString canaryFile;
    QString kind = QStringLiteral("latency"); // "latency" or "proportion"
    QString alpha = QStringLiteral("0.05");
    bool json = false;
};

// Exit code: 0 no significant regression, 1 the canary is significantly worse (higher latency
// or rate), 2 a usage error or an unreadable or malformed file (named with its line).
int runJudge(const JudgeRequest &request, std::FILE *out, std::FILE *err);

} // namespace canary::ctl
