}).catch(function (e) {
  console.warn("npskit: not started (" + e + "); see docs/js-api.md#csp");
});
})(document.currentScript);
