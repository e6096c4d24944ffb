#pragma once

// qcustomplot.h spells `signals` and `foreach`, which QT_NO_KEYWORDS switches off; map them to the
// macro names for this one header only. What it includes comes first, so no Qt header sees the
// mapping.
#include <QtCore/QElapsedTimer>
#include <QtCore/QTimeZone>
#include <QtPrintSupport/QtPrintSupport>
#include <QtWidgets/QWidget>

#define signals Q_SIGNALS
#define foreach Q_FOREACH
#include <qcustomplot.h>
#undef signals
#undef foreach
