// Prompt weight: gzip -9 and brotli bytes of everything a browser downloads to show the NPS
// prompt, for npskit and for the peers installed from npm in the same run (bench/peers).
//   node bench/prompt/weight.mjs
import { readFileSync, existsSync } from 'node:fs';
import { gzipSync, brotliCompressSync, constants } from 'node:zlib';
import path from 'node:path';
import { root, machine, writeSection } from '../lib/report.mjs';

const dist = path.resolve(root, process.env.NPSKIT_BUILD_WEB || 'build-web', 'dist');
const peers = path.join(root, 'bench/peers/node_modules');

function weigh(files) {
  let raw = 0, gzip = 0, brotli = 0;
  for (const f of files) {
    const bytes = readFileSync(f);
    raw += bytes.length;
    gzip += gzipSync(bytes, { level: 9 }).length;
    brotli += brotliCompressSync(bytes, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length;
  }
  return { files: files.map((f) => path.relative(root, f)), raw, gzip, brotli };
}

// ES module closure: static imports always, dynamic imports only when `wanted` says so.
function esmClosure(dir, entry, wanted) {
  const seen = new Set(), order = [];
  const visit = (name) => {
    if (seen.has(name)) return;
    seen.add(name);
    order.push(path.join(dir, name));
    const text = readFileSync(path.join(dir, name), 'utf8');
    for (const m of text.matchAll(/from\s*"\.\/([^"]+)"/g)) visit(m[1]);
    for (const m of text.matchAll(/import\("\.\/([^"]+)"\)/g)) if (wanted(m[1])) visit(m[1]);
  };
  visit(entry);
  return order;
}

const npskitFiles = ['npskit.js', 'npskit.wasm'].map((f) => path.join(dist, f)).filter(existsSync);
if (!npskitFiles.length) throw new Error(`no widget bundle in ${dist}: build first (npm run build)`);
const results = { machine: machine(), npskit: weigh(npskitFiles), peers: {} };

const posthog = path.join(peers, 'posthog-js/dist');
if (existsSync(posthog)) {
  results.peers['PostHog (posthog-js array.js + lazy surveys.js)'] = weigh([path.join(posthog, 'array.js'), path.join(posthog, 'surveys.js')]);
}
const sprig = path.join(peers, '@sprig-technologies/sprig-browser/dist');
if (existsSync(sprig)) {
  // A classic (non-conversational) survey in light mode: the view chunk and the survey UI chunks.
  const files = esmClosure(sprig, 'index.js', (f) => f.startsWith('view-') || (f.startsWith('index-') && !f.includes('dark')));
  results.peers['Sprig (sprig-browser core + survey chunks)'] = weigh(files);
}
const formbricks = path.join(peers, '@formbricks/js/dist');
if (existsSync(formbricks)) {
  // npm ships only the loader: the core and the survey renderer come from the Formbricks
  // server at run time, so this is a lower bound (PEERS.md measured 281,332 B built from source).
  results.peers['Formbricks (@formbricks/js loader only: the rest is served by a Formbricks app)'] = weigh([path.join(formbricks, 'index.js')]);
}

const n = results.npskit;
const fmt = (x) => x.toLocaleString('en-US');
let md = `## Prompt weight

\`npm run bench -- weight\` (or \`node bench/prompt/weight.mjs\`): every byte a browser downloads to
show the prompt, compressed with gzip -9 and brotli (quality 11), node ${results.machine.node}.
Budget: ≤ 16,384 B gzip for the two files plus the loader snippet (91 B): tests/e2e/widget-size.test.mjs fails the build above it.

| widget | files | raw | gzip -9 | brotli | gzip ratio to npskit |
|---|---:|---:|---:|---:|---:|
| **npskit** | ${n.files.length} | ${fmt(n.raw)} | **${fmt(n.gzip)}** | ${fmt(n.brotli)} | 1× |
`;
const ratios = [];
for (const [name, w] of Object.entries(results.peers)) {
  const ratio = w.gzip / n.gzip;
  if (!name.startsWith('Formbricks')) ratios.push(ratio);
  md += `| ${name} | ${w.files.length} | ${fmt(w.raw)} | ${fmt(w.gzip)} | ${fmt(w.brotli)} | ${ratio.toFixed(1)}× |\n`;
}
const lightest = Math.min(...ratios);
results.lightest_peer_ratio = lightest;
const over = n.gzip - 16384, needed = Math.ceil(Math.min(...Object.entries(results.peers)
  .filter(([name]) => !name.startsWith('Formbricks')).map(([, w]) => w.gzip)) / 6);
md += `\nGoals: ≤ 16,384 B gzip: ${fmt(n.gzip)} B, ${over <= 0 ? 'met' : `missed by ${fmt(over)} B (${(100 * over / 16384).toFixed(0)}%)`}; ` +
      `≥ 6× lighter than the lightest complete peer: ${lightest.toFixed(1)}× (${lightest >= 6 ? 'met' : `missed: it needs ≤ ${fmt(needed)} B`}). ` +
      `Where the bytes are and what was tried: the "Prompt size" section. (node's zlib at level 9; the \`gzip -9\` CLI gives ~1 % less.)\n`;
writeSection('weight', md, results);
console.log(md);
