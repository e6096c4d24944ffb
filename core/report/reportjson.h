#pragma once

#include "report/reportdata.h"

#include <nlohmann/json.hpp>

// The report as one JSON document, `schema_version` 1, described by docs/report.schema.json
// (installed beside the binaries). Numbers are in the units their keys name; unknown is null.
namespace canary::report {

nlohmann::json toJson(const ReportData &report);

} // namespace canary::report
