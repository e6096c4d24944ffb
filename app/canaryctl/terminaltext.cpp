#include "terminaltext.h"

#include <cstdint>
#include <cstdio>

namespace canary::ctl {

namespace {

bool isBidiControl(char32_t c)
{
    return c == 0x061C || c == 0x200E || c == 0x200F || (c >= 0x202A && c <= 0x202E) ||
           (c >= 0x2066 && c <= 0x2069);
}

// Decodes one UTF-8 sequence at text[pos]; returns its length, or 0 when it is not valid UTF-8
// (bad lead byte, missing continuation, overlong form, surrogate, beyond U+10FFFF).
std::size_t decodeUtf8(std::string_view text, std::size_t pos, char32_t &out)
{
    const auto byte = [&](std::size_t i) {
        return static_cast<unsigned char>(text[i]);
    };
    const unsigned char lead = byte(pos);
    std::size_t length;
    char32_t c;
    char32_t minimum;
    if (lead < 0x80) {
        out = lead;
        return 1;
    } else if ((lead & 0xE0) == 0xC0) {
        length = 2, c = lead & 0x1F, minimum = 0x80;
    } else if ((lead & 0xF0) == 0xE0) {
        length = 3, c = lead & 0x0F, minimum = 0x800;
    } else if ((lead & 0xF8) == 0xF0) {
        length = 4, c = lead & 0x07, minimum = 0x10000;
    } else {
        return 0;
    }
    if (pos + length > text.size())
        return 0;
    for (std::size_t i = 1; i < length; ++i) {
        if ((byte(pos + i) & 0xC0) != 0x80)
            return 0;
        c = (c << 6) | (byte(pos + i) & 0x3F);
    }
    if (c < minimum || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
        return 0;
    out = c;
    return length;
}

// Walks `text`, calling keep(pos, length) for printable runs and escape(text) for replacements.
template<typename Keep, typename Escape> void scan(std::string_view text, Keep keep, Escape escape)
{
    char buf[16];
    std::size_t pos = 0;
    while (pos < text.size()) {
        char32_t c = 0;
        const std::size_t length = decodeUtf8(text, pos, c);
        if (length == 0) {
            std::snprintf(buf, sizeof buf, "\\x%02x", static_cast<unsigned char>(text[pos]));
            escape(buf);
            ++pos;
        } else if (c < 0x20 || c == 0x7F) {
            std::snprintf(buf, sizeof buf, "\\x%02x", static_cast<unsigned>(c));
            escape(buf);
            pos += length;
        } else if ((c >= 0x80 && c <= 0x9F) || isBidiControl(c)) {
            std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(c));
            escape(buf);
            pos += length;
        } else {
            keep(pos, length);
            pos += length;
        }
    }
}

} // namespace

std::string terminalSafe(std::string_view text)
{
    std::string out;
    out.reserve(text.size());
    scan(
        text, [&](std::size_t pos, std::size_t length) { out.append(text.substr(pos, length)); },
        [&](const char *escaped) { out += escaped; });
    return out;
}

bool isTerminalSafe(std::string_view text)
{
    bool safe = true;
    scan(
        text, [](std::size_t, std::size_t) {}, [&](const char *) { safe = false; });
    return safe;
}

bool isTerminalSafeJson(std::string_view json)
{
    std::size_t start = 0;
    while (start <= json.size()) {
        const std::size_t end = json.find_first_of("\t\n\r", start);
        if (!isTerminalSafe(json.substr(start, end == std::string_view::npos ? end : end - start)))
            return false;
        if (end == std::string_view::npos)
            break;
        start = end + 1;
    }
    return true;
}

} // namespace canary::ctl
