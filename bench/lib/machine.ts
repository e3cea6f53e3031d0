import os from 'node:os';

/** The machine facts every section of docs/benchmarks.md states, so numbers are read against their hardware. */
export function machineFacts(): Record<string, string> {
  const cpus = os.cpus();
  const model = cpus[0]?.model.trim() ?? 'unknown';
  const gib = (bytes: number) => `${(bytes / 1024 ** 3).toFixed(1)} GiB`;
  return {
    CPU: model,
    'Logical cores': String(os.availableParallelism?.() ?? cpus.length),
    Memory: gib(os.totalmem()),
    OS: `${os.type()} ${os.release()} (${os.arch()})`,
    Node: process.version,
  };
}
