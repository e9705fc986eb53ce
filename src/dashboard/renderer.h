// npskit dashboard: our WebGL2 renderer for Dear ImGui draw lists (not imgui_impl_opengl3).
// [X] GLSL ES 3.00 shaders from shaders/, embedded at build time
// [X] 32-bit indices (ImDrawIdx = unsigned int): no 64k-vertex limit per draw list
// [X] scissor clipping, user texture ids, font atlas rebuild on a DPI change
// [ ] ImDrawCallback_ResetRenderState (no panel uses callbacks)
#pragma once
#include <cstddef>

struct ImDrawData;

namespace npskit::dashboard {

bool renderer_setup();  // needs a current WebGL2 context; false if shaders fail
void renderer_shutdown();
void renderer_upload_fonts();  // after (re)building io.Fonts
void renderer_draw(ImDrawData* draw_data, int framebuffer_width, int framebuffer_height);

// The embedded TTF (DejaVu Sans): bytes owned by the bundle, never freed.
const unsigned char* embedded_font_data();
size_t embedded_font_size();

}  // namespace npskit::dashboard
