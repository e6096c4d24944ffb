// HAProxy's runtime API answers as the console reads them from a stats socket: `show stat` CSV
// (then one server's counters), `get weight`, and the weight mapping. Whatever the socket says, the
// readers give a table or an error sentence, and what they accept is sane.
#include "backends/haproxy/haproxystat.h"

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace {

[[noreturn]] void fail(const char *what)
{
    std::fprintf(stderr, "%s\n", what);
    std::abort();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    using namespace canary::haproxy;
    const std::string_view text(reinterpret_cast<const char *>(data), size);

    std::string error;
    const auto table = parseShowStat(text, &error);
    if (!table) {
        if (error.empty())
            fail("show stat refused without a reason");
    } else {
        for (const StatRow &row : table->rows) {
            if (row.fields.size() > table->header.size())
                fail("a row has more fields than the header");
            std::string why;
            const auto counters = serverCounters(*table, row.proxy(), row.server(), &why);
            if (!counters) {
                if (why.empty())
                    fail("server counters refused without a reason");
                continue;
            }
            for (const auto &figure : {counters->requests, counters->errors5xx, counters->weight,
                                       counters->rtimeMs, counters->ttimeMs}) {
                if (figure && (!std::isfinite(*figure) || *figure < 0))
                    fail("a counter is negative or not finite");
            }
        }
    }

    if (const auto weight = parseGetWeight(text); weight && (*weight < 0 || *weight > 256))
        fail("get weight accepted a weight outside 0-256");

    // The mapping of every share the input can name: weights in range, the share read back close.
    if (size >= 2) {
        const int tenths = (data[0] << 8 | data[1]) % 1001;
        const auto share = canary::Weight::fromTenths(tenths);
        const ServerWeights weights = weightsForShare(share);
        if (weights.production < 0 || weights.canary < 0 || weights.production > 256 ||
            weights.canary > 256 || weights.production + weights.canary != 256)
            fail("weights for a share are out of range or do not add up to 256");
        const auto back = shareOfWeights(weights.production, weights.canary);
        if (!back || std::abs(back->tenths() - tenths) > 2)
            fail("the share read back from the weights is more than 0.2 % off");
    }
    return 0;
}
