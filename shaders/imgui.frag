#version 300 es
// ImGui draw lists: vertex colour × font atlas (white texel for shapes; the atlas also holds
// the anti-aliased line textures ImGui uses for thick lines).
precision mediump float;
uniform sampler2D u_texture;
in vec2 v_uv;
in vec4 v_color;
out vec4 o_color;
void main() {
    o_color = v_color * texture(u_texture, v_uv);
}
