#pragma once

#include "domain/weight.h"

#include <cstdint>
#include <string>
#include <string_view>

namespace canary::gateway {

// Sticky assignment of request keys to the canary. A key lands in one of 1000 buckets,
// hash(salt + key) mod 1000, and goes to the canary exactly when its bucket is below the canary
// weight in tenths of a percent. Raising the weight therefore only ever adds keys to the canary.
class Router final
{
public:
    static constexpr int kBuckets = 1000;

    explicit Router(std::string salt)
        : m_salt(std::move(salt))
    {}

    int bucket(std::string_view key) const;
    bool routesToCanary(std::string_view key, Weight canaryWeight) const
    {
        return bucket(key) < canaryWeight.tenths();
    }
    // For requests without a key: `randomBits` is a uniformly random 64-bit number.
    static bool routesToCanary(std::uint64_t randomBits, Weight canaryWeight)
    {
        return int(randomBits % kBuckets) < canaryWeight.tenths();
    }

    // FNV-1a 64 followed by the splitmix64 finaliser, so that similar keys spread evenly.
    static std::uint64_t hash(std::string_view salt, std::string_view key);
    static std::uint64_t mix(std::uint64_t x);

private:
    std::string m_salt;
};

} // namespace canary::gateway
