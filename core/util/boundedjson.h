#pragma once

#include <nlohmann/json.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace canary {

// Deep enough for every document the project reads or writes (a rollout document is 3 levels,
// a gateway config 4); shallow enough that copying, dumping or destroying a value never comes
// near the stack limit of any thread.
inline constexpr std::size_t kMaxJsonDepth = 64;

struct JsonParseOptions
{
    // Containers ([ or {) that may be open at once; a scalar at the top level is depth 0.
    std::size_t maxDepth = kMaxJsonDepth;
    // RFC 8259 leaves duplicate keys to the reader; nlohmann keeps the last. Refuse them where a
    // second key could hide the first (configs, control requests).
    bool refuseDuplicateKeys = false;
};

struct JsonParseError
{
    // One sentence without the final period, with the place, e.g. "JSON nested deeper than 64
    // levels at byte 1234 (line 1, column 1234)".
    std::string message;
    // The problem alone, without the place, e.g. "JSON nested deeper than 64 levels".
    std::string reason;
    // Where in the document the problem is, e.g. "production.simulate.latency_p50_ms" or
    // "scenario[2]"; empty at the top level or when the text is not JSON up to there.
    std::string path;
    std::size_t byte = 0; // 1-based offset of the byte the problem was found at
    std::size_t line = 0; // 1-based
    std::size_t column = 0;
};

// Parses untrusted JSON text. Nesting is counted while parsing and parsing stops at the first
// container deeper than options.maxDepth, so a hostile document is never built (nlohmann_json
// copies and serialises recursively: 100,000 nested arrays overflow the stack). Numbers too large
// for a double, invalid UTF-8, trailing garbage and (optionally) duplicate keys are refused too.
// Never throws a json exception; returns nullopt and fills `error` (if given) on any problem.
std::optional<nlohmann::json> parseBoundedJson(std::string_view text,
                                               JsonParseError *error = nullptr,
                                               const JsonParseOptions &options = {});

} // namespace canary
