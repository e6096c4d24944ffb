#pragma once

#include "metrics/expositionparser.h"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

// What parseExposition promises whatever the input: it returns (no exception, no crash) and
// every error has a 1-based line and column and a message.
inline void checkExposition(const std::uint8_t *data, std::size_t size,
                            canary::metrics::ExpositionFormat format)
{
    const std::string_view text(reinterpret_cast<const char *>(data), size);
    const auto exposition = canary::metrics::parseExposition(text, format);
    for (const auto &error : exposition.errors) {
        if (error.line < 1 || error.column < 1 || error.message.empty()) {
            std::fprintf(stderr, "error without a place or message: line %d column %d \"%s\"\n",
                         error.line, error.column, error.message.c_str());
            std::abort();
        }
    }
}
