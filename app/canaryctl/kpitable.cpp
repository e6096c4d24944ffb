#include "kpitable.h"

#include "terminaltext.h"

#include <cmath>
#include <cstdio>

namespace canary::ctl {

namespace {

std::string number(double value, const char *format, double scale = 1.0)
{
    if (!std::isfinite(value))
        return "-";
    char buf[32];
    std::snprintf(buf, sizeof buf, format, value * scale);
    return buf;
}

std::string rawVersionsOf(const metrics::VariantKpis &v, const RolloutState *state,
                          VariantRole role)
{
    // A backend that knows no versions (HAProxy) leaves them to the metrics' labels.
    if (state) {
        if (role == VariantRole::Canary && !state->canary)
            return "(empty)";
        const VariantInfo &info =
            role == VariantRole::Production ? state->production : *state->canary;
        if (!info.version.empty())
            return info.version;
    }
    std::string joined;
    for (const auto &version : v.activeVersions)
        joined += (joined.empty() ? "" : ",") + version;
    return joined.empty() ? "-" : joined;
}

// Versions come from the backend (the rollout document or metric labels): terminal-safe.
std::string versionsOf(const metrics::VariantKpis &v, const RolloutState *state, VariantRole role)
{
    return terminalSafe(rawVersionsOf(v, state, role));
}

} // namespace

std::string formatKpiTable(const metrics::KpiResult &kpis, const RolloutContext &rollout)
{
    const RolloutState *state = rollout.state;
    const std::string &stateError = rollout.stateError;
    std::string out;
    char line[256];
    if (state && rollout.revisions) {
        std::snprintf(line, sizeof line, "%s  state %s  revision %lld  window %.1f s\n",
                      formatRfc3339(kpis.time).c_str(), std::string(toString(state->phase)).c_str(),
                      static_cast<long long>(state->revision), kpis.elapsedSeconds);
    } else if (state) {
        std::snprintf(line, sizeof line, "%s  state %s  window %.1f s\n",
                      formatRfc3339(kpis.time).c_str(), std::string(toString(state->phase)).c_str(),
                      kpis.elapsedSeconds);
    } else {
        std::snprintf(line, sizeof line, "%s  state unknown (%s)  window %.1f s\n",
                      formatRfc3339(kpis.time).c_str(),
                      stateError.empty() ? "not read yet" : terminalSafe(stateError).c_str(),
                      kpis.elapsedSeconds);
    }
    out += line;
    std::snprintf(line, sizeof line, "%-11s %-12s %7s %9s %8s %8s %8s %8s %9s\n", "variant",
                  "version", "weight", "req/s", "error %", "p50 ms", "p95 ms", "p99 ms",
                  "accuracy");
    out += line;
    for (VariantRole role : {VariantRole::Production, VariantRole::Canary}) {
        const auto &v = kpis.variant(role);
        const double weight =
            state ? (role == VariantRole::Production ? state->production.weight.percent()
                                                     : state->canaryWeight().percent())
                  : v.weightPercent;
        std::snprintf(line, sizeof line, "%-11s %-12s %7s %9s %8s %8s %8s %8s %9s\n",
                      std::string(toString(role)).c_str(), versionsOf(v, state, role).c_str(),
                      number(weight, "%.1f").c_str(), number(v.requestRate, "%.1f").c_str(),
                      number(v.errorRatio, "%.2f", 100.0).c_str(),
                      number(v.p50Seconds, "%.1f", 1000.0).c_str(),
                      number(v.p95Seconds, "%.1f", 1000.0).c_str(),
                      number(v.p99Seconds, "%.1f", 1000.0).c_str(),
                      v.accuracy ? number(*v.accuracy, "%.1f %%", 100.0).c_str() : "-");
        out += line;
    }
    if (state && !stateError.empty()) {
        // The numbers are fresh, the rollout is not: say so under the table, not in place of it.
        out += "note: state and weights as last read; " + terminalSafe(stateError) + "\n";
    }
    if (!kpis.ok()) {
        out += "note: " + terminalSafe(kpis.error) + "\n";
    }
    return out;
}

} // namespace canary::ctl
