/**
 * Preloaded into the Portkey gateway (`node --import ./bench/loopback-listen.mjs …`): it listens on all
 * interfaces and has no option to say otherwise, and the bench must not open a port beyond this machine.
 * Every TCP listen in that process is bound to 127.0.0.1, whatever host it asked for, and the address it got is
 * printed on stderr as `loopback-listen {"address":…,"port":…}` (so the bench can ask for port 0).
 */
import net from 'node:net';

const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function (...args) {
  const [first] = args;
  if (first !== null && typeof first === 'object' && !Array.isArray(first)) {
    // listen({ port, host, … }, cb); a `path` (Unix socket) or `fd`/`handle` has no host to bind.
    if (first.path === undefined && first.fd === undefined && first.handle === undefined && first._handle === undefined) {
      args[0] = { ...first, host: '127.0.0.1' };
    }
  } else if (typeof first === 'number' || (typeof first === 'string' && /^\d+$/.test(first))) {
    // listen(port[, host][, backlog][, cb]): drop a given host, put ours in its place.
    const rest = args.slice(1);
    if (rest.length > 0 && (typeof rest[0] === 'string' || rest[0] == null)) rest.shift();
    args = [first, '127.0.0.1', ...rest];
  } else if (first === undefined || typeof first === 'function') {
    // listen() or listen(cb): a random port on all interfaces.
    args = [0, '127.0.0.1', ...args.filter((a) => a !== undefined)];
  }
  this.once('listening', () => process.stderr.write(`loopback-listen ${JSON.stringify(this.address())}\n`));
  return listen.apply(this, args);
};
