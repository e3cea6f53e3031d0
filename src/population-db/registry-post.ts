import { isAxiosError, type AxiosInstance, type AxiosResponse } from 'axios';
import { upstream, type CallRef } from './registry-answer.js';

export interface RegistryPostOptions {
  /** The whole call's deadline (axios' own `timeout` only watches socket inactivity). */
  timeoutMs: number;
  maxResponseBytes: number;
  headers: Record<string, string>;
}

/**
 * POSTs one registry request as text and returns every HTTP status to the caller. Transport failures
 * become `CallFailure`s (TIMEOUT or NETWORK) without the axios error attached: it carries the request,
 * which holds names, numbers and credentials. Redirects are refused (they would re-send credentials).
 */
export async function postToRegistry(http: AxiosInstance, url: string, body: string, call: CallRef, opts: RegistryPostOptions): Promise<AxiosResponse<unknown>> {
  const { operation } = call;
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, opts.timeoutMs);
  try {
    return await http.post<unknown>(url, body, {
      headers: opts.headers,
      timeout: opts.timeoutMs,
      signal: controller.signal,
      responseType: 'text',
      // The body is parsed by the transport, with its own errors: axios would silently hand back text it could not parse.
      transformResponse: [(data: unknown) => data],
      validateStatus: () => true,
      maxRedirects: 0,
      maxContentLength: opts.maxResponseBytes,
    });
  } catch (err) {
    const code = isAxiosError(err) ? err.code : undefined;
    if (timedOut || code === 'ECONNABORTED' || code === 'ETIMEDOUT') {
      throw upstream(`Population database did not answer ${operation} within ${opts.timeoutMs} ms`, 'TIMEOUT', 'TIMEOUT', call);
    }
    throw upstream(`Population database unreachable for ${operation}${code ? ` (${code})` : ''}`, 'NETWORK', 'UPSTREAM_ERROR', call);
  } finally {
    clearTimeout(timer);
  }
}
