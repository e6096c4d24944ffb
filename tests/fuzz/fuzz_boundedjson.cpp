// canary::parseBoundedJson, the one reader of untrusted JSON (request bodies, upstream answers,
// configs, backend answers). Checked against nlohmann_json's own parser where both apply.
#include "util/boundedjson.h"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

namespace {

[[noreturn]] void fail(const char *what, std::string_view text)
{
    std::fprintf(stderr, "%s (input of %zu bytes)\n", what, text.size());
    std::abort();
}

std::size_t depthOf(const nlohmann::json &value, std::size_t limit)
{
    if (!value.is_structured() || limit == 0)
        return 0;
    std::size_t deepest = 0;
    for (const auto &child : value)
        deepest = std::max(deepest, depthOf(child, limit - 1));
    return deepest + 1;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    if (size == 0)
        return 0;
    // The first byte picks the options, so both settings and small limits get explored.
    canary::JsonParseOptions options;
    options.refuseDuplicateKeys = (data[0] & 0x80) != 0;
    options.maxDepth = (data[0] & 0x40) ? canary::kMaxJsonDepth : (data[0] & 0x0f);
    const std::string_view text(reinterpret_cast<const char *>(data + 1), size - 1);

    canary::JsonParseError error;
    const auto value = canary::parseBoundedJson(text, &error, options);
    if (!value) {
        if (error.message.empty() || error.reason.empty())
            fail("refused without a message", text);
        if (error.byte < 1 || error.line < 1 || error.column < 1)
            fail("refused without a place", text);
        if (error.byte > std::max<std::size_t>(text.size(), 1))
            fail("error place beyond the end of the input", text);
        if (error.message.find(error.reason) != 0)
            fail("message does not start with the reason", text);
        const bool depth = error.reason.rfind("JSON nested deeper than", 0) == 0;
        const bool duplicate = error.reason.find("appears twice") != std::string::npos;
        // Anything else is a syntax or range error: nlohmann must refuse the text too. (Its own
        // parser is only safe to run here because libFuzzer inputs are a few KB.)
        if (!depth && !duplicate &&
            !nlohmann::json::parse(text.begin(), text.end(), nullptr, false).is_discarded())
            fail("refused a document nlohmann_json accepts", text);
        return 0;
    }
    if (depthOf(*value, options.maxDepth + 2) > options.maxDepth)
        fail("accepted a document deeper than the limit", text);
    // Accepted: nlohmann reads the same document, and it survives a round trip.
    const auto reference = nlohmann::json::parse(text.begin(), text.end(), nullptr, false);
    if (reference.is_discarded())
        fail("accepted a document nlohmann_json refuses", text);
    if (!options.refuseDuplicateKeys && reference != *value)
        fail("a different document than nlohmann_json's", text);
    const auto dumped = value->dump();
    const auto again = canary::parseBoundedJson(dumped, nullptr, options);
    if (!again || *again != *value)
        fail("does not survive dump and parse", text);
    return 0;
}
