// npskit survey editor preview (issue 16): the real widget, rendering the editor's draft.
// The dashboard (source.js, NpskitWeb.previewDefinition) loads this page in an iframe of its own
// origin and reloads it for every valid draft; the draft is read from the parent page. The widget
// is the shipped bundle (widget/npskit.js + npskit.wasm, copied beside the dashboard at build
// time), started with the draft as its init options and shown at once (npskit('show')).
// Nothing leaves the page: the widget's records go to an endpoint answered here, never to the
// collector (a preview is not a response), and they are kept in window.npskitPreviewSent.
(function () {
  var config = {};
  try { config = JSON.parse(parent.NpskitWeb.preview.config) || {}; } catch (e) { /* no draft: the defaults */ }
  var endpoint = location.origin + '/npskit-preview/records';
  var sent = window.npskitPreviewSent = [];
  var realFetch = window.fetch.bind(window);
  var toEndpoint = function (url) { return String(url && url.url || url).indexOf(endpoint) === 0; };
  window.fetch = function (url, init) {
    if (!toEndpoint(url)) return realFetch(url, init);
    sent.push(init && init.body);
    return Promise.resolve(new Response('{}', { status: 202, headers: { 'content-type': 'application/json' } }));
  };
  if (navigator.sendBeacon) {
    var realBeacon = navigator.sendBeacon.bind(navigator);
    navigator.sendBeacon = function (url, body) {
      if (!toEndpoint(url)) return realBeacon(url, body);
      sent.push(body);
      return true;
    };
  }
  // The prompt focuses its scale when it shows (the respondent's keyboard goes to it). Here that
  // would take the keyboard from the editor field being typed in, since each draft reloads this
  // frame: focus moves inside the preview only once the person has clicked into it.
  var realFocus = HTMLElement.prototype.focus;
  HTMLElement.prototype.focus = function (o) { if (document.hasFocus()) realFocus.call(this, o); };
  var options = {};
  for (var k in config) if (Object.prototype.hasOwnProperty.call(config, k)) options[k] = config[k];
  options.endpoint = endpoint;
  options.survey = 'npskit-preview';
  options.displayEvents = false;
  window.npskit = window.npskit || function () { (window.npskit.q = window.npskit.q || []).push(arguments); };
  window.npskit('init', options);
  window.npskit('show');
  var s = document.createElement('script');
  s.src = 'widget/npskit.js';
  s.async = true;
  document.body.appendChild(s);
})();
