/* npskit: in-product NPS survey prompt. MIT. https://github.com/ (see README) */
(function () {
var Module = {};  // never a host page's own emscripten Module
