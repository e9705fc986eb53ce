// npskit as an ES module, for apps that bundle: the same API as the script tag.
//   import { load, npskit } from 'npskit';   (npm i npskit; or './npskit.mjs' beside the bundle)
//   load({ endpoint: '/v1/responses', survey: 'product-nps', product: 'Acme' });
//   npskit('track', 'trial_ended', { plan: 'pro' });
// Calls made before npskit.js has loaded are queued and replayed, as with the snippet.
const w = window;
w.npskit = w.npskit || function () { (w.npskit.q = w.npskit.q || []).push(arguments); };

export function npskit(command, ...args) {
  return w.npskit(command, ...args);
}

// Adds the script once; `src` and `wasm` default to the files beside this module. Other options
// go to 'init'. Both defaults are written `new URL('./file', import.meta.url)` so that bundlers
// (Vite, Rollup, webpack 5, Parcel) emit the two files as assets, under hashed names: the wasm's
// URL therefore goes to the script as data-wasm instead of being "npskit.wasm beside npskit.js".
export function load({ src = new URL('./npskit.js', import.meta.url).href,
                       wasm = new URL('./npskit.wasm', import.meta.url).href, ...options } = {}) {
  npskit('init', options);
  if (!document.querySelector('script[data-npskit-loader]')) {
    const s = document.createElement('script');
    s.src = src;
    s.dataset.wasm = wasm;
    s.async = true;
    s.setAttribute('data-npskit-loader', '');
    document.head.appendChild(s);
  }
}

export default npskit;
