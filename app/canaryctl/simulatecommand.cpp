#include "simulatecommand.h"

#include "ctlcommands.h"
#include "simulator.h"

#include <QStringList>

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace canary::ctl {

int runSimulate(const SimulateRequest &request, std::FILE *out, std::FILE *err)
{
    if (request.scenarioFile.isEmpty()) {
        std::fprintf(err, "canaryctl: simulate needs --scenario FILE.\n");
        return kUsage;
    }
    bool ok = false;
    const int runs = request.runs.toInt(&ok);
    if (!ok || runs < 1 || runs > 1'000'000) {
        std::fprintf(err, "canaryctl: --runs must be a whole number from 1 to 1000000.\n");
        return kUsage;
    }
    const qulonglong seed = request.seed.toULongLong(&ok);
    if (!ok) {
        std::fprintf(err, "canaryctl: --seed must be a non-negative whole number.\n");
        return kUsage;
    }
    std::string error;
    const auto scenario = simulation::loadScenarioFile(request.scenarioFile.toStdString(), &error);
    if (!scenario) {
        std::fprintf(err, "canaryctl: %s\n", error.c_str());
        return kUsage;
    }
    simulation::SimulationOptions options;
    options.runs = runs;
    options.seed = seed;
    for (const auto &name : request.policies.split(QLatin1Char(','), Qt::SkipEmptyParts))
        options.policies.push_back(name.trimmed().toStdString());
    if (request.progress) {
        options.progress = [err](const std::string &pass, int done, int total) {
            if (done == total || done % 100 == 0)
                std::fprintf(err, "%s: %d of %d runs\n", pass.c_str(), done, total);
        };
    }
    const auto report = simulation::simulate(*scenario, options, &error);
    if (!report) {
        std::fprintf(err, "canaryctl: %s\n", error.c_str());
        return kUsage;
    }
    if (request.json)
        std::fprintf(out, "%s\n", simulation::toJson(*report).dump(2).c_str());
    else
        std::fputs(simulation::formatReport(*report).c_str(), out);
    return kOk;
}

} // namespace canary::ctl
