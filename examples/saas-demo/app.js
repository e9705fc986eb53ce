// The host app's own code. Line 1 is npskit's loader snippet: calls made before npskit.js has
// loaded are queued and replayed (no inline script, so it also works under a strict CSP).
window.npskit = window.npskit || function () { (npskit.q = npskit.q || []).push(arguments); };

// Survey rules beyond the script tag's data-* attributes (docs/js-api.md).
npskit('init', {
  triggers: ['trial_ended', { event: 'purchase_completed', where: { amount: { gte: 1 } } }],
  promoterUrl: 'https://example.com/review',
});
npskit('identify', 'user-42', { plan: 'free', signed_up: '2026-01-10', email: 'ada@example.com' });

document.addEventListener('DOMContentLoaded', () => {
  const status = document.getElementById('status');
  const on = (id, f) => document.getElementById(id).addEventListener('click', f);
  on('start-trial', () => {
    status.textContent = 'Pro trial: 14 days left.';
    npskit('track', 'trial_started', { plan: 'pro' });
  });
  on('end-trial', () => {
    status.textContent = 'Your Pro trial has ended.';
    npskit('track', 'trial_ended', { plan: 'pro' });
  });
  on('buy', () => {
    status.textContent = 'Thank you! You are on Pro.';
    npskit('identify', 'user-42', { plan: 'pro', signed_up: '2026-01-10', email: 'ada@example.com' });
    npskit('track', 'purchase_completed', { plan: 'pro', amount: 49 });
  });
  on('logout', () => {
    status.textContent = 'Signed out.';
    document.getElementById('who').textContent = 'Signed out';
    npskit('reset');
  });
});
