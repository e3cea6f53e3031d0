import net from 'node:net';

export interface TcpProxy {
  /** `target` with the proxy's host and port. */
  url: string;
  /** The connections open now, both sides. */
  sockets: Set<net.Socket>;
  close(): void;
}

export interface TcpProxyOptions {
  /** A new client connection: false when the caller answered it itself (it is then not passed on). */
  accept?: (client: net.Socket) => boolean;
  /** Passes `chunk` on to `to` (the default writes it at once). */
  relay?: (to: net.Socket, chunk: Buffer) => void;
}

/** A TCP proxy on a free loopback port to the server `target` names (Redis, PostgreSQL), for tests of their outages. */
export async function tcpProxy(target: string, opts: TcpProxyOptions = {}): Promise<TcpProxy> {
  const { hostname, port } = new URL(target);
  const sockets = new Set<net.Socket>();
  const relay = opts.relay ?? ((to, chunk) => to.write(chunk));
  const server = net.createServer((client) => {
    if (opts.accept && !opts.accept(client)) return;
    const upstream = net.connect(Number(port), hostname);
    for (const [from, to] of [[client, upstream], [upstream, client]] as const) {
      sockets.add(from);
      from.on('data', (chunk: Buffer) => relay(to, chunk));
      from.on('error', () => to.destroy());
      from.on('close', () => {
        sockets.delete(from);
        to.destroy();
      });
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = new URL(target);
  url.hostname = '127.0.0.1';
  url.port = String((server.address() as net.AddressInfo).port);
  return {
    url: url.toString(),
    sockets,
    close: () => {
      for (const s of sockets) s.destroy();
      server.close();
    },
  };
}
