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
// [X] the center modal keeps focus (focus leaving the card comes back); Esc and close always work
#include "widget.h"

#include <emscripten/emscripten.h>

// clang-format off
EM_JS(int, npskit_js_mount, (int position, int theme, int rtl, const char* brand, int brand_len, const char* brand_text, const char* lang), {
  return npskitDom.mount(position, theme, rtl, npskitStr(brand, brand_len), npskitStr(brand_text), npskitStr(lang));
});
EM_JS(void, npskit_js_unmount, (), { npskitDom.unmount(); });
EM_JS(int, npskit_js_el, (int parent, const char* tag, const char* cls), {
  var d = npskitDom, e = document.createElement(npskitStr(tag)), c = npskitStr(cls);
  if (c) e.className = c;
  d.h[parent].appendChild(e);
  d.h.push(e);
  return d.h.length - 1;
});
EM_JS(void, npskit_js_attr, (int h, const char* name, const char* value, int len), {
  npskitDom.h[h].setAttribute(npskitStr(name), npskitStr(value, len));
});
EM_JS(void, npskit_js_text, (int h, const char* text, int len), { npskitDom.h[h].textContent = npskitStr(text, len); });
EM_JS(void, npskit_js_on, (int h, const char* type, int code), { npskitDom.on(h, npskitStr(type), code); });
EM_JS(void, npskit_js_clear, (int h), { npskitDom.clear(h); });
EM_JS(void, npskit_js_focus, (int h, int only_if_ours), { npskitDom.focus(h, only_if_ours); });
EM_JS(int, npskit_js_value, (int h, char* buf, int cap), {
  return npskitPut(npskitDom.h[h].value || "", buf, cap);
});
// clang-format on
