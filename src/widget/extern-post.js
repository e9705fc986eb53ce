}).catch(function (e) {
  console.warn("npskit: not started: " + e);
});
})(document.currentScript);
