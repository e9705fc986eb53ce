// npskit dashboard panels.
//
// [SECTION] Palette and small helpers
// [SECTION] Charts drawn with the draw list (gauge, stacked bar, histogram, trend)
// [SECTION] Top bar, load status, column mapping
// [SECTION] Filters
// [SECTION] Panels: headline, distribution, trend, breakdown, response rate, comments
// [SECTION] Follow-up list (issue 15)
// [SECTION] Survey editor (issue 16)
// [SECTION] Layout
#include "panels.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "app_platform.h"
#include "calendar.h"
#include "imgui.h"
#include "imgui_internal.h"
#include "imgui_stdlib.h"
#include "web_source.h"

namespace npskit::dashboard {

//-----------------------------------------------------------------------------
// [SECTION] Palette and small helpers
//-----------------------------------------------------------------------------
namespace {
// What a frame of panels reads: the computed model, never edited by a panel.
struct panel_model {
    const report& rep;
    const load_status& load;
    const live_status& live;
    const std::vector<attribute_column>& attributes;  // the filter menus' keys and values
    size_t rows;
    const std::vector<std::string>* header;  // the CSV header while a load runs (the mapping step)
    bool dark;
    float dpr;
    ImFont* font_regular;
    ImFont* font_big;
    const aggregate_view* agg = nullptr;  // the aggregate path (a large collector): no rows here
};

// What a click asks of the app layer, done by draw_dashboard once the frame is drawn.
struct panel_actions {
    std::optional<date_preset> set_range;
    std::string open_url;
    uint64_t demo_rows = 0;
    bool write_hash = false;  // the theme: into the hash, nothing to re-score
    bool resort = false;      // the breakdown's sort column or direction
    bool apply_mapping = false, pick_file = false, export_csv = false, export_report = false;
    bool copy_digest = false;  // the digest's text onto the clipboard
};

// What panels edit: the view settings and the UI's own state (text fields, sort, rectangles).
struct panel_ui {
    view_settings& settings;
    ui_state& ui;
    panel_actions act;
    bool changed;  // the settings changed: hash + re-score
};

const ImU32 col_detractor = IM_COL32(229, 72, 77, 255);
const ImU32 col_passive = IM_COL32(240, 160, 32, 255);
const ImU32 col_promoter = IM_COL32(48, 164, 108, 255);
const ImU32 segment_colors[3] = {col_detractor, col_passive, col_promoter};
// Reference bands: < 0, 0–30, 30–50, ≥ 50.
const ImU32 band_colors[4] = {IM_COL32(229, 72, 77, 40), IM_COL32(240, 160, 32, 36), IM_COL32(120, 190, 80, 40),
                              IM_COL32(48, 164, 108, 56)};
const double band_edges[5] = {-100, 0, 30, 50, 100};

float S(float logical, const panel_model& m) { return logical * m.dpr; }  // logical → device pixels

ImVec4 to_vec4(ImU32 c) { return ImGui::ColorConvertU32ToFloat4(c); }

std::string with_thousands(uint64_t n) {
    std::string digits = std::to_string(n), out;
    for (size_t i = 0; i < digits.size(); ++i) {
        if (i && (digits.size() - i) % 3 == 0) out.push_back(',');
        out.push_back(digits[i]);
    }
    return out;
}

std::string fmt(const char* format, double v) {
    char buf[64];
    std::snprintf(buf, sizeof buf, format, v);
    return buf;
}

// NPS for people: rounded half away from zero, explicit sign, a real minus sign.
std::string nps_text(double nps) {
    std::string t = format_rounded(nps, 0);
    if (t == "-0") t = "0";
    if (!t.empty() && t[0] == '-') return "\xE2\x88\x92" + t.substr(1);
    return (nps >= 0.5 ? "+" : "") + t;
}
std::string signed_text(double v, int decimals = 1) {
    std::string t = format_rounded(v, decimals);
    if (!t.empty() && t[0] == '-') return "\xE2\x88\x92" + t.substr(1);
    return "+" + t;
}

ImU32 text_color() { return ImGui::GetColorU32(ImGuiCol_Text); }
ImU32 muted_color() { return ImGui::GetColorU32(ImGuiCol_TextDisabled); }

void muted(const char* text) {
    ImGui::PushStyleColor(ImGuiCol_Text, ImGui::GetStyleColorVec4(ImGuiCol_TextDisabled));
    ImGui::TextUnformatted(text);
    ImGui::PopStyleColor();
}

void panel_title(const char* title) {
    ImGui::TextUnformatted(title);
    ImGui::Separator();
}

// Lays the next item of `width` on the current line when it fits, else on a new line
// (narrow screens wrap toolbars instead of overlapping them).
void flow(float width) {
    float x = ImGui::GetItemRectMax().x + ImGui::GetStyle().ItemSpacing.x;
    float right = ImGui::GetWindowPos().x + ImGui::GetWindowContentRegionMax().x;
    if (x + width <= right) ImGui::SameLine();
}
float button_width(const char* label) { return ImGui::CalcTextSize(label, nullptr, true).x + ImGui::GetStyle().FramePadding.x * 2; }

// Remembers the last item's rectangle under `name` (the test hook reports it).
void note_rect(panel_ui& u, const std::string& name) {
    ImVec2 a = ImGui::GetItemRectMin(), b = ImGui::GetItemRectMax();
    u.ui.rects[name] = {a.x, a.y, b.x - a.x, b.y - a.y};
}

bool begin_panel(const char* id, float height) { return ImGui::BeginChild(id, ImVec2(0, height), true); }

// A chip-like toggle button; returns true when clicked.
bool chip(const char* label, bool active, ImU32 color = 0) {
    if (active) {
        ImU32 c = color ? color : ImGui::GetColorU32(ImGuiCol_ButtonActive);
        ImGui::PushStyleColor(ImGuiCol_Button, c);
        ImGui::PushStyleColor(ImGuiCol_Text, IM_COL32_WHITE);
    }
    bool clicked = ImGui::SmallButton(label);
    if (active) ImGui::PopStyleColor(2);
    return clicked;
}

// A chip exactly `width` wide: `text` cut with "…" when it is wider (rows of a table-like view
// keep their columns; the tooltip or the row's sentence has the whole text). `id` keeps the
// ImGui id apart from the text ("##d").
bool chip_cut(const std::string& text, const char* id, float width, bool active, ImU32 color = 0) {
    const float pad = ImGui::GetStyle().FramePadding.x * 2;
    std::string shown = text;
    if (ImGui::CalcTextSize(shown.c_str()).x + pad > width) {
        // Drop whole UTF-8 characters from the end until the text and "…" fit.
        while (!shown.empty() && ImGui::CalcTextSize((shown + "…").c_str()).x + pad > width) {
            size_t n = shown.size() - 1;
            while (n > 0 && (static_cast<unsigned char>(shown[n]) & 0xC0) == 0x80) --n;
            shown.resize(n);
        }
        shown += "…";
    }
    if (active) {
        ImGui::PushStyleColor(ImGuiCol_Button, color ? color : ImGui::GetColorU32(ImGuiCol_ButtonActive));
        ImGui::PushStyleColor(ImGuiCol_Text, IM_COL32_WHITE);
    }
    // As SmallButton (the other chips): no vertical padding.
    ImGui::PushStyleVar(ImGuiStyleVar_FramePadding, ImVec2(ImGui::GetStyle().FramePadding.x, 0));
    ImGui::PushStyleVar(ImGuiStyleVar_ButtonTextAlign, ImVec2(0, 0.5f));
    bool clicked = ImGui::Button((shown + id).c_str(), ImVec2(std::max(width, 1.0f), 0));  // 0 would size it to the text
    ImGui::PopStyleVar(2);
    if (active) ImGui::PopStyleColor(2);
    return clicked;
}

//-----------------------------------------------------------------------------
// [SECTION] Charts drawn with the draw list
//-----------------------------------------------------------------------------
void stacked_bar(const panel_model& m, const headline_view& h, float height) {
    const nps_result& s = h.score;
    ImDrawList* dl = ImGui::GetWindowDrawList();
    ImVec2 p = ImGui::GetCursorScreenPos();
    float width = ImGui::GetContentRegionAvail().x;
    ImGui::Dummy(ImVec2(width, height));
    float rounding = S(3, m);
    if (!s.n) {
        dl->AddRectFilled(p, ImVec2(p.x + width, p.y + height), ImGui::GetColorU32(ImGuiCol_FrameBg), rounding);
        return;
    }
    const uint64_t counts[3] = {s.detractors, s.passives, s.promoters};
    float x = p.x;
    for (int i = 2; i >= 0; --i) {  // promoters on the left, as people read NPS
        float w = width * static_cast<float>(counts[i]) / static_cast<float>(s.n);
        if (w <= 0) continue;
        dl->AddRectFilled(ImVec2(x, p.y), ImVec2(x + w, p.y + height), segment_colors[i]);
        std::string label = format_rounded(h.segment_percent[i], 0) + "%";
        ImVec2 ts = ImGui::CalcTextSize(label.c_str());
        if (ts.x + S(6, m) < w) dl->AddText(ImVec2(x + (w - ts.x) / 2, p.y + (height - ts.y) / 2), IM_COL32_WHITE, label.c_str());
        x += w;
    }
    if (ImGui::IsItemHovered())
        ImGui::SetTooltip("promoters %s · passives %s · detractors %s", with_thousands(s.promoters).c_str(),
                          with_thousands(s.passives).c_str(), with_thousands(s.detractors).c_str());
}

// Half-circle gauge from −100 (left) to +100 (right): reference bands, the CI arc, a needle.
void gauge(const panel_model& m, const nps_result& s, float radius) {
    ImDrawList* dl = ImGui::GetWindowDrawList();
    ImVec2 p = ImGui::GetCursorScreenPos();
    ImVec2 center(p.x + radius + S(4, m), p.y + radius + S(4, m));
    ImGui::Dummy(ImVec2(radius * 2 + S(8, m), radius + S(24, m)));
    auto angle = [](double v) { return static_cast<float>(IM_PI + (v + 100.0) / 200.0 * IM_PI); };
    float thick = radius * 0.22f;
    for (int b = 0; b < 4; ++b) {
        dl->PathArcTo(center, radius - thick / 2, angle(band_edges[b]), angle(band_edges[b + 1]), 32);
        dl->PathStroke((band_colors[b] & 0x00FFFFFF) | (static_cast<ImU32>(110) << 24), 0, thick);
    }
    if (!s.has_score) return;
    // Confidence interval as a darker arc inside the band ring.
    dl->PathArcTo(center, radius - thick - S(5, m), angle(s.ci_low), angle(s.ci_high), 32);
    dl->PathStroke(text_color() & 0x80FFFFFF, 0, S(4, m));
    float a = angle(s.nps);
    ImVec2 tip(center.x + std::cos(a) * (radius - S(2, m)), center.y + std::sin(a) * (radius - S(2, m)));
    dl->AddLine(center, tip, text_color(), S(2.5f, m));
    dl->AddCircleFilled(center, S(5, m), text_color(), 24);
    ImVec2 l = ImGui::CalcTextSize("-100");
    dl->AddText(ImVec2(center.x - radius, center.y + S(4, m)), muted_color(), "-100");
    dl->AddText(ImVec2(center.x + radius - l.x * 0.75f, center.y + S(4, m)), muted_color(), "100");
}

void histogram_chart(const panel_model& m, const headline_view& head, float height) {
    const score_histogram& h = head.histogram;
    ImDrawList* dl = ImGui::GetWindowDrawList();
    ImVec2 p = ImGui::GetCursorScreenPos();
    float width = ImGui::GetContentRegionAvail().x;
    ImGui::InvisibleButton("histogram", ImVec2(width, height));
    float label_h = ImGui::GetTextLineHeight();
    float top = p.y + label_h + S(2, m), bottom = p.y + height - label_h - S(4, m);
    uint64_t max_count = 1;
    for (uint64_t c : h.bins) max_count = std::max(max_count, c);
    uint64_t n = h.n();
    float slot = width / 11.0f, gap = std::max(S(2, m), slot * 0.14f);
    int hovered = -1;
    if (ImGui::IsItemHovered()) hovered = std::clamp(static_cast<int>((ImGui::GetIO().MousePos.x - p.x) / slot), 0, 10);
    for (int s = 0; s <= 10; ++s) {
        float x0 = p.x + s * slot + gap / 2, x1 = p.x + (s + 1) * slot - gap / 2;
        float bh = (bottom - top) * static_cast<float>(h.bins[s]) / static_cast<float>(max_count);
        ImU32 c = segment_colors[static_cast<int>(segment_of(s))];
        if (hovered >= 0 && hovered != s) c = (c & 0x00FFFFFF) | (static_cast<ImU32>(150) << 24);
        dl->AddRectFilled(ImVec2(x0, bottom - bh), ImVec2(x1, bottom), c, S(2, m), ImDrawFlags_RoundCornersTop);
        // The exact count when it fits above the bar, else shorter forms (narrow screens); the
        // tooltip always has the exact figure.
        std::string count = h.bins[s] >= 10000 ? fmt("%.0fk", h.bins[s] / 1000.0) : std::to_string(h.bins[s]);
        ImVec2 cs = ImGui::CalcTextSize(count.c_str());
        for (const char* form : {"%.1fk", "%.0fk"}) {
            if (cs.x <= slot || h.bins[s] < 1000) break;
            count = fmt(form, h.bins[s] / 1000.0);
            cs = ImGui::CalcTextSize(count.c_str());
        }
        if (cs.x <= slot) dl->AddText(ImVec2((x0 + x1 - cs.x) / 2, bottom - bh - cs.y - S(1, m)), muted_color(), count.c_str());
        std::string label = std::to_string(s);
        ImVec2 ls = ImGui::CalcTextSize(label.c_str());
        dl->AddText(ImVec2((x0 + x1 - ls.x) / 2, bottom + S(3, m)), text_color(), label.c_str());
    }
    if (hovered >= 0)
        ImGui::SetTooltip("score %d (%s): %s responses, %s%%", hovered, segment_name(segment_of(hovered)),
                          with_thousands(h.bins[hovered]).c_str(), n ? format_rounded(head.score_percent[hovered], 1).c_str() : "0");
}

void trend_chart(const panel_model& m, const report& rep, float height) {
    ImDrawList* dl = ImGui::GetWindowDrawList();
    ImVec2 p = ImGui::GetCursorScreenPos();
    float width = ImGui::GetContentRegionAvail().x;
    ImGui::InvisibleButton("trend", ImVec2(width, height));
    const auto& pts = rep.trend;
    float axis_w = ImGui::CalcTextSize("-100").x + S(6, m);
    float label_h = ImGui::GetTextLineHeight();
    float counts_h = std::max(S(28, m), height * 0.18f);
    ImVec2 plot0(p.x + axis_w, p.y + S(4, m));
    ImVec2 plot1(p.x + width - S(4, m), p.y + height - counts_h - label_h - S(10, m));
    float counts_top = plot1.y + S(6, m), counts_bottom = counts_top + counts_h;
    if (pts.empty() || plot1.x <= plot0.x) {
        dl->AddText(ImVec2(plot0.x, plot0.y), muted_color(), "No responses in this range.");
        return;
    }
    double lo = 100, hi = -100;
    uint64_t max_n = 1;
    for (const auto& t : pts) {
        max_n = std::max(max_n, t.score.n);
        if (!t.score.has_score) continue;
        lo = std::min(lo, t.score.ci_low);
        hi = std::max(hi, t.score.ci_high);
    }
    if (lo > hi) lo = -100, hi = 100;
    lo = std::max(-100.0, std::floor((lo - 5) / 10) * 10);
    hi = std::min(100.0, std::ceil((hi + 5) / 10) * 10);
    if (hi - lo < 20) hi = std::min(100.0, lo + 20), lo = hi - 20;
    auto y_of = [&](double v) { return static_cast<float>(plot1.y - (v - lo) / (hi - lo) * (plot1.y - plot0.y)); };
    size_t count = pts.size();
    float step = (plot1.x - plot0.x) / static_cast<float>(count);
    auto x_of = [&](size_t i) { return plot0.x + step * (static_cast<float>(i) + 0.5f); };

    dl->PushClipRect(plot0, plot1, true);
    for (int b = 0; b < 4; ++b) {
        if (band_edges[b + 1] <= lo || band_edges[b] >= hi) continue;
        dl->AddRectFilled(ImVec2(plot0.x, y_of(std::min(hi, band_edges[b + 1]))), ImVec2(plot1.x, y_of(std::max(lo, band_edges[b]))),
                          band_colors[b]);
    }
    dl->PopClipRect();
    const double grid = (hi - lo) > 100 ? 50 : (hi - lo) > 40 ? 20 : 10;
    for (double g = std::ceil(lo / grid) * grid; g <= hi + 1e-9; g += grid) {
        float y = y_of(g);
        dl->AddLine(ImVec2(plot0.x, y), ImVec2(plot1.x, y), ImGui::GetColorU32(ImGuiCol_Border), g == 0 ? S(1.5f, m) : S(1, m));
        std::string t = fmt("%.0f", g);
        ImVec2 ts = ImGui::CalcTextSize(t.c_str());
        dl->AddText(ImVec2(plot0.x - ts.x - S(4, m), y - ts.y / 2), muted_color(), t.c_str());
    }
    // Confidence band: one trapezoid per pair of neighbouring scored buckets (each convex).
    const ImU32 band = m.dark ? IM_COL32(120, 170, 255, 60) : IM_COL32(40, 100, 220, 45);
    const ImU32 line = m.dark ? IM_COL32(130, 180, 255, 255) : IM_COL32(30, 90, 210, 255);
    for (size_t i = 0; i + 1 < count; ++i) {
        const auto &a = pts[i].score, &b = pts[i + 1].score;
        if (!a.has_score || !b.has_score) continue;
        ImVec2 quad[4] = {ImVec2(x_of(i), y_of(a.ci_high)), ImVec2(x_of(i + 1), y_of(b.ci_high)), ImVec2(x_of(i + 1), y_of(b.ci_low)),
                          ImVec2(x_of(i), y_of(a.ci_low))};
        dl->AddConvexPolyFilled(quad, 4, band);
    }
    // The line, broken where a bucket has no answers.
    std::vector<ImVec2> run;
    auto flush = [&] {
        if (run.size() >= 2) dl->AddPolyline(run.data(), static_cast<int>(run.size()), line, 0, S(2, m));
        run.clear();
    };
    for (size_t i = 0; i < count; ++i) {
        if (!pts[i].score.has_score) {
            flush();
            continue;
        }
        run.push_back(ImVec2(x_of(i), y_of(pts[i].score.nps)));
    }
    flush();
    float dot = count > 60 ? S(1.5f, m) : S(3, m);
    for (size_t i = 0; i < count; ++i)
        if (pts[i].score.has_score) {
            ImVec2 c(x_of(i), y_of(pts[i].score.nps));
            if (count == 1) {  // a single bucket: show its interval as an error bar
                dl->AddLine(ImVec2(c.x, y_of(pts[i].score.ci_low)), ImVec2(c.x, y_of(pts[i].score.ci_high)), line, S(2, m));
            }
            dl->AddCircleFilled(c, dot, line, 12);
        }
    // Response counts under the chart.
    float bar_w = std::max(S(1, m), step * 0.7f);
    for (size_t i = 0; i < count; ++i) {
        float h = counts_h * static_cast<float>(pts[i].score.n) / static_cast<float>(max_n);
        dl->AddRectFilled(ImVec2(x_of(i) - bar_w / 2, counts_bottom - h), ImVec2(x_of(i) + bar_w / 2, counts_bottom),
                          ImGui::GetColorU32(ImGuiCol_TextDisabled, 0.55f));
    }
    dl->AddText(ImVec2(p.x, counts_top), muted_color(), "n");
    // Sparse x labels: first, last and evenly spaced between.
    float label_w = ImGui::CalcTextSize("2026-W00").x + S(12, m);
    size_t every = std::max<size_t>(1, static_cast<size_t>(std::ceil(label_w / step)));
    float last_x = -1e9f;
    for (size_t i = 0; i < count; i += every) {
        ImVec2 ts = ImGui::CalcTextSize(pts[i].key.c_str());
        float x = std::clamp(x_of(i) - ts.x / 2, p.x, p.x + width - ts.x);
        if (x < last_x) continue;
        dl->AddText(ImVec2(x, counts_bottom + S(3, m)), muted_color(), pts[i].key.c_str());
        last_x = x + ts.x + S(8, m);
    }
    if (ImGui::IsItemHovered()) {
        float mx = ImGui::GetIO().MousePos.x;
        size_t i = static_cast<size_t>(std::clamp((mx - plot0.x) / step, 0.0f, static_cast<float>(count - 1)));
        dl->AddLine(ImVec2(x_of(i), plot0.y), ImVec2(x_of(i), counts_bottom), muted_color(), S(1, m));
        const trend_point& t = pts[i];
        ImGui::BeginTooltip();
        ImGui::Text("%s", t.key.c_str());
        if (t.score.has_score) {
            ImGui::Text("NPS %s  (95%% CI %s to %s)", nps_text(t.score.nps).c_str(), format_rounded(t.score.ci_low, 1).c_str(),
                        format_rounded(t.score.ci_high, 1).c_str());
        } else {
            ImGui::TextUnformatted("no answers");
        }
        ImGui::Text("n = %s · shown %s · dismissed %s", with_thousands(t.score.n).c_str(), with_thousands(t.shown).c_str(),
                    with_thousands(t.dismissed).c_str());
        if (t.vs_previous.valid)
            ImGui::Text("vs previous: %s%s", signed_text(t.vs_previous.difference).c_str(),
                        t.vs_previous.significant ? " (significant)" : " (not significant)");
        ImGui::EndTooltip();
    }
}

//-----------------------------------------------------------------------------
// [SECTION] Top bar, load status, column mapping
//-----------------------------------------------------------------------------
// "Copy digest": the text the collector sends each week (src/core/view/digest.h), from the
// loaded rows, so a file works as well as the collector. Right of "Report JSON".
float digest_button_width() { return button_width("Copy digest") + ImGui::GetStyle().ItemSpacing.x; }
void digest_button(panel_ui& u) {
    flow(button_width("Copy digest"));
    if (ImGui::Button("Copy digest")) u.act.copy_digest = true;
    note_rect(u, "copy_digest");
    if (ImGui::IsItemHovered()) {  // wrapped: a phone's width holds it
        ImGui::BeginTooltip();
        ImGui::PushTextWrapPos(ImGui::GetFontSize() * 18);
        ImGui::TextUnformatted("Copies the week's digest as text for Slack or email: NPS, change, response rate, themes");
        ImGui::PopTextWrapPos();
        ImGui::EndTooltip();
    }
}

void draw_top_bar(const panel_model& m, panel_ui& u) {
    ImGui::PushFont(m.font_regular);
    ImGui::TextUnformatted("npskit");
    ImGui::SameLine();
    muted("NPS dashboard");
    ImGui::SameLine(0, S(16, m));
    if (ImGui::GetContentRegionAvail().x < S(160, m)) ImGui::NewLine();
    // Source and live state.
    const load_status& l = m.load;
    if (m.live.state != live_state::off) {
        ImU32 c = m.live.state == live_state::live ? col_promoter : m.live.state == live_state::connecting ? col_passive : col_detractor;
        ImVec2 pos = ImGui::GetCursorScreenPos();
        float r = S(5, m), h = ImGui::GetTextLineHeight();
        ImGui::GetWindowDrawList()->AddCircleFilled(ImVec2(pos.x + r, pos.y + h / 2), r, c, 16);
        ImGui::Dummy(ImVec2(r * 2 + S(2, m), h));
        ImGui::SameLine();
        if (m.live.state == live_state::reconnecting)
            ImGui::Text("reconnecting in %.0f s", std::ceil(m.live.retry_in_ms / 1000));
        else
            ImGui::TextUnformatted(m.live.state == live_state::live ? "live" : "connecting");
        ImGui::SameLine();
    }
    if (l.kind != source_kind::none) {
        std::string src = l.name;
        if (src.size() > 60) src = "…" + src.substr(src.size() - 58);
        std::string head = std::string(source_kind_name(l.kind)) + ": " + src;
        std::string count =
            m.agg && m.agg->on ? with_thousands(m.agg->answers) + " answers, scored from histograms" : with_thousands(m.rows) + " records";
        std::string line = head + " · " + count;
        if (ImGui::CalcTextSize(line.c_str()).x <= ImGui::GetContentRegionAvail().x) {
            muted(line.c_str());
        } else {  // narrow: the source wraps, the count keeps a line of its own (ImGui breaks after commas)
            ImGui::PushTextWrapPos(0);
            muted(head.c_str());
            ImGui::PopTextWrapPos();
            muted(count.c_str());
        }
    }
    ImGui::PopFont();

    // Actions.
    if (ImGui::Button("Open file…")) u.act.pick_file = true;
    note_rect(u, "open_file");
    float url_w = std::min(S(320, m), ImGui::GetContentRegionAvail().x * 0.55f);
    flow(url_w);
    ImGui::SetNextItemWidth(url_w);
    bool go =
        ImGui::InputTextWithHint("##url", "https://… JSON, NDJSON or CSV", u.ui.url, sizeof u.ui.url, ImGuiInputTextFlags_EnterReturnsTrue);
    flow(button_width("Load URL"));
    go |= ImGui::Button("Load URL");
    if (go && u.ui.url[0]) u.act.open_url = u.ui.url;
    flow(button_width("Demo data"));
    if (ImGui::Button("Demo data")) u.act.demo_rows = 20000;
    float right = button_width("Export CSV") + button_width("Report JSON") + button_width("Light") + ImGui::GetStyle().ItemSpacing.x * 2 +
                  digest_button_width();
    float line_end = ImGui::GetItemRectMax().x + ImGui::GetStyle().ItemSpacing.x * 4;
    float content_right = ImGui::GetWindowPos().x + ImGui::GetWindowContentRegionMax().x;
    if (line_end + right <= content_right) ImGui::SameLine(ImGui::GetWindowContentRegionMax().x - right);
    if (ImGui::Button("Export CSV")) u.act.export_csv = true;
    note_rect(u, "export_csv");
    flow(button_width("Report JSON"));
    if (ImGui::Button("Report JSON")) u.act.export_report = true;
    note_rect(u, "export_json");
    digest_button(u);
    flow(button_width("Light"));
    if (ImGui::Button(u.settings.dark ? "Light" : "Dark")) {
        u.settings.dark = !u.settings.dark;
        u.act.write_hash = true;
    }
    note_rect(u, "theme");
}

void draw_load_status(const panel_model& m, panel_ui& u) {
    const load_status& l = m.load;
    if (l.phase == load_phase::loading) {
        float fraction = l.total_bytes > 0 ? static_cast<float>(l.fed_bytes / l.total_bytes) : -1.0f;
        std::string label = fmt("%.1f MB", l.fed_bytes / 1e6) + " · " + with_thousands(l.stats.accepted) + " responses";
        if (fraction >= 0) {
            ImGui::ProgressBar(std::min(fraction, 1.0f), ImVec2(-1, 0), label.c_str());
        } else {
            // Unknown size (collector pages, chunked URLs): an indeterminate bar.
            float t = static_cast<float>(std::fmod(ImGui::GetTime(), 1.5) / 1.5);
            ImGui::ProgressBar(t, ImVec2(-1, 0), label.c_str());
        }
    }
    if (!l.error.empty()) {
        ImGui::PushStyleColor(ImGuiCol_Text, to_vec4(col_detractor));
        ImGui::TextWrapped("%s", l.error.c_str());
        ImGui::PopStyleColor();
    }
    if (!l.note.empty()) ImGui::TextWrapped("Note: %s.", l.note.c_str());
    if (l.stats.skipped > 0) {
        std::string title = with_thousands(l.stats.skipped) + " bad rows skipped (of " + with_thousands(l.stats.records) + ")###badrows";
        ImGui::PushStyleColor(ImGuiCol_Text, to_vec4(col_passive));
        bool open = ImGui::CollapsingHeader(title.c_str(), l.phase == load_phase::failed ? ImGuiTreeNodeFlags_DefaultOpen : 0);
        note_rect(u, "bad_rows");
        ImGui::PopStyleColor();
        if (open) {
            for (const auto& p : l.stats.examples)
                ImGui::BulletText("line %llu: %s", static_cast<unsigned long long>(p.line), p.reason.c_str());
            if (l.stats.examples.size() < l.stats.skipped) muted("(first examples only)");
        }
    }
    if (l.phase == load_phase::mapping && m.header) {
        if (!ImGui::IsPopupOpen("Map columns")) ImGui::OpenPopup("Map columns");
    }
    ImGui::SetNextWindowSize(ImVec2(std::min(S(520, m), ImGui::GetIO().DisplaySize.x * 0.95f), 0));
    if (ImGui::BeginPopupModal("Map columns", nullptr, ImGuiWindowFlags_NoResize)) {
        static const std::vector<std::string> no_header;
        const auto& header = m.header ? *m.header : no_header;
        ImGui::TextWrapped("The columns of %s were not recognised. Which column holds what?", l.name.c_str());
        column_mapping& cm = u.ui.pending_mapping;
        struct role {
            const char* label;
            int* column;
        };
        role roles[] = {
            {"Score (0-10), required", &cm.score}, {"Date", &cm.ts}, {"Comment", &cm.comment}, {"Survey", &cm.survey}, {"User", &cm.user}};
        for (auto& r : roles) {
            const char* current = *r.column >= 0 && *r.column < static_cast<int>(header.size()) ? header[*r.column].c_str() : "(none)";
            if (ImGui::BeginCombo(r.label, current)) {
                if (ImGui::Selectable("(none)", *r.column < 0)) *r.column = -1;
                for (int i = 0; i < static_cast<int>(header.size()); ++i) {
                    ImGui::PushID(i);
                    if (ImGui::Selectable(header[i].c_str(), *r.column == i)) *r.column = i;
                    ImGui::PopID();
                }
                ImGui::EndCombo();
            }
        }
        muted("Other columns become attributes (breakdowns and filters).");
        ImGui::BeginDisabled(!cm.complete());
        if (ImGui::Button("Import")) {
            u.act.apply_mapping = true;
            ImGui::CloseCurrentPopup();
        }
        ImGui::EndDisabled();
        ImGui::EndPopup();
    }
}

//-----------------------------------------------------------------------------
// [SECTION] Filters
//-----------------------------------------------------------------------------
void toggle_attribute_value(panel_ui& u, const std::string& key, const std::string& value) {
    auto& attrs = u.settings.attributes;
    auto it = std::find_if(attrs.begin(), attrs.end(), [&](const attribute_filter& f) { return f.key == key && !f.exclude; });
    if (it == attrs.end()) {
        attrs.push_back({key, {value}, false});
    } else {
        auto v = std::find(it->values.begin(), it->values.end(), value);
        if (v == it->values.end())
            it->values.push_back(value);
        else
            it->values.erase(v);
        if (it->values.empty()) attrs.erase(it);
    }
    u.changed = true;
}

void draw_filters(const panel_model& m, panel_ui& u) {
    view_settings& s = u.settings;
    static const date_preset presets[] = {date_preset::all,          date_preset::last_7_days,   date_preset::last_30_days,
                                          date_preset::last_90_days, date_preset::last_365_days, date_preset::custom};
    static const char* preset_labels[] = {"All time", "Last 7 days", "Last 30 days", "Last 90 days", "Last 12 months", "Custom…"};
    int current = static_cast<int>(s.range);
    ImGui::SetNextItemWidth(S(140, m));
    if (ImGui::Combo("##range", &current, preset_labels, 6)) u.act.set_range = presets[current];
    if (s.range == date_preset::custom) {
        ImGui::SameLine();
        ImGui::SetNextItemWidth(S(100, m));
        bool changed = ImGui::InputText("##from", u.ui.custom_from, sizeof u.ui.custom_from);
        ImGui::SameLine();
        ImGui::TextUnformatted("to");
        ImGui::SameLine();
        ImGui::SetNextItemWidth(S(100, m));
        changed |= ImGui::InputText("##to", u.ui.custom_to, sizeof u.ui.custom_to);
        if (changed) {
            auto a = parse_timestamp(u.ui.custom_from, true), b = parse_timestamp(u.ui.custom_to, true);
            if (a && b && *a <= *b) {
                s.custom_since_day = floor_div(*a, ms_per_day);
                s.custom_until_day = floor_div(*b, ms_per_day);
                u.changed = true;
            }
        }
    }
    static const char* seg_labels[3] = {"Detractors", "Passives", "Promoters"};
    for (int i = 2; i >= 0; --i) {
        bool on = s.segments & (1 << i);
        flow(button_width(seg_labels[i]) + (i == 2 ? S(8, m) : 0));
        if (chip(seg_labels[i], on, segment_colors[i])) {
            s.segments ^= static_cast<uint8_t>(1 << i);
            u.changed = true;
        }
        note_rect(u, std::string("segment_") + segment_name(static_cast<segment>(i)));
    }
    flow(button_width("+ Filter"));
    if (ImGui::SmallButton("+ Filter")) ImGui::OpenPopup("add_filter");
    if (ImGui::BeginPopup("add_filter")) {
        for (const auto& col : m.attributes) {
            if (col.values.empty() || col.values.size() > 200) continue;
            if (ImGui::BeginMenu(col.key.c_str())) {
                for (const auto& v : col.values) {
                    bool active = false;
                    for (const auto& f : s.attributes)
                        if (f.key == col.key && !f.exclude && std::find(f.values.begin(), f.values.end(), v) != f.values.end())
                            active = true;
                    if (ImGui::MenuItem(v.c_str(), nullptr, active)) toggle_attribute_value(u, col.key, v);
                }
                ImGui::EndMenu();
            }
        }
        if (m.attributes.empty()) muted("no attributes in this data");
        ImGui::EndPopup();
    }
    // Active filters as removable chips.
    for (size_t i = 0; i < s.attributes.size(); ++i) {
        const auto& f = s.attributes[i];
        std::string label = f.key + (f.exclude ? " ≠ " : " = ");
        for (size_t k = 0; k < f.values.size(); ++k) label += (k ? " | " : "") + f.values[k];
        label += "  ×##attr" + std::to_string(i);
        flow(button_width(label.c_str()));
        if (chip(label.c_str(), true)) {
            s.attributes.erase(s.attributes.begin() + static_cast<long>(i));
            u.changed = true;
            break;
        }
    }
    if (!s.text.empty()) {
        flow(button_width(("text: " + s.text + "  ×").c_str()));
        if (chip(("text: " + s.text + "  ×##text").c_str(), true)) {
            s.text.clear();
            u.ui.search[0] = 0;
            u.changed = true;
        }
    }
    if (!s.theme.empty()) {
        std::string label = "mention: " + m.rep.theme_text + "  ×##theme";
        flow(button_width(label.c_str()));
        if (chip(label.c_str(), true)) {
            s.theme.clear();
            u.changed = true;
        }
        note_rect(u, "theme_chip");
    }
    flow(ImGui::CalcTextSize("Exclude").x + S(150, m) + ImGui::GetStyle().ItemSpacing.x * 2 + S(14, m));
    ImGui::TextUnformatted("Exclude");
    ImGui::SameLine();
    ImGui::SetNextItemWidth(S(150, m));
    if (ImGui::InputTextWithHint("##exclude", "internal=true", u.ui.exclude, sizeof u.ui.exclude)) {
        attribute_filter rule = parse_exclude_rule(u.ui.exclude);
        std::string next = rule.key.empty() ? "" : std::string(u.ui.exclude);
        if (next != s.exclude_rule) {
            s.exclude_rule = next;
            u.changed = true;
        }
    }
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("Leave out internal or test responses: attribute=value, values separated by |");
    flow(button_width("Reset"));
    if (ImGui::SmallButton("Reset")) {
        view_settings keep;
        keep.source = s.source;
        keep.key = s.key;
        keep.dark = s.dark;
        s = keep;
        u.ui.search[0] = u.ui.exclude[0] = 0;
        u.changed = true;
    }
}

//-----------------------------------------------------------------------------
// [SECTION] Panels
//-----------------------------------------------------------------------------
void draw_headline(const panel_model& m, float height) {
    if (!begin_panel("headline", height)) {
        ImGui::EndChild();
        return;
    }
    const headline_view& h = m.rep.headline;
    const nps_result& s = h.score;
    panel_title("Net Promoter Score");
    float gauge_r = std::min(S(95, m), ImGui::GetContentRegionAvail().x * 0.22f);
    bool side_gauge = ImGui::GetContentRegionAvail().x > S(430, m);
    ImGui::BeginGroup();
    ImGui::PushFont(m.font_big);
    if (s.has_score) {
        ImGui::TextUnformatted(nps_text(s.nps).c_str());
    } else {
        ImGui::TextDisabled("no score");
    }
    ImGui::PopFont();
    if (s.has_score) {
        ImGui::SameLine();
        ImGui::BeginGroup();
        ImGui::Dummy(ImVec2(0, S(8, m)));
        ImGui::Text("± %s", format_rounded(s.margin, 1).c_str());
        ImGui::PushStyleColor(ImGuiCol_Text, to_vec4((band_colors[h.band] & 0x00FFFFFF) | 0xFF000000));
        ImGui::TextUnformatted(nps_band_name(s.nps));
        ImGui::PopStyleColor();
        ImGui::EndGroup();
        ImGui::Text("95%% CI %s to %s · n = %s", format_rounded(s.ci_low, 1).c_str(), format_rounded(s.ci_high, 1).c_str(),
                    with_thousands(s.n).c_str());
    } else {
        ImGui::PushTextWrapPos(ImGui::GetContentRegionMax().x);
        muted("Load responses to see the score: open a file, drop one here, pass #src=URL, or #key=READ_KEY on the collector.");
        ImGui::PopTextWrapPos();
    }
    if (h.has_previous && h.change.valid) {
        const nps_comparison& c = h.change;
        bool up = c.difference >= 0;
        ImU32 col = !c.significant ? muted_color() : up ? col_promoter : col_detractor;
        ImGui::PushStyleColor(ImGuiCol_Text, to_vec4(col));
        ImGui::Text("%s %s vs previous period", up ? "▲" : "▼", signed_text(c.difference).c_str());
        ImGui::PopStyleColor();
        ImGui::SameLine();
        muted(c.significant ? fmt("(significant, p = %.3f)", c.p_value).c_str() : fmt("(not significant, p = %.2f)", c.p_value).c_str());
        if (ImGui::IsItemHovered())
            ImGui::SetTooltip("previous %s to %s: NPS %s, n = %s", format_date(floor_div(h.previous_since_ms, ms_per_day)).c_str(),
                              format_date(floor_div(h.since_ms - 1, ms_per_day)).c_str(), nps_text(h.previous.nps).c_str(),
                              with_thousands(h.previous.n).c_str());
    } else if (s.has_score) {
        ImGui::PushTextWrapPos(ImGui::GetContentRegionMax().x);
        muted("No answers in the previous period of the same length.");
        ImGui::PopTextWrapPos();
    }
    ImGui::EndGroup();
    if (side_gauge && s.has_score) {
        ImGui::SameLine(ImGui::GetWindowContentRegionMax().x - gauge_r * 2 - S(10, m));
        gauge(m, s, gauge_r);
    }
    ImGui::Spacing();
    stacked_bar(m, h, S(22, m));
    if (s.n) {
        ImGui::TextColored(to_vec4(col_promoter), "promoters %s", format_rounded(h.segment_percent[2], 0).c_str());
        ImGui::SameLine();
        ImGui::TextColored(to_vec4(col_passive), "passives %s", format_rounded(h.segment_percent[1], 0).c_str());
        ImGui::SameLine();
        ImGui::TextColored(to_vec4(col_detractor), "detractors %s", format_rounded(h.segment_percent[0], 0).c_str());
        ImGui::SameLine();
        muted("(%)");
    }
    ImGui::EndChild();
}

void draw_distribution(const panel_model& m, float height) {
    if (!begin_panel("distribution", height)) {
        ImGui::EndChild();
        return;
    }
    panel_title("Distribution of scores");
    histogram_chart(m, m.rep.headline, ImGui::GetContentRegionAvail().y);
    ImGui::EndChild();
}

void draw_trend(const panel_model& m, panel_ui& u, float height) {
    if (!begin_panel("trend", height)) {
        ImGui::EndChild();
        return;
    }
    ImGui::TextUnformatted("Trend");
    ImGui::SameLine(0, S(16, m));
    for (time_bucket b : {time_bucket::day, time_bucket::week, time_bucket::month}) {
        if (b != time_bucket::day) ImGui::SameLine();
        if (chip(time_bucket_name(b), u.settings.bucket == b)) {
            u.settings.bucket = b;
            u.changed = true;
        }
        note_rect(u, std::string("bucket_") + time_bucket_name(b));
    }
    // Period over period: the last bucket with answers against the one before.
    const auto& pts = m.rep.trend;
    const int last = m.rep.latest_scored;
    if (last > 0 && pts[last].vs_previous.valid) {
        const auto& c = pts[last].vs_previous;
        ImU32 col = !c.significant ? muted_color() : c.difference >= 0 ? col_promoter : col_detractor;
        std::string pop = pts[last].key + ": " + nps_text(pts[last].score.nps) + " (" + signed_text(c.difference) + " vs " +
                          pts[last - 1].key + ")" + (c.significant ? " significant" : "");
        flow(ImGui::CalcTextSize(pop.c_str()).x + S(12, m));
        ImGui::TextColored(to_vec4(col), "%s: %s (%s vs %s)%s", pts[last].key.c_str(), nps_text(pts[last].score.nps).c_str(),
                           signed_text(c.difference).c_str(), pts[last - 1].key.c_str(), c.significant ? " significant" : "");
    }
    ImGui::Separator();
    trend_chart(m, m.rep, ImGui::GetContentRegionAvail().y);
    ImGui::EndChild();
}

void draw_breakdown(const panel_model& m, panel_ui& u, float height) {
    if (!begin_panel("breakdown", height)) {
        ImGui::EndChild();
        return;
    }
    ImGui::TextUnformatted("Breakdown by");
    ImGui::SameLine();
    ImGui::SetNextItemWidth(S(130, m));
    const std::string& key = u.settings.breakdown;
    if (ImGui::BeginCombo("##bd", key.empty() ? "(none)" : key.c_str())) {
        for (const auto& col : m.attributes)
            if (ImGui::Selectable(col.key.c_str(), col.key == key)) {
                u.settings.breakdown = col.key;
                u.changed = true;
            }
        ImGui::EndCombo();
    }
    ImGui::SameLine();
    if (chip("split surveys", key == "survey")) {
        u.settings.breakdown = "survey";
        u.changed = true;
    }
    ImGui::Separator();
    const auto& rows = m.rep.breakdown;
    ImGuiTableFlags flags = ImGuiTableFlags_Sortable | ImGuiTableFlags_RowBg | ImGuiTableFlags_ScrollY | ImGuiTableFlags_BordersInnerH |
                            ImGuiTableFlags_SizingStretchProp;
    if (ImGui::BeginTable("breakdown_table", 5, flags, ImVec2(0, ImGui::GetContentRegionAvail().y))) {
        ImGui::TableSetupScrollFreeze(0, 1);
        ImGui::TableSetupColumn(key.empty() ? "value" : key.c_str(), ImGuiTableColumnFlags_WidthStretch, 2.0f);
        ImGui::TableSetupColumn("n", ImGuiTableColumnFlags_PreferSortDescending | ImGuiTableColumnFlags_DefaultSort, 1.0f);
        ImGui::TableSetupColumn("NPS", ImGuiTableColumnFlags_PreferSortDescending, 0.8f);
        ImGui::TableSetupColumn("95% CI", ImGuiTableColumnFlags_NoSort, 1.4f);
        ImGui::TableSetupColumn("vs overall", ImGuiTableColumnFlags_PreferSortDescending, 1.3f);
        ImGui::TableHeadersRow();
        if (ImGuiTableSortSpecs* specs = ImGui::TableGetSortSpecs()) {
            if (specs->SpecsDirty && specs->SpecsCount > 0) {
                static const breakdown_column cols[] = {breakdown_column::value, breakdown_column::n, breakdown_column::nps,
                                                        breakdown_column::nps, breakdown_column::difference};
                u.ui.sort_by = cols[specs->Specs[0].ColumnIndex];
                u.ui.sort_descending = specs->Specs[0].SortDirection == ImGuiSortDirection_Descending;
                u.act.resort = true;
                specs->SpecsDirty = false;
            }
        }
        const attribute_filter* active = nullptr;
        for (const auto& f : u.settings.attributes)
            if (f.key == key && !f.exclude) active = &f;
        for (size_t i = 0; i < rows.size(); ++i) {
            const breakdown_row& r = rows[i];
            ImGui::TableNextRow();
            ImGui::TableNextColumn();
            bool selected = active && std::find(active->values.begin(), active->values.end(), r.value) != active->values.end();
            std::string label = (r.value.empty() ? "(none)" : r.value) + "##bd" + std::to_string(i);
            if (ImGui::Selectable(label.c_str(), selected, ImGuiSelectableFlags_SpanAllColumns) && !r.value.empty())
                toggle_attribute_value(u, key, r.value);
            if (ImGui::IsItemHovered()) ImGui::SetTooltip("Click to filter every panel to %s = %s", key.c_str(), r.value.c_str());
            ImGui::TableNextColumn();
            ImGui::TextUnformatted(with_thousands(r.score.n).c_str());
            ImGui::TableNextColumn();
            ImGui::TextUnformatted(r.score.has_score ? nps_text(r.score.nps).c_str() : "–");
            ImGui::TableNextColumn();
            if (r.score.has_score)
                ImGui::Text("%s to %s", format_rounded(r.score.ci_low, 0).c_str(), format_rounded(r.score.ci_high, 0).c_str());
            ImGui::TableNextColumn();
            if (r.score.has_score && m.rep.headline.score.has_score) {
                bool sig = r.vs_rest.valid && r.vs_rest.significant;
                ImU32 col = !sig ? muted_color() : r.difference >= 0 ? col_promoter : col_detractor;
                ImGui::TextColored(to_vec4(col), "%s%s", signed_text(r.difference).c_str(), sig ? " ●" : "");
                if (ImGui::IsItemHovered())
                    ImGui::SetTooltip(
                        sig ? "Significantly different from the other rows (p = %.3f)" : "Not significantly different (p = %.2f)",
                        r.vs_rest.p_value);
            }
        }
        ImGui::EndTable();
    }
    ImGui::EndChild();
}

void draw_rate(const panel_model& m, float height) {
    if (!begin_panel("rate", height)) {
        ImGui::EndChild();
        return;
    }
    const response_rate_view& r = m.rep.rate;
    panel_title("Response rate");
    if (!r.shown) {
        muted("No display events (shown / dismissed) in this data.");
    } else {
        ImGui::Text("shown %s · answered %s (%s%%) · dismissed %s (%s%%)", with_thousands(r.shown).c_str(),
                    with_thousands(r.answered).c_str(), format_rounded(100 * r.answer_rate, 1).c_str(), with_thousands(r.dismissed).c_str(),
                    format_rounded(100 * r.dismiss_rate, 1).c_str());
    }
    // The thank-you links (report.h cta_view: clicks over the segment's answers).
    const cta_view& cta = m.rep.cta;
    if (cta.clicks[0] + cta.clicks[1] + cta.clicks[2] == 0) {
        muted("No call-to-action clicks (cta_clicked) in this data.");
    } else {
        std::string line = "CTA click-through:";
        static const char* const names[3] = {" detractors ", " · passives ", " · promoters "};
        for (size_t k = 0; k < 3; ++k)
            line += names[k] + with_thousands(cta.clicks[k]) + " of " + with_thousands(cta.answers[k]) + " (" +
                    format_rounded(100 * cta.click_through[k], 1) + "%)";
        ImGui::TextWrapped("%s", line.c_str());  // three segments do not fit one line of the half panel
    }
    ImGuiTableFlags flags = ImGuiTableFlags_RowBg | ImGuiTableFlags_ScrollY | ImGuiTableFlags_BordersInnerH;
    if (ImGui::BeginTable("rate_table", 5, flags, ImVec2(0, ImGui::GetContentRegionAvail().y))) {
        ImGui::TableSetupScrollFreeze(0, 1);
        ImGui::TableSetupColumn("period");
        ImGui::TableSetupColumn("shown");
        ImGui::TableSetupColumn("answered");
        ImGui::TableSetupColumn("dismissed");
        ImGui::TableSetupColumn("rate");
        ImGui::TableHeadersRow();
        const auto& pts = m.rep.trend;
        for (size_t k = pts.size(); k-- > 0;) {  // newest first
            const trend_point& t = pts[k];
            ImGui::TableNextRow();
            ImGui::TableNextColumn();
            ImGui::TextUnformatted(t.key.c_str());
            ImGui::TableNextColumn();
            ImGui::TextUnformatted(with_thousands(t.shown).c_str());
            ImGui::TableNextColumn();
            ImGui::TextUnformatted(with_thousands(t.score.n).c_str());
            ImGui::TableNextColumn();
            ImGui::TextUnformatted(with_thousands(t.dismissed).c_str());
            ImGui::TableNextColumn();
            if (t.shown)
                ImGui::Text("%s%%", format_rounded(100.0 * t.answer_rate, 0).c_str());
            else
                ImGui::TextDisabled("–");
        }
        ImGui::EndTable();
    }
    ImGui::EndChild();
}

// The theme a click selects (again: clears it): every panel through the view settings.
void select_theme(panel_ui& u, const std::string& key) {
    u.settings.theme = u.settings.theme == key ? "" : key;
    u.changed = true;
}

// "p < 0.001" | "p = 0.03"
std::string p_text(double p) {
    if (p < 0.001) return "p < 0.001";
    return "p = " + format_rounded(p, p < 0.01 ? 3 : 2);
}

// "NPS −41 [−55, −27], 12 points below the rest (p < 0.001)"
std::string effect_text(const ranked_theme& t) {
    if (!t.with.has_score) return "no score";
    std::string out = "NPS " + nps_text(t.with.nps) + " [" + nps_text(t.with.ci_low) + ", " + nps_text(t.with.ci_high) + "]";
    if (!t.vs_rest.valid) return out;
    const double d = t.vs_rest.difference;
    const std::string points = format_rounded(std::abs(d), 0);
    if (points == "0")
        out += ", as the rest";
    else
        out += ", " + points + (points == "1" ? " point " : " points ") + (d < 0 ? "below" : "above") + " the rest";
    return out + " (" + p_text(t.vs_rest.p_value) + ")";
}

// The selected theme's share of comments by period, small: a line over bars of 0..max share.
void theme_share_chart(const panel_model& m, const report& rep, float height) {
    ImDrawList* dl = ImGui::GetWindowDrawList();
    ImVec2 p = ImGui::GetCursorScreenPos();
    float width = ImGui::GetContentRegionAvail().x;
    ImGui::Dummy(ImVec2(width, height));
    const auto& pts = rep.theme_trend;
    dl->AddRectFilled(p, ImVec2(p.x + width, p.y + height), ImGui::GetColorU32(ImGuiCol_FrameBg), S(3, m));
    if (pts.empty()) return;
    double hi = 0;
    for (const auto& t : pts) hi = std::max(hi, t.share);
    if (hi <= 0) hi = 1;
    const float pad = S(4, m);
    const float x0 = p.x + pad, x1 = p.x + width - pad, y0 = p.y + pad, y1 = p.y + height - pad;
    const float step = pts.size() > 1 ? (x1 - x0) / static_cast<float>(pts.size() - 1) : 0;
    auto at = [&](size_t k) {
        float x = pts.size() > 1 ? x0 + step * static_cast<float>(k) : (x0 + x1) / 2;
        return ImVec2(x, y1 - (y1 - y0) * static_cast<float>(pts[k].share / hi));
    };
    const ImU32 line = ImGui::GetColorU32(ImGuiCol_PlotLines);
    for (size_t k = 1; k < pts.size(); ++k) dl->AddLine(at(k - 1), at(k), line, S(1.5f, m));
    for (size_t k = 0; k < pts.size(); ++k)
        if (pts[k].comments) dl->AddCircleFilled(at(k), S(2, m), line, 8);
    if (ImGui::IsItemHovered() && step > 0) {
        float mx = ImGui::GetIO().MousePos.x;
        size_t k = static_cast<size_t>(std::clamp((mx - x0) / step + 0.5f, 0.0f, static_cast<float>(pts.size() - 1)));
        ImGui::SetTooltip("%s: %s%% of %s comments", pts[k].key.c_str(), format_rounded(100 * pts[k].share, 1).c_str(),
                          with_thousands(pts[k].comments).c_str());
    }
}

// The panel's content ends here: its height, measured for the next frame (draw_themes).
void end_sized_panel(panel_ui& u) {
    const ImGuiStyle& style = ImGui::GetStyle();
    const float content = ImGui::GetCursorPosY() - style.ItemSpacing.y + style.WindowPadding.y;
    if (std::abs(content - u.ui.themes_content) > 0.5f) {
        u.ui.themes_content = content;
        u.ui.relayout = true;
    }
    ImGui::EndChild();
    note_rect(u, "themes_panel");
}

// `height`: the most the layout gives it; the panel takes what its content needs (little on
// tiny data), measured the frame before.
void draw_themes(const panel_model& m, panel_ui& u, float height) {
    if (u.ui.themes_content > 0) height = std::min(height, u.ui.themes_content);
    if (!begin_panel("themes_panel", height)) {
        ImGui::EndChild();
        return;
    }
    view_settings& s = u.settings;
    const report& rep = m.rep;
    ImGui::TextUnformatted("Themes");
    ImGui::SameLine(0, S(16, m));
    if (chip("By segment", !u.ui.theme_drivers)) u.ui.theme_drivers = false;
    note_rect(u, "themes_view");
    ImGui::SameLine();
    if (chip("Drivers of NPS", u.ui.theme_drivers)) u.ui.theme_drivers = true;
    note_rect(u, "drivers_view");
    if (m.agg && m.agg->on) {  // themes need every comment's words; the histograms hold none
        ImGui::Separator();
        ImGui::TextWrapped(
            "Themes are not computed for a collector this large: they need every comment's words, and the "
            "dashboard reads histograms here. Search the comments below instead (in the collector's database).");
        end_sized_panel(u);
        return;
    }
    if (!s.theme.empty()) {
        std::string label = "mention: " + rep.theme_text + "  ×##theme_panel";
        flow(button_width(label.c_str()));
        if (chip(label.c_str(), true)) {
            s.theme.clear();
            u.changed = true;
        }
        note_rect(u, "theme_clear");
    }
    ImGui::Separator();
    if (!s.theme.empty() && !rep.theme_trend.empty()) {
        std::string what = "Share of comments mentioning \"" + rep.theme_text + "\", by " + time_bucket_name(rep.bucket);
        const auto& last = rep.theme_trend.back();
        what += ": " + format_rounded(100 * last.share, 1) + "% in " + last.key;
        ImGui::PushTextWrapPos(0);
        muted(what.c_str());
        ImGui::PopTextWrapPos();
        theme_share_chart(m, rep, S(44, m));
        note_rect(u, "theme_trend");
        ImGui::Separator();
    }
    static const char* titles[3] = {"Detractors say", "Passives say", "Promoters say"};
    const uint32_t analysed = rep.themed_comments[0] + rep.themed_comments[1] + rep.themed_comments[2];
    if (rep.distinctive_themes[0].empty() && rep.distinctive_themes[1].empty() && rep.distinctive_themes[2].empty()) {
        // Too few comments (or too alike) for a theme: one sentence, not three empty columns.
        ImGui::PushTextWrapPos(0);
        muted((analysed ? "Too few comments for themes yet (" + with_thousands(analysed) +
                              "): a theme is a word or phrase several comments of a segment use more than the others."
                        : std::string("No comments yet: themes are the words and phrases a segment's comments use more than the others."))
                  .c_str());
        ImGui::PopTextWrapPos();
    } else if (!u.ui.theme_drivers) {
        // Per segment: its distinctive themes (z against the other comments) with their counts.
        bool three = ImGui::GetContentRegionAvail().x > S(640, m);
        if (ImGui::BeginTable("themes", three ? 3 : 1, ImGuiTableFlags_SizingStretchSame)) {
            for (int seg : {0, 1, 2}) {
                ImGui::TableNextColumn();
                ImGui::TextColored(to_vec4(segment_colors[seg]), "%s", titles[seg]);
                ImGui::SameLine();
                muted(("(" + with_thousands(rep.themed_comments[seg]) + " comments)").c_str());
                const auto& list = rep.distinctive_themes[seg];
                if (list.empty()) muted("no distinctive theme yet");
                float line_w = 0, max_w = ImGui::GetContentRegionAvail().x;
                for (size_t i = 0; i < list.size(); ++i) {
                    const ranked_theme& t = list[i];
                    std::string label = t.text + " " + with_thousands(t.count) + "##t" + std::to_string(seg * 100 + i);
                    float w = button_width(label.c_str());
                    if (i && line_w + w < max_w)
                        ImGui::SameLine();
                    else
                        line_w = 0;
                    line_w += w + ImGui::GetStyle().ItemSpacing.x;
                    if (chip(label.c_str(), s.theme == t.key, segment_colors[seg])) select_theme(u, t.key);
                    note_rect(u, "theme:" + t.key);
                    if (ImGui::IsItemHovered())
                        ImGui::SetTooltip("%s comments of %s, %s of the others (z = %s)\n%s", with_thousands(t.count).c_str(),
                                          seg == 0   ? "detractors"
                                          : seg == 1 ? "passives"
                                                     : "promoters",
                                          with_thousands(t.other_count).c_str(), format_rounded(t.distinct.z, 1).c_str(),
                                          effect_text(t).c_str());
                }
            }
            ImGui::EndTable();
        }
    } else {
        // What moves the score: each theme's effect, sorted by the points it costs or brings. One
        // row each: the theme (cut to one column), its bar from one zero axis on one scale (costs
        // left, brings right), the points; then its sentence.
        const auto& list = rep.theme_drivers;
        if (list.empty()) muted("No theme is distinctive enough yet.");
        const ImGuiStyle& style = ImGui::GetStyle();
        auto impact_text = [](const ranked_theme& t) {
            return (t.impact < 0 ? "costs " : "brings ") + format_rounded(std::abs(t.impact), 1) + " pts";
        };
        diverging_layout_desc d;
        d.width = ImGui::GetContentRegionAvail().x;
        d.gap = S(8, m);
        d.min_bar = S(80, m);
        d.max_bar = S(360, m);
        for (const auto& t : list) {
            d.widest_label = std::max(d.widest_label, ImGui::CalcTextSize(t.text.c_str()).x + style.FramePadding.x * 2);
            d.widest_value = std::max(d.widest_value, ImGui::CalcTextSize(impact_text(t).c_str()).x);
            d.lo = std::min(d.lo, t.impact);
            d.hi = std::max(d.hi, t.impact);
        }
        const diverging_layout lay = layout_diverging(d);
        u.ui.rects["drivers_axis"] = {ImGui::GetCursorScreenPos().x + lay.zero_x, ImGui::GetCursorScreenPos().y, 0, 0};
        for (size_t i = 0; i < list.size(); ++i) {
            const ranked_theme& t = list[i];
            ImGui::PushID(static_cast<int>(i));
            const int seg = t.vs_rest.valid && t.vs_rest.difference < 0 ? 0 : 2;
            const float row_x = ImGui::GetCursorPosX();
            const ImVec2 row = ImGui::GetCursorScreenPos();
            const float line_h = ImGui::GetTextLineHeight();
            if (chip_cut(t.text, "##d", lay.label_w, s.theme == t.key, segment_colors[seg])) select_theme(u, t.key);
            note_rect(u, "driver:" + t.key);
            if (ImGui::IsItemHovered())
                ImGui::SetTooltip("%s: %s comments", t.text.c_str(), with_thousands(t.count + t.other_count).c_str());
            // The impact: NPS points the theme moves the analysed answers' score, as a bar.
            ImGui::SameLine(row_x + lay.bar_x, 0);
            ImGui::Dummy(ImVec2(lay.bar_w, line_h));
            const bar_span b = diverging_bar(lay, t.impact);
            ImDrawList* dl = ImGui::GetWindowDrawList();
            dl->AddRectFilled(ImVec2(row.x + b.x0, row.y + line_h * 0.2f), ImVec2(row.x + b.x1, row.y + line_h * 0.8f), segment_colors[seg],
                              S(2, m));
            dl->AddLine(ImVec2(row.x + lay.zero_x, row.y), ImVec2(row.x + lay.zero_x, row.y + line_h),
                        ImGui::GetColorU32(ImGuiCol_TextDisabled), S(1, m));
            u.ui.rects["driver_bar:" + t.key] = {row.x + b.x0, row.y, b.x1 - b.x0, line_h};
            ImGui::SameLine(row_x + lay.value_x, 0);
            ImGui::TextUnformatted(impact_text(t).c_str());
            ImGui::PushTextWrapPos(0);
            std::string sentence =
                "mentions of " + t.text + ": " + effect_text(t) + " · " + with_thousands(t.count + t.other_count) + " comments";
            if (t.vs_rest.significant)
                ImGui::TextUnformatted(sentence.c_str());
            else
                muted(sentence.c_str());
            ImGui::PopTextWrapPos();
            ImGui::PopID();
            if (i + 1 < list.size()) ImGui::Spacing();
        }
    }
    end_sized_panel(u);
}

void draw_comments(const panel_model& m, panel_ui& u, float height) {
    if (u.ui.scroll_to_comments) {
        ImGui::SetScrollHereY(0.0f);
        u.ui.scroll_to_comments = false;
    }
    if (!begin_panel("comments", height)) {
        ImGui::EndChild();
        return;
    }
    view_settings& s = u.settings;
    ImGui::TextUnformatted("Comments");
    ImGui::SameLine(0, S(12, m));
    ImGui::SetNextItemWidth(S(200, m));
    if (ImGui::InputTextWithHint("##search", "search comments", u.ui.search, sizeof u.ui.search)) {
        s.text = u.ui.search;
        u.changed = true;
    }
    note_rect(u, "search");
    ImGui::SameLine();
    bool passives_only = s.segments == 0b010;
    if (chip("Passives: what would make them promoters?", passives_only, col_passive)) {
        s.segments = passives_only ? 0b111 : 0b010;
        s.text.clear();
        u.ui.search[0] = 0;
        u.changed = true;
    }
    note_rect(u, "passives_to_promoters");
    ImGui::Separator();
    const auto& comments = m.rep.comments;
    if (comments.empty()) muted("No comments match these filters.");
    ImGuiTableFlags flags =
        ImGuiTableFlags_RowBg | ImGuiTableFlags_ScrollY | ImGuiTableFlags_BordersInnerH | ImGuiTableFlags_SizingStretchProp;
    u.ui.comments_near_end = false;  // the aggregate path's next page (app.cpp, aggregate_pump)
    if (!comments.empty() && ImGui::BeginTable("comment_list", 3, flags, ImVec2(0, ImGui::GetContentRegionAvail().y))) {
        ImGui::TableSetupScrollFreeze(0, 1);
        ImGui::TableSetupColumn("date", ImGuiTableColumnFlags_WidthFixed, ImGui::CalcTextSize("2026-01-01").x);
        ImGui::TableSetupColumn("score", ImGuiTableColumnFlags_WidthFixed, ImGui::CalcTextSize("score").x);
        ImGui::TableSetupColumn("comment", ImGuiTableColumnFlags_WidthStretch);
        ImGui::TableHeadersRow();
        ImGuiListClipper clipper;
        clipper.Begin(static_cast<int>(comments.size()));
        while (clipper.Step()) {
            for (int i = clipper.DisplayStart; i < clipper.DisplayEnd; ++i) {
                const comment_view& c = comments[static_cast<size_t>(i)];
                ImGui::TableNextRow();
                ImGui::TableNextColumn();
                ImGui::TextUnformatted(format_date(floor_div(c.ts_ms, ms_per_day)).c_str());
                ImGui::TableNextColumn();
                ImGui::TextColored(to_vec4(segment_colors[static_cast<int>(segment_of(c.score))]), "%d", c.score);
                ImGui::TableNextColumn();
                ImGui::PushTextWrapPos(0);
                ImGui::TextUnformatted(c.text.data(), c.text.data() + c.text.size());
                ImGui::PopTextWrapPos();
                if (!c.attributes.empty()) {
                    ImGui::PushTextWrapPos(0);
                    ImGui::PushStyleColor(ImGuiCol_Text, ImGui::GetStyleColorVec4(ImGuiCol_TextDisabled));
                    ImGui::TextUnformatted(c.attributes.c_str());
                    ImGui::PopStyleColor();
                    ImGui::PopTextWrapPos();
                }
            }
        }
        // (A list laid out for the first time has no scroll extent yet: not "at its end".)
        u.ui.comments_near_end =
            ImGui::GetScrollMaxY() > 0 && ImGui::GetScrollY() >= ImGui::GetScrollMaxY() - 10 * ImGui::GetTextLineHeightWithSpacing();
        ImGui::EndTable();
    }
    ImGui::EndChild();
}

//-----------------------------------------------------------------------------
// [SECTION] Follow-up list (issue 15)
//-----------------------------------------------------------------------------
// What a click in the follow-up panel asks of the app layer (done after the frame).
struct follow_up_actions {
    std::optional<std::pair<size_t, follow_up_status>> mark;  // (record, status)
    bool export_csv = false;
};

constexpr size_t follow_up_rows_drawn = 200;  // the rest: the CSV (a list is read from the top)
const char* const follow_up_status_labels[follow_up_status_count] = {"To do", "Contacted", "Resolved"};
const char* const follow_up_group_labels[follow_up_group_count] = {
    "Agreed to be contacted: call them", "Detractors with a comment: find out why", "Passives: what would make them a 10?",
    "Promoters with a comment: ask for a review or referral", "Promoters: review or referral candidates"};
const char* const follow_up_tab_names[3] = {"Detractors", "Passives", "Promoters"};
// The current status's chip: grey to do, blue contacted, green resolved (not the filter's blue).
const ImU32 follow_up_status_colors[follow_up_status_count] = {IM_COL32(104, 112, 126, 255), IM_COL32(47, 111, 219, 255), col_promoter};

void follow_up_row_view(const panel_model& m, panel_ui& u, const follow_up_state& f, const follow_up_row& row, size_t i,
                        follow_up_actions& act) {
    const response& r = f.book.records()[row.record];
    ImGui::PushID(static_cast<int>(row.record));
    ImGui::TextColored(to_vec4(segment_colors[static_cast<int>(segment_of(r.score))]), "%d", r.score);
    ImGui::SameLine();
    muted(format_date(floor_div(r.ts_ms, ms_per_day)).c_str());
    // The status: three chips; the current one filled. A PATCH in flight shows "saving".
    const bool sending = f.sending.count(r.id) > 0;
    for (int s = 0; s < follow_up_status_count; ++s) {
        const char* label = follow_up_status_labels[s];
        flow(button_width(label) + S(4, m));
        const bool current = static_cast<int>(row.status) == s;
        if (chip(label, current, follow_up_status_colors[s]) && !current && !sending)
            act.mark = std::make_pair(row.record, static_cast<follow_up_status>(s));
        if (i < 3) note_rect(u, "follow_up_row" + std::to_string(i) + "_" + follow_up_status_name(static_cast<follow_up_status>(s)));
    }
    if (sending) {
        ImGui::SameLine();
        muted("saving…");
    }
    // Email and the opt-in on their own line: the status chips stay together on a narrow screen.
    bool first = true;
    if (r.email && !r.email->empty()) {
        ImGui::TextUnformatted(r.email->c_str());
        first = false;
    }
    if (r.contact_ok.value_or(false)) {
        if (!first) flow(ImGui::CalcTextSize("agreed to be contacted").x);
        muted("agreed to be contacted");
    }
    if (r.comment && !r.comment->empty()) {
        ImGui::PushTextWrapPos(0);
        ImGui::TextUnformatted(r.comment->data(), r.comment->data() + r.comment->size());
        ImGui::PopTextWrapPos();
    }
    std::string attrs;
    for (const auto& [k, v] : r.attributes) attrs += (attrs.empty() ? "" : " \xC2\xB7 ") + k + ": " + v;
    std::string marked;
    if (row.mark)
        marked = std::string(follow_up_status_labels[static_cast<int>(row.status)]) + " by " + row.mark->by + ", " +
                 format_date(floor_div(row.mark->at_ms, ms_per_day)) + (row.mark->note.empty() ? "" : ": " + row.mark->note);
    for (const std::string* line : {&attrs, &marked}) {
        if (line->empty()) continue;
        ImGui::PushTextWrapPos(0);
        ImGui::PushStyleColor(ImGuiCol_Text, ImGui::GetStyleColorVec4(ImGuiCol_TextDisabled));
        ImGui::TextUnformatted(line->c_str());
        ImGui::PopStyleColor();
        ImGui::PopTextWrapPos();
    }
    ImGui::PopID();
}

follow_up_actions draw_follow_up(const panel_model& m, panel_ui& u, follow_up_state& f, float height) {
    follow_up_actions act;
    if (f.scroll_to) {
        ImGui::SetScrollHereY(0.0f);
        f.scroll_to = false;
    }
    if (!begin_panel("follow_up", height)) {
        ImGui::EndChild();
        return act;
    }
    ImGui::TextUnformatted("Follow-up");
    size_t open = f.counts.open[0] + f.counts.open[1] + f.counts.open[2];
    ImGui::SameLine();
    muted((with_thousands(open) + " to do").c_str());
    note_rect(u, "follow_up_open");
    // One tab per segment, with its open count.
    for (int s = 0; s < 3; ++s) {
        std::string label =
            std::string(follow_up_tab_names[s]) + " (" + with_thousands(f.counts.open[s]) + ")###fu_tab" + std::to_string(s);
        if (s) flow(button_width(label.c_str()) + S(4, m));
        if (chip(label.c_str(), f.segment == s, segment_colors[s])) {
            f.segment = s;
            f.dirty = true;
        }
        note_rect(u, "follow_up_tab_" + std::to_string(s));
    }
    // Status filter: all, or one.
    for (int s = -1; s < follow_up_status_count; ++s) {
        const char* label = s < 0 ? "All" : follow_up_status_labels[s];
        const uint8_t bits = s < 0 ? 0b111 : static_cast<uint8_t>(1u << s);
        flow(button_width(label) + S(4, m));
        if (chip(label, f.statuses == bits)) {
            f.statuses = bits;
            f.dirty = true;
        }
        note_rect(u, std::string("follow_up_status_") + (s < 0 ? "all" : follow_up_status_name(static_cast<follow_up_status>(s))));
    }
    // Who marks, and (collector) the admin key: in memory only, masked.
    ImGui::PushStyleVar(ImGuiStyleVar_FrameBorderSize, 1.0f);  // the fields show on a light panel too
    ImGui::SetNextItemWidth(S(150, m));
    ImGui::InputTextWithHint("##fu_by", "your name", f.by, sizeof f.by);
    note_rect(u, "follow_up_by");
    if (f.collector) {
        flow(S(190, m));
        ImGui::SetNextItemWidth(S(190, m));
        ImGui::InputTextWithHint("##fu_key", "admin key (to save)", f.admin_key, sizeof f.admin_key, ImGuiInputTextFlags_Password);
        note_rect(u, "follow_up_key");
    }
    ImGui::PopStyleVar();
    flow(button_width("Export CSV"));
    if (ImGui::Button("Export CSV")) act.export_csv = true;
    note_rect(u, "follow_up_export");
    if (!f.collector) muted("Statuses are kept in this browser for this source, and go into the CSV.");
    if (!f.message.empty()) {
        ImGui::PushTextWrapPos(0);
        ImGui::TextColored(to_vec4(col_detractor), "%s", f.message.c_str());
        ImGui::PopTextWrapPos();
    }
    ImGui::Separator();
    ImGui::BeginChild("fu_list", ImVec2(0, ImGui::GetContentRegionAvail().y), false);
    if (f.rows.empty()) muted("No one to follow up in this segment with these filters.");
    int group = -1;
    for (size_t i = 0; i < f.rows.size() && i < follow_up_rows_drawn; ++i) {
        const follow_up_row& row = f.rows[i];
        if (static_cast<int>(row.group) != group) {
            group = static_cast<int>(row.group);
            if (i) ImGui::Spacing();
            ImGui::TextUnformatted(follow_up_group_labels[group]);
            ImGui::Separator();
        }
        follow_up_row_view(m, u, f, row, i, act);
        ImGui::Separator();
    }
    if (f.rows.size() > follow_up_rows_drawn)
        muted(("The first " + with_thousands(follow_up_rows_drawn) + " of " + with_thousands(f.rows.size()) +
               " are shown: Export CSV has them all.")
                  .c_str());
    ImGui::EndChild();
    ImGui::EndChild();
    return act;
}

//-----------------------------------------------------------------------------
// [SECTION] Survey editor (issue 16)
//-----------------------------------------------------------------------------
// What a click or an edit in the editor asks of the app layer (done after the frame).
struct editor_actions {
    bool close = false, list = false, save = false;
    std::string select, create;
    std::optional<size_t> restore;
    std::optional<std::string> text;                                              // the raw box changed
    std::vector<std::tuple<std::string, std::string, editor_field_kind>> fields;  // (key, value, kind)
};

struct form_field {
    const char* key;
    const char* label;
    editor_field_kind kind;
    const char* hint;
};
// The common fields; everything else (triggers with conditions, variants, other texts) is in
// the definition's text below them. Keys and meanings: docs/js-api.md.
const form_field editor_wording[] = {
    {"product", "Product", editor_field_kind::text, "fills {product} in the question"},
    {"locale", "Locale", editor_field_kind::text, "en, fr, … (browser's when empty)"},
    {"texts.question", "Question", editor_field_kind::text, "built in: How likely are you to recommend {product}…"},
    {"texts.follow_detractor", "Follow-up 0-6", editor_field_kind::text, "built in: What disappointed you or was missing?"},
    {"texts.follow_passive", "Follow-up 7-8", editor_field_kind::text, "built in: What would make us a 10 for you?"},
    {"texts.follow_promoter", "Follow-up 9-10", editor_field_kind::text, "built in: What do you like most?"},
    {"texts.thanks", "Thank you", editor_field_kind::text, "built in: Thank you for your feedback!"},
    {"texts.promoter_cta", "Promoter CTA", editor_field_kind::text, "built in: Leave a review"},
    {"promoterUrl", "Promoter link", editor_field_kind::text, "https://… or /path"},
};
const form_field editor_when[] = {
    {"triggers", "Triggers", editor_field_kind::words, "event names (every event when empty)"},
    {"paths", "Paths", editor_field_kind::words, "/app/* (every page when empty)"},
    {"sample", "Sample %", editor_field_kind::number, "100"},
    {"waitAfterAnswerDays", "Wait after answer", editor_field_kind::number, "90 days"},
    {"waitAfterDismissDays", "Wait after dismiss", editor_field_kind::number, "30 days"},
    {"cooldownDays", "Cooldown", editor_field_kind::number, "7 days"},
    {"maxDisplays", "Max displays", editor_field_kind::number, "0 = no cap"},
    {"newUserDays", "New users only", editor_field_kind::number, "0 days = everyone"},
};
const form_field editor_schedule[] = {
    {"start", "Start", editor_field_kind::text, "2026-01-10T09:00:00Z"},
    {"end", "End", editor_field_kind::text, "2026-02-10T09:00:00Z"},
    {"priority", "Priority", editor_field_kind::number, "0 (higher shows first)"},
    {"app", "App", editor_field_kind::text, "for /v1/surveys?app=…"},
    {"brand", "Brand colour", editor_field_kind::text, "#2563eb"},
};

// A muted note beside the last item when it fits, else wrapped on lines of its own.
void aside(const char* text) {
    flow(ImGui::CalcTextSize(text).x);
    ImGui::PushTextWrapPos(0);
    muted(text);
    ImGui::PopTextWrapPos();
}

// The core's message for `key` (or a field under it), "" when none.
std::string field_problem(const editor_state& e, const std::string& key) {
    for (const definition_error& d : e.errors)
        if (d.field == key || d.field.rfind(key + ".", 0) == 0 || d.field.rfind(key + "[", 0) == 0)
            return (d.field == key ? "" : d.field + " ") + d.message;
    return "";
}

// Parses "#rgb" / "#rrggbb" for the swatch beside the brand field.
bool brand_colour(const std::string& t, ImVec4& out) {
    auto hex = [](char c) {
        return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
    };
    if (t.size() != 4 && t.size() != 7) return false;
    if (t[0] != '#') return false;
    int v[6];
    for (size_t i = 1; i < t.size(); ++i)
        if ((v[i - 1] = hex(t[i])) < 0) return false;
    auto c = [&](int i) { return t.size() == 4 ? (v[i] * 17) / 255.0f : (v[i * 2] * 16 + v[i * 2 + 1]) / 255.0f; };
    out = ImVec4(c(0), c(1), c(2), 1);
    return true;
}

void form_row(const panel_model& m, panel_ui& u, const editor_state& e, const form_field& f, float label_w, editor_actions& act) {
    std::string& buf = u.ui.editor_fields[f.key];
    std::string problem = field_problem(e, f.key);
    ImGui::PushID(f.key);
    ImGui::AlignTextToFramePadding();
    if (!problem.empty())
        ImGui::TextColored(to_vec4(col_detractor), "%s", f.label);
    else
        ImGui::TextUnformatted(f.label);
    bool swatch = std::string(f.key) == "brand";
    ImGui::SameLine(label_w);
    float w = ImGui::GetContentRegionAvail().x - (swatch ? ImGui::GetFrameHeight() + ImGui::GetStyle().ItemSpacing.x : 0);
    ImGui::SetNextItemWidth(w);
    bool editable = u.ui.editor_fields.count(std::string(f.key) + "#ro") == 0;
    if (!editable) ImGui::BeginDisabled();
    if (ImGui::InputTextWithHint("##v", f.hint, &buf)) act.fields.emplace_back(f.key, buf, f.kind);
    if (!editable) ImGui::EndDisabled();
    note_rect(u, std::string("editor_field_") + f.key);
    if (swatch) {
        ImGui::SameLine();
        ImVec4 c(0.145f, 0.388f, 0.922f, 1);  // the widget's default #2563eb
        brand_colour(buf, c);
        ImGui::ColorButton("##swatch", c, ImGuiColorEditFlags_NoTooltip);
    }
    if (!editable) muted("(edit it in the definition's text below)");
    if (!problem.empty()) {
        ImGui::PushTextWrapPos(0);
        ImGui::TextColored(to_vec4(col_detractor), "%s", problem.c_str());
        ImGui::PopTextWrapPos();
    }
    ImGui::PopID();
}

void form_choice(const panel_model& m, panel_ui& u, const editor_state& e, const char* key, const char* label,
                 std::initializer_list<const char*> options, float label_w, editor_actions& act) {
    const std::string& current = u.ui.editor_fields[key];
    ImGui::PushID(key);
    ImGui::AlignTextToFramePadding();
    ImGui::TextUnformatted(label);
    ImGui::SameLine(label_w);
    bool first = true;
    for (const char* o : options) {
        if (!first) flow(button_width(o) + S(4, m));
        first = false;
        bool on = current == o || (current.empty() && o == *options.begin());
        if (chip(o, on)) act.fields.emplace_back(key, on && current.empty() ? "" : o, editor_field_kind::text);
        note_rect(u, std::string("editor_") + key + "_" + o);
    }
    if (std::string p = field_problem(e, key); !p.empty()) ImGui::TextColored(to_vec4(col_detractor), "%s", p.c_str());
    ImGui::PopID();
}

// The form's buffers follow the draft whenever it changes (a field, the raw box, a reload).
void refresh_editor_buffers(const app_state& app, ui_state& ui) {
    const editor_state& e = app.editor;
    if (ui.editor_rev == e.draft_rev) return;
    ui.editor_rev = e.draft_rev;
    ui.editor_text = e.draft;
    ui.editor_fields.clear();
    auto read = [&](const char* key, editor_field_kind kind) {
        bool editable = true;
        ui.editor_fields[key] = app_editor_field(app, key, kind, &editable);
        if (!editable) ui.editor_fields[std::string(key) + "#ro"] = "";
    };
    for (const form_field& f : editor_wording) read(f.key, f.kind);
    for (const form_field& f : editor_when) read(f.key, f.kind);
    for (const form_field& f : editor_schedule) read(f.key, f.kind);
    for (const char* key : {"position", "theme"}) read(key, editor_field_kind::text);
    read("active", editor_field_kind::flag);
}

void draw_editor_preview(const panel_model& m, panel_ui& u, const editor_state& e, float height) {
    ImGui::TextUnformatted("Preview");
    aside("the widget itself (npskit.js) with this draft; it sends nothing");
    if (!e.errors.empty() && !e.previewed.empty()) {
        ImGui::PushTextWrapPos(0);
        ImGui::TextColored(to_vec4(col_passive), "The draft has problems: the preview shows the last valid one.");
        ImGui::PopTextWrapPos();
    }
    // The iframe (web/dashboard/preview.html) is laid over this rectangle by the page.
    ImVec2 size(ImGui::GetContentRegionAvail().x, height);
    ImGui::BeginChild("editor_preview", size, true);
    ImGui::EndChild();
    note_rect(u, "editor_preview");
}

editor_actions draw_editor(const panel_model& m, panel_ui& u, app_state& app, bool wide) {
    editor_actions act;
    editor_state& e = app.editor;
    follow_up_state& f = app.follow_up;
    refresh_editor_buffers(app, u.ui);
    const float label_w = S(wide ? 150 : 118, m);
    ImGui::TextUnformatted("Surveys");
    aside("definitions served by the collector (GET /v1/surveys/{id})");
    flow(button_width("Back to the dashboard"));
    if (ImGui::Button("Back to the dashboard")) act.close = true;
    note_rect(u, "editor_close");
    // The survey list: one chip each, then a new one.
    if (!e.listed) muted("Listing the surveys…");
    if (e.listed && e.surveys.empty()) muted("No survey yet: name one and press New.");
    for (size_t i = 0; i < e.surveys.size(); ++i) {
        const std::string& id = e.surveys[i].id;
        if (i) flow(button_width(id.c_str()) + S(4, m));
        if (chip((id + "##sv").c_str(), id == e.selected)) act.select = id;
        note_rect(u, "editor_survey_" + id);
    }
    ImGui::PushStyleVar(ImGuiStyleVar_FrameBorderSize, 1.0f);
    ImGui::SetNextItemWidth(S(170, m));
    bool create = ImGui::InputTextWithHint("##new_id", "new survey id", e.new_id, sizeof e.new_id, ImGuiInputTextFlags_EnterReturnsTrue);
    note_rect(u, "editor_new_id");
    flow(button_width("New"));
    create |= ImGui::Button("New");
    if (create && e.new_id[0]) act.create = e.new_id;
    flow(button_width("Reload"));
    if (ImGui::Button("Reload")) act.list = true;
    // Who saves, and the admin key: the follow-up list's (memory only, masked, never the URL).
    ImGui::SetNextItemWidth(S(150, m));
    ImGui::InputTextWithHint("##ed_by", "your name", f.by, sizeof f.by);
    note_rect(u, "editor_by");
    flow(S(190, m));
    ImGui::SetNextItemWidth(S(190, m));
    ImGui::InputTextWithHint("##ed_key", "admin key (to save)", f.admin_key, sizeof f.admin_key, ImGuiInputTextFlags_Password);
    note_rect(u, "editor_key");
    if (!e.message.empty()) {
        ImGui::PushTextWrapPos(0);
        if (e.message_is_error)
            ImGui::TextColored(to_vec4(col_detractor), "%s", e.message.c_str());
        else
            ImGui::TextColored(to_vec4(col_promoter), "%s", e.message.c_str());
        ImGui::PopTextWrapPos();
        note_rect(u, "editor_message");
    }
    ImGui::Separator();
    if (e.selected.empty()) {
        ImGui::PopStyleVar();
        web_place_preview(false, 0, 0, 0, 0);
        return act;
    }

    // Wide: the form left, the preview right (a table: each column's width is its own).
    if (wide && ImGui::BeginTable("editor_cols", 2, ImGuiTableFlags_SizingStretchProp)) {
        ImGui::TableSetupColumn("form", ImGuiTableColumnFlags_WidthStretch, 0.56f);
        ImGui::TableSetupColumn("preview", ImGuiTableColumnFlags_WidthStretch, 0.44f);
        ImGui::TableNextRow();
        ImGui::TableNextColumn();
    } else {
        wide = false;
    }
    // Title: the survey and the version it was opened from.
    std::string title = e.selected + (e.base_version ? "  ·  version " + std::to_string(e.base_version) : "  ·  new");
    ImGui::TextUnformatted(title.c_str());
    if (e.dirty) {
        ImGui::SameLine();
        muted("(unsaved changes)");
    }
    bool active = u.ui.editor_fields["active"] != "false";
    if (ImGui::Checkbox("Active (shows to people)", &active))
        act.fields.emplace_back("active", active ? "true" : "false", editor_field_kind::flag);
    note_rect(u, "editor_active");
    if (!wide) draw_editor_preview(m, u, e, S(440, m));  // narrow: the prompt first, the form below it
    panel_title("Wording");
    for (const form_field& ff : editor_wording) form_row(m, u, e, ff, label_w, act);
    panel_title("When it shows");
    for (const form_field& ff : editor_when) form_row(m, u, e, ff, label_w, act);
    panel_title("Look and schedule");
    form_choice(m, u, e, "position", "Position", {"bottom-right", "bottom-center", "center"}, label_w, act);
    form_choice(m, u, e, "theme", "Theme", {"auto", "light", "dark"}, label_w, act);
    for (const form_field& ff : editor_schedule) form_row(m, u, e, ff, label_w, act);
    panel_title("Definition (JSON: every option, variants included)");
    if (ImGui::InputTextMultiline("##definition", &u.ui.editor_text, ImVec2(-1, S(wide ? 300 : 260, m)), ImGuiInputTextFlags_AllowTabInput))
        act.text = u.ui.editor_text;
    note_rect(u, "editor_text");
    // The core's messages, every one, as the collector would answer them.
    if (e.errors.empty()) {
        ImGui::TextColored(to_vec4(col_promoter), "Valid: the collector's check accepts it.");
    } else {
        for (const definition_error& d : e.errors) {
            ImGui::PushTextWrapPos(0);
            ImGui::TextColored(to_vec4(col_detractor), "%s%s%s", d.field.empty() ? "" : d.field.c_str(), d.field.empty() ? "" : ": ",
                               d.message.c_str());
            ImGui::PopTextWrapPos();
        }
    }
    note_rect(u, "editor_errors");
    if (ImGui::Button(e.save_req ? "Saving…###save" : "Save a new version###save")) act.save = true;
    note_rect(u, "editor_save");
    panel_title("Versions");
    if (e.versions.empty()) muted(e.base_etag.empty() ? "Not saved yet." : "…");
    if (!e.versions.empty() && ImGui::BeginTable("versions", 4, ImGuiTableFlags_RowBg | ImGuiTableFlags_SizingStretchProp)) {
        for (size_t i = 0; i < e.versions.size(); ++i) {
            const survey_entry& v = e.versions[i];
            ImGui::PushID(static_cast<int>(i));
            ImGui::TableNextRow();
            ImGui::TableNextColumn();
            ImGui::Text("v%llu", static_cast<unsigned long long>(v.version));
            ImGui::TableNextColumn();
            ImGui::TextUnformatted(v.at.substr(0, 16).c_str());
            ImGui::TableNextColumn();
            ImGui::TextUnformatted(v.deleted ? "deleted" : v.by.empty() ? "—" : v.by.c_str());
            ImGui::TableNextColumn();
            if (i == 0)
                muted("current");
            else if (!v.deleted && ImGui::SmallButton("Restore"))
                act.restore = i;
            if (i < 4) note_rect(u, "editor_restore_" + std::to_string(i));
            ImGui::PopID();
        }
        ImGui::EndTable();
    }
    if (wide) {
        ImGui::TableNextColumn();
        draw_editor_preview(m, u, e, S(640, m));
        ImGui::EndTable();
    }
    ImGui::PopStyleVar();
    const auto& r = u.ui.rects["editor_preview"];
    web_place_preview(true, r[0] + 1, r[1] + 1, r[2] - 2, r[3] - 2);
    return act;
}
}  // namespace

//-----------------------------------------------------------------------------
// [SECTION] Layout
//-----------------------------------------------------------------------------
void draw_dashboard(app_state& app, const dashboard_fonts& fonts) {
    app_follow_up_refresh(app);  // the follow-up panel's list (issue 15)
    const panel_model m{app.rep,           app.load,
                        app.live,          app.store.attributes,
                        app.store.size(),  app.importer ? &app.importer->header() : nullptr,
                        app.settings.dark, app.dpr,
                        fonts.regular,     fonts.big,
                        &app.agg};
    panel_ui u{app.settings, app.ui, {}, false};
    app.ui.relayout = false;  // set again by a panel whose content changed height
    ImGuiIO& io = ImGui::GetIO();
    ImGui::SetNextWindowPos(ImVec2(0, 0));
    ImGui::SetNextWindowSize(io.DisplaySize);
    ImGuiWindowFlags flags =
        ImGuiWindowFlags_NoDecoration | ImGuiWindowFlags_NoMove | ImGuiWindowFlags_NoSavedSettings | ImGuiWindowFlags_NoBringToFrontOnFocus;
    ImGui::Begin("npskit", nullptr, flags);
    draw_top_bar(m, u);
    draw_load_status(m, u);
    float logical_w = io.DisplaySize.x / m.dpr;
    bool wide = logical_w >= 900;
    follow_up_actions follow_up_act;
    // The survey editor (issue 16): a collector source's surveys, in place of the panels.
    const bool collector = app.load.kind == source_kind::collector;
    editor_actions editor_act;
    bool editor_toggle = false;
    if (collector && !app.editor.open) {
        if (ImGui::Button("Edit surveys")) editor_toggle = true;
        note_rect(u, "editor_open");
    }
    if (collector && app.editor.open) {
        ImGui::Separator();
        editor_act = draw_editor(m, u, app, wide);
        ImGui::End();
    } else {
        web_place_preview(false, 0, 0, 0, 0);
        draw_filters(m, u);
        ImGui::Spacing();
    }
    if (!(collector && app.editor.open)) {
        float gap = ImGui::GetStyle().ItemSpacing.x;
        float full = ImGui::GetContentRegionAvail().x;
        if (wide) {
            float half = (full - gap) / 2;
            ImGui::BeginGroup();
            ImGui::PushItemWidth(half);
            ImGui::BeginChild("col_a", ImVec2(half, S(250, m)), false);
            draw_headline(m, S(250, m));
            ImGui::EndChild();
            ImGui::PopItemWidth();
            ImGui::EndGroup();
            ImGui::SameLine();
            ImGui::BeginChild("col_b", ImVec2(half, S(250, m)), false);
            draw_distribution(m, S(250, m));
            ImGui::EndChild();
            draw_trend(m, u, S(330, m));
            ImGui::BeginChild("col_c", ImVec2(half * 1.15f, S(300, m)), false);
            draw_breakdown(m, u, S(300, m));
            ImGui::EndChild();
            ImGui::SameLine();
            ImGui::BeginChild("col_d", ImVec2(full - half * 1.15f - gap, S(300, m)), false);
            draw_rate(m, S(300, m));
            ImGui::EndChild();
            draw_themes(m, u, S(340, m));
            draw_comments(m, u, S(440, m));
            follow_up_act = draw_follow_up(m, u, app.follow_up, S(560, m));
        } else {
            draw_headline(m, S(210, m));
            draw_distribution(m, S(190, m));
            draw_trend(m, u, S(300, m));
            draw_breakdown(m, u, S(280, m));
            draw_themes(m, u, S(480, m));
            draw_comments(m, u, S(520, m));
            draw_rate(m, S(240, m));
            follow_up_act = draw_follow_up(m, u, app.follow_up, S(640, m));
        }
        ImGui::End();
    }

    // What the frame's clicks asked for, in the app layer (which owns the hash and the sources).
    const panel_actions& act = u.act;
    if (act.resort) sort_breakdown(app.rep.breakdown, app.ui.sort_by, app.ui.sort_descending);
    if (act.set_range)
        app_set_range(app, *act.set_range);
    else if (u.changed)
        app_settings_changed(app);
    else if (act.write_hash)
        app_write_hash(app);
    if (act.apply_mapping) app_apply_mapping(app, app.ui.pending_mapping);
    if (!act.open_url.empty()) app_open_url(app, act.open_url);
    if (act.pick_file) platform::pick_file();
    if (act.demo_rows) app_load_demo(app, act.demo_rows);
    if (act.export_csv) app_export_csv(app);
    if (act.export_report) app_export_report(app);
    // Through ImGui's clipboard hook: the browser edge (main.cpp, web_source.cpp).
    if (act.copy_digest) ImGui::SetClipboardText(app_digest_text(app).c_str());
    if (follow_up_act.mark) app_follow_up_mark(app, follow_up_act.mark->first, follow_up_act.mark->second);
    if (follow_up_act.export_csv) app_export_follow_up_csv(app);
    app_follow_up_refresh(app);  // a tab or filter clicked this frame: the list follows at once
    if (editor_toggle) app_editor_show(app, true);
    if (editor_act.close) app_editor_show(app, false);
    if (editor_act.list) app_editor_list(app);
    if (!editor_act.select.empty()) app_editor_select(app, editor_act.select);
    if (!editor_act.create.empty()) app_editor_new(app, editor_act.create);
    for (const auto& [key, value, kind] : editor_act.fields)
        if (!app_editor_set_field(app, key, value, kind)) {
            app.editor.message = "The definition's text is not a JSON object: fix it there first.";
            app.editor.message_is_error = true;
        }
    if (editor_act.text) app_editor_set_text(app, *editor_act.text);
    if (editor_act.save) app_editor_save(app);
    if (editor_act.restore) app_editor_restore(app, *editor_act.restore);
}

}  // namespace npskit::dashboard
