window.npskit = window.npskit || function () { (npskit.q = npskit.q || []).push(arguments); };
document.addEventListener('DOMContentLoaded', () => {
  document.getElementById('finish').addEventListener('click', () => npskit('track', 'onboarding_finished'));
});
