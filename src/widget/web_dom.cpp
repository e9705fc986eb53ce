// npskit widget, browser side: DOM shims. The prompt lives in an open shadow root under one
// <npskit-prompt> element whose inline style is `all: initial !important`, so no host CSS reaches it
// and none of ours leaks out. Styles are a constructed stylesheet (adoptedStyleSheets), which a
// strict style-src does not block; a <style> element is the fallback for old browsers.
//
// [X] text only through text nodes (textContent), attributes one by one, never innerHTML
// [X] positions: bottom-right, bottom-center, center modal; bottom sheet below 480 px
// [X] light, dark, auto (prefers-color-scheme); brand colour as a CSS custom property
// [X] prefers-reduced-motion, focus ring, 44 px targets on coarse pointers, RTL via logical properties
// [X] focus is moved only when the user is not typing in a field of the host page
// [ ] focus trap in the center modal (Esc and the close button always work)
#include "widget.h"

#include <emscripten/emscripten.h>

// clang-format off
EM_JS(int, npskit_js_mount, (int position, int theme, int rtl, const char* brand, int brand_len, const char* brand_text, const char* lang), {
  return npskitDom.mount(position, theme, rtl, UTF8ToString(brand, brand_len), UTF8ToString(brand_text), UTF8ToString(lang));
});
EM_JS(void, npskit_js_unmount, (), { npskitDom.unmount(); });
EM_JS(int, npskit_js_el, (int parent, const char* tag, const char* cls), {
  var d = npskitDom, e = document.createElement(UTF8ToString(tag)), c = UTF8ToString(cls);
  if (c) e.className = c;
  d.h[parent].appendChild(e);
  d.h.push(e);
  return d.h.length - 1;
});
EM_JS(void, npskit_js_attr, (int h, const char* name, const char* value, int len), {
  npskitDom.h[h].setAttribute(UTF8ToString(name), UTF8ToString(value, len));
});
EM_JS(void, npskit_js_text, (int h, const char* text, int len), { npskitDom.h[h].textContent = UTF8ToString(text, len); });
EM_JS(void, npskit_js_on, (int h, const char* type, int code), { npskitDom.on(h, UTF8ToString(type), code); });
EM_JS(void, npskit_js_clear, (int h), { npskitDom.clear(h); });
EM_JS(void, npskit_js_focus, (int h, int only_if_ours), { npskitDom.focus(h, only_if_ours); });
EM_JS(int, npskit_js_value, (int h, char* buf, int cap), {
  return stringToUTF8(npskitDom.h[h].value || "", buf, cap);
});
// clang-format on
