import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

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
  pid: z.number().int().positive(),
  startedAt: z.string(),
});
export type RuntimeInfo = z.infer<typeof RuntimeInfoSchema>;

export async function writeRuntimeInfo(info: RuntimeInfo, path = RUNTIME_INFO_PATH): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, `${JSON.stringify(info, null, 2)}\n`);
}

/** Removes the file only if it still describes this process (a second `npm start` may own it). */
export async function removeRuntimeInfo(pid: number, path = RUNTIME_INFO_PATH): Promise<void> {
  const info = await readRuntimeInfo(path);
  if (info?.pid === pid) await rm(path, { force: true });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The running `npm start`, or undefined when there is none (no file, or its process is gone). */
export async function readRuntimeInfo(path = RUNTIME_INFO_PATH): Promise<RuntimeInfo | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
  const parsed = RuntimeInfoSchema.safeParse(JSON.parse(text));
  if (!parsed.success) throw new Error(`${path} is not a runtime description; delete it`);
  return isAlive(parsed.data.pid) ? parsed.data : undefined;
}
