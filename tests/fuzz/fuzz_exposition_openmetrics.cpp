// The strict OpenMetrics 1.0 parser (scrapes from any configured target are untrusted).
#include "expositioncheck.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    checkExposition(data, size, canary::metrics::ExpositionFormat::OpenMetrics);
    return 0;
}
