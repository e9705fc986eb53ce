// 500 hostile sockets from 127.0.0.2 against PORT until killed: each declares a 100 MB body,
// trickles 10 bytes every 2 s, and reconnects 100 ms after the server closes it.
//   node bench/collector-ingest/hostile.cjs PORT [SOCKETS]
const net = require('node:net');
const port = Number(process.argv[2]);
const sockets = Number(process.argv[3] || 500);
function one() {
  const s = net.connect({ port, host: '127.0.0.1', localAddress: '127.0.0.2' });
  s.on('error', () => {});
  s.on('connect', () => {
    s.write('POST /v1/responses HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000000\r\n\r\n');
  });
  const t = setInterval(() => { if (!s.destroyed) s.write('0123456789'); }, 2000);
  s.on('close', () => { clearInterval(t); setTimeout(one, 100); });
}
for (let i = 0; i < sockets; i++) one();
