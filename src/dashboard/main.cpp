// npskit dashboard: GLFW (Emscripten's built-in) + our WebGL2 renderer, the frame loop, and
// the functions JavaScript calls (npskit_*: the test hook and the benchmark hooks).
// [X] high-DPI: canvas = CSS size × devicePixelRatio, font rasterized at size × dpr, sizes scaled
// [X] resizes with the window; a DPI change (zoom, other screen) rebuilds the font atlas
// [X] clipboard through io.Get/SetClipboardTextFn; light and dark themes
#include <GLES3/gl3.h>
#include <emscripten.h>
#define GLFW_INCLUDE_ES3
#include <GLFW/glfw3.h>

#include <cmath>
#include <cstdio>

#include "app.h"
#include "imgui.h"
#include "imgui_impl_glfw.h"
#include "panels.h"
#include "renderer.h"
#include "web_source.h"

using namespace npskit::dashboard;

namespace {
app_state g_app;  // the one instance; every function below receives it explicitly
GLFWwindow* g_window = nullptr;
dashboard_fonts g_fonts;
float g_font_dpr = 0;  // dpr the atlas was built for
bool g_dark_applied = false, g_theme_set = false;

const char* get_clipboard(void*) { return web_get_clipboard(); }
void set_clipboard(void*, const char* text) { web_set_clipboard(text); }

// Browsers report wheel deltas in pixels (~100 a notch); ImGui expects notches.
void on_scroll(GLFWwindow* w, double dx, double dy) {
    auto notch = [](double v) { return std::fabs(v) >= 20 ? v / 100.0 : v / 3.0; };
    ImGui_ImplGlfw_ScrollCallback(w, -notch(dx), -notch(dy));
}

void build_fonts(float dpr) {
    ImGuiIO& io = ImGui::GetIO();
    io.Fonts->Clear();
    static const ImWchar ranges[] = {
        0x0020, 0x00FF,  // Basic Latin + Latin-1 (French accents)
        0x0100, 0x017F,  // Latin Extended-A (œ, Œ, ŀ)
        0x2010, 0x2027,  // dashes, quotes, bullet, ellipsis
        0x2030, 0x203A,  // ‰ ‹ ›
        0x20AC, 0x20AC,  // €
        0x2190, 0x2193,  // arrows ← ↑ → ↓
        0x2212, 0x2212,  // minus sign
        0x25B2, 0x25BC,  // ▲ ▼
        0x25CF, 0x25CF,  // ●
        0,
    };
    ImFontConfig cfg;
    cfg.FontDataOwnedByAtlas = false;  // the bytes live in the bundle
    cfg.OversampleH = 2;
    cfg.OversampleV = 1;
    void* data = const_cast<unsigned char*>(embedded_font_data());
    int size = static_cast<int>(embedded_font_size());
    g_fonts.regular = io.Fonts->AddFontFromMemoryTTF(data, size, std::round(15.0f * dpr), &cfg, ranges);
    g_fonts.big = io.Fonts->AddFontFromMemoryTTF(data, size, std::round(40.0f * dpr), &cfg, ranges);
    io.Fonts->Build();
    renderer_upload_fonts();
    g_font_dpr = dpr;
}

void apply_style(float dpr, bool dark) {
    ImGuiStyle style;
    if (dark)
        ImGui::StyleColorsDark(&style);
    else
        ImGui::StyleColorsLight(&style);
    style.WindowRounding = 6;
    style.ChildRounding = 6;
    style.FrameRounding = 4;
    style.GrabRounding = 4;
    style.PopupRounding = 4;
    style.WindowPadding = ImVec2(12, 10);
    style.FramePadding = ImVec2(8, 4);
    style.ItemSpacing = ImVec2(8, 6);
    style.CellPadding = ImVec2(6, 3);
    ImVec4* c = style.Colors;
    if (dark) {
        c[ImGuiCol_WindowBg] = ImVec4(0.086f, 0.094f, 0.114f, 1);
        c[ImGuiCol_ChildBg] = ImVec4(0.125f, 0.133f, 0.161f, 1);
        c[ImGuiCol_Border] = ImVec4(0.24f, 0.25f, 0.29f, 1);
    } else {
        c[ImGuiCol_WindowBg] = ImVec4(0.957f, 0.961f, 0.969f, 1);
        c[ImGuiCol_ChildBg] = ImVec4(1, 1, 1, 1);
        c[ImGuiCol_Border] = ImVec4(0.85f, 0.86f, 0.88f, 1);
        c[ImGuiCol_Text] = ImVec4(0.10f, 0.11f, 0.13f, 1);
    }
    style.ScaleAllSizes(dpr);
    ImGui::GetStyle() = style;
}

// What the last drawn frame showed: a frame is drawn only when this differs, when input
// arrived, or when a second has passed (also the pace of a load's progress). A still dashboard
// then costs the page, and the GPU or the software compositor, almost nothing.
struct drawn_frame {
    double at_ms = -1e9;
    uint64_t builds = ~0ull, live_events = 0;
    int width = 0, height = 0;
    float dpr = 0;
    bool dark = false;
    load_phase phase = load_phase::idle;
    live_state live = live_state::off;
};
drawn_frame g_drawn;
double g_frames_drawn = 0;  // frames drawn since the start (tests hold input across one)

bool frame_needed(const app_state& app, int width, int height, double now) {
    const drawn_frame& d = g_drawn;
    const double since = now - d.at_ms;
    if (web_input_age_ms() < 1000 || ImGui::GetIO().WantTextInput) return true;  // hover, caret, popups
    if (width != d.width || height != d.height || app.dpr != d.dpr || app.settings.dark != d.dark) return true;
    if (app.load.phase != d.phase) return true;
    if (app.follow_up.dirty || app.follow_up.scroll_to) return true;  // a status saved or loaded
    if (app.ui.relayout) return true;                                 // a panel sized by its content changed height
    // Progress and partial figures once a second: where the browser composites in software (no
    // GPU, a VM, headless), a drawn frame costs the main thread ~120 ms that the import needs.
    if (app.load.phase == load_phase::loading) return since >= 1000;
    if (app.builds != d.builds || app.live.events != d.live_events || app.live.state != d.live) return true;
    return since >= 1000;  // countdowns ("reconnecting in 3 s") and anything else that ages
}

void frame() {
    ImGuiIO& io = ImGui::GetIO();
    float dpr = static_cast<float>(web_fit_canvas());
    g_app.dpr = dpr;
    if (dpr != g_font_dpr) {
        build_fonts(dpr);
        g_theme_set = false;
    }
    if (!g_theme_set || g_dark_applied != g_app.settings.dark) {
        apply_style(dpr, g_app.settings.dark);
        g_dark_applied = g_app.settings.dark;
        g_theme_set = true;
    }
    app_poll_hash(g_app);
    // A load is also pumped between frames (npskit_pump, scheduled by the page as bytes
    // arrive), so the frame itself only takes a short turn.
    bool busy = g_app.load.phase == load_phase::loading;
    app_pump(g_app, busy ? 20.0 : 4.0);
    app_rebuild_if_dirty(g_app);

    int width = 0, height = 0;
    web_canvas_size(width, height);
    if (!frame_needed(g_app, width, height, now_ms())) return;
    const double draw_start = now_ms();
    ImGui_ImplGlfw_NewFrame();
    // The canvas is already in device pixels (mouse coordinates too): one ImGui unit = one pixel.
    io.DisplaySize = ImVec2(static_cast<float>(width), static_cast<float>(height));
    io.DisplayFramebufferScale = ImVec2(1, 1);
    ImGui::NewFrame();
    draw_dashboard(g_app, g_fonts);
    ImGui::Render();
    const ImVec4 bg = ImGui::GetStyle().Colors[ImGuiCol_WindowBg];
    glClearColor(bg.x, bg.y, bg.z, 1);
    glClear(GL_COLOR_BUFFER_BIT);
    renderer_draw(ImGui::GetDrawData(), width, height);
    g_frames_drawn += 1;
    g_drawn = {now_ms(), g_app.builds, g_app.live.events, width, height, dpr, g_app.settings.dark, g_app.load.phase, g_app.live.state};
    // A drawn frame's own cost (ImGui, draw lists, GL calls): re-scoring is timed on its own
    // (build_cpu_ms), and a frame with nothing new draws nothing.
    double spent = now_ms() - draw_start;
    g_app.frame_cpu_ms = g_app.frame_cpu_ms == 0 ? spent : g_app.frame_cpu_ms * 0.9 + spent * 0.1;
}
}  // namespace

extern "C" {
// window.npskitDashboard.state(): the current figures as JSON (valid until the next call).
EMSCRIPTEN_KEEPALIVE const char* npskit_state_json() {
    static std::string text;
    // Figures always match the filters and the rows reported (no throttled re-score pending).
    if (g_app.filters_dirty || g_app.data_dirty) app_rebuild(g_app);
    app_follow_up_refresh(g_app);  // and the follow-up list matches its filters
    text = app_state_json(g_app);
    return text.c_str();
}
// window.npskitDashboard.loadStatus(): the load's progress, without re-scoring.
EMSCRIPTEN_KEEPALIVE const char* npskit_load_json() {
    static std::string text;
    text = app_load_json(g_app);
    return text.c_str();
}
// Imports queued bytes for up to `budget_ms` between frames; true while a load wants more turns.
// The frame loop alone would import only while rAF runs, and a frame that waits for the
// compositor (software GL in headless Chromium: ~100 ms) would leave the main thread idle.
EMSCRIPTEN_KEEPALIVE int npskit_pump(double budget_ms) {
    app_pump(g_app, budget_ms);
    return g_app.load.phase == load_phase::loading ? 1 : 0;
}
EMSCRIPTEN_KEEPALIVE void npskit_load_demo(double rows) { app_load_demo(g_app, static_cast<uint64_t>(rows)); }
// The column-mapping step without the modal (tests): -1 = absent.
EMSCRIPTEN_KEEPALIVE void npskit_set_mapping(int score, int ts, int comment) {
    npskit::column_mapping m = g_app.ui.pending_mapping;
    m.score = score;
    m.ts = ts;
    m.comment = comment;
    app_apply_mapping(g_app, m);
}
// Re-scores every panel now and returns the CPU milliseconds it took.
// window.npskitDashboard.showFollowUp(): the follow-up panel scrolled into view.
EMSCRIPTEN_KEEPALIVE void npskit_show_follow_up() { g_app.follow_up.scroll_to = true; }
// window.npskitDashboard.framesDrawn(): ImGui 1.86 samples keys and buttons once a drawn frame, so
// a press released before the next one is lost; tests hold input until this count moves.
EMSCRIPTEN_KEEPALIVE double npskit_frames_drawn() { return g_frames_drawn; }
EMSCRIPTEN_KEEPALIVE double npskit_rescore_ms() {
    app_rebuild(g_app);
    return g_app.build_cpu_ms;
}
}

int main() {
    if (!glfwInit()) return 1;
    glfwWindowHint(GLFW_CLIENT_API, GLFW_OPENGL_ES_API);
    glfwWindowHint(GLFW_CONTEXT_VERSION_MAJOR, 3);
    glfwWindowHint(GLFW_CONTEXT_VERSION_MINOR, 0);
    glfwWindowHint(GLFW_ALPHA_BITS, 0);  // an opaque canvas: no blending with the page
    glfwWindowHint(GLFW_SAMPLES, 0);     // ImGui anti-aliases its own geometry
    double dpr = web_fit_canvas();
    int width = 0, height = 0;
    web_canvas_size(width, height);
    g_window = glfwCreateWindow(width, height, "npskit dashboard", nullptr, nullptr);
    if (!g_window) return 1;
    glfwMakeContextCurrent(g_window);

    IMGUI_CHECKVERSION();
    ImGui::CreateContext();
    ImGuiIO& io = ImGui::GetIO();
    io.IniFilename = nullptr;  // no file system; the layout is fixed and the view is in the URL hash
    io.ConfigFlags |= ImGuiConfigFlags_NavEnableKeyboard;
    ImGui_ImplGlfw_InitForOpenGL(g_window, true);
    // After the GLFW backend, which installs Emscripten GLFW's clipboard (a no-op).
    io.GetClipboardTextFn = get_clipboard;
    io.SetClipboardTextFn = set_clipboard;
    io.ClipboardUserData = nullptr;
    glfwSetScrollCallback(g_window, on_scroll);
    if (!renderer_setup()) {
        std::fprintf(stderr, "npskit: WebGL2 renderer failed to start\n");
        return 1;
    }
    (void)dpr;
    app_setup(g_app);
    EM_ASM({ NpskitWeb.ready = true; });
    emscripten_set_main_loop(frame, 0, false);
    return 0;
}
