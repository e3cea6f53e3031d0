/**
 * Every environment variable a definition section refers to (`{ env: NAME }` without a default) that is
 * unset or empty, in the order they appear: `check` names them all at once rather than one per attempt.
 */
export function missingVariables(section: unknown, env: NodeJS.ProcessEnv): string[] {
  const missing: string[] = [];
  const walk = (v: unknown): void => {
    if (v === null || typeof v !== 'object') return;
    if (Array.isArray(v)) {
      v.forEach(walk);
      return;
    }
    const o = v as Record<string, unknown>;
    if (typeof o['env'] === 'string' && Object.keys(o).every((k) => k === 'env' || k === 'default')) {
      const name = o['env'];
      if (o['default'] === undefined && (env[name] === undefined || env[name] === '') && !missing.includes(name)) missing.push(name);
      return;
    }
    Object.values(o).forEach(walk);
  };
  walk(section);
  return missing;
}

/**
 * The settings of `section` given as `{ env: NAME, default }` whose variable is not set, so that their default is
 * used: for `connectors check` to say so (QA: a check against the default URL said only "connection refused by
 * 127.0.0.1:4102", and nothing that the URL's variable was not set). Names only; a default is no secret.
 */
export function defaultedVariables(section: unknown, env: NodeJS.ProcessEnv): Array<{ variable: string; value: string }> {
  const used: Array<{ variable: string; value: string }> = [];
  const walk = (v: unknown): void => {
    if (v === null || typeof v !== 'object') return;
    if (Array.isArray(v)) {
      v.forEach(walk);
      return;
    }
    const o = v as Record<string, unknown>;
    if (typeof o['env'] === 'string' && Object.keys(o).every((k) => k === 'env' || k === 'default')) {
      const name = o['env'];
      if (typeof o['default'] === 'string' && (env[name] === undefined || env[name] === '') && !used.some((u) => u.variable === name)) {
        used.push({ variable: name, value: o['default'] });
      }
      return;
    }
    Object.values(o).forEach(walk);
  };
  walk(section);
  return used;
}
