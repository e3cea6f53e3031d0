import type { Logger } from 'pino';
import { resolveSecret, resolveSetting, SettingInvalidError, type SecretRef, type Setting } from '../../definition/env-ref.js';
import { tokenUrlCredentialAdvice, urlCredentialProblems, type HttpAuthConfig } from '../http.schema.js';
import type { HttpTransport } from '../http-transport.js';
import type { HttpAuth } from './http-auth.js';
import { OAuth2ClientCredentials } from './oauth2-client-credentials.js';
import { basicCredentials, StaticAuth } from './static-auth.js';

export interface CreateHttpAuthOptions {
  env: NodeJS.ProcessEnv;
  transport: HttpTransport;
  now: () => Date;
  logger: Logger;
  /** The connector name, for messages (`connector school: http.auth.value needs …`). */
  name: string;
}

/**
 * Builds the credentials of a definition, resolving its settings and secrets now: a missing variable
 * throws {@link MissingSettingError} naming it (`CONNECTOR_SECRET_MISSING` for a secret's).
 */
export function createHttpAuth(config: HttpAuthConfig | undefined, options: CreateHttpAuthOptions): HttpAuth {
  const where = (field: string) => `connector ${options.name}: http.auth.${field}`;
  const resolve = (v: Setting | SecretRef, field: string) => resolveSetting(v, where(field), options.env);
  const secret = (v: SecretRef, field: string) => resolveSecret(v, where(field), options.env);
  const variable = (v: Setting | SecretRef) => (typeof v === 'string' ? undefined : v.env);
  if (!config) return new StaticAuth({}, undefined, 'check the request path and parameters');
  switch (config.type) {
    case 'apiKey': {
      const key = secret(config.value, 'value');
      const hint = `check the API key in ${config.value.env}`;
      return config.header !== undefined
        ? new StaticAuth({ [config.header]: key }, undefined, hint)
        : new StaticAuth({}, { name: config.query!, value: key }, hint);
    }
    case 'basic': {
      const username = resolve(config.username, 'username');
      const password = secret(config.password, 'password');
      const vars = [variable(config.username), config.password.env].filter(Boolean).join(' and ');
      return new StaticAuth({ Authorization: basicCredentials(username, password) }, undefined, `check the credentials in ${vars}`);
    }
    case 'bearer':
      return new StaticAuth(
        { Authorization: `Bearer ${secret(config.token, 'token')}` },
        undefined,
        `check the token in ${config.token.env}`,
      );
    case 'oauth2ClientCredentials': {
      const tokenUrlText = resolve(config.tokenUrl, 'tokenUrl');
      let tokenUrl: URL;
      try {
        tokenUrl = new URL(tokenUrlText);
      } catch {
        throw new SettingInvalidError(where('tokenUrl'), config.tokenUrl, 'is not an absolute URL');
      }
      // As for the base URL (QA re-check: an ftp:// or file:// token URL failed each sync as the source unavailable, retried).
      if (tokenUrl.protocol !== 'http:' && tokenUrl.protocol !== 'https:') throw new SettingInvalidError(where('tokenUrl'), config.tokenUrl, 'must be an http or https URL');
      // As the definition's own text is checked: a value from the environment may carry them too.
      const credentials = urlCredentialProblems(tokenUrlText, tokenUrlCredentialAdvice);
      if (credentials.length) throw new SettingInvalidError(where('tokenUrl'), config.tokenUrl, credentials.join('; '));
      const vars = [variable(config.clientId), config.clientSecret.env].filter(Boolean).join(' and ');
      return new OAuth2ClientCredentials({
        tokenUrl,
        clientId: resolve(config.clientId, 'clientId'),
        clientSecret: secret(config.clientSecret, 'clientSecret'),
        scope: config.scope === undefined ? undefined : resolve(config.scope, 'scope'),
        audience: config.audience === undefined ? undefined : resolve(config.audience, 'audience'),
        clientAuthentication: config.clientAuthentication,
        transport: options.transport,
        now: options.now,
        logger: options.logger,
        // Some providers take the client's credentials only in the form body, others only as HTTP Basic.
        hint: `check the OAuth2 client in ${vars} and its scope (and clientAuthentication: basic or body, as the provider takes them; now ${config.clientAuthentication})`,
        tokenUrlHint: `check the token endpoint's address (${variable(config.tokenUrl) ?? 'tokenUrl'})`,
      });
    }
  }
}
