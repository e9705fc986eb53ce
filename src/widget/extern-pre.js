/* npskit: in-product NPS survey prompt. MIT. docs/js-api.md */
(function (script) {
// Fetch npskit.wasm from beside this script, then run the (minimal) runtime with its bytes.
// Started inside a promise so that a host fetch that throws becomes a rejection (caught below),
// and refused before the runtime when a CSP forbids compiling wasm (no unhandled rejection).
Promise.resolve().then(function () {
  try { new WebAssembly.Module(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0])); }
  catch (e) { throw new Error("CSP blocks WebAssembly: add 'wasm-unsafe-eval' to script-src"); }
  return fetch(new URL("npskit.wasm", script.src).href, { credentials: "omit" });
}).then(function (r) {
  if (!r.ok) throw new Error("HTTP " + r.status);
  return r.arrayBuffer();
}).then(function (bytes) {
var Module = { wasm: bytes, script: script };  // never a host page's own emscripten Module
