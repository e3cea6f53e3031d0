import type net from 'node:net';
import { tcpProxy } from './tcp-proxy.js';

export interface FreezableProxy {
  /** `target` with the proxy's host and port. */
  url: string;
  /** While true, nothing is passed on either way (bytes are held, and passed on when it is set false again): the server looks frozen. */
  frozen: boolean;
  close(): void;
}

/** A TCP proxy to a server (Redis, PostgreSQL) that can stop passing anything on, as a frozen server (`kill -STOP`) would. */
export async function freezableProxy(target: string): Promise<FreezableProxy> {
  const state = { frozen: false };
  const held: Array<[net.Socket, Buffer]> = [];
  const proxy = await tcpProxy(target, {
    relay: (to, chunk) => {
      if (state.frozen) held.push([to, chunk]);
      else to.write(chunk);
    },
  });
  return {
    url: proxy.url,
    get frozen() { return state.frozen; },
    set frozen(v: boolean) {
      state.frozen = v;
      if (!v) for (const [to, chunk] of held.splice(0)) if (!to.destroyed) to.write(chunk);
    },
    close: proxy.close,
  };
}
