// canaryctl run --plan FILE: parsePlan must return a plan or an error, never throw, and what it
// accepts must be runnable (docs/plans.md): steps strictly increasing below 100 %, bakes of at
// least the interval, gates with unique names, an alpha in (0, 1).
#include "rollout/plan.h"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <set>
#include <string>
#include <string_view>

namespace {

void check(bool condition, const char *what)
{
    if (!condition) {
        std::fprintf(stderr, "accepted plan is not runnable: %s\n", what);
        std::abort();
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    using namespace canary::rollout;
    const std::string_view text(reinterpret_cast<const char *>(data), size);
    std::string error;
    const auto plan = parsePlan(text, "fuzz.json", &error);
    if (!plan) {
        check(error.rfind("fuzz.json:", 0) == 0, "error without the source name");
        return 0;
    }
    check(!plan->steps.empty(), "no steps");
    for (std::size_t i = 0; i < plan->steps.size(); ++i) {
        const PlanStep &step = plan->steps[i];
        check(!step.weight.isZero() && step.weight.tenths() < 1000, "weight outside (0, 100)");
        check(i == 0 || plan->steps[i - 1].weight < step.weight, "weights not increasing");
        check(step.bake >= plan->interval && step.bake.count() > 0, "bake under the interval");
        check(step.minimumRequests >= 0, "negative minimum");
    }
    check(plan->judge.alpha > 0 && plan->judge.alpha < 1, "alpha outside (0, 1)");
    check(plan->interval.count() >= 100, "interval under 0.1 s");
    std::set<std::string> names;
    for (const auto &gate : plan->judge.gates) {
        check(names.insert(gate.name).second, "two gates of one name");
        check(gate.tolerance >= 0 && gate.floor >= 0 && gate.floor <= 1, "tolerance or floor");
        check(gate.alphaShare >= 0, "negative alpha share");
        for (double q : gate.tailQuantiles)
            check(q > 0 && q < 1, "quantile outside (0, 1)");
    }
    check(!plan->judge.gates.empty(), "no gates");
    check(plan->maxExtensions >= 0, "negative extensions");
    return 0;
}
