/**
 * Summarises a V8 `.cpuprofile` (from `BENCH_CPU_PROF=1 npm run bench`) in the terminal: where the
 * server's CPU went by package, the hottest functions by self time, and by inclusive time.
 *
 *   npx tsx bench/tools/cpuprofile-top.ts .childhub/bench/profiles/<file>.cpuprofile [rows]
 */
import { readFileSync } from 'node:fs';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const [file, rowsArg] = process.argv.slice(2);
if (!file) {
  process.stderr.write('usage: npx tsx bench/tools/cpuprofile-top.ts <file.cpuprofile> [rows]\n');
  process.exit(2);
}
const rows = Number(rowsArg ?? 30);
const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;

// Self time per node: each sample's time delta belongs to the node that was on top of the stack.
const self = new Map<number, number>();
profile.samples.forEach((nodeId, i) => self.set(nodeId, (self.get(nodeId) ?? 0) + (profile.timeDeltas[i] ?? 0)));
const total = [...self.values()].reduce((a, b) => a + b, 0);

const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

/** Where code lives: a package under node_modules, node's internals, the project, or the VM itself. */
function place(url: string): string {
  if (!url) return '(vm: gc, idle, program, native)';
  if (url.startsWith('node:')) return 'node internals';
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + 'node_modules/'.length).split('/');
    return rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!;
  }
  const m = /\/(src|jobs|bench|connectors|migrations)\/(.*)$/.exec(url);
  return m ? `${m[1]}/${m[2]}` : url;
}
function label(f: CallFrame): string {
  return `${f.functionName || '(anonymous)'}  ${place(f.url)}:${f.lineNumber + 1}`;
}

const bySelf = new Map<string, number>();
const byPlace = new Map<string, number>();
const inclusive = new Map<string, number>();
for (const [id, t] of self) {
  const node = byId.get(id);
  if (!node) continue;
  bySelf.set(label(node.callFrame), (bySelf.get(label(node.callFrame)) ?? 0) + t);
  const p = node.callFrame.url ? place(node.callFrame.url).replace(/^(src|jobs|bench)\/.*$/, '$1 (project)') : place('');
  byPlace.set(p, (byPlace.get(p) ?? 0) + t);
  // Inclusive: credit every distinct function on the stack once (recursion must not count twice).
  const seen = new Set<string>();
  for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
    const n = byId.get(cur);
    if (!n) break;
    const key = label(n.callFrame);
    if (seen.has(key)) continue;
    seen.add(key);
    inclusive.set(key, (inclusive.get(key) ?? 0) + t);
  }
}

const pct = (t: number) => `${((t / total) * 100).toFixed(1).padStart(5)}%`;
const print = (title: string, m: Map<string, number>, n: number) => {
  process.stdout.write(`\n${title}\n`);
  for (const [k, t] of [...m.entries()].sort((a, b) => b[1] - a[1]).slice(0, n)) process.stdout.write(`${pct(t)}  ${k}\n`);
};
process.stdout.write(`${file}: ${(total / 1e6).toFixed(1)} s sampled\n`);
print('Self time by place', byPlace, rows);
print('Self time by function', bySelf, rows);
print('Inclusive time by function', inclusive, rows);
