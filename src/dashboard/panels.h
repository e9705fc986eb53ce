// npskit dashboard: the panels, one immediate-mode function each. They draw app.rep (the
// core's report) and edit app.settings; none of them computes a statistic.
#pragma once
#include "app.h"

namespace npskit::dashboard {

void draw_dashboard(app_state& app);

}  // namespace npskit::dashboard
