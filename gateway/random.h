#pragma once

#include <cstdint>

namespace canary::gateway {

// A small, fast pseudo-random generator (splitmix64). One is derived per request from the seed
// and the request's sequence number, so a run is reproducible whatever the thread interleaving.
class Random final
{
public:
    explicit Random(std::uint64_t seed)
        : m_state(seed)
    {}
    std::uint64_t next();
    double uniform(); // [0, 1)
    double normal();  // standard normal

private:
    std::uint64_t m_state;
};

} // namespace canary::gateway
