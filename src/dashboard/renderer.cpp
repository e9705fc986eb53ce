#include "renderer.h"

#include <GLES3/gl3.h>
#include <cstdio>

#include "dashboard_assets.h"
#include "imgui.h"

namespace npskit::dashboard {

namespace {
struct renderer_state {
    GLuint program = 0, vao = 0, vbo = 0, ebo = 0, font_texture = 0;
    GLint u_projection = -1, u_texture = -1;
    GLsizeiptr vbo_size = 0, ebo_size = 0;
} g;

GLuint compile(GLenum type, const char* source) {
    GLuint shader = glCreateShader(type);
    glShaderSource(shader, 1, &source, nullptr);
    glCompileShader(shader);
    GLint ok = 0;
    glGetShaderiv(shader, GL_COMPILE_STATUS, &ok);
    if (!ok) {
        char log[1024];
        glGetShaderInfoLog(shader, sizeof log, nullptr, log);
        std::fprintf(stderr, "npskit: shader compile failed: %s\n", log);
        glDeleteShader(shader);
        return 0;
    }
    return shader;
}
}  // namespace

const unsigned char* embedded_font_data() { return dejavu_sans_ttf; }
size_t embedded_font_size() { return dejavu_sans_ttf_size; }

bool renderer_setup() {
    GLuint vs = compile(GL_VERTEX_SHADER, reinterpret_cast<const char*>(imgui_vert_glsl));
    GLuint fs = compile(GL_FRAGMENT_SHADER, reinterpret_cast<const char*>(imgui_frag_glsl));
    if (!vs || !fs) return false;
    g.program = glCreateProgram();
    glAttachShader(g.program, vs);
    glAttachShader(g.program, fs);
    glLinkProgram(g.program);
    glDeleteShader(vs);
    glDeleteShader(fs);
    GLint ok = 0;
    glGetProgramiv(g.program, GL_LINK_STATUS, &ok);
    if (!ok) {
        std::fprintf(stderr, "npskit: shader link failed\n");
        return false;
    }
    g.u_projection = glGetUniformLocation(g.program, "u_projection");
    g.u_texture = glGetUniformLocation(g.program, "u_texture");

    glGenVertexArrays(1, &g.vao);
    glGenBuffers(1, &g.vbo);
    glGenBuffers(1, &g.ebo);
    glBindVertexArray(g.vao);
    glBindBuffer(GL_ARRAY_BUFFER, g.vbo);
    glBindBuffer(GL_ELEMENT_ARRAY_BUFFER, g.ebo);  // recorded in the VAO
    glEnableVertexAttribArray(0);
    glEnableVertexAttribArray(1);
    glEnableVertexAttribArray(2);
    glVertexAttribPointer(0, 2, GL_FLOAT, GL_FALSE, sizeof(ImDrawVert), (void*)offsetof(ImDrawVert, pos));
    glVertexAttribPointer(1, 2, GL_FLOAT, GL_FALSE, sizeof(ImDrawVert), (void*)offsetof(ImDrawVert, uv));
    glVertexAttribPointer(2, 4, GL_UNSIGNED_BYTE, GL_TRUE, sizeof(ImDrawVert), (void*)offsetof(ImDrawVert, col));
    glBindVertexArray(0);
    return true;
}

void renderer_upload_fonts() {
    ImGuiIO& io = ImGui::GetIO();
    unsigned char* pixels = nullptr;
    int width = 0, height = 0;
    io.Fonts->GetTexDataAsRGBA32(&pixels, &width, &height);
    if (!g.font_texture) glGenTextures(1, &g.font_texture);
    glBindTexture(GL_TEXTURE_2D, g.font_texture);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, GL_LINEAR);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, GL_LINEAR);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_S, GL_CLAMP_TO_EDGE);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_T, GL_CLAMP_TO_EDGE);
    glPixelStorei(GL_UNPACK_ALIGNMENT, 1);
    glTexImage2D(GL_TEXTURE_2D, 0, GL_RGBA, width, height, 0, GL_RGBA, GL_UNSIGNED_BYTE, pixels);
    io.Fonts->SetTexID(reinterpret_cast<ImTextureID>(static_cast<intptr_t>(g.font_texture)));
    io.Fonts->ClearTexData();  // the CPU copy is no longer needed
}

void renderer_draw(ImDrawData* dd, int fb_width, int fb_height) {
    if (!dd || fb_width <= 0 || fb_height <= 0) return;
    glViewport(0, 0, fb_width, fb_height);
    glEnable(GL_BLEND);
    glBlendEquation(GL_FUNC_ADD);
    glBlendFuncSeparate(GL_SRC_ALPHA, GL_ONE_MINUS_SRC_ALPHA, GL_ONE, GL_ONE_MINUS_SRC_ALPHA);
    glDisable(GL_CULL_FACE);
    glDisable(GL_DEPTH_TEST);
    glEnable(GL_SCISSOR_TEST);
    glUseProgram(g.program);
    // Orthographic projection: DisplayPos (top left) .. DisplayPos + DisplaySize, y down.
    float l = dd->DisplayPos.x, r = dd->DisplayPos.x + dd->DisplaySize.x;
    float t = dd->DisplayPos.y, b = dd->DisplayPos.y + dd->DisplaySize.y;
    const float projection[16] = {
        2.0f / (r - l), 0, 0, 0, 0, 2.0f / (t - b), 0, 0, 0, 0, -1, 0, (r + l) / (l - r), (t + b) / (b - t), 0, 1,
    };
    glUniformMatrix4fv(g.u_projection, 1, GL_FALSE, projection);
    glUniform1i(g.u_texture, 0);
    glActiveTexture(GL_TEXTURE0);
    glBindVertexArray(g.vao);
    glBindBuffer(GL_ARRAY_BUFFER, g.vbo);

    ImVec2 clip_off = dd->DisplayPos, clip_scale = dd->FramebufferScale;
    for (int n = 0; n < dd->CmdListsCount; ++n) {
        const ImDrawList* list = dd->CmdLists[n];
        GLsizeiptr vsize = list->VtxBuffer.Size * static_cast<GLsizeiptr>(sizeof(ImDrawVert));
        GLsizeiptr isize = list->IdxBuffer.Size * static_cast<GLsizeiptr>(sizeof(ImDrawIdx));
        // Grow-only buffers, then sub-data uploads: no reallocation in a steady frame.
        if (vsize > g.vbo_size) {
            g.vbo_size = vsize + vsize / 2;
            glBufferData(GL_ARRAY_BUFFER, g.vbo_size, nullptr, GL_STREAM_DRAW);
        }
        if (isize > g.ebo_size) {
            g.ebo_size = isize + isize / 2;
            glBufferData(GL_ELEMENT_ARRAY_BUFFER, g.ebo_size, nullptr, GL_STREAM_DRAW);
        }
        glBufferSubData(GL_ARRAY_BUFFER, 0, vsize, list->VtxBuffer.Data);
        glBufferSubData(GL_ELEMENT_ARRAY_BUFFER, 0, isize, list->IdxBuffer.Data);
        for (const ImDrawCmd& cmd : list->CmdBuffer) {
            if (cmd.UserCallback) {
                if (cmd.UserCallback != ImDrawCallback_ResetRenderState) cmd.UserCallback(list, &cmd);
                continue;
            }
            ImVec2 cmin((cmd.ClipRect.x - clip_off.x) * clip_scale.x, (cmd.ClipRect.y - clip_off.y) * clip_scale.y);
            ImVec2 cmax((cmd.ClipRect.z - clip_off.x) * clip_scale.x, (cmd.ClipRect.w - clip_off.y) * clip_scale.y);
            if (cmax.x <= cmin.x || cmax.y <= cmin.y) continue;
            glScissor(static_cast<GLint>(cmin.x), static_cast<GLint>(fb_height - cmax.y), static_cast<GLsizei>(cmax.x - cmin.x),
                      static_cast<GLsizei>(cmax.y - cmin.y));
            glBindTexture(GL_TEXTURE_2D, static_cast<GLuint>(reinterpret_cast<intptr_t>(cmd.GetTexID())));
            // No base-vertex draw in WebGL2: 32-bit indices are global, so VtxOffset is always 0.
            glDrawElements(GL_TRIANGLES, static_cast<GLsizei>(cmd.ElemCount), GL_UNSIGNED_INT,
                           reinterpret_cast<void*>(cmd.IdxOffset * sizeof(ImDrawIdx)));
        }
    }
    glBindVertexArray(0);
    glDisable(GL_SCISSOR_TEST);
}

void renderer_shutdown() {
    if (g.font_texture) glDeleteTextures(1, &g.font_texture);
    if (g.vbo) glDeleteBuffers(1, &g.vbo);
    if (g.ebo) glDeleteBuffers(1, &g.ebo);
    if (g.vao) glDeleteVertexArrays(1, &g.vao);
    if (g.program) glDeleteProgram(g.program);
    g = {};
}

}  // namespace npskit::dashboard
