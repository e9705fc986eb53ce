/* npskit: in-product NPS survey prompt. MIT. docs/js-api.md */
(function (script) {
// The wasm fetch is the round trip the prompt waits on: it starts while this script is still
// being evaluated (a host fetch that throws becomes a rejection, caught below). A CSP that
// forbids compiling wasm is refused before the runtime, with a clear message.
// data-wasm: where a bundler put the wasm under another name (the npm package's load() sets it).
new Promise(function (ok) {
  ok(fetch(new URL(script.dataset.wasm || "npskit.wasm", script.src), {credentials: "omit"}));
}).then(function (r) {
  try { new WebAssembly.Module(new Uint8Array([0,97,115,109,1,0,0,0])); }
  catch (e) { throw Error("CSP: script-src needs 'wasm-unsafe-eval' (docs/js-api.md#csp)"); }
  if (!r.ok) throw Error("HTTP " + r.status);
  return r.arrayBuffer();
}).then(function (bytes) {
// Never a host page's own emscripten Module. (Compiling on the main thread in this task instead
// of WebAssembly.instantiate's background compile measured within the noise: BENCHMARKS.md
// "Time to prompt"; not worth its bytes in the 16 KB budget.)
var Module = {wasm: bytes, script: script};
