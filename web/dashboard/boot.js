// npskit dashboard boot, loaded by index.html (an external file, so a strict CSP with
// script-src 'self' allows it).
// The dashboard draws with WebGL 2 only. Where the browser has none (turned off, no GPU, headless
// Firefox), say so in the page instead of starting the wasm on a canvas that stays blank.
(function () {
  var probe = document.createElement('canvas'), gl = null;
  try { gl = probe.getContext('webgl2'); } catch (e) { /* reported below as missing */ }
  if (gl) {
    var lose = gl.getExtension('WEBGL_lose_context');
    if (lose) lose.loseContext();  // the probe's context; the dashboard makes its own
    var s = document.createElement('script');
    s.src = 'dashboard.js';
    document.body.appendChild(s);
    return;
  }
  document.getElementById('canvas').hidden = true;
  var box = document.createElement('div'), h = document.createElement('h1'), p1 = document.createElement('p'), p2 = document.createElement('p');
  box.id = 'npskit-no-webgl2';
  box.setAttribute('role', 'alert');
  h.textContent = 'This dashboard needs WebGL 2';
  p1.textContent = 'This browser did not provide a WebGL 2 context: WebGL may be turned off, hardware acceleration disabled, ' +
    'or the browser is running headless without a GPU.';
  p2.textContent = 'It works in current Chrome, Edge, Firefox and Safari (15 or later) with WebGL and hardware acceleration on. ' +
    'Check chrome://gpu or about:support (WebGL 2 driver), or open the dashboard in another browser.';
  box.appendChild(h); box.appendChild(p1); box.appendChild(p2);
  document.body.appendChild(box);
})();
