import type { HttpRequest } from '../http-transport.js';
import type { HttpAuth } from './http-auth.js';

/** Credentials that never change during a run: an API key, Basic, a fixed bearer token, or none. */
export class StaticAuth implements HttpAuth {
  constructor(
    private readonly headers: Readonly<Record<string, string>>,
    private readonly query: { name: string; value: string } | undefined,
    readonly hint: string,
  ) {}

  get queryParam(): string | undefined {
    return this.query?.name;
  }

  async authorize(request: HttpRequest): Promise<HttpRequest> {
    let url = request.url;
    if (this.query) {
      url = new URL(url);
      url.searchParams.set(this.query.name, this.query.value);
    }
    return { ...request, url, headers: { ...request.headers, ...this.headers } };
  }

  async refreshAfterUnauthorized(): Promise<boolean> {
    return false;
  }

  async prepare(): Promise<void> {}
}

/** `Basic base64(user:password)` (RFC 7617, UTF-8). */
export function basicCredentials(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`, 'utf8').toString('base64')}`;
}
