// Opens N sockets from 127.0.0.2 that each declare a 100 MB body and trickle 10 bytes every 2 s.
import net from 'node:net';
const [port, n = 500] = process.argv.slice(2).map(Number);
const socks = [];
for (let i = 0; i < n; i++) {
  const s = net.connect({ port, host: '127.0.0.1', localAddress: '127.0.0.2' });
  s.on('error', () => {});
  s.write(`POST /v1/responses HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000000\r\n\r\n`);
  socks.push(s);
}
setInterval(() => { for (const s of socks) if (!s.destroyed) s.write('0123456789'); }, 2000);
setInterval(() => console.log('open', socks.filter((s) => !s.destroyed).length), 5000);
