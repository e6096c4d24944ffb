#include "judgecommand.h"

#include "analysis/fixedhorizon.h"
#include "ctlcommands.h"

#include <QFile>

#include <nlohmann/json.hpp>

#include <cmath>
#include <optional>
#include <string>
#include <vector>

namespace canary::ctl {

namespace {

// Reads one number a line; blank lines are skipped. nullopt after naming the file and line.
std::optional<std::vector<double>> readSample(const QString &path, bool zeroOrOne, std::FILE *err)
{
    QFile file(path);
    const std::string name = path.toStdString();
    if (!file.open(QIODevice::ReadOnly)) {
        std::fprintf(err, "canaryctl: cannot read %s: %s\n", name.c_str(),
                     file.errorString().toUtf8().constData());
        return std::nullopt;
    }
    std::vector<double> values;
    int lineNumber = 0;
    while (!file.atEnd()) {
        const QByteArray line = file.readLine().trimmed();
        ++lineNumber;
        if (line.isEmpty())
            continue;
        bool ok = false;
        const double value = line.toDouble(&ok);
        if (!ok || !std::isfinite(value) || (zeroOrOne && value != 0 && value != 1)) {
            // What is shown of the line is printable ASCII only: a file cannot drive the terminal.
            QByteArray shown = line.left(40);
            for (char &c : shown)
                if (c < 0x20 || c > 0x7e)
                    c = '?';
            std::fprintf(err, "canaryctl: %s:%d: expected %s, found \"%s\".\n", name.c_str(),
                         lineNumber, zeroOrOne ? "0 or 1" : "a finite number", shown.constData());
            return std::nullopt;
        }
        values.push_back(value);
    }
    if (file.error() != QFileDevice::NoError) {
        std::fprintf(err, "canaryctl: cannot read %s: %s\n", name.c_str(),
                     file.errorString().toUtf8().constData());
        return std::nullopt;
    }
    if (values.empty()) {
        std::fprintf(err, "canaryctl: %s holds no values.\n", name.c_str());
        return std::nullopt;
    }
    return values;
}

// Two-sided at alpha: worse when significant in the canary's disfavour (higher latency or
// rate), better when significant the other way.
const char *verdictFor(double pValue, double estimate, double alpha)
{
    if (pValue >= alpha || estimate == 0)
        return "no-difference";
    return estimate > 0 ? "worse" : "better";
}

std::string number(double v)
{
    char buffer[64];
    std::snprintf(buffer, sizeof buffer, "%.6g", v);
    return buffer;
}

} // namespace

int runJudge(const JudgeRequest &request, std::FILE *out, std::FILE *err)
{
    if (request.productionFile.isEmpty() || request.canaryFile.isEmpty()) {
        std::fprintf(err, "canaryctl: judge needs --production FILE and --canary FILE.\n");
        return kUsage;
    }
    const bool latency = request.kind == QStringLiteral("latency");
    if (!latency && request.kind != QStringLiteral("proportion")) {
        std::fprintf(err, "canaryctl: --kind must be latency or proportion, not \"%s\".\n",
                     request.kind.toUtf8().constData());
        return kUsage;
    }
    bool ok = false;
    const double alpha = request.alpha.toDouble(&ok);
    if (!ok || !(alpha > 0 && alpha < 1)) {
        std::fprintf(err, "canaryctl: --alpha must be a number between 0 and 1.\n");
        return kUsage;
    }
    const auto production = readSample(request.productionFile, !latency, err);
    if (!production)
        return kUsage;
    const auto canary = readSample(request.canaryFile, !latency, err);
    if (!canary)
        return kUsage;

    std::string error;
    nlohmann::json document;
    std::string human;
    const char *verdict = nullptr;
    if (latency) {
        const auto r = analysis::mannWhitney(*canary, *production, alpha, &error);
        if (!r) {
            std::fprintf(err, "canaryctl: %s\n", error.c_str());
            return kUsage;
        }
        verdict = verdictFor(r->pValue, r->estimate, alpha);
        document = {{"kind", "latency"},
                    {"verdict", verdict},
                    {"u", r->u},
                    {"z", r->z},
                    {"p_value", r->pValue},
                    {"estimate", r->estimate},
                    {"ci_low", r->ciLow},
                    {"ci_high", r->ciHigh},
                    {"alpha", alpha},
                    {"canary_n", canary->size()},
                    {"production_n", production->size()},
                    {"pairs_sampled", r->sampled}};
        human = std::string(verdict) + ": canary - production shift " + number(r->estimate) + " (" +
                number(100 * (1 - alpha)) + " % CI " + number(r->ciLow) + " to " +
                number(r->ciHigh) + "), Mann-Whitney U = " + number(r->u) +
                ", p = " + number(r->pValue) + " (n = " + std::to_string(canary->size()) +
                " canary, " + std::to_string(production->size()) + " production)";
    } else {
        const auto ones = [](const std::vector<double> &v) {
            long long n = 0;
            for (double x : v)
                n += x == 1 ? 1 : 0;
            return n;
        };
        const auto r =
            analysis::twoProportions(ones(*canary), (long long)canary->size(), ones(*production),
                                     (long long)production->size(), alpha, &error);
        if (!r) {
            std::fprintf(err, "canaryctl: %s\n", error.c_str());
            return kUsage;
        }
        verdict = verdictFor(r->pValue, r->estimate, alpha);
        document = {{"kind", "proportion"},         {"verdict", verdict},
                    {"p_value", r->pValue},         {"z", r->z},
                    {"estimate", r->estimate},      {"ci_low", r->ciLow},
                    {"ci_high", r->ciHigh},         {"alpha", alpha},
                    {"canary_rate", r->canaryRate}, {"production_rate", r->productionRate},
                    {"canary_n", canary->size()},   {"production_n", production->size()}};
        human = std::string(verdict) + ": canary rate " + number(r->canaryRate) +
                " - production rate " + number(r->productionRate) + " = " + number(r->estimate) +
                " (" + number(100 * (1 - alpha)) + " % CI " + number(r->ciLow) + " to " +
                number(r->ciHigh) + ", Newcombe), p = " + number(r->pValue);
    }
    if (request.json)
        std::fprintf(out, "%s\n", document.dump().c_str());
    else
        std::fprintf(out, "%s\n", human.c_str());
    return std::string(verdict) == "worse" ? kJudgeWorse : kOk;
}

} // namespace canary::ctl
