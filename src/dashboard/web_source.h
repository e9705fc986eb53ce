// npskit dashboard: the browser edge. EM_JS shims named npskit_js_* over web/dashboard/source.js.
// web_source.cpp defines the app layer's platform (app_platform.h: data sources, live events, URL
// hash, downloads, clocks) and, here, what only the frame loop (main.cpp) needs.
// [X] data: file picker and drop, any URL, collector paging + SSE (bytes pulled per frame)
// [X] URL hash read/write, clipboard, Blob downloads, canvas size × devicePixelRatio, clock
#pragma once
#include "app_platform.h"

namespace npskit::dashboard {

double web_fit_canvas();  // resizes the canvas; returns devicePixelRatio
void web_canvas_size(int& width, int& height);
double web_input_age_ms();  // since the last pointer, key, wheel, touch or focus event
void web_set_clipboard(const char* text);
const char* web_get_clipboard();
// The survey editor's preview iframe over the canvas, at a rectangle in device pixels.
void web_place_preview(bool shown, float x, float y, float w, float h);

}  // namespace npskit::dashboard
