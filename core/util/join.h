#pragma once

#include <initializer_list>
#include <string>
#include <string_view>

namespace canary {

// Concatenates pieces into one sentence. Used instead of chained `+` on std::string, which GCC
// 12's optimiser misreads (-Wrestrict) when a literal comes first.
inline std::string join(std::initializer_list<std::string_view> parts)
{
    std::string out;
    std::size_t size = 0;
    for (std::string_view part : parts)
        size += part.size();
    out.reserve(size);
    for (std::string_view part : parts)
        out += part;
    return out;
}

// join("a", b, "c"): the same without braces.
template<typename... Parts>
requires(sizeof...(Parts) >= 2) std::string join(const Parts &...parts)
{
    return join({std::string_view(parts)...});
}

} // namespace canary
