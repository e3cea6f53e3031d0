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
