/* npskit: in-product NPS survey prompt. MIT. docs/js-api.md */
(function (script) {
// Fetch npskit.wasm from beside this script, then run the (minimal) runtime with its bytes.
fetch(new URL("npskit.wasm", script.src).href, { credentials: "omit" }).then(function (r) {
  if (!r.ok) throw new Error("HTTP " + r.status);
  return r.arrayBuffer();
}).then(function (bytes) {
var Module = { wasm: bytes, script: script };  // never a host page's own emscripten Module
