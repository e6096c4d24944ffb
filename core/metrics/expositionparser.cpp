#include "metrics/expositionparser.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <limits>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

namespace canary::metrics {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr std::size_t kMaxExemplarLabelChars = 128;

// ---------------------------------------------------------------------------------------------
// Characters

enum CharClass : unsigned char {
    MetricStart = 1,
    MetricChar = 2,
    LabelStart = 4,
    LabelChar = 8,
    Digit = 16,
};

constexpr std::array<unsigned char, 256> makeCharClasses()
{
    std::array<unsigned char, 256> table{};
    for (int c = 0; c < 256; ++c) {
        unsigned char v = 0;
        const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
        if (alpha || c == '_')
            v |= MetricStart | MetricChar | LabelStart | LabelChar;
        if (c == ':')
            v |= MetricStart | MetricChar;
        if (c >= '0' && c <= '9')
            v |= MetricChar | LabelChar | Digit;
        table[std::size_t(c)] = v;
    }
    return table;
}

constexpr std::array<unsigned char, 256> kCharClasses = makeCharClasses();

inline bool hasClass(char c, CharClass cls)
{
    return (kCharClasses[static_cast<unsigned char>(c)] & cls) != 0;
}

inline bool isBlank(char c)
{
    return c == ' ' || c == '\t';
}

inline const char *skipBlanks(const char *p, const char *end)
{
    while (p < end && isBlank(*p))
        ++p;
    return p;
}

inline const char *scanWhile(const char *p, const char *end, CharClass cls)
{
    while (p < end && hasClass(*p, cls))
        ++p;
    return p;
}

bool equalsIgnoreCase(std::string_view s, std::string_view lower)
{
    if (s.size() != lower.size())
        return false;
    for (std::size_t i = 0; i < s.size(); ++i) {
        char c = s[i];
        if (c >= 'A' && c <= 'Z')
            c = char(c - 'A' + 'a');
        if (c != lower[i])
            return false;
    }
    return true;
}

bool isValidUtf8(std::string_view s)
{
    const auto *p = reinterpret_cast<const unsigned char *>(s.data());
    const auto *end = p + s.size();
    while (p < end) {
        const unsigned char c = *p;
        if (c < 0x80) {
            ++p;
            continue;
        }
        int more = 0;
        std::uint32_t cp = 0;
        if (c >= 0xC2 && c <= 0xDF) {
            more = 1;
            cp = c & 0x1F;
        } else if (c >= 0xE0 && c <= 0xEF) {
            more = 2;
            cp = c & 0x0F;
        } else if (c >= 0xF0 && c <= 0xF4) {
            more = 3;
            cp = c & 0x07;
        } else {
            return false;
        }
        if (end - p <= more)
            return false;
        for (int i = 1; i <= more; ++i) {
            if ((p[i] & 0xC0) != 0x80)
                return false;
            cp = (cp << 6) | (p[i] & 0x3F);
        }
        if (more == 2 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF)))
            return false;
        if (more == 3 && (cp < 0x10000 || cp > 0x10FFFF))
            return false;
        p += more + 1;
    }
    return true;
}

std::size_t codePointCount(std::string_view s)
{
    std::size_t n = 0;
    for (char c : s) {
        if ((static_cast<unsigned char>(c) & 0xC0) != 0x80)
            ++n;
    }
    return n;
}

// A piece of untrusted input made safe and short enough for an error message.
std::string quote(std::string_view s)
{
    constexpr std::size_t kMaxShown = 60;
    const bool truncated = s.size() > kMaxShown;
    if (truncated)
        s = s.substr(0, kMaxShown);
    const bool escapeHigh = !isValidUtf8(s);
    std::string out;
    out.reserve(s.size() + 8);
    out += '"';
    for (char ch : s) {
        const auto c = static_cast<unsigned char>(ch);
        if (c == '"' || c == '\\') {
            out += '\\';
            out += ch;
        } else if (c == '\n') {
            out += "\\n";
        } else if (c == '\t') {
            out += "\\t";
        } else if (c < 0x20 || c == 0x7F || (c >= 0x80 && escapeHigh)) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\x%02x", unsigned(c));
            out += buf;
        } else {
            out += ch;
        }
    }
    out += '"';
    if (truncated)
        out += "...";
    return out;
}

// What was found at p, for "expected X, found Y" messages.
std::string describeAt(const char *p, const char *end)
{
    if (p >= end)
        return "end of line";
    const auto c = static_cast<unsigned char>(*p);
    if (c == ' ')
        return "a space";
    if (c == '\t')
        return "a tab";
    if (c < 0x20 || c >= 0x7F) {
        char buf[16];
        std::snprintf(buf, sizeof buf, "byte 0x%02x", unsigned(c));
        return buf;
    }
    return std::string("'") + *p + "'";
}

// ---------------------------------------------------------------------------------------------
// Numbers

// from_chars reports out-of-range without a value: decide between overflow and underflow from
// the decimal exponent of the first significant digit. s is an already validated real number.
double saturatedValue(std::string_view s)
{
    std::size_t i = 0;
    const std::size_t n = s.size();
    long long firstDigitExponent = 0;
    bool significant = false;
    const std::size_t intStart = i;
    while (i < n && hasClass(s[i], Digit))
        ++i;
    for (std::size_t k = intStart; k < i; ++k) {
        if (s[k] != '0') {
            firstDigitExponent = static_cast<long long>(i - k) - 1;
            significant = true;
            break;
        }
    }
    if (i < n && s[i] == '.') {
        const std::size_t fracStart = ++i;
        while (i < n && hasClass(s[i], Digit))
            ++i;
        for (std::size_t k = fracStart; !significant && k < i; ++k) {
            if (s[k] != '0') {
                firstDigitExponent = -static_cast<long long>(k - fracStart + 1);
                significant = true;
            }
        }
    }
    if (!significant)
        return 0.0;
    long long exponent = 0;
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        ++i;
        bool negative = false;
        if (i < n && (s[i] == '+' || s[i] == '-'))
            negative = s[i++] == '-';
        for (; i < n; ++i)
            exponent = std::min(exponent * 10 + (s[i] - '0'), 1'000'000'000LL);
        if (negative)
            exponent = -exponent;
    }
    return firstDigitExponent + exponent > 0 ? kInf : 0.0;
}

// The float grammar shared by both formats: [sign] digits [. digits] [e [sign] digits], or
// [sign] Inf/Infinity, or NaN (case-insensitive). No hex, no '_', no surrounding blanks.
// allowSpecial=false accepts real numbers only (OpenMetrics timestamps).
bool parseNumber(std::string_view token, double &out, bool allowSpecial = true)
{
    if (token.empty())
        return false;
    bool negative = false;
    std::string_view s = token;
    if (s[0] == '+' || s[0] == '-') {
        negative = s[0] == '-';
        s.remove_prefix(1);
        if (s.empty())
            return false;
    }
    if (s[0] == 'i' || s[0] == 'I') {
        if (!allowSpecial || !(equalsIgnoreCase(s, "inf") || equalsIgnoreCase(s, "infinity")))
            return false;
        out = negative ? -kInf : kInf;
        return true;
    }
    if (s[0] == 'n' || s[0] == 'N') {
        if (!allowSpecial || s.size() != token.size() || !equalsIgnoreCase(s, "nan"))
            return false;
        out = kNaN;
        return true;
    }

    const std::size_t n = s.size();
    std::size_t i = 0;
    std::uint64_t mantissa = 0;
    while (i < n && hasClass(s[i], Digit)) {
        mantissa = mantissa * 10 + std::uint64_t(s[i] - '0');
        ++i;
    }
    const std::size_t intDigits = i;
    if (i == n && intDigits <= 15) { // exact in a double: skip the general conversion
        out = negative ? -double(mantissa) : double(mantissa);
        return true;
    }
    std::size_t fracDigits = 0;
    if (i < n && s[i] == '.') {
        ++i;
        while (i < n && hasClass(s[i], Digit)) {
            ++i;
            ++fracDigits;
        }
    }
    if (intDigits + fracDigits == 0)
        return false;
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        ++i;
        if (i < n && (s[i] == '+' || s[i] == '-'))
            ++i;
        const std::size_t expStart = i;
        while (i < n && hasClass(s[i], Digit))
            ++i;
        if (i == expStart)
            return false;
    }
    if (i != n)
        return false;

    double value = 0;
    const auto result = std::from_chars(s.data(), s.data() + n, value, std::chars_format::general);
    if (result.ec == std::errc::result_out_of_range)
        value = saturatedValue(s);
    else if (result.ec != std::errc() || result.ptr != s.data() + n)
        return false;
    out = negative ? -value : value;
    return true;
}

// Go's strconv.ParseInt(s, 10, 64): [sign] digits, no overflow.
bool parseInt64(std::string_view token, std::int64_t &out)
{
    if (token.empty())
        return false;
    std::size_t start = 0;
    if (token[0] == '+')
        start = 1;
    const std::string_view digits = token.substr(start);
    const std::size_t firstDigit = (!digits.empty() && digits[0] == '-') ? 1 : 0;
    if (digits.size() <= firstDigit || !hasClass(digits[firstDigit], Digit) ||
        (start && firstDigit))
        return false;
    const auto result = std::from_chars(digits.data(), digits.data() + digits.size(), out);
    return result.ec == std::errc() && result.ptr == digits.data() + digits.size();
}

// ---------------------------------------------------------------------------------------------
// Escapes

enum class EscapeRules {
    Strict,  // 0.0.4: only \\, \" and \n exist
    Lenient, // OpenMetrics: any other backslash is kept as it is
};

void appendUnescaped(std::string &out, std::string_view raw)
{
    out.reserve(out.size() + raw.size());
    std::size_t i = 0;
    while (i < raw.size()) {
        const std::size_t backslash = raw.find('\\', i);
        if (backslash == std::string_view::npos || backslash + 1 == raw.size()) {
            out.append(raw.substr(i));
            return;
        }
        out.append(raw.substr(i, backslash - i));
        const char next = raw[backslash + 1];
        switch (next) {
        case 'n':
            out += '\n';
            break;
        case '\\':
        case '"':
            out += next;
            break;
        default: // only reachable with lenient rules
            out += '\\';
            out += next;
            break;
        }
        i = backslash + 2;
    }
}

struct RawLabel
{
    std::string_view name;
    std::string_view value; // as written between the quotes
    const char *nameAt = nullptr;
    const char *valueAt = nullptr;
    bool escaped = false;
};

void assignLabel(Label &label, const RawLabel &raw)
{
    label.name.assign(raw.name);
    if (raw.escaped)
        appendUnescaped(label.value, raw.value);
    else
        label.value.assign(raw.value);
}

std::string labelValue(const RawLabel &raw)
{
    std::string value;
    if (raw.escaped)
        appendUnescaped(value, raw.value);
    else
        value.assign(raw.value);
    return value;
}

// The first label whose name repeats an earlier one, or nullptr.
const RawLabel *findDuplicateLabel(const std::vector<RawLabel> &labels,
                                   std::vector<std::string_view> &scratch)
{
    const std::size_t n = labels.size();
    if (n <= 12) {
        for (std::size_t i = 1; i < n; ++i) {
            for (std::size_t j = 0; j < i; ++j) {
                if (labels[i].name == labels[j].name)
                    return &labels[i];
            }
        }
        return nullptr;
    }
    scratch.clear();
    for (const RawLabel &l : labels)
        scratch.push_back(l.name);
    std::sort(scratch.begin(), scratch.end());
    const auto dup = std::adjacent_find(scratch.begin(), scratch.end());
    if (dup == scratch.end())
        return nullptr;
    for (const RawLabel &l : labels) {
        if (l.name == *dup)
            return &l;
    }
    return nullptr;
}

// ---------------------------------------------------------------------------------------------
// OpenMetrics type tables

bool parseOpenMetricsType(std::string_view s, MetricType &type)
{
    static constexpr std::pair<std::string_view, MetricType> kTypes[] = {
        {"counter", MetricType::Counter},     {"gauge", MetricType::Gauge},
        {"histogram", MetricType::Histogram}, {"gaugehistogram", MetricType::GaugeHistogram},
        {"summary", MetricType::Summary},     {"info", MetricType::Info},
        {"stateset", MetricType::StateSet},   {"unknown", MetricType::Unknown},
    };
    for (const auto &[name, t] : kTypes) {
        if (s == name) {
            type = t;
            return true;
        }
    }
    return false;
}

// The sample-name suffixes a family of this type owns.
const std::vector<std::string_view> &suffixesOf(MetricType type)
{
    static const std::vector<std::string_view> kCounter{"_total", "_created"};
    static const std::vector<std::string_view> kSummary{"", "_count", "_sum", "_created"};
    static const std::vector<std::string_view> kHistogram{"_bucket", "_count", "_sum", "_created"};
    static const std::vector<std::string_view> kGaugeHistogram{"_bucket", "_gcount", "_gsum"};
    static const std::vector<std::string_view> kInfo{"_info"};
    static const std::vector<std::string_view> kPlain{""};
    switch (type) {
    case MetricType::Counter:
        return kCounter;
    case MetricType::Summary:
        return kSummary;
    case MetricType::Histogram:
        return kHistogram;
    case MetricType::GaugeHistogram:
        return kGaugeHistogram;
    case MetricType::Info:
        return kInfo;
    case MetricType::Unknown:
    case MetricType::Gauge:
    case MetricType::StateSet:
        break;
    }
    return kPlain;
}

bool isHistogramType(MetricType type)
{
    return type == MetricType::Histogram || type == MetricType::GaugeHistogram;
}

struct StringHash
{
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept
    {
        return std::hash<std::string_view>{}(s);
    }
};

// ---------------------------------------------------------------------------------------------
// The parser

struct RawSample
{
    std::string_view name;
    const char *nameAt = nullptr;
    std::vector<RawLabel> labels;
    double value = 0;
    const char *valueAt = nullptr;
    std::optional<double> timestamp;
    bool hasExemplar = false;
    const char *exemplarAt = nullptr;
    std::vector<RawLabel> exemplarLabels;
    double exemplarValue = 0;
    std::optional<double> exemplarTimestamp;

    void clear()
    {
        labels.clear();
        timestamp.reset();
        hasExemplar = false;
        exemplarLabels.clear();
        exemplarTimestamp.reset();
    }
};

// Per-family state of the 0.0.4 reader (parallel to Exposition::families).
struct TextFamilyState
{
    bool typeSet = false;
    bool helpSet = false;
};

// The running consistency checks of one histogram group (expfmt has none; OpenMetrics does).
struct HistogramGroup
{
    bool active = false;
    std::string key;
    std::optional<double> timestamp;
    int line = 0;
    std::optional<double> count;
    bool hasBucket = false;
    double bucket = 0;
    double lastBucketValue = 0;
    bool negativeBuckets = false;
    bool hasSum = false;
    bool hasGsum = false;
    bool negativeGsum = false;
};

// State of the OpenMetrics family being read; families are contiguous, so one is enough.
struct OpenMetricsFamily
{
    bool active = false;
    std::size_t index = 0;
    bool typed = false;
    bool helped = false;
    bool hasUnit = false;
    bool hasSamples = false;
    int unitLine = 0;
    int unitColumn = 0;
    bool hasGroup = false;
    std::string groupKey;
    std::optional<double> groupTimestamp;
    std::unordered_set<std::string> seenGroups;
    HistogramGroup histogram;
};

class Parser final
{
public:
    Parser(ExpositionFormat format, ParseOptions options)
        : m_format(format)
        , m_options(std::move(options))
    {}

    // Reads the lines in [p, end). Each must end with '\n' except, when `atEnd`, the last.
    void consume(const char *p, const char *end, bool atEnd);
    // Ends the input; `end` is where consume() stopped (its buffer still alive).
    Exposition finish(const char *end);
    bool stopped() const { return m_stopped; }

private:
    // Errors
    void error(const char *at, std::string message);
    void errorAt(int line, int column, std::string message);
    int columnOf(const char *at) const { return int(at - m_lineBegin) + 1; }

    // Prometheus text 0.0.4
    void textLine(const char *begin, const char *end);
    void textComment(const char *p, const char *end);
    void textSample(const char *p, const char *end);
    bool textLabels(const char *&p, const char *end, MetricType familyType);
    std::size_t textFamilyFor(std::string_view name);
    std::size_t textNewFamily(std::string_view name);

    // OpenMetrics 1.0
    void omLine(const char *begin, const char *end);
    void omMetadata(const char *begin, const char *end);
    void omSample(const char *begin, const char *end);
    bool omLabels(const char *&p, const char *end, std::vector<RawLabel> &labels);
    void omAcceptSample();
    enum class Claim { FamilyFromMetadata, FamilyFromSample, SampleName };
    void omStartFamily(std::string_view name, const char *at, Claim claim);
    void omFinishFamily();
    bool omFamilyAllows(std::string_view sampleName) const;
    void omClaim(const std::string &name, const char *at, Claim claim);
    void omGroupKey(const Sample &sample, std::string_view suffix, MetricType type,
                    std::string_view familyName);
    void omHistogramSample(std::string_view suffix, double value, double le, bool leValid,
                           const std::optional<double> &timestamp);
    void omHistogramCheck();

    Sample makeSample(const RawSample &raw) const;
    // Counts a sample against ParseOptions::maxSamples; false (and stops) beyond it.
    bool admitSample();
    void noteFamily();

    ExpositionFormat m_format;
    ParseOptions m_options;
    Exposition m_out;
    std::vector<bool> m_keepSamples; // parallel to m_out.families
    std::size_t m_samples = 0;
    bool m_endsWithNewline = false;
    bool m_stopped = false;
    int m_line = 0;
    const char *m_lineBegin = nullptr;
    RawSample m_sample;
    std::vector<std::string_view> m_dupScratch;

    // 0.0.4
    // Owned names: a streamed input's earlier lines are gone.
    std::unordered_map<std::string, std::size_t, StringHash, std::equal_to<>> m_textFamilies;
    std::vector<TextFamilyState> m_textStates;
    std::string m_lastSampleName;
    std::size_t m_lastSampleFamily = 0;
    bool m_haveLastSample = false;

    // OpenMetrics
    bool m_eofSeen = false;
    OpenMetricsFamily m_om;
    std::unordered_map<std::string, std::size_t, StringHash, std::equal_to<>> m_claims;
    std::string m_key;
    std::vector<std::size_t> m_keyOrder;
};

void Parser::consume(const char *p, const char *const end, bool atEnd)
{
    if (p < end)
        m_endsWithNewline = end[-1] == '\n';
    while (p < end && !m_stopped) {
        const auto *newline = static_cast<const char *>(std::memchr(p, '\n', std::size_t(end - p)));
        const char *lineEnd = newline ? newline : end;
        ++m_line;
        m_lineBegin = p;
        if (m_format == ExpositionFormat::OpenMetrics) {
            omLine(p, lineEnd);
        } else {
            const std::size_t errorsBefore = m_out.errors.size();
            textLine(p, lineEnd);
            // expfmt reads a line up to its '\n'; one cut short by the end of input is an error
            // unless it is only blanks.
            if (!newline && atEnd && !m_stopped && errorsBefore == m_out.errors.size() &&
                skipBlanks(p, lineEnd) != lineEnd) {
                error(lineEnd, "unexpected end of input: the last line must end with a newline");
            }
        }
        p = newline ? newline + 1 : end;
    }
}

Exposition Parser::finish(const char *end)
{
    if (m_format == ExpositionFormat::OpenMetrics && !m_stopped) {
        omFinishFamily();
        if (!m_eofSeen) {
            // Point just past the last byte: a new line if the input ends with one.
            if (m_line == 0 || m_endsWithNewline) {
                ++m_line;
                m_lineBegin = end;
            }
            error(end, "missing \"# EOF\": an OpenMetrics exposition must end with it");
        }
    }
    return std::move(m_out);
}

bool Parser::admitSample()
{
    if (m_options.maxSamples == 0 || ++m_samples <= m_options.maxSamples)
        return true;
    if (!m_stopped) {
        error(m_lineBegin, "more than " + std::to_string(m_options.maxSamples) +
                               " samples; at most " + std::to_string(m_options.maxSamples) +
                               " are read");
        m_out.tooManySamples = true;
        m_stopped = true;
    }
    return false;
}

// Called after a family is appended to m_out.families.
void Parser::noteFamily()
{
    const auto &keep = m_options.keepSamplesOf;
    m_keepSamples.push_back(!keep || keep(m_out.families.back().name));
}

void Parser::error(const char *at, std::string message)
{
    errorAt(m_line > 0 ? m_line : 1, columnOf(at), std::move(message));
}

void Parser::errorAt(int line, int column, std::string message)
{
    if (m_out.errors.size() >= kMaxParseErrors) {
        m_stopped = true;
        return;
    }
    m_out.errors.push_back(ParseError{line, column, std::move(message)});
    if (m_out.errors.size() >= kMaxParseErrors)
        m_stopped = true;
}

Sample Parser::makeSample(const RawSample &raw) const
{
    Sample sample;
    sample.name.assign(raw.name);
    sample.labels.resize(raw.labels.size());
    for (std::size_t i = 0; i < raw.labels.size(); ++i)
        assignLabel(sample.labels[i], raw.labels[i]);
    sample.value = raw.value;
    sample.timestampSeconds = raw.timestamp;
    if (raw.hasExemplar) {
        auto exemplar = std::make_shared<Exemplar>();
        exemplar->labels.resize(raw.exemplarLabels.size());
        for (std::size_t i = 0; i < raw.exemplarLabels.size(); ++i)
            assignLabel(exemplar->labels[i], raw.exemplarLabels[i]);
        exemplar->value = raw.exemplarValue;
        exemplar->timestampSeconds = raw.exemplarTimestamp;
        sample.exemplar = std::move(exemplar);
    }
    return sample;
}

// ---------------------------------------------------------------------------------------------
// Prometheus text 0.0.4

void Parser::textLine(const char *begin, const char *end)
{
    const char *p = skipBlanks(begin, end);
    if (p == end)
        return;
    if (*p == '#')
        textComment(p, end);
    else
        textSample(p, end);
}

std::size_t Parser::textNewFamily(std::string_view name)
{
    const std::size_t index = m_out.families.size();
    m_out.families.emplace_back().name.assign(name);
    noteFamily();
    m_textStates.emplace_back();
    m_textFamilies.emplace(std::string(name), index);
    return index;
}

// expfmt's setOrCreateCurrentMF: the exact name first, then foo_sum/foo_count of a summary foo,
// then foo_bucket/foo_sum/foo_count of a histogram foo, else a new family.
std::size_t Parser::textFamilyFor(std::string_view name)
{
    if (const auto it = m_textFamilies.find(name); it != m_textFamilies.end())
        return it->second;
    const auto baseOf = [&](std::string_view suffix) -> std::string_view {
        if (name.size() > suffix.size() && name.ends_with(suffix))
            return name.substr(0, name.size() - suffix.size());
        return {};
    };
    std::string_view base = baseOf("_count");
    if (base.empty())
        base = baseOf("_sum");
    if (!base.empty()) {
        if (const auto it = m_textFamilies.find(base); it != m_textFamilies.end()) {
            const MetricType type = m_out.families[it->second].type;
            if (type == MetricType::Summary || type == MetricType::Histogram)
                return it->second;
        }
    }
    base = baseOf("_bucket");
    if (!base.empty()) {
        if (const auto it = m_textFamilies.find(base); it != m_textFamilies.end()) {
            if (m_out.families[it->second].type == MetricType::Histogram)
                return it->second;
        }
    }
    return textNewFamily(name);
}

void Parser::textComment(const char *p, const char *end)
{
    ++p; // '#'
    p = skipBlanks(p, end);
    const char *keywordAt = p;
    while (p < end && !isBlank(*p))
        ++p;
    const std::string_view keyword(keywordAt, std::size_t(p - keywordAt));
    // A keyword alone on its line, or any other word, makes an ordinary comment.
    if (p == end || (keyword != "HELP" && keyword != "TYPE"))
        return;
    p = skipBlanks(p, end);
    const char *nameAt = p;
    if (p < end && hasClass(*p, MetricStart))
        p = scanWhile(p + 1, end, MetricChar);
    if (p == end)
        return;
    if (!isBlank(*p)) {
        error(p, "invalid metric name in " + std::string(keyword) + " comment: unexpected " +
                     describeAt(p, end));
        return;
    }
    const std::string_view name(nameAt, std::size_t(p - nameAt));
    const std::size_t index = textFamilyFor(name);
    p = skipBlanks(p, end);
    if (p == end)
        return;
    MetricFamily &family = m_out.families[index];
    TextFamilyState &state = m_textStates[index];

    if (keyword == "HELP") {
        if (state.helpSet) {
            error(keywordAt, "second HELP line for metric family " + quote(family.name));
            return;
        }
        // Validate the escapes first, then unescape in bulk.
        const std::string_view text(p, std::size_t(end - p));
        for (std::size_t i = text.find('\\'); i != std::string_view::npos;
             i = text.find('\\', i + 2)) {
            if (i + 1 == text.size()) {
                error(p + i, "HELP text ends in a lone backslash; write \\\\ for a backslash");
                return;
            }
            const char next = text[i + 1];
            if (next != 'n' && next != '\\' && next != '"') {
                error(p + i, "invalid escape sequence '\\" + std::string(1, next) +
                                 "' in HELP text; only \\\\, \\\" and \\n are allowed");
                return;
            }
        }
        std::string help;
        appendUnescaped(help, text);
        family.help = std::move(help);
        state.helpSet = true;
        return;
    }

    if (state.typeSet) {
        error(keywordAt, "second TYPE line for metric family " + quote(family.name) +
                             ", or TYPE after its samples");
        return;
    }
    const std::string_view typeName(p, std::size_t(end - p));
    static constexpr std::pair<std::string_view, MetricType> kTypes[] = {
        {"counter", MetricType::Counter},     {"gauge", MetricType::Gauge},
        {"histogram", MetricType::Histogram}, {"summary", MetricType::Summary},
        {"untyped", MetricType::Unknown},
    };
    for (const auto &[candidate, type] : kTypes) {
        if (equalsIgnoreCase(typeName, candidate)) {
            family.type = type;
            state.typeSet = true;
            return;
        }
    }
    error(p, "unknown metric type " + quote(typeName) +
                 "; expected counter, gauge, histogram, summary or untyped");
}

void Parser::textSample(const char *p, const char *end)
{
    RawSample &s = m_sample;
    s.clear();
    s.nameAt = p;
    if (!hasClass(*p, MetricStart)) {
        error(p,
              "invalid metric name: expected a letter, '_' or ':' but found " + describeAt(p, end));
        return;
    }
    p = scanWhile(p + 1, end, MetricChar);
    s.name = std::string_view(s.nameAt, std::size_t(p - s.nameAt));

    std::size_t index;
    if (m_haveLastSample && s.name == m_lastSampleName) {
        index = m_lastSampleFamily;
    } else {
        index = textFamilyFor(s.name);
        m_lastSampleName.assign(s.name);
        m_lastSampleFamily = index;
        m_haveLastSample = true;
    }
    m_textStates[index].typeSet = true; // a TYPE line after the first sample is an error
    const MetricType type = m_out.families[index].type;

    p = skipBlanks(p, end);
    if (p < end && *p == '{') {
        if (!textLabels(p, end, type))
            return;
    }

    s.valueAt = p;
    while (p < end && !isBlank(*p))
        ++p;
    const std::string_view valueToken(s.valueAt, std::size_t(p - s.valueAt));
    if (valueToken.empty()) {
        error(p, "expected a value after " + quote(s.name) + " but found " + describeAt(p, end));
        return;
    }
    if (!parseNumber(valueToken, s.value)) {
        error(s.valueAt, "expected a number as value, got " + quote(valueToken));
        return;
    }
    if (p < end) {
        p = skipBlanks(p, end);
        const char *timestampAt = p;
        while (p < end && !isBlank(*p))
            ++p;
        const std::string_view timestampToken(timestampAt, std::size_t(p - timestampAt));
        std::int64_t milliseconds = 0;
        if (timestampToken.empty()) {
            error(timestampAt, "trailing whitespace after the value; expected a timestamp or the "
                               "end of the line");
            return;
        }
        if (!parseInt64(timestampToken, milliseconds)) {
            error(timestampAt,
                  "expected an integer timestamp in milliseconds, got " + quote(timestampToken));
            return;
        }
        if (p < end) {
            error(p, "unexpected text after the timestamp: " +
                         quote(std::string_view(p, std::size_t(end - p))));
            return;
        }
        s.timestamp = double(milliseconds) / 1000.0;
    }
    if (admitSample() && m_keepSamples[index])
        m_out.families[index].samples.push_back(makeSample(s));
}

bool Parser::textLabels(const char *&p, const char *end, MetricType familyType)
{
    RawSample &s = m_sample;
    ++p; // '{'
    for (;;) {
        p = skipBlanks(p, end);
        if (p == end) {
            error(p, "unexpected end of line inside the label set of " + quote(s.name));
            return false;
        }
        if (*p == '}') {
            ++p;
            break;
        }
        RawLabel label;
        label.nameAt = p;
        if (!hasClass(*p, LabelStart)) {
            error(p, "invalid label name for metric " + quote(s.name) + ": expected a letter or " +
                         "'_' but found " + describeAt(p, end));
            return false;
        }
        p = scanWhile(p + 1, end, LabelChar);
        label.name = std::string_view(label.nameAt, std::size_t(p - label.nameAt));
        p = skipBlanks(p, end);
        if (p == end || *p != '=') {
            error(p, "expected '=' after label name " + quote(label.name) + " but found " +
                         describeAt(p, end));
            return false;
        }
        if (label.name == "__name__") {
            error(label.nameAt, "label name \"__name__\" is reserved");
            return false;
        }
        p = skipBlanks(p + 1, end);
        if (p == end || *p != '"') {
            error(p, "expected '\"' to start the value of label " + quote(label.name) +
                         " but found " + describeAt(p, end));
            return false;
        }
        label.valueAt = ++p;
        bool nonAscii = false;
        while (p < end && *p != '"') {
            if (*p == '\\') {
                label.escaped = true;
                ++p;
                if (p == end)
                    break;
                if (*p != '\\' && *p != '"' && *p != 'n') {
                    error(p - 1, "invalid escape sequence '\\" + std::string(1, *p) +
                                     "' in the value of label " + quote(label.name) +
                                     "; only \\\\, \\\" and \\n are allowed");
                    return false;
                }
            } else if (static_cast<unsigned char>(*p) >= 0x80) {
                nonAscii = true;
            }
            ++p;
        }
        if (p >= end) {
            error(label.valueAt - 1, "the value of label " + quote(label.name) +
                                         " is not closed by '\"' before the end of the line");
            return false;
        }
        label.value = std::string_view(label.valueAt, std::size_t(p - label.valueAt));
        ++p; // closing quote
        if (nonAscii && !isValidUtf8(label.value)) {
            error(label.valueAt, "the value of label " + quote(label.name) + " is not valid UTF-8");
            return false;
        }
        const bool isQuantile = familyType == MetricType::Summary && label.name == "quantile";
        const bool isLe = familyType == MetricType::Histogram && label.name == "le";
        if (isQuantile || isLe) {
            double unused = 0;
            const std::string value = labelValue(label);
            if (!parseNumber(value, unused)) {
                error(label.valueAt, "expected a number as value of label " + quote(label.name) +
                                         ", got " + quote(value));
                return false;
            }
        }
        s.labels.push_back(label);
        p = skipBlanks(p, end);
        if (p < end && *p == ',') {
            ++p;
            continue;
        }
        if (p < end && *p == '}') {
            ++p;
            break;
        }
        error(p, "expected ',' or '}' after the value of label " + quote(label.name) +
                     " but found " + describeAt(p, end));
        return false;
    }
    p = skipBlanks(p, end);
    if (const RawLabel *dup = findDuplicateLabel(s.labels, m_dupScratch)) {
        error(dup->nameAt, "label " + quote(dup->name) + " appears twice in " + quote(s.name));
        return false;
    }
    return true;
}

// ---------------------------------------------------------------------------------------------
// OpenMetrics 1.0

void Parser::omLine(const char *begin, const char *end)
{
    if (m_eofSeen) {
        error(begin, "unexpected text after \"# EOF\"");
        m_stopped = true;
        return;
    }
    if (begin == end) {
        error(begin, "blank lines are not allowed in OpenMetrics");
        return;
    }
    if (*begin == '#')
        omMetadata(begin, end);
    else
        omSample(begin, end);
}

void Parser::omMetadata(const char *begin, const char *end)
{
    const std::string_view line(begin, std::size_t(end - begin));
    if (line == "# EOF") {
        m_eofSeen = true;
        return;
    }
    if (line.size() < 2 || line[1] != ' ') {
        error(begin + 1, "OpenMetrics has no free comments: a line starting with '#' must be "
                         "\"# HELP\", \"# TYPE\", \"# UNIT\" or \"# EOF\"");
        return;
    }
    const char *keywordAt = begin + 2;
    const char *p = keywordAt;
    while (p < end && *p != ' ')
        ++p;
    const std::string_view keyword(keywordAt, std::size_t(p - keywordAt));
    if (keyword == "EOF") {
        error(p, "unexpected text after \"# EOF\"");
        return;
    }
    if (keyword != "HELP" && keyword != "TYPE" && keyword != "UNIT") {
        error(keywordAt, "unknown metadata " + quote(keyword) + "; expected HELP, TYPE or UNIT");
        return;
    }
    const std::string kw(keyword);
    if (p == end) {
        error(p, "expected a space and a metric name after \"# " + kw + "\"");
        return;
    }
    const char *nameAt = ++p;
    if (p == end || !hasClass(*p, MetricStart)) {
        error(p, "expected a metric name after \"# " + kw + " \" but found " + describeAt(p, end));
        return;
    }
    p = scanWhile(p + 1, end, MetricChar);
    const std::string_view name(nameAt, std::size_t(p - nameAt));
    if (p == end) {
        error(p, "expected a space after the metric name " + quote(name) + " in the " + kw +
                     " line (the " + kw + " text may be empty, the space may not)");
        return;
    }
    if (*p != ' ') {
        error(p, "invalid character " + describeAt(p, end) + " in metric name " + quote(name));
        return;
    }
    const char *restAt = ++p;
    const std::string_view rest(restAt, std::size_t(end - restAt));

    MetricType type = MetricType::Unknown;
    std::string help;
    if (keyword == "TYPE") {
        if (!parseOpenMetricsType(rest, type)) {
            error(restAt,
                  rest == "untyped"
                      ? std::string("\"untyped\" is not an OpenMetrics type; use \"unknown\"")
                      : "unknown metric type " + quote(rest) +
                            "; expected counter, gauge, histogram, gaugehistogram, "
                            "summary, info, stateset or unknown");
            return;
        }
    } else if (keyword == "UNIT") {
        const char *bad = scanWhile(restAt, end, MetricChar);
        if (bad != end) {
            error(bad, "invalid character " + describeAt(bad, end) + " in unit " + quote(rest));
            return;
        }
    } else {
        if (!isValidUtf8(rest)) {
            error(restAt, "HELP text of " + quote(name) + " is not valid UTF-8");
            return;
        }
        appendUnescaped(help, rest);
    }

    if (m_om.active && m_out.families[m_om.index].name == name) {
        if (m_om.hasSamples) {
            error(begin, kw + " line for metric family " + quote(name) +
                             " comes after its samples; metadata must precede the samples");
            return;
        }
    } else {
        omFinishFamily();
        omStartFamily(name, nameAt, Claim::FamilyFromMetadata);
    }
    MetricFamily &family = m_out.families[m_om.index];

    if (keyword == "TYPE") {
        if (m_om.typed) {
            error(begin, "duplicate TYPE line for metric family " + quote(name));
            return;
        }
        m_om.typed = true;
        family.type = type;
        for (std::string_view suffix : suffixesOf(type)) {
            if (!suffix.empty())
                omClaim(family.name + std::string(suffix), nameAt, Claim::SampleName);
        }
    } else if (keyword == "UNIT") {
        if (m_om.hasUnit) {
            error(begin, "duplicate UNIT line for metric family " + quote(name));
            return;
        }
        m_om.hasUnit = true;
        if (!rest.empty() && !(name.size() > rest.size() + 1 && name.ends_with(rest) &&
                               name[name.size() - rest.size() - 1] == '_')) {
            error(restAt, "unit " + quote(rest) + " does not match metric family " + quote(name) +
                              ": the name must end in \"_" + std::string(rest) + "\"");
        }
        family.unit.assign(rest);
        m_om.unitLine = m_line;
        m_om.unitColumn = columnOf(restAt);
    } else {
        if (m_om.helped) {
            error(begin, "duplicate HELP line for metric family " + quote(name));
            return;
        }
        m_om.helped = true;
        family.help = std::move(help);
    }
}

void Parser::omStartFamily(std::string_view name, const char *at, Claim claim)
{
    m_om.active = true;
    m_om.index = m_out.families.size();
    m_om.typed = m_om.helped = m_om.hasUnit = m_om.hasSamples = false;
    m_om.hasGroup = false;
    m_om.groupKey.clear();
    m_om.groupTimestamp.reset();
    m_om.seenGroups.clear();
    m_om.histogram = HistogramGroup{};
    m_out.families.emplace_back().name.assign(name);
    noteFamily();
    omClaim(m_out.families.back().name, at, claim);
}

// Family names and the sample names their type owns must be unique across the exposition, so
// that every sample name means exactly one family (and families cannot be interleaved).
void Parser::omClaim(const std::string &name, const char *at, Claim claim)
{
    const auto [it, inserted] = m_claims.try_emplace(name, m_om.index);
    if (inserted || it->second == m_om.index)
        return;
    const MetricFamily &owner = m_out.families[it->second];
    const std::string ownerText =
        std::string(metricTypeName(owner.type)) + " metric family " + quote(owner.name);
    switch (claim) {
    case Claim::FamilyFromMetadata:
        error(at, owner.name == name ? "metric family " + quote(name) +
                                           " appears twice; its metadata and samples must be "
                                           "together"
                                     : "metric family name " + quote(name) +
                                           " clashes with a sample name of " + ownerText);
        break;
    case Claim::FamilyFromSample:
        error(at, "sample " + quote(name) + " belongs to " + ownerText +
                      ", which ended earlier; a family's samples must be together");
        break;
    case Claim::SampleName:
        error(at, std::string(metricTypeName(m_out.families[m_om.index].type)) + " metric family " +
                      quote(m_out.families[m_om.index].name) + " would own the sample name " +
                      quote(name) + ", which clashes with " + ownerText);
        break;
    }
}

void Parser::omFinishFamily()
{
    if (!m_om.active)
        return;
    if (m_om.histogram.active)
        omHistogramCheck();
    const MetricFamily &family = m_out.families[m_om.index];
    if (!family.unit.empty() &&
        (family.type == MetricType::Info || family.type == MetricType::StateSet)) {
        errorAt(m_om.unitLine, m_om.unitColumn,
                std::string(metricTypeName(family.type)) + " metric family " + quote(family.name) +
                    " must not have a unit");
    }
    m_om.active = false;
}

bool Parser::omFamilyAllows(std::string_view sampleName) const
{
    const MetricFamily &family = m_out.families[m_om.index];
    if (!sampleName.starts_with(family.name))
        return false;
    const std::string_view suffix = sampleName.substr(family.name.size());
    for (std::string_view allowed : suffixesOf(family.type)) {
        if (suffix == allowed)
            return true;
    }
    return false;
}

void Parser::omSample(const char *begin, const char *end)
{
    RawSample &s = m_sample;
    s.clear();
    const char *p = begin;
    s.nameAt = p;
    if (!hasClass(*p, MetricStart)) {
        error(p, isBlank(*p) ? std::string("a line must not start with whitespace in OpenMetrics")
                             : "expected a metric name (a letter, '_' or ':') but found " +
                                   describeAt(p, end));
        return;
    }
    p = scanWhile(p + 1, end, MetricChar);
    s.name = std::string_view(s.nameAt, std::size_t(p - s.nameAt));
    if (p < end && *p == '{') {
        if (!omLabels(p, end, s.labels))
            return;
    }
    if (p == end || *p != ' ') {
        error(p, "expected a space and the value after " + quote(s.name) + " but found " +
                     describeAt(p, end));
        return;
    }
    s.valueAt = ++p;
    while (p < end && *p != ' ')
        ++p;
    const std::string_view valueToken(s.valueAt, std::size_t(p - s.valueAt));
    if (valueToken.empty()) {
        error(s.valueAt, "expected a value after " + quote(s.name) + " but found " +
                             describeAt(s.valueAt, end));
        return;
    }
    if (!parseNumber(valueToken, s.value)) {
        error(s.valueAt, "invalid value " + quote(valueToken) +
                             ": expected a number such as 1, -2.5e3, +Inf or NaN");
        return;
    }
    if (p < end) { // a space: timestamp and/or exemplar follow
        ++p;
        if (p == end) {
            error(p - 1, "trailing space after the value");
            return;
        }
        if (*p != '#') {
            const char *timestampAt = p;
            while (p < end && *p != ' ')
                ++p;
            const std::string_view token(timestampAt, std::size_t(p - timestampAt));
            double timestamp = 0;
            if (!parseNumber(token, timestamp, false)) {
                error(timestampAt, token.empty() ? std::string("expected a timestamp but found ") +
                                                       describeAt(timestampAt, end)
                                                 : "invalid timestamp " + quote(token) +
                                                       ": expected seconds such as 1700000000 "
                                                       "or 1700000000.250");
                return;
            }
            s.timestamp = timestamp;
            if (p < end) {
                ++p;
                if (p == end) {
                    error(p - 1, "trailing space after the timestamp");
                    return;
                }
            }
        }
        if (p < end) {
            s.exemplarAt = p;
            if (*p != '#') {
                error(p, "expected \"# {\" to start an exemplar, or the end of the line, but "
                         "found " +
                             describeAt(p, end));
                return;
            }
            ++p;
            if (p == end || *p != ' ') {
                error(p,
                      "expected a space after '#' of the exemplar but found " + describeAt(p, end));
                return;
            }
            ++p;
            if (p == end || *p != '{') {
                error(p, "expected '{' to start the exemplar's labels but found " +
                             describeAt(p, end));
                return;
            }
            if (!omLabels(p, end, s.exemplarLabels))
                return;
            if (p == end || *p != ' ') {
                error(p,
                      "expected a space and the exemplar's value but found " + describeAt(p, end));
                return;
            }
            const char *exemplarValueAt = ++p;
            while (p < end && *p != ' ')
                ++p;
            const std::string_view exemplarValue(exemplarValueAt, std::size_t(p - exemplarValueAt));
            if (!parseNumber(exemplarValue, s.exemplarValue)) {
                error(exemplarValueAt, exemplarValue.empty()
                                           ? std::string("expected the exemplar's value")
                                           : "invalid exemplar value " + quote(exemplarValue));
                return;
            }
            if (p < end) {
                const char *exemplarTimestampAt = ++p;
                while (p < end && *p != ' ')
                    ++p;
                const std::string_view token(exemplarTimestampAt,
                                             std::size_t(p - exemplarTimestampAt));
                double timestamp = 0;
                if (!parseNumber(token, timestamp, false)) {
                    error(exemplarTimestampAt,
                          token.empty() ? std::string("expected the exemplar's timestamp")
                                        : "invalid exemplar timestamp " + quote(token));
                    return;
                }
                s.exemplarTimestamp = timestamp;
                if (p < end) {
                    error(p, "unexpected text after the exemplar");
                    return;
                }
            }
            s.hasExemplar = true;
        }
    }
    omAcceptSample();
}

bool Parser::omLabels(const char *&p, const char *end, std::vector<RawLabel> &labels)
{
    ++p; // '{'
    if (p < end && *p == '}') {
        ++p;
        return true;
    }
    for (;;) {
        RawLabel label;
        label.nameAt = p;
        if (p == end || !hasClass(*p, LabelStart)) {
            error(p, "expected a label name (a letter or '_') but found " + describeAt(p, end) +
                         (p < end && *p == '}' ? " (no trailing commas in OpenMetrics)" : ""));
            return false;
        }
        p = scanWhile(p + 1, end, LabelChar);
        label.name = std::string_view(label.nameAt, std::size_t(p - label.nameAt));
        if (p == end || *p != '=') {
            error(p, "expected '=' after label name " + quote(label.name) + " but found " +
                         describeAt(p, end));
            return false;
        }
        ++p;
        if (p == end || *p != '"') {
            error(p, "expected '\"' to start the value of label " + quote(label.name) +
                         " but found " + describeAt(p, end));
            return false;
        }
        label.valueAt = ++p;
        bool nonAscii = false;
        while (p < end && *p != '"') {
            if (*p == '\\') {
                label.escaped = true;
                if (++p == end)
                    break;
            }
            if (static_cast<unsigned char>(*p) >= 0x80)
                nonAscii = true;
            ++p;
        }
        if (p >= end) {
            error(label.valueAt - 1, "the value of label " + quote(label.name) +
                                         " is not closed by '\"' before the end of the line");
            return false;
        }
        label.value = std::string_view(label.valueAt, std::size_t(p - label.valueAt));
        ++p;
        if (nonAscii && !isValidUtf8(label.value)) {
            error(label.valueAt, "the value of label " + quote(label.name) + " is not valid UTF-8");
            return false;
        }
        labels.push_back(label);
        if (p < end && *p == ',') {
            ++p;
            continue;
        }
        if (p < end && *p == '}') {
            ++p;
            break;
        }
        error(p, "expected ',' or '}' after the value of label " + quote(label.name) +
                     " but found " + describeAt(p, end));
        return false;
    }
    if (const RawLabel *dup = findDuplicateLabel(labels, m_dupScratch)) {
        error(dup->nameAt, "label " + quote(dup->name) + " appears twice");
        return false;
    }
    return true;
}

// The grouping identity of a sample (OpenMetrics "MetricPoint"): its labels without the one that
// tells the points apart (le, quantile, the stateset's own label), in a canonical order.
void Parser::omGroupKey(const Sample &sample, std::string_view suffix, MetricType type,
                        std::string_view familyName)
{
    m_key.clear();
    if (type == MetricType::Info)
        return;
    std::string_view excluded;
    if (type == MetricType::Summary && suffix.empty())
        excluded = "quantile";
    else if (type == MetricType::StateSet)
        excluded = familyName;
    else if (isHistogramType(type) && suffix == "_bucket")
        excluded = "le";
    m_keyOrder.clear();
    for (std::size_t i = 0; i < sample.labels.size(); ++i) {
        if (sample.labels[i].name != excluded)
            m_keyOrder.push_back(i);
    }
    if (m_keyOrder.size() > 1) {
        std::sort(m_keyOrder.begin(), m_keyOrder.end(), [&](std::size_t a, std::size_t b) {
            return sample.labels[a].name < sample.labels[b].name;
        });
    }
    const auto appendSized = [this](const std::string &s) {
        const auto size = std::uint32_t(s.size());
        m_key.append(reinterpret_cast<const char *>(&size), sizeof size);
        m_key.append(s);
    };
    for (std::size_t i : m_keyOrder) {
        appendSized(sample.labels[i].name);
        appendSized(sample.labels[i].value);
    }
}

void Parser::omAcceptSample()
{
    const RawSample &raw = m_sample;
    if (!m_om.active || !omFamilyAllows(raw.name)) {
        if (m_om.active) {
            // A name the current family owns, but not with this type, e.g. "foo" in info foo.
            const auto claimed = m_claims.find(raw.name);
            if (claimed != m_claims.end() && claimed->second == m_om.index) {
                const MetricFamily &current = m_out.families[m_om.index];
                std::string expected;
                for (std::string_view suffix : suffixesOf(current.type)) {
                    expected += expected.empty() ? "" : " or ";
                    expected += quote(current.name + std::string(suffix));
                }
                error(raw.nameAt, "sample " + quote(raw.name) + " does not fit " +
                                      std::string(metricTypeName(current.type)) +
                                      " metric family " + quote(current.name) + "; expected " +
                                      expected);
                return;
            }
        }
        omFinishFamily();
        omStartFamily(raw.name, raw.nameAt, Claim::FamilyFromSample);
    }
    m_om.hasSamples = true;
    MetricFamily &family = m_out.families[m_om.index];
    const MetricType type = family.type;
    const std::string_view familyName = family.name;
    const std::string_view suffix = raw.name.substr(familyName.size());
    Sample sample = makeSample(raw);
    const auto subject = [&raw] {
        return quote(raw.name);
    };

    if (type == MetricType::StateSet && !sample.label(familyName))
        error(raw.nameAt,
              "stateset sample " + subject() + " must have a label named " + quote(familyName));

    const auto labelAt = [&raw](std::string_view labelName) {
        for (const RawLabel &l : raw.labels) {
            if (l.name == labelName)
                return l.valueAt;
        }
        return raw.nameAt;
    };
    double le = 0;
    bool leValid = false;
    if (isHistogramType(type) && suffix == "_bucket") {
        const std::string *leText = sample.label("le");
        if (!leText) {
            error(raw.nameAt, "histogram bucket " + subject() + " needs an \"le\" label");
        } else if (!parseNumber(*leText, le) || std::isnan(le)) {
            error(labelAt("le"), "invalid \"le\" label " + quote(*leText) + " of " + subject() +
                                     ": expected a number");
        } else if (std::isinf(le) && *leText != "+Inf" && *leText != "-Inf") {
            error(labelAt("le"), "infinite \"le\" label of " + subject() +
                                     " must be written \"+Inf\", not " + quote(*leText));
        } else {
            leValid = true;
        }
        if (!(std::isfinite(sample.value) && sample.value == std::floor(sample.value)))
            error(raw.valueAt, "bucket count of " + subject() + " must be an integer");
    }
    if ((suffix == "_count" || suffix == "_gcount") &&
        !(std::isfinite(sample.value) && sample.value == std::floor(sample.value))) {
        error(raw.valueAt, "count " + subject() + " must be an integer");
    }
    if (type == MetricType::Summary && suffix.empty()) {
        const std::string *quantileText = sample.label("quantile");
        double quantile = 0;
        if (!quantileText) {
            error(raw.nameAt,
                  "summary quantile sample " + subject() + " needs a \"quantile\" label");
        } else if (!parseNumber(*quantileText, quantile) || !(quantile >= 0 && quantile <= 1)) {
            error(labelAt("quantile"), "invalid \"quantile\" label " + quote(*quantileText) +
                                           " of " + subject() + ": expected a number from 0 to 1");
        }
        if (sample.value < 0)
            error(raw.valueAt, "quantile value of " + subject() + " must not be negative");
    }

    omGroupKey(sample, suffix, type, familyName);
    if (m_om.hasGroup && m_key == m_om.groupKey) {
        if (sample.timestampSeconds.has_value() != m_om.groupTimestamp.has_value()) {
            error(raw.nameAt, "samples of the same metric point must all have a timestamp or "
                              "all have none");
        } else if (type != MetricType::Info && sample.timestampSeconds &&
                   *m_om.groupTimestamp > *sample.timestampSeconds) {
            error(raw.nameAt,
                  "timestamp of " + subject() + " goes backwards within its metric point");
        }
    } else {
        if (m_om.hasGroup && m_om.seenGroups.contains(m_key)) {
            error(raw.nameAt, "samples of the same label set in metric family " +
                                  quote(familyName) + " must be together; " + subject() +
                                  " repeats a label set seen before");
        } else {
            m_om.seenGroups.insert(m_key);
        }
        m_om.groupKey.swap(m_key);
        m_om.hasGroup = true;
    }
    m_om.groupTimestamp = sample.timestampSeconds;

    if (type == MetricType::StateSet && sample.value != 0 && sample.value != 1)
        error(raw.valueAt, "stateset sample " + subject() + " must have the value 0 or 1");
    if (type == MetricType::Info && sample.value != 1)
        error(raw.valueAt, "info sample " + subject() + " must have the value 1");
    if (!suffix.empty() && suffix != "_created" && suffix != "_info") {
        if (std::isnan(sample.value))
            error(raw.valueAt,
                  std::string(metricTypeName(type)) + " sample " + subject() + " must not be NaN");
        else if (sample.value < 0 && suffix != "_gsum")
            error(raw.valueAt, std::string(metricTypeName(type)) + " value " + subject() +
                                   " must not be negative");
    }
    if (raw.hasExemplar) {
        const bool allowed = (isHistogramType(type) && suffix == "_bucket") ||
                             (type == MetricType::Counter && suffix == "_total");
        if (!allowed) {
            error(raw.exemplarAt, "exemplars are only allowed on counter _total and histogram "
                                  "_bucket samples, not on " +
                                      subject());
        }
        std::size_t chars = 0;
        for (const Label &l : sample.exemplar->labels)
            chars += codePointCount(l.name) + codePointCount(l.value);
        if (chars > kMaxExemplarLabelChars) {
            error(raw.exemplarAt, "exemplar labels of " + subject() + " have " +
                                      std::to_string(chars) +
                                      " characters; at most 128 are allowed");
        }
    }
    if (isHistogramType(type))
        omHistogramSample(suffix, sample.value, le, leValid, sample.timestampSeconds);

    if (admitSample() && m_keepSamples[m_om.index])
        family.samples.push_back(std::move(sample));
}

void Parser::omHistogramSample(std::string_view suffix, double value, double le, bool leValid,
                               const std::optional<double> &timestamp)
{
    HistogramGroup &h = m_om.histogram;
    // m_om.groupKey holds this sample's group identity by now.
    if (!h.active || h.key != m_om.groupKey || h.timestamp != timestamp) {
        if (h.active)
            omHistogramCheck();
        h = HistogramGroup{};
        h.active = true;
        h.key = m_om.groupKey;
        h.timestamp = timestamp;
        h.line = m_line;
    }
    if (suffix == "_bucket") {
        if (!leValid)
            return;
        if (le < 0)
            h.negativeBuckets = true;
        if (h.hasBucket && le <= h.bucket)
            error(m_sample.nameAt, "histogram buckets must be in increasing order of \"le\"");
        if (value < h.lastBucketValue)
            error(m_sample.valueAt, "histogram buckets are cumulative: this count is lower than "
                                    "the previous bucket's");
        h.hasBucket = true;
        h.bucket = le;
        h.lastBucketValue = value;
    } else if (suffix == "_count" || suffix == "_gcount") {
        h.count = value;
    } else if (suffix == "_sum") {
        h.hasSum = true;
    } else if (suffix == "_gsum") {
        h.hasGsum = true;
        if (value < 0)
            h.negativeGsum = true;
    }
}

void Parser::omHistogramCheck()
{
    HistogramGroup &h = m_om.histogram;
    h.active = false;
    const MetricFamily &family = m_out.families[m_om.index];
    const bool gauge = family.type == MetricType::GaugeHistogram;
    const std::string count = gauge ? "_gcount" : "_count";
    const std::string sum = gauge ? "_gsum" : "_sum";
    const auto subject = [&] {
        return std::string(gauge ? "gauge histogram " : "histogram ") + quote(family.name);
    };
    if (!h.hasBucket || h.bucket != kInf)
        errorAt(h.line, 1, subject() + " needs a bucket with le=\"+Inf\"");
    if (h.count && *h.count != h.lastBucketValue)
        errorAt(h.line, 1, subject() + ": " + count + " must equal the le=\"+Inf\" bucket");
    if ((h.hasSum || h.hasGsum) && !h.count)
        errorAt(h.line, 1, subject() + " has " + sum + " but no " + count);
    if (!(h.hasSum || h.hasGsum) && h.count)
        errorAt(h.line, 1, subject() + " has " + count + " but no " + sum);
    if (h.negativeBuckets && h.hasSum)
        errorAt(h.line, 1, subject() + " has negative buckets, so it must not have _sum");
    if (!h.negativeBuckets && h.negativeGsum)
        errorAt(h.line, 1, subject() + " has a negative _gsum but no negative buckets");
}

} // namespace

Exposition parseExposition(std::string_view text, ExpositionFormat format,
                           const ParseOptions &options)
{
    if (text.size() > kMaxExpositionBytes) {
        Exposition refused;
        refused.errors.push_back({1, 1,
                                  "the exposition is " + std::to_string(text.size()) +
                                      " bytes; at most " + std::to_string(kMaxExpositionBytes) +
                                      " bytes are accepted"});
        return refused;
    }
    Parser parser(format, options);
    const char *end = text.data() + text.size();
    parser.consume(text.data(), end, true);
    return parser.finish(end);
}

struct ExpositionChecker::State
{
    explicit State(ExpositionFormat format)
        : parser(format, ParseOptions{0, [](std::string_view) {
                                          return false;
                                      }})
    {}

    Parser parser;
    std::string partialLine; // the start of a line that the next piece ends
};

ExpositionChecker::ExpositionChecker(ExpositionFormat format)
    : m_state(std::make_unique<State>(format))
{}

ExpositionChecker::~ExpositionChecker() = default;

void ExpositionChecker::feed(std::string_view bytes)
{
    State &s = *m_state;
    if (s.parser.stopped() || bytes.empty())
        return;
    const std::size_t lastNewline = bytes.rfind('\n');
    if (lastNewline == std::string_view::npos) {
        s.partialLine.append(bytes);
        return;
    }
    std::size_t from = 0;
    if (!s.partialLine.empty()) {
        // Complete the carried-over line and read it on its own.
        from = bytes.find('\n') + 1;
        s.partialLine.append(bytes.substr(0, from));
        s.parser.consume(s.partialLine.data(), s.partialLine.data() + s.partialLine.size(), false);
        s.partialLine.clear();
    }
    // Whole lines are read where they lie, without a copy.
    s.parser.consume(bytes.data() + from, bytes.data() + lastNewline + 1, false);
    s.partialLine.assign(bytes.substr(lastNewline + 1));
}

bool ExpositionChecker::stopped() const
{
    return m_state->parser.stopped();
}

std::vector<ParseError> ExpositionChecker::finish()
{
    State &s = *m_state;
    const char *begin = s.partialLine.data();
    const char *end = begin + s.partialLine.size();
    s.parser.consume(begin, end, true);
    return s.parser.finish(end).errors;
}

} // namespace canary::metrics
