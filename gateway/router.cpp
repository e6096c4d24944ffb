#include "router.h"

namespace canary::gateway {

std::uint64_t Router::mix(std::uint64_t x)
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    x ^= x >> 31;
    return x;
}

std::uint64_t Router::hash(std::string_view salt, std::string_view key)
{
    std::uint64_t h = 0xcbf29ce484222325ULL;
    auto feed = [&h](std::string_view text) {
        for (unsigned char c : text) {
            h ^= c;
            h *= 0x100000001b3ULL;
        }
    };
    feed(salt);
    feed(key);
    return mix(h);
}

int Router::bucket(std::string_view key) const
{
    return int(hash(m_salt, key) % kBuckets);
}

} // namespace canary::gateway
