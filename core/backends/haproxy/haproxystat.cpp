#include "haproxystat.h"

#include <algorithm>
#include <charconv>
#include <cmath>

namespace canary::haproxy {

namespace {

std::string_view trimmed(std::string_view text)
{
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t'))
        text.remove_prefix(1);
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r' ||
                             text.back() == '\n'))
        text.remove_suffix(1);
    return text;
}

// Splits one CSV line. Quoted cells may hold commas and doubled quotes; a quote left open is an
// error.
std::optional<std::vector<std::string>> splitCsvLine(std::string_view line)
{
    std::vector<std::string> cells;
    std::string cell;
    bool quoted = false;
    bool afterQuote = false;
    for (std::size_t i = 0; i < line.size(); ++i) {
        const char c = line[i];
        if (quoted) {
            if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
                cell += '"';
                ++i;
            } else if (c == '"') {
                quoted = false;
                afterQuote = true;
            } else {
                cell += c;
            }
        } else if (c == ',') {
            cells.push_back(std::move(cell));
            cell.clear();
            afterQuote = false;
        } else if (c == '"' && cell.empty() && !afterQuote) {
            quoted = true;
        } else if (afterQuote) {
            return std::nullopt; // text after a closing quote
        } else {
            cell += c;
        }
    }
    if (quoted)
        return std::nullopt;
    cells.push_back(std::move(cell));
    return cells;
}

std::vector<std::string_view> lines(std::string_view text)
{
    std::vector<std::string_view> out;
    while (!text.empty()) {
        const auto end = text.find('\n');
        std::string_view line = text.substr(0, end);
        if (!line.empty() && line.back() == '\r')
            line.remove_suffix(1);
        out.push_back(line);
        if (end == std::string_view::npos)
            break;
        text.remove_prefix(end + 1);
    }
    return out;
}

} // namespace

std::optional<std::string_view> StatRow::text(std::string_view name) const
{
    const auto it = fields.find(name);
    if (it == fields.end() || it->second.empty())
        return std::nullopt;
    return std::string_view(it->second);
}

std::optional<double> StatRow::number(std::string_view name) const
{
    const auto value = text(name);
    if (!value)
        return std::nullopt;
    // Counters are unsigned 64-bit integers; a double holds every value a rate ever needs.
    std::uint64_t parsed = 0;
    const auto result = std::from_chars(value->data(), value->data() + value->size(), parsed);
    if (result.ec != std::errc() || result.ptr != value->data() + value->size())
        return std::nullopt;
    return static_cast<double>(parsed);
}

std::string StatRow::proxy() const
{
    return std::string(text("pxname").value_or(""));
}

std::string StatRow::server() const
{
    return std::string(text("svname").value_or(""));
}

const StatRow *StatTable::find(std::string_view proxy, std::string_view server) const
{
    for (const auto &row : rows) {
        if (row.text("pxname") == proxy && row.text("svname") == server)
            return &row;
    }
    return nullptr;
}

std::optional<StatTable> parseShowStat(std::string_view answer, std::string *error)
{
    const auto fail = [error](std::string message) -> std::optional<StatTable> {
        if (error)
            *error = std::move(message);
        return std::nullopt;
    };
    if (answer.size() > kMaxStatBytes)
        return fail("the show stat answer is larger than " + std::to_string(kMaxStatBytes) +
                    " bytes");
    const auto all = lines(answer);
    std::size_t at = 0;
    while (at < all.size() && trimmed(all[at]).empty())
        ++at;
    if (at == all.size())
        return fail("the show stat answer is empty");
    std::string_view headerLine = all[at];
    if (!headerLine.starts_with("# ")) {
        const std::string_view shown = trimmed(headerLine).substr(0, 120);
        return fail(
            "the show stat answer has no \"# pxname,svname,...\" header; it begins with \"" +
            std::string(shown) + "\"");
    }
    headerLine.remove_prefix(2);
    auto header = splitCsvLine(headerLine);
    if (!header)
        return fail("the show stat header is not valid CSV");
    // HAProxy ends every line with a comma: the last, empty cell is no field.
    if (!header->empty() && header->back().empty())
        header->pop_back();
    for (const char *required : {"pxname", "svname"}) {
        if (std::find(header->begin(), header->end(), required) == header->end())
            return fail(std::string("the show stat header has no ") + required + " field");
    }
    StatTable table;
    table.header = *header;
    for (std::size_t i = at + 1; i < all.size(); ++i) {
        if (trimmed(all[i]).empty())
            continue; // the answer ends with an empty line
        auto cells = splitCsvLine(all[i]);
        if (!cells)
            return fail("line " + std::to_string(i + 1) +
                        " of the show stat answer is not valid CSV");
        if (cells->size() == table.header.size() + 1 && cells->back().empty())
            cells->pop_back();
        if (cells->size() != table.header.size())
            return fail("line " + std::to_string(i + 1) + " of the show stat answer has " +
                        std::to_string(cells->size()) + " fields where the header has " +
                        std::to_string(table.header.size()));
        StatRow row;
        for (std::size_t c = 0; c < cells->size(); ++c) {
            // A repeated name ("-" is a separator column in 2.x) keeps its first cell.
            row.fields.emplace(table.header[c], std::move((*cells)[c]));
        }
        table.rows.push_back(std::move(row));
    }
    return table;
}

std::optional<ServerCounters> serverCounters(const StatTable &table, const std::string &backend,
                                             const std::string &server, std::string *error)
{
    const StatRow *row = table.find(backend, server);
    if (!row) {
        if (error) {
            const bool backendKnown =
                std::any_of(table.rows.begin(), table.rows.end(),
                            [&](const StatRow &r) { return r.proxy() == backend; });
            *error = backendKnown ? "backend " + backend + " has no server " + server
                                  : "there is no backend " + backend;
        }
        return std::nullopt;
    }
    ServerCounters counters;
    counters.name = server;
    counters.status = std::string(row->text("status").value_or(""));
    if (auto requests = row->number("req_tot")) {
        counters.requests = requests;
        counters.requestsField = "req_tot";
    } else if (auto sessions = row->number("stot")) {
        counters.requests = sessions;
        counters.requestsField = "stot";
    }
    counters.errors5xx = row->number("hrsp_5xx");
    counters.weight = row->number("weight");
    counters.rtimeMs = row->number("rtime");
    counters.ttimeMs = row->number("ttime");
    return counters;
}

bool takesTraffic(std::string_view status)
{
    return status == "no check" || status == "UP" || status.starts_with("UP ");
}

bool isStaticAlgorithm(std::string_view algo)
{
    return algo == "static-rr";
}

std::optional<int> parseGetWeight(std::string_view answer)
{
    answer = trimmed(answer);
    int weight = -1;
    const auto result = std::from_chars(answer.data(), answer.data() + answer.size(), weight);
    if (result.ec != std::errc() || weight < 0 || weight > kMaxServerWeight)
        return std::nullopt;
    const std::string_view rest = trimmed(answer.substr(result.ptr - answer.data()));
    if (!rest.empty() && !rest.starts_with("(initial "))
        return std::nullopt;
    return weight;
}

ServerWeights weightsForShare(Weight share)
{
    const int canary =
        (share.tenths() * kMaxServerWeight + Weight::kMaxTenths / 2) / Weight::kMaxTenths;
    return {kMaxServerWeight - canary, canary};
}

std::optional<Weight> shareOfWeights(int production, int canary)
{
    if (production < 0 || canary < 0 || production + canary == 0)
        return std::nullopt;
    const long total = static_cast<long>(production) + canary;
    const long tenths = (static_cast<long>(canary) * Weight::kMaxTenths + total / 2) / total;
    return Weight::fromTenths(static_cast<int>(tenths));
}

Weight nearestShare(Weight requested)
{
    const ServerWeights weights = weightsForShare(requested);
    return shareOfWeights(weights.production, weights.canary).value_or(Weight());
}

std::string refusalText(std::string_view answer)
{
    return std::string(trimmed(answer));
}

bool isStaticRefusal(std::string_view refusal)
{
    return refusal.find("static LB algorithm") != std::string_view::npos;
}

bool isPermissionRefusal(std::string_view refusal)
{
    return refusal.starts_with("Permission denied");
}

} // namespace canary::haproxy
