import { z } from 'zod';
import { AppError } from '../../errors/app-error.js';

/**
 * A value a definition takes from the environment: `{ env: NAME }`, with an optional `default` for
 * settings that are not secrets. Secrets (passwords, keys, client secrets) only accept a reference without
 * a default, so no secret value can ever be written into a definition file.
 */
export const envRefSchema = z
  .object({
    env: z.string().regex(/^[A-Z][A-Z0-9_]*$/, 'must be an environment variable name in upper case (A-Z, 0-9, _)'),
    default: z.string().optional(),
  })
  .strict();
export type EnvRef = z.infer<typeof envRefSchema>;

/** A secret: only an environment reference, never a literal, never a default. */
export const secretRefSchema = z
  .strictObject(
    { env: z.string().regex(/^[A-Z][A-Z0-9_]*$/, 'must be an environment variable name in upper case (A-Z, 0-9, _)') },
    {
      // Never the value given: it may be the secret itself.
      error: (issue) => {
        if (issue.code === 'invalid_type') {
          return 'a secret must be a reference to an environment variable, { env: NAME }: literal values are refused (set the variable where the hub runs)';
        }
        if (issue.code === 'unrecognized_keys') {
          // A default would be the secret written in the file after all.
          return issue.keys.includes('default')
            ? 'a secret takes no default (it would be written in the file): set the variable where the hub runs'
            : 'a secret is only { env: NAME }: nothing else';
        }
        return undefined;
      },
    },
  )
  .describe('A secret, given as a reference to an environment variable: { env: NAME }. Literal values are refused.');
export type SecretRef = z.infer<typeof secretRefSchema>;

/** A setting given either literally or as an environment reference. */
export const settingSchema = z.union([z.string(), envRefSchema]);
export type Setting = z.infer<typeof settingSchema>;

/**
 * A variable a definition refers to is not set where the setting is read. The hub's own words, the setting's
 * place in the definition and the variable's name (never a value), so logs and run history keep it whole.
 * `CONNECTOR_SECRET_MISSING` for a secret (a key, password, token, client secret, a credential header or
 * parameter), `CONNECTOR_SETTING_MISSING` for any other setting (a base URL, a drop directory: QA, a drop
 * directory's variable was called a secret).
 */
export class MissingSettingError extends AppError {
  override readonly name = 'MissingSettingError';
  readonly code: 'CONNECTOR_SECRET_MISSING' | 'CONNECTOR_SETTING_MISSING';
  override readonly messageIsSafe = true;
  /**
   * @param environment whose environment it is not set in, when that is not the obvious one (`the worker's environment`)
   * @param also the definition's other variables that are not set either, named in the same message so that they are set at
   *   once (QA: with both OAuth2 variables unset, a sync named only the client id, and the next attempt the secret)
   */
  constructor(readonly variable: string, readonly where: string, readonly secret: boolean, readonly environment?: string, readonly also: readonly string[] = []) {
    super(
      `${where} needs the environment variable ${variable}, which is not set${environment ? ` in ${environment}` : ''}` +
        (also.length ? `; the definition also needs ${also.join(', ')}, not set either` : ''),
      { variable },
    );
    this.code = secret ? 'CONNECTOR_SECRET_MISSING' : 'CONNECTOR_SETTING_MISSING';
  }

  /** The same error naming whose environment lacks the variable: a sync queued from one shell runs in another process. */
  in(environment: string): MissingSettingError {
    return new MissingSettingError(this.variable, this.where, this.secret, environment, this.also);
  }

  /** The same error naming the other variables of `missing` (every unset one the definition needs). */
  withOthers(missing: readonly string[]): MissingSettingError {
    const also = missing.filter((v) => v !== this.variable && !this.also.includes(v));
    return also.length ? new MissingSettingError(this.variable, this.where, this.secret, this.environment, [...this.also, ...also]) : this;
  }
}

/**
 * A setting's value the connector cannot use (a URL that is not one, a number that is not): a configuration
 * error, not the hub's fault, which running the sync again cannot fix. Names the setting's place and, for a
 * value from the environment, the variable to correct (never the value), so logs and run history keep it whole.
 */
export class SettingInvalidError extends AppError {
  override readonly name = 'SettingInvalidError';
  readonly code = 'CONNECTOR_SETTING_INVALID';
  override readonly messageIsSafe = true;
  /**
   * @param problem what is wrong, as "is not an absolute URL"; or, when correcting the variable is not the only way
   *   out, the whole message given the variable (if any), which it names itself
   */
  constructor(readonly where: string, setting: Setting | SecretRef, problem: string | ((variable: string | undefined) => string)) {
    const variable = typeof setting === 'object' ? setting.env : undefined;
    const told = typeof problem === 'function' ? problem(variable) : `${problem}${variable ? `: correct the environment variable ${variable}` : ''}`;
    super(`${where} ${told}`, variable ? { variable } : {});
  }
}

/**
 * Resolves a setting against `env`; throws {@link MissingSettingError} naming the variable when unset (as a secret's
 * when `secret`).
 */
export function resolveSetting(value: Setting | SecretRef, where: string, env: NodeJS.ProcessEnv = process.env, opts: { secret?: boolean } = {}): string {
  if (typeof value === 'string') return value;
  const v = env[value.env];
  if (v !== undefined && v !== '') return v;
  if ('default' in value && value.default !== undefined) return value.default;
  throw new MissingSettingError(value.env, where, opts.secret ?? false);
}

/** {@link resolveSetting} for a secret: a missing variable is `CONNECTOR_SECRET_MISSING`. */
export function resolveSecret(value: Setting | SecretRef, where: string, env: NodeJS.ProcessEnv = process.env): string {
  return resolveSetting(value, where, env, { secret: true });
}
