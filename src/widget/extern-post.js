}).catch(function (e) {
  console.warn("npskit: could not load npskit.wasm (" + e + "); see docs/js-api.md#csp");
});
})(document.currentScript);
