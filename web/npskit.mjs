// npskit as an ES module, for apps that bundle: the same API as the script tag.
//   import { load, npskit } from 'npskit.mjs';
//   load({ endpoint: '/v1/responses', survey: 'product-nps', product: 'Acme' });
//   npskit('track', 'trial_ended', { plan: 'pro' });
// Calls made before npskit.js has loaded are queued and replayed, as with the snippet.
const w = window;
w.npskit = w.npskit || function () { (w.npskit.q = w.npskit.q || []).push(arguments); };

export function npskit(command, ...args) {
  return w.npskit(command, ...args);
}

// Adds the script once; `src` defaults to npskit.js beside this module. Other options go to 'init'.
export function load({ src = new URL('./npskit.js', import.meta.url).href, ...options } = {}) {
  npskit('init', options);
  if (!document.querySelector('script[data-npskit-loader]')) {
    const s = document.createElement('script');
    s.src = src;
    s.async = true;
    s.setAttribute('data-npskit-loader', '');
    document.head.appendChild(s);
  }
}

export default npskit;
