import { chmod, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { isProcessAlive } from '../stack/server-process';

/** Where `npm start` tells the operator CLIs how to reach it (gitignored, like the rest of .stack/). */
export const RUNTIME_INFO_PATH = join(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  '.stack',
  'runtime.json',
);

const RuntimeInfoSchema = z.object({
  dashboardUrl: z.url(),
  /** The dashboard's per-run token (operations need it): why the file is readable by its owner only. */
  token: z.string().min(1),
  pid: z.number().int().positive(),
  startedAt: z.string(),
});
export type RuntimeInfo = z.infer<typeof RuntimeInfoSchema>;

/** A runtime file that cannot be used, said in one line with what to do instead. */
export class RuntimeInfoError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RuntimeInfoError';
  }
}

export async function writeRuntimeInfo(info: RuntimeInfo, path = RUNTIME_INFO_PATH): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, `${JSON.stringify(info, null, 2)}\n`, { mode: 0o600 });
  // `mode` applies only when the file is created; one left by an older run keeps its own.
  await chmod(path, 0o600);
}

/** Removes the file only if it still describes this process (a second `npm start` may own it). */
export async function removeRuntimeInfo(pid: number, path = RUNTIME_INFO_PATH): Promise<void> {
  const info = await parseRuntimeFile(path).catch(() => undefined);
  if (info?.pid === pid) await rm(path, { force: true });
}

const shown = (path: string): string => relative(process.cwd(), path) || path;

async function parseRuntimeFile(path: string): Promise<RuntimeInfo | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    json = error;
  }
  const parsed = RuntimeInfoSchema.safeParse(json);
  if (!parsed.success)
    throw new RuntimeInfoError(
      `${shown(path)} is damaged (not what npm start writes); delete it and run \`npm start\`, or pass --target aws`,
      { cause: json instanceof Error ? json : parsed.error },
    );
  return parsed.data;
}

/**
 * The running `npm start`: its file, its process alive and its dashboard answering. Anything
 * else is a one-line RuntimeInfoError saying what to do; never a silent fallback to AWS.
 */
export async function readRuntimeInfo(
  path = RUNTIME_INFO_PATH,
  answers: (info: RuntimeInfo) => Promise<boolean> = dashboardAnswers,
): Promise<RuntimeInfo> {
  const info = await parseRuntimeFile(path);
  if (!info)
    throw new RuntimeInfoError(
      `no local stack running (no ${shown(path)}); run \`npm start\`, or pass --target aws for the deployed stack`,
    );
  if (!isProcessAlive(info.pid) || !(await answers(info)))
    throw new RuntimeInfoError(
      `${shown(path)} is stale (npm start pid ${info.pid} is gone or its dashboard ${info.dashboardUrl} does not answer); run \`npm start\`, or pass --target aws`,
    );
  return info;
}

async function dashboardAnswers(info: RuntimeInfo): Promise<boolean> {
  try {
    return (await dashboardToken(info.dashboardUrl)) === info.token;
  } catch {
    return false;
  }
}

const DashboardConfigSchema = z.object({ token: z.string().min(1) });

/**
 * The run token a dashboard hands its own page (GET /api/config), for `--url`; an address that is
 * not a dashboard is a one-line error, not a schema dump.
 */
export async function dashboardToken(dashboardUrl: string): Promise<string> {
  const url = new URL('/api/config', dashboardUrl);
  let response: Response;
  try {
    response = await fetch(url, { signal: AbortSignal.timeout(5_000) });
  } catch (error) {
    throw new RuntimeInfoError(
      `cannot reach a dashboard at ${dashboardUrl} (${(error as Error).message}); run \`npm start\` or check --url`,
      { cause: error },
    );
  }
  const body: unknown = await response.json().catch(() => undefined);
  const parsed = DashboardConfigSchema.safeParse(body);
  if (!response.ok || !parsed.success)
    throw new RuntimeInfoError(
      `${dashboardUrl} is not an ecom-sync dashboard (GET /api/config answered HTTP ${response.status}); use the "dashboard at" URL npm start prints`,
    );
  return parsed.data.token;
}
