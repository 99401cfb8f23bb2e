import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { startLocalStack } from './index';
import { isProcessAlive } from './server-process';

const fixture = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'hold-stack.ts');

interface HeldStack {
  processes: { servers: Record<string, number>; reapers: number[] };
  dataDir: string;
}

/** Polls until every pid is gone; returns the ones still alive when the patience runs out. */
async function survivorsAfterWaiting(pids: number[], patienceMs: number): Promise<number[]> {
  const deadline = Date.now() + patienceMs;
  let alive = pids.filter(isProcessAlive);
  while (alive.length > 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    alive = alive.filter(isProcessAlive);
  }
  return alive;
}

/** Starts a stack in a child node process and resolves once that child reports it ready. */
function startStackInChild(): Promise<{ child: ReturnType<typeof spawn>; held: HeldStack }> {
  const child = spawn(process.execPath, ['--import', 'tsx', fixture], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve, reject) => {
    child.once('exit', (code) =>
      reject(new Error(`stack child exited early (${code}):\n${stderr.slice(-3000)}`)),
    );
    const lines = createInterface({ input: child.stdout });
    lines.on('line', (line) => {
      if (!line.startsWith('{')) return;
      const parsed = JSON.parse(line) as { ready?: boolean } & HeldStack;
      if (parsed.ready) resolve({ child, held: parsed });
    });
  });
}

async function killChildAndCollectSurvivors(
  signal: NodeJS.Signals,
): Promise<{ held: HeldStack; survivors: number[] }> {
  const { child, held } = await startStackInChild();
  const serverPids = Object.values(held.processes.servers);
  expect(serverPids).toHaveLength(3);
  expect(serverPids.every(isProcessAlive)).toBe(true);

  const childExited = new Promise((resolve) => child.once('exit', resolve));
  child.kill(signal);
  await childExited;
  // Patience covers the reaper's SIGTERM grace period before it escalates to SIGKILL.
  const survivors = await survivorsAfterWaiting([...serverPids, ...held.processes.reapers], 60_000);
  return { held, survivors };
}

describe('the local stack leaves no process behind', () => {
  it('stop() ends every server JVM and its watchdog and removes the temp data', async () => {
    const stack = await startLocalStack();
    const serverPids = Object.values(stack.processes.servers);
    expect(serverPids.every(isProcessAlive)).toBe(true);

    await stack.stop();

    expect(serverPids.filter(isProcessAlive)).toEqual([]);
    expect(await survivorsAfterWaiting(stack.processes.reapers, 10_000)).toEqual([]);
    expect(existsSync(stack.dataDir)).toBe(false);
  });

  it('a parent killed with SIGTERM takes its JVMs down with it', async () => {
    const { held, survivors } = await killChildAndCollectSurvivors('SIGTERM');
    expect(survivors).toEqual([]);
    expect(existsSync(held.dataDir)).toBe(false);
  });

  it('a parent killed with SIGKILL (no hooks run) has its JVMs reaped by the watchdog', async () => {
    const { held, survivors } = await killChildAndCollectSurvivors('SIGKILL');
    expect(survivors).toEqual([]);
    expect(existsSync(held.dataDir)).toBe(false);
  });
});
