import os from 'node:os';
import { printTable } from './table.js';

/** The machine a run measured, printed first: figures mean nothing without it. */
export function describeMachine(): Array<[string, string]> {
  const cpus = os.cpus();
  const load = os.loadavg().map((value) => value.toFixed(2)).join(' / ');
  return [
    ['CPU', cpus[0]?.model.trim() ?? 'unknown'],
    ['cores (logical)', String(os.availableParallelism?.() ?? cpus.length)],
    ['RAM', `${(os.totalmem() / 1024 ** 3).toFixed(1)} GiB (${(os.freemem() / 1024 ** 3).toFixed(1)} GiB free)`],
    ['OS', `${os.type()} ${os.release()} ${os.arch()}`],
    ['node', process.version],
    ['load average 1 / 5 / 15 min', load],
  ];
}

export function printMachine(): void {
  printTable('Machine', ['what', 'value'], describeMachine());
}
