#include "report/reporthtml.h"

#include "analysis/judge.h"
#include "report/reportbuilder.h"
#include "report/reportformat.h"
#include "util/join.h"

#include <QByteArray>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>

namespace canary::report {

namespace {

// Outcome and verdict colours: the Okabe–Ito set the charts use, so colour-blind readers can
// tell them apart; every coloured cell also says its word.
struct Tone
{
    const char *background;
    const char *foreground;
};

Tone outcomeTone(std::string_view outcome)
{
    if (outcome == "promoted" || outcome == "pass" || outcome == "better")
        return {"#d9f0e8", "#005a43"};
    if (outcome == "rolled-back" || outcome == "fail")
        return {"#f9ded0", "#8a3500"};
    if (outcome == "inconclusive" || outcome == "in-progress")
        return {"#fbefcc", "#6b4e00"};
    return {"#ececec", "#333333"};
}

std::string verdictWord(std::string_view verdict)
{
    if (verdict == "pass")
        return "Pass";
    if (verdict == "fail")
        return "Fail";
    if (verdict == "better")
        return "Better";
    if (verdict == "inconclusive")
        return "Inconclusive";
    if (verdict == "no-data")
        return "No data";
    return std::string(verdict);
}

std::string outcomeWord(std::string_view outcome)
{
    if (outcome == "promoted")
        return "Promoted";
    if (outcome == "rolled-back")
        return "Rolled back";
    if (outcome == "in-progress")
        return "In progress";
    if (outcome == "no-canary")
        return "No canary";
    return std::string(outcome);
}

std::string durationText(std::chrono::milliseconds span)
{
    const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(span).count();
    if (span < std::chrono::seconds(10))
        return join(formatFixed(static_cast<double>(span.count()) / 1000.0, 1), " s");
    if (seconds < 120)
        return join(std::to_string(seconds), " s");
    if (seconds < 2 * 3600)
        return join(std::to_string(seconds / 60), " min");
    if (seconds < 2 * 86400)
        return join(formatFixed(static_cast<double>(seconds) / 3600.0, 1), " h");
    return join(formatFixed(static_cast<double>(seconds) / 86400.0, 1), " days");
}

std::string relativeDelta(double production, double canary)
{
    if (!std::isfinite(production) || !std::isfinite(canary) || production == 0)
        return kUnknownText;
    return formatPercentText((canary / production - 1.0) * 100.0, 1, true);
}

std::string intervalText(const ReportGate &gate)
{
    if (!std::isfinite(gate.ratioLow) && !std::isfinite(gate.ratioHigh))
        return kUnknownText;
    const std::string high =
        std::isfinite(gate.ratioHigh) ? formatFixed(gate.ratioHigh, 2) : "\u221e";
    return join(formatFixed(gate.ratioLow, 2), " \u2013 ", high, "\u00d7");
}

std::string modelText(const ReportVariant &variant)
{
    if (variant.model.empty() && variant.version.empty())
        return kUnknownText;
    return variant.version.empty() ? variant.model : join(variant.model, " ", variant.version);
}

std::string parametersText(const nlohmann::json &parameters)
{
    if (!parameters.is_object())
        return {};
    std::string text;
    for (const auto &[key, value] : parameters.items()) {
        if (key == "judgement" || key == "plan" || key == "automatic" || key == "verdict" ||
            key == "steps")
            continue; // shown in their own columns, or under Rollout plan
        if (!text.empty())
            text += ", ";
        text += key;
        text += ' ';
        text += value.is_string()
                    ? value.get<std::string>()
                    : value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    }
    return text;
}

// "plan_rollback" → "plan rollback": words wrap where a table cell is narrow.
std::string actionText(std::string action)
{
    std::replace(action.begin(), action.end(), '_', ' ');
    return action;
}

const ReportGate *gateFor(const ReportData &report, std::string_view metric)
{
    for (const ReportGate &gate : report.gates) {
        if (gate.metric == metric)
            return &gate;
    }
    return nullptr;
}

// Writes the page. The two flavors share every sentence and table; only how a table, a
// coloured cell and an image are marked up differs.
class Page
{
public:
    Page(const ReportData &report, const std::vector<ReportImage> &charts, HtmlFlavor flavor)
        : m_report(report)
        , m_charts(charts)
        , m_print(flavor == HtmlFlavor::Print)
    {}

    std::string render()
    {
        head();
        header();
        headline();
        figures();
        gates();
        chartSection();
        planSection();
        timelineSection();
        notes();
        m_out += "</body>\n</html>\n";
        return std::move(m_out);
    }

private:
    void text(std::string_view t) { m_out += escapeHtml(t); }
    void raw(std::string_view t) { m_out += t; }

    void tableStart(const char *cssClass)
    {
        if (m_print)
            raw("<table border=\"1\" cellspacing=\"0\" cellpadding=\"4\" width=\"100%\" "
                "style=\"border-color:#999999; border-collapse:collapse\">\n");
        else
            raw(join("<table class=\"", cssClass, "\">\n"));
    }
    // Column widths in percent of the table, so the sentences get the room (Qt's layout would
    // otherwise share it out evenly).
    void headerRow(std::initializer_list<std::pair<std::string_view, int>> cells)
    {
        raw("<tr>");
        for (const auto &[name, percent] : cells) {
            const std::string width = std::to_string(percent);
            raw(m_print ? join("<th bgcolor=\"#eeeeee\" align=\"left\" width=\"", width, "%\">")
                        : join("<th style=\"width:", width, "%\">"));
            text(name);
            raw("</th>");
        }
        raw("</tr>\n");
    }
    void cell(std::string_view content, bool number = false)
    {
        raw(number ? (m_print ? "<td align=\"right\">" : "<td class=\"num\">") : "<td>");
        text(content);
        raw("</td>");
    }
    void toneCell(std::string_view word, std::string_view tone)
    {
        const Tone t = outcomeTone(tone);
        if (m_print)
            raw(join("<td bgcolor=\"", t.background, "\"><font color=\"", t.foreground, "\"><b>"));
        else
            raw(join("<td class=\"tone\" style=\"background:", t.background,
                     ";color:", t.foreground, "\">"));
        text(word);
        raw(m_print ? "</b></font></td>" : "</td>");
    }
    void heading(std::string_view title)
    {
        raw("<h2>");
        text(title);
        raw("</h2>\n");
    }
    void paragraph(std::string_view content, const char *cssClass = "")
    {
        raw(*cssClass && !m_print ? join("<p class=\"", cssClass, "\">") : std::string("<p>"));
        text(content);
        raw("</p>\n");
    }

    void head()
    {
        raw("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n");
        // No script, no external request: the page is evidence, it must not act.
        if (!m_print)
            raw("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
                "img-src data:; style-src 'unsafe-inline'\"/>\n");
        raw("<title>");
        text(m_report.title);
        raw("</title>\n");
        if (!m_print) {
            raw("<style>\n"
                "body{font-family:'DejaVu Sans',Arial,sans-serif;color:#222;margin:2em auto;"
                "max-width:1100px;padding:0 1em;line-height:1.4}\n"
                "h1{font-size:1.6em;margin-bottom:.2em}h2{font-size:1.2em;margin-top:1.6em;"
                "border-bottom:1px solid #ccc;padding-bottom:.2em}\n"
                "table{border-collapse:collapse;width:100%;margin:.5em 0;font-size:.92em}\n"
                "th,td{border:1px solid #ccc;padding:4px 6px;text-align:left;vertical-align:top}\n"
                "th{background:#f0f0f0}td.num{text-align:right;font-variant-numeric:tabular-nums;"
                "white-space:nowrap}\n"
                "td.tone{font-weight:bold;white-space:nowrap}\n"
                "table.meta th{width:12em}\n"
                ".headline{padding:.8em 1em;border-radius:4px;font-size:1.1em;margin:1em 0}\n"
                ".muted{color:#666}img{max-width:100%;border:1px solid #ddd}\n"
                "</style>\n");
        }
        raw("</head>\n<body>\n");
    }

    void header()
    {
        raw("<h1>");
        text(m_report.title);
        raw("</h1>\n");
        tableStart("meta");
        const auto row = [&](std::string_view name, std::string_view value) {
            raw(m_print ? "<tr><th bgcolor=\"#eeeeee\" align=\"left\" width=\"22%\">" : "<tr><th>");
            text(name);
            raw("</th><td>");
            text(value);
            raw("</td></tr>\n");
        };
        row("Backend", join(m_report.backendKind, " ", m_report.backendAddress));
        if (!m_report.metricsAddress.empty())
            row("Metrics", m_report.metricsAddress);
        row("Production", modelText(m_report.production));
        row("Canary", modelText(m_report.canary));
        row("Window",
            join(formatReadableTime(m_report.from), " \u2013 ", formatReadableTime(m_report.to),
                 " (", durationText(m_report.to - m_report.from), ")"));
        row("Exported",
            join(formatReadableTime(m_report.exportedAt), " by ",
                 m_report.exportedBy.empty() ? std::string(kUnknownText) : m_report.exportedBy));
        row("Numbers from", m_report.source);
        raw("</table>\n");
    }

    void headline()
    {
        const ReportHeadline &h = m_report.headline;
        const Tone t = outcomeTone(h.outcome);
        if (m_print) {
            raw(join("<table border=\"0\" cellpadding=\"8\" width=\"100%\"><tr><td bgcolor=\"",
                     t.background, "\"><font color=\"", t.foreground, "\" size=\"+1\"><b>"));
            text(outcomeWord(h.outcome));
            raw("</b></font><br/>");
            text(h.sentence);
            raw("</td></tr></table>\n");
        } else {
            raw(join("<div class=\"headline\" style=\"background:", t.background,
                     ";color:", t.foreground, "\"><b>"));
            text(outcomeWord(h.outcome));
            raw("</b><br/>");
            text(h.sentence);
            raw("</div>\n");
        }
        heading("The judge's verdict");
        if (m_report.verdict.empty()) {
            paragraph("No rollout plan judged this canary in the window, so there is no verdict; "
                      "the figures below are the raw comparison.");
            return;
        }
        tableStart("verdict");
        raw("<tr>");
        toneCell(verdictWord(m_report.verdict), m_report.verdict);
        cell(m_report.verdictSentence);
        raw("</tr>\n</table>\n");
    }

    void figures()
    {
        heading("Production vs canary");
        if (m_report.kpisFrom && m_report.kpisTo)
            paragraph(join(m_report.figuresMoment.empty() ? std::string("Figures")
                                                          : m_report.figuresMoment,
                           ", over ", formatReadableTime(*m_report.kpisFrom), " \u2013 ",
                           formatReadableTime(*m_report.kpisTo), " (",
                           durationText(*m_report.kpisTo - *m_report.kpisFrom), ")."),
                      "muted");
        tableStart("figures");
        headerRow({{"Metric", 20},
                   {"Production", 15},
                   {"Canary", 15},
                   {"Delta", 11},
                   {"Interval (canary / production)", 22},
                   {"Verdict", 17}});
        const ReportVariant &p = m_report.production;
        const ReportVariant &c = m_report.canary;
        struct Row
        {
            const char *name;
            double production;
            double canary;
            std::string (*format)(double);
            const char *gate; // the gate that judges this figure, if any
            bool delta;
        };
        const auto count = [](double v) {
            return formatCountText(v);
        };
        const auto percent = [](double v) {
            return formatPercentText(v, 2);
        };
        const auto ms = [](double v) {
            return std::isfinite(v) ? join(formatFixed(v, 1), " ms") : std::string(kUnknownText);
        };
        const auto rate = [](double v) {
            return std::isfinite(v) ? join(formatFixed(v, 2), " req/s") : std::string(kUnknownText);
        };
        const Row rows[] = {
            {"Requests", p.requests, c.requests, +count, nullptr, false},
            {"Errors", p.errors, c.errors, +count, nullptr, false},
            {"Error rate", p.errorPercent, c.errorPercent, +percent, "error_rate", true},
            {"Labels (accuracy's sample)", p.labels, c.labels, +count, nullptr, false},
            {"Accuracy", p.accuracyPercent, c.accuracyPercent, +percent, "accuracy", true},
            {"Throughput", p.requestRate, c.requestRate, +rate, nullptr, false},
            {"Latency mean", p.meanMs, c.meanMs, +ms, nullptr, true},
            {"Latency p50", p.p50Ms, c.p50Ms, +ms, "latency_body", true},
            {"Latency p95", p.p95Ms, c.p95Ms, +ms, nullptr, true},
            {"Latency p99", p.p99Ms, c.p99Ms, +ms, "latency_tail", true},
            {"Traffic weight", p.weightPercent, c.weightPercent,
             +[](double v) { return formatPercentText(v, 1); }, nullptr, false},
        };
        for (const Row &row : rows) {
            raw("<tr>");
            cell(row.name);
            cell(row.format(row.production), true);
            cell(row.format(row.canary), true);
            cell(row.delta ? relativeDelta(row.production, row.canary) : std::string(), true);
            const ReportGate *gate = row.gate ? gateFor(m_report, row.gate) : nullptr;
            cell(gate ? intervalText(*gate) : std::string(), true);
            if (gate)
                toneCell(verdictWord(gate->verdict), gate->verdict);
            else
                cell("");
            raw("</tr>\n");
        }
        raw("</table>\n");
        paragraph("Delta is the canary's value relative to production's. The interval is the "
                  "judge's always-valid interval of the canary's rate of bad events over "
                  "production's (1.00\u00d7: the same).",
                  "muted");
    }

    void gates()
    {
        if (m_report.gates.empty())
            return;
        heading("Gates");
        tableStart("gates");
        headerRow({{"Gate", 19},
                   {"Production", 14},
                   {"Canary", 14},
                   {"Samples (production / canary)", 22},
                   {"Evidence", 14},
                   {"Verdict", 17}});
        for (const ReportGate &gate : m_report.gates) {
            raw("<tr>");
            cell(join(gate.name.empty() ? gate.metric : gate.name,
                      gate.critical ? "" : " (not critical)"));
            const bool accuracy = gate.metric == "accuracy";
            cell(formatPercentText(gate.production, 2), true);
            cell(formatPercentText(gate.canary, 2), true);
            cell(join(formatCountText(static_cast<double>(gate.productionSamples)), " / ",
                      formatCountText(static_cast<double>(gate.canarySamples)),
                      accuracy ? " labels" : " requests"),
                 true);
            cell(std::isfinite(gate.evidence) ? analysis::formatOdds(gate.evidence)
                                              : std::string(kUnknownText),
                 true);
            toneCell(verdictWord(gate.verdict), gate.verdict);
            raw("</tr>\n");
            // The sentence under its gate, across the table: it is the gate's reason in full.
            raw("<tr><td colspan=\"6\">");
            text(gate.sentence);
            raw("</td></tr>\n");
        }
        raw("</table>\n");
        paragraph("Values are error %, accuracy %, or the % of requests above the latency "
                  "thresholds. Evidence is the odds against \"no regression\"; a critical gate "
                  "fails, and the plan rolls back, when they reach the gate's threshold.",
                  "muted");
    }

    void chartSection()
    {
        heading("Charts");
        if (m_charts.empty()) {
            paragraph("No chart: no line of the window has two points to join (the figures "
                      "above are what is known).");
            return;
        }
        for (std::size_t i = 0; i < m_charts.size(); ++i) {
            const ReportImage &image = m_charts[i];
            if (!image.title.empty())
                paragraph(image.title, "muted");
            if (m_print) {
                // Both sizes: off the GUI thread, Qt's layout does not keep the aspect ratio
                // from the width alone.
                const int width = 640;
                const int height =
                    image.width > 0 ? width * image.height / image.width : width * 3 / 4;
                raw(join("<p><img src=\"", printImageName(i), "\" width=\"", std::to_string(width),
                         "\" height=\"", std::to_string(height), "\"/></p>\n"));
            } else {
                const QByteArray png = QByteArray::fromStdString(image.png).toBase64();
                raw("<p><img alt=\"");
                text(image.title);
                raw(join("\" width=\"", std::to_string(image.width), "\" height=\"",
                         std::to_string(image.height),
                         "\" style=\"width:100%;height:auto\" src=\"data:image/png;base64,"));
                raw(std::string_view(png.constData(), static_cast<std::size_t>(png.size())));
                raw("\"/></p>\n");
            }
        }
        paragraph("Vertical lines mark the actions and automatic decisions listed under Timeline.",
                  "muted");
    }

    void planSection()
    {
        heading("Rollout plan");
        if (!m_report.plan) {
            paragraph("No rollout plan ran in this window: every change was made by hand.");
            return;
        }
        const ReportPlan &plan = *m_report.plan;
        paragraph(join("Plan \"", plan.name, "\": ", plan.phase.empty() ? "unknown" : plan.phase,
                       plan.summary.empty() ? std::string(".") : join(". ", plan.summary)));
        if (plan.steps.empty())
            return;
        tableStart("plan");
        headerRow({{"Step", 10}, {"Canary weight", 20}, {"Bake", 20}, {"How far it went", 50}});
        for (std::size_t i = 0; i < plan.steps.size(); ++i) {
            const int index = static_cast<int>(i);
            const bool finished = plan.phase == "promoted" || plan.phase == "rolled-back" ||
                                  plan.phase == "stopped" || plan.phase == "failed";
            std::string status;
            if (index < plan.reachedStep || (index == plan.reachedStep && plan.phase == "promoted"))
                status = "passed";
            else if (index == plan.reachedStep)
                status = finished ? join("ended here (", plan.phase, ")") : std::string("current");
            else
                status = "not reached";
            raw("<tr>");
            cell(std::to_string(i + 1), true);
            cell(formatPercentText(plan.steps[i].weightPercent, 1), true);
            cell(durationText(plan.steps[i].bake), true);
            cell(status);
            raw("</tr>\n");
        }
        raw("</table>\n");
    }

    void timelineSection()
    {
        heading("Timeline");
        if (m_report.timeline.empty()) {
            paragraph("The audit trail holds no action or decision in this window.");
            return;
        }
        tableStart("timeline");
        // Times without the date when the whole window is one day (the header says which).
        const std::string day = formatReadableTime(m_report.from).substr(0, 10);
        const bool oneDay = day == formatReadableTime(m_report.to).substr(0, 10);
        headerRow({{oneDay ? "Time (UTC)" : "Time", oneDay ? 11 : 15},
                   {"Who", 14},
                   {"What", oneDay ? 24 : 22},
                   {"Outcome", 12},
                   {"Why, or what happened", oneDay ? 39 : 37}});
        for (const audit::AuditEntry &e : m_report.timeline) {
            raw("<tr>");
            const std::string time = formatReadableTime(e.time);
            cell(oneDay ? time.substr(11, 8) : time);
            cell(e.automatic       ? join("plan \u201c", e.plan, "\u201d")
                 : e.actor.empty() ? std::string(kUnknownText)
                                   : e.actor);
            const std::string parameters = parametersText(e.parameters);
            cell(parameters.empty() ? actionText(e.action)
                                    : join(actionText(e.action), " (", parameters, ")"));
            toneCell(e.outcome, e.outcome == "succeeded" ? std::string_view("pass")
                                : e.outcome == "pending" ? std::string_view("inconclusive")
                                : e.outcome == "decided" ? std::string_view("")
                                                         : std::string_view("fail"));
            cell(e.reason.empty() || e.message.find(e.reason) != std::string::npos
                     ? e.message
                     : join(e.reason, " \u2014 ", e.message));
            raw("</tr>\n");
        }
        raw("</table>\n");
        if (oneDay)
            paragraph(join("All on ", day, "."), "muted");
    }

    void notes()
    {
        if (m_report.notes.empty())
            return;
        heading("Notes");
        raw("<ul>\n");
        for (const std::string &note : m_report.notes) {
            raw("<li>");
            text(note);
            raw("</li>\n");
        }
        raw("</ul>\n");
    }

    const ReportData &m_report;
    const std::vector<ReportImage> &m_charts;
    bool m_print;
    std::string m_out;
};

} // namespace

std::string escapeHtml(std::string_view text)
{
    std::string out;
    out.reserve(text.size() + text.size() / 8);
    std::size_t i = 0;
    while (i < text.size()) {
        const auto c = static_cast<unsigned char>(text[i]);
        if (c < 0x80) {
            switch (c) {
            case '&':
                out += "&amp;";
                break;
            case '<':
                out += "&lt;";
                break;
            case '>':
                out += "&gt;";
                break;
            case '"':
                out += "&quot;";
                break;
            case '\'':
                out += "&#39;";
                break;
            default:
                if (c >= 0x20 || c == '\t' || c == '\n')
                    out += static_cast<char>(c);
                break;
            }
            ++i;
            continue;
        }
        // A well-formed UTF-8 sequence is copied; anything else becomes U+FFFD.
        std::size_t length = 0;
        std::uint32_t min = 0;
        if ((c & 0xE0) == 0xC0) {
            length = 2;
            min = 0x80;
        } else if ((c & 0xF0) == 0xE0) {
            length = 3;
            min = 0x800;
        } else if ((c & 0xF8) == 0xF0) {
            length = 4;
            min = 0x10000;
        }
        bool valid = length > 0 && i + length <= text.size();
        std::uint32_t code = valid ? (c & (0x7F >> length)) : 0;
        for (std::size_t k = 1; valid && k < length; ++k) {
            const auto next = static_cast<unsigned char>(text[i + k]);
            valid = (next & 0xC0) == 0x80;
            code = (code << 6) | (next & 0x3F);
        }
        valid = valid && code >= min && code <= 0x10FFFF && (code < 0xD800 || code > 0xDFFF);
        if (valid) {
            out.append(text.substr(i, length));
            i += length;
        } else {
            out += "\uFFFD";
            ++i;
        }
    }
    return out;
}

std::string printImageName(std::size_t index)
{
    return join("chart:", std::to_string(index));
}

std::string renderHtml(const ReportData &report, const std::vector<ReportImage> &charts,
                       HtmlFlavor flavor)
{
    return Page(report, charts, flavor).render();
}

} // namespace canary::report
