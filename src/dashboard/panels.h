// npskit dashboard: the panels, one immediate-mode function each. They read one computed model
// (the core's report and the load and live status, const) and edit only the view settings and
// the UI state they draw; what a click asks for (open, export, demo data, the mapping) goes to
// the app layer once the frame is drawn. None of them computes a statistic.
#pragma once
#include "app.h"

struct ImFont;

namespace npskit::dashboard {

struct dashboard_fonts {
    ImFont* regular = nullptr;
    ImFont* big = nullptr;  // the headline's score
};

void draw_dashboard(app_state& app, const dashboard_fonts& fonts);

}  // namespace npskit::dashboard
