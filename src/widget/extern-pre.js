/* npskit: in-product NPS survey prompt. MIT. docs/js-api.md */
(function (script) {
var Wasm = WebAssembly;
// The wasm fetch is the round trip the prompt waits on: it starts while this script is still
// being evaluated (a host fetch that throws becomes a rejection, caught below). A CSP that
// forbids compiling wasm is refused before the runtime, with a clear message.
new Promise(function (ok) {
  ok(fetch(new URL("npskit.wasm", script.src).href, {credentials: "omit"}));
}).then(function (r) {
  try { new Wasm.Module(new Uint8Array([0,97,115,109,1,0,0,0])); }
  catch (e) { throw Error("CSP blocks WebAssembly: add 'wasm-unsafe-eval' to script-src"); }
  if (!r.ok) throw Error("HTTP " + r.status);
  // Served as application/wasm: compiled off the main thread while the bytes arrive.
  return Wasm.compileStreaming && /^application\/wasm/.test(r.headers.get("Content-Type")) ? Wasm.compileStreaming(r) : r.arrayBuffer().then(Wasm.compile);
}).then(function (mod) {
// Never a host page's own emscripten Module.
var Module = {wasm: mod, script: script};
// The runtime instantiates Module.wasm and reads .instance (bytes give {module, instance});
// a compiled module gives the instance itself: wrapped here, everything else as the browser's.
var WebAssembly = {__proto__: Wasm, instantiate: function (m, i) { return Wasm.instantiate(m, i).then(function (x) { return {instance: x}; }); }};
