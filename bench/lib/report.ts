import os from 'node:os';

/**
 * Thrown by a benchmark when the run itself broke (non-2xx answers, connection errors, wrong
 * responses): its figures mean nothing. run.ts prints the reason and exits 1.
 */
export class BrokenRunError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BrokenRunError';
  }
}

export interface MachineFacts {
  cpuModel: string;
  cpuCount: number;
  totalMemoryGiB: number;
  node: string;
  os: string;
}

export function machineFacts(): MachineFacts {
  const cpus = os.cpus();
  return {
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    cpuCount: cpus.length,
    totalMemoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
  };
}

/** A date as YYYY-MM-DD (local time). */
export function isoDay(d: Date = new Date()): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

const out = (line = '') => process.stdout.write(line + '\n');

/** The header every benchmark prints first: what ran, when (`started`, default now), on what. */
export function printHeader(title: string, notes: string[] = [], started: Date = new Date()): void {
  const m = machineFacts();
  out(`# riskwire benchmark: ${title}`);
  out();
  out(`- date: ${isoDay(started)} (started ${started.toISOString()})`);
  out(`- machine: ${m.cpuCount} × ${m.cpuModel}, ${m.totalMemoryGiB} GiB RAM, ${m.os}`);
  out(`- node: ${m.node}`);
  for (const n of notes) out(`- ${n}`);
  out();
}

export type Cell = string | number;

/** Formats a number for tables: thousands separators, exactly `digits` decimals. */
export function fmt(n: number, digits = 2): string {
  if (!Number.isFinite(n)) return String(n);
  return n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** Prints a Markdown table (so figures paste straight into docs/benchmarks.md). */
export function printTable(columns: string[], rows: Cell[][]): void {
  const cells = [columns, ...rows.map((r) => r.map(String))];
  const widths = columns.map((_, i) => Math.max(3, ...cells.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) => `| ${r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ')} |`;
  out(line(columns));
  out(`|${widths.map((w, i) => (i === 0 ? '-'.repeat(w + 2) : '-'.repeat(w + 1) + ':')).join('|')}|`);
  for (const r of cells.slice(1)) out(line(r));
  out();
}

/** One line per target: PASS or FAIL, the measured value and the target. */
export function printVerdicts(verdicts: { name: string; value: string; target: string; pass: boolean }[]): void {
  for (const v of verdicts) out(`${v.pass ? 'PASS' : 'FAIL'}  ${v.name}: ${v.value} (target ${v.target})`);
  out();
}

/** Progress goes to stderr so stdout carries only the report. */
export function progress(message: string): void {
  process.stderr.write(`[bench] ${message}\n`);
}
