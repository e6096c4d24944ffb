// canary-gateway --config FILE: parseGatewayConfig must return a config or an error, never throw,
// and what it accepts must be usable (ordered percentiles, weights within 0-100 %).
#include "gatewayconfig.h"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace {

void check(bool condition, const char *what)
{
    if (!condition) {
        std::fprintf(stderr, "accepted config is not usable: %s\n", what);
        std::abort();
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    using namespace canary::gateway;
    const std::string_view text(reinterpret_cast<const char *>(data), size);
    std::string error;
    const auto config = parseGatewayConfig(text, "fuzz.json", &error);
    if (!config) {
        check(error.rfind("fuzz.json:", 0) == 0, "error without the source name");
        return 0;
    }
    const auto usable = [](const VariantSettings &v) {
        return !v.model.empty() && !v.version.empty() &&
               v.simulate.latencyP99Ms >= v.simulate.latencyP50Ms && v.timeoutMs > 0;
    };
    check(usable(config->production), "production");
    check(!config->canary || usable(*config->canary), "canary");
    check(config->canaryWeight.tenths() >= 0 && config->canaryWeight.tenths() <= 1000, "weight");
    check(config->feedback.capacity >= 1, "feedback.capacity");
    return 0;
}
