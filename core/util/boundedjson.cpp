#include "util/boundedjson.h"

#include <algorithm>
#include <iterator>
#include <vector>

namespace canary {

namespace {

using nlohmann::json;

constexpr std::size_t kMaxPathBytes = 256;

// A char iterator that counts the bytes the parser has consumed, so the SAX handler (which is
// told no positions) can say where a problem is.
class CountingIterator
{
public:
    using iterator_category = std::input_iterator_tag;
    using value_type = char;
    using difference_type = std::ptrdiff_t;
    using pointer = const char *;
    using reference = const char &;

    CountingIterator(const char *at, std::size_t *consumed)
        : m_at(at)
        , m_consumed(consumed)
    {}

    reference operator*() const { return *m_at; }
    CountingIterator &operator++()
    {
        ++m_at;
        ++*m_consumed;
        return *this;
    }
    CountingIterator operator++(int)
    {
        auto before = *this;
        ++*this;
        return before;
    }
    bool operator==(const CountingIterator &other) const { return m_at == other.m_at; }
    bool operator!=(const CountingIterator &other) const { return m_at != other.m_at; }

private:
    const char *m_at;
    std::size_t *m_consumed;
};

// Builds the document like nlohmann's own DOM parser, but refuses to open a container beyond the
// depth limit (and, if asked, a key an object already has) before anything is built there.
class BoundedBuilder final
{
public:
    BoundedBuilder(std::string_view text, const JsonParseOptions &options)
        : m_text(text)
        , m_options(options)
    {}

    std::size_t consumed = 0; // advanced by CountingIterator
    json root;
    JsonParseError error;

    bool null() { return add(nullptr) != nullptr; }
    bool boolean(bool value) { return add(value) != nullptr; }
    bool number_integer(json::number_integer_t value) { return add(value) != nullptr; }
    bool number_unsigned(json::number_unsigned_t value) { return add(value) != nullptr; }
    bool number_float(json::number_float_t value, const json::string_t &)
    {
        return add(value) != nullptr;
    }
    bool string(json::string_t &value) { return add(std::move(value)) != nullptr; }
    bool binary(json::binary_t &value) { return add(json::binary(std::move(value))) != nullptr; }

    bool start_object(std::size_t) { return open(json::object()); }
    bool start_array(std::size_t) { return open(json::array()); }
    bool end_object() { return close(); }
    bool end_array() { return close(); }

    bool key(json::string_t &name)
    {
        json &object = *m_open.back();
        if (m_options.refuseDuplicateKeys && object.contains(name)) {
            m_keys.back() = name;
            fail(consumed, "JSON key \"" + name + "\" appears twice in the same object");
            return false;
        }
        m_keys.back() = name;
        m_element = &object[name];
        return true;
    }

    bool parse_error(std::size_t position, const std::string &lastToken,
                     const nlohmann::detail::exception &e)
    {
        // out_of_range 406: a number beyond a double. `position` is its last byte; say where it
        // starts, as an editor would.
        if (e.id == 406)
            fail(position + 1 - std::min(position, lastToken.size()),
                 "JSON number " + lastToken + " is too large to represent");
        else
            fail(position, "JSON syntax error: " + nlohmannDetail(e.what()));
        return false;
    }

private:
    // Puts a value where the parser is (the top level, the next array element or the value of
    // the last key) and returns where it now lives.
    template<typename Value> json *add(Value &&value)
    {
        if (m_open.empty()) {
            root = json(std::forward<Value>(value));
            return &root;
        }
        json &parent = *m_open.back();
        if (parent.is_array()) {
            parent.emplace_back(std::forward<Value>(value));
            return &parent.back();
        }
        *m_element = json(std::forward<Value>(value));
        return m_element;
    }

    bool open(json empty)
    {
        if (m_open.size() >= m_options.maxDepth) {
            fail(consumed,
                 "JSON nested deeper than " + std::to_string(m_options.maxDepth) + " levels");
            return false;
        }
        json *container = add(std::move(empty));
        m_open.push_back(container);
        m_keys.emplace_back();
        return true;
    }

    bool close()
    {
        m_open.pop_back();
        m_keys.pop_back();
        return true;
    }

    // nlohmann's what() is "[json.exception.parse_error.101] parse error at line 1, column 2:
    // syntax error while parsing value - <detail>": keep the detail, the place is given anyway.
    static std::string nlohmannDetail(const std::string &what)
    {
        auto text = std::string_view(what);
        if (const auto bracket = text.find("] "); bracket != std::string_view::npos)
            text.remove_prefix(bracket + 2);
        if (const auto colon = text.find(": "); colon != std::string_view::npos)
            text.remove_prefix(colon + 2);
        if (const auto dash = text.find(" - "); dash != std::string_view::npos)
            text.remove_prefix(dash + 3);
        return std::string(text);
    }

    std::string currentPath() const
    {
        std::string path;
        for (std::size_t level = 0; level < m_open.size(); ++level) {
            const json &container = *m_open[level];
            const bool innermost = level + 1 == m_open.size();
            if (container.is_array()) {
                // Below the innermost level the element being read is the last one; at the
                // innermost level it is the one about to be added.
                const auto size = container.size();
                const auto index = innermost || size == 0 ? size : size - 1;
                // Appended piece by piece: "[" + std::string&& makes GCC 12 at -O2 warn about
                // an overlapping memcpy in basic_string::insert (false positive, GCC bug 105329).
                path += '[';
                path += std::to_string(index);
                path += ']';
            } else if (m_keys[level]) {
                if (!path.empty())
                    path += '.';
                path += *m_keys[level];
            }
        }
        return path;
    }

    void fail(std::size_t byte, const std::string &what)
    {
        byte = std::min(std::max<std::size_t>(byte, 1), std::max<std::size_t>(m_text.size(), 1));
        std::size_t line = 1;
        std::size_t lineStart = 0;
        for (std::size_t i = 0; i + 1 < byte && i < m_text.size(); ++i) {
            if (m_text[i] == '\n') {
                ++line;
                lineStart = i + 1;
            }
        }
        error.byte = byte;
        error.line = line;
        error.column = byte - lineStart;
        error.reason = what;
        error.path = currentPath();
        // A path through 64 levels of long keys could be huge; the start names the place.
        if (error.path.size() > kMaxPathBytes)
            error.path = error.path.substr(0, kMaxPathBytes - 3) + "...";
        error.message = what + " at byte " + std::to_string(byte) + " (line " +
                        std::to_string(line) + ", column " + std::to_string(error.column) + ")";
        if (!error.path.empty())
            error.message += " in " + error.path;
    }

    std::string_view m_text;
    const JsonParseOptions &m_options;
    std::vector<json *> m_open; // the containers being filled, outermost first
    // Per open container: the last key read (objects only; none before the first key).
    std::vector<std::optional<std::string>> m_keys;
    json *m_element = nullptr; // where the value after the last key goes
};

} // namespace

std::optional<json> parseBoundedJson(std::string_view text, JsonParseError *error,
                                     const JsonParseOptions &options)
{
    BoundedBuilder builder(text, options);
    const char *begin = text.data();
    const char *end = begin + text.size();
    bool ok = false;
    try {
        ok = json::sax_parse(CountingIterator(begin, &builder.consumed),
                             CountingIterator(end, &builder.consumed), &builder);
    } catch (const json::exception &e) {
        // Not expected (the handler receives every parse error) but never let one escape.
        builder.error.reason = std::string("JSON could not be read: ") + e.what();
        builder.error.message = builder.error.reason;
        ok = false;
    }
    if (ok)
        return std::move(builder.root);
    if (error)
        *error = std::move(builder.error);
    return std::nullopt;
}

} // namespace canary
