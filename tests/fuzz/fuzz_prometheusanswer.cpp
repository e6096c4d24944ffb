// A Prometheus HTTP API answer as the console reads it (/api/v1/query, /api/v1/query_range):
// whatever the server sends, parseApiAnswer gives series or a failure that says why.
#include "backends/prometheus/prometheusapi.h"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    using namespace canary;
    HttpResponse response;
    response.status = size > 0 && data[0] % 7 == 0 ? 400 : 200; // 4xx answers carry errors too
    response.headers = {{"content-type", "application/json"}};
    response.body.assign(reinterpret_cast<const char *>(data), size);

    const prometheus::ApiAnswer answer = prometheus::parseApiAnswer(response);
    if (!answer.ok()) {
        if (answer.detail.empty()) {
            std::fprintf(stderr, "an answer refused without a reason\n");
            std::abort();
        }
        return 0;
    }
    if (answer.resultType.empty()) {
        std::fprintf(stderr, "an accepted answer without a result type\n");
        std::abort();
    }
    for (const prometheus::Series &series : answer.series) {
        if (answer.resultType != "matrix" && series.points.size() != 1) {
            std::fprintf(stderr, "a vector or scalar series without exactly one point\n");
            std::abort();
        }
    }
    return 0;
}
