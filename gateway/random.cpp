#include "random.h"

#include "router.h"

#include <cmath>
#include <numbers>

namespace canary::gateway {

std::uint64_t Random::next()
{
    m_state += 0x9e3779b97f4a7c15ULL;
    return Router::mix(m_state);
}

double Random::uniform()
{
    return double(next() >> 11) * 0x1.0p-53;
}

double Random::normal()
{
    // Box-Muller; 1 - uniform() is in (0, 1], so the logarithm is finite.
    const double u1 = 1.0 - uniform();
    const double u2 = uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
}

} // namespace canary::gateway
