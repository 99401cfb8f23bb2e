/** What the three command lines (bench, chaos, capacity) share: options, tables, machine, files. */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { z } from 'zod';

/** `--name value` flags into a zod object schema (a boolean field is a bare flag); throws with the usage. */
export function parseCli<Schema extends z.ZodObject>(
  args: readonly string[],
  schema: Schema,
  usage: string,
): z.output<Schema> {
  const options = Object.fromEntries(
    Object.entries(schema.shape).map(([name, field]) => [
      name,
      // A boolean takes `true` and refuses the string '1' (which a coerced number takes).
      { type: isBoolean(field as z.ZodType) ? 'boolean' : 'string' } as const,
    ]),
  );
  let values: Record<string, unknown>;
  try {
    values = parseArgs({ args: [...args], options, strict: true, allowPositionals: false }).values;
  } catch (error) {
    throw new Error(`${(error as Error).message}\n${usage}`, { cause: error });
  }
  const parsed = schema.safeParse(values);
  if (!parsed.success) throw new Error(`Bad options: ${z.prettifyError(parsed.error)}\n${usage}`);
  return parsed.data;
}

const isBoolean = (field: z.ZodType): boolean =>
  field.safeParse(true).success && !field.safeParse('1').success;

/** `--only a, b,c` → ['a', 'b', 'c']. */
export const commaList = (list: string): string[] =>
  list
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean);

/** A markdown table with padded columns: readable in a terminal and pasteable into docs. */
export function table(
  headers: readonly string[],
  rows: ReadonlyArray<readonly string[]>,
  rightAligned: readonly boolean[] = [],
): string {
  const cells = [headers, ...rows].map((row) => row.map((cell) => cell.replaceAll('|', '\\|')));
  const widths = headers.map((_, c) => Math.max(3, ...cells.map((row) => (row[c] ?? '').length)));
  const line = (row: readonly string[]) =>
    `| ${widths.map((w, c) => (rightAligned[c] ? (row[c] ?? '').padStart(w) : (row[c] ?? '').padEnd(w))).join(' | ')} |`;
  const rule = `| ${widths.map((w, c) => (rightAligned[c] ? `${'-'.repeat(w - 1)}:` : '-'.repeat(w))).join(' | ')} |`;
  return [line(cells[0] ?? []), rule, ...cells.slice(1).map(line)].join('\n');
}

export const formatNumber = (value: number, digits = 0): string =>
  value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

export function formatUsd(value: number): string {
  if (value === 0) return '$0';
  return value < 0.01 ? `$${value.toPrecision(2)}` : `$${formatNumber(value, 2)}`;
}

export type MachineInfo = ReturnType<typeof machineInfo>;

/** Where the figures were measured; a command that fails reports "unknown". */
export function machineInfo() {
  const run = (command: string, args: string[], fromStderr = false): string => {
    const result = spawnSync(command, args, { encoding: 'utf8' });
    if (result.error || result.status !== 0) return 'unknown';
    return (fromStderr ? result.stderr : result.stdout).trim();
  };
  const status = run('git', ['status', '--porcelain']);
  return {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
    memoryGiB: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
    platform: `${process.platform} ${process.arch}`,
    node: process.version,
    // `java -version` writes to stderr; its first line names the version.
    java: run('java', ['-version'], true).split('\n')[0] ?? 'unknown',
    commit: run('git', ['rev-parse', 'HEAD']),
    dirty: status !== 'unknown' && status.length > 0,
  };
}

/** Writes `<dir>/<prefix>-<timestamp>.json` (sortable, valid on every file system); returns the path. */
export function writeResult(dir: string, prefix: string, startedAt: string, result: unknown) {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${prefix}-${startedAt.replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  return file;
}

/** Ctrl-C stops the stack `main` started (its exit hook is the last resort); exits with main's code. */
export function runMain(
  tag: string,
  main: (onStop: (stop: () => Promise<void>) => void) => Promise<number>,
): void {
  // Lambda runs a current Node.js; the SDK's "upgrade Node 20" notice is local noise.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  let stop: (() => Promise<void>) | undefined;
  const onSignal = (signal: NodeJS.Signals): void => {
    console.log(`[${tag}] ${signal}: stopping the local stack`);
    setTimeout(() => process.exit(130), 15_000).unref();
    void (stop?.() ?? Promise.resolve()).finally(() => process.exit(130));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  main((s) => (stop = s)).then(
    // Everything is stopped; a lingering client socket must not keep the run from exiting.
    (code) => process.exit(code),
    (error: unknown) => {
      const text = error instanceof Error ? (error.stack ?? error.message) : String(error);
      console.error(`[${tag}] ${text}`);
      process.exit(1);
    },
  );
}
