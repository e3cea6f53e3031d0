import net from 'node:net';

export interface FreezableProxy {
  /** `target` with the proxy's host and port. */
  url: string;
  /** While true, nothing is passed on either way (bytes are held, and passed on when it is set false again): the server looks frozen. */
  frozen: boolean;
  close(): void;
}

/** A TCP proxy to a server (Redis, PostgreSQL) that can stop passing anything on, as a frozen server (`kill -STOP`) would. */
export async function freezableProxy(target: string): Promise<FreezableProxy> {
  const { hostname, port } = new URL(target);
  const sockets = new Set<net.Socket>();
  const state = { frozen: false };
  const held: Array<[net.Socket, Buffer]> = [];
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(port), hostname);
    for (const [from, to] of [[client, upstream], [upstream, client]] as const) {
      sockets.add(from);
      from.on('data', (chunk) => {
        if (state.frozen) held.push([to, chunk]);
        else to.write(chunk);
      });
      from.on('error', () => to.destroy());
      from.on('close', () => to.destroy());
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = new URL(target);
  url.hostname = '127.0.0.1';
  url.port = String((server.address() as net.AddressInfo).port);
  return {
    url: url.toString(),
    get frozen() { return state.frozen; },
    set frozen(v: boolean) {
      state.frozen = v;
      if (!v) for (const [to, chunk] of held.splice(0)) if (!to.destroyed) to.write(chunk);
    },
    close: () => {
      for (const s of sockets) s.destroy();
      server.close();
    },
  };
}

