// The Control API rollout document as the console and canaryctl read it from a backend:
// parseBoundedJson, then rolloutStateFromJson. What it accepts must survive toJson and back.
#include "domain/rolloutstate.h"
#include "util/boundedjson.h"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    const std::string_view text(reinterpret_cast<const char *>(data), size);
    const auto document = canary::parseBoundedJson(text);
    if (!document)
        return 0;
    std::string error;
    const auto state = canary::rolloutStateFromJson(*document, &error);
    if (!state) {
        if (error.empty()) {
            std::fprintf(stderr, "refused without a reason\n");
            std::abort();
        }
        return 0;
    }
    std::string again;
    const auto reread = canary::rolloutStateFromJson(canary::toJson(*state), &again);
    if (!reread || !(*reread == *state)) {
        std::fprintf(stderr, "an accepted state does not survive toJson: %s\n", again.c_str());
        std::abort();
    }
    return 0;
}
