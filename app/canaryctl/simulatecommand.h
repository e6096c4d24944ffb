#pragma once

#include <QString>

#include <cstdio>

namespace canary::ctl {

// `canaryctl simulate`: whole rollouts in virtual time, the project's plan controller against
// the baselines, from a scenario file (docs/simulation.md).
struct SimulateRequest
{
    QString scenarioFile;
    QString runs = QStringLiteral("100");
    QString seed = QStringLiteral("1");
    QString policies; // comma-separated; empty: all
    bool json = false;
    bool progress = false; // a line on stderr as the passes go
};

// Exit code: 0 the simulation ran, 2 a usage error or a scenario file that does not parse
// (the field is named).
int runSimulate(const SimulateRequest &request, std::FILE *out, std::FILE *err);

} // namespace canary::ctl
