#pragma once

#include "analysis/judge.h"

#include <QAbstractTableModel>
#include <QColor>

namespace canary {

// The judge's gates as a table: one row per GateResult, every figure as the judge computed it
// (nothing is recomputed here). Qt::DisplayRole is the text a person reads, kSortRole the value
// that orders the column (numbers as numbers, verdicts by severity), Qt::ToolTipRole the gate's
// full sentence.
class GateTableModel final : public QAbstractTableModel
{
    Q_OBJECT

public:
    enum Column {
        Gate,
        VerdictColumn,
        Production,
        Canary,
        Delta,
        Interval,
        Samples,
        Evidence,
        Sentence,
        ColumnCount
    };
    static constexpr int kSortRole = Qt::UserRole + 1;

    explicit GateTableModel(QObject *parent = nullptr);

    // Replaces the rows; same gates in the same order only changes the cells (a selection and the
    // sort stay), otherwise the model resets.
    void setJudgement(const analysis::Judgement &judgement);
    const analysis::Judgement &judgement() const { return m_judgement; }

    // Worst first: fail, no data, inconclusive, pass, better.
    static int severity(analysis::Verdict verdict);
    // A mark whose shape says it without colour, and the word: "✖ fail", "✔ pass", ...
    static QString verdictText(analysis::Verdict verdict);
    static QString verdictMark(analysis::Verdict verdict);
    // An accent that goes with the mark (never the only cue).
    static QColor verdictColor(analysis::Verdict verdict);
    // A rate of the judge's (0..1) as "2.10 %"; "—" when unknown.
    static QString figureText(double rate);
    // "+110 %", "−4.0 %", "—"
    static QString deltaText(double delta);
    // "0.82–1.9×", "0–∞", "—"
    static QString intervalText(double low, double high);
    // "34,090 / 3,812"
    static QString samplesText(std::int64_t production, std::int64_t canary);
    // "1:41 (rollback at 1:20)"
    static QString evidenceText(double evidence, double threshold);

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

private:
    QVariant display(const analysis::GateResult &gate, int column) const;
    QVariant sortValue(const analysis::GateResult &gate, int column) const;

    analysis::Judgement m_judgement;
};

} // namespace canary
