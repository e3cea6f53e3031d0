/**
 * Every environment variable a definition section refers to (`{ env: NAME }` without a default) that is
 * unset or empty, in the order they appear: `check` names them all at once rather than one per attempt.
 */
export function missingVariables(section: unknown, env: NodeJS.ProcessEnv): string[] {
  const missing: string[] = [];
  for (const ref of envRefs(section)) {
    if (ref.default === undefined && unset(env, ref.env) && !missing.includes(ref.env)) missing.push(ref.env);
  }
  return missing;
}

/**
 * The settings of `section` given as `{ env: NAME, default }` whose variable is not set, so that their default is
 * used: for `connectors check` to say so (QA: a check against the default URL said only "connection refused by
 * 127.0.0.1:4102", and nothing that the URL's variable was not set). Names only; a default is no secret.
 */
export function defaultedVariables(section: unknown, env: NodeJS.ProcessEnv): Array<{ variable: string; value: string }> {
  const used: Array<{ variable: string; value: string }> = [];
  for (const ref of envRefs(section)) {
    if (ref.default !== undefined && unset(env, ref.env) && !used.some((u) => u.variable === ref.env)) used.push({ variable: ref.env, value: ref.default });
  }
  return used;
}

function unset(env: NodeJS.ProcessEnv, name: string): boolean {
  return env[name] === undefined || env[name] === '';
}

/** Every `{ env: NAME }` or `{ env: NAME, default }` reference in `section`, in order. */
function envRefs(section: unknown): Array<{ env: string; default?: string }> {
  const refs: Array<{ env: string; default?: string }> = [];
  const walk = (v: unknown): void => {
    if (v === null || typeof v !== 'object') return;
    if (Array.isArray(v)) {
      v.forEach(walk);
      return;
    }
    const o = v as Record<string, unknown>;
    if (typeof o['env'] === 'string' && Object.keys(o).every((k) => k === 'env' || k === 'default')) {
      refs.push(typeof o['default'] === 'string' ? { env: o['env'], default: o['default'] } : { env: o['env'] });
      return;
    }
    Object.values(o).forEach(walk);
  };
  walk(section);
  return refs;
}
