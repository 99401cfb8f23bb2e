import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const stackDir = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(stackDir, '..', '..');

/** The pinned servers; versions match `localstack/stack/maven/<name>/pom.xml` (see README for why). */
export const serverVersions = { kafka: '4.1.1', dynamodb: '2.6.1', s3mock: '5.2.0' } as const;
export type ServerName = keyof typeof serverVersions;

function pomFor(server: ServerName): string {
  return join(stackDir, 'maven', server, 'pom.xml');
}

/**
 * Launchers compiled once into a server's cache directory (DynamoDB Local has no host option; its
 * launcher binds loopback); run as a source file it would cost every start ~3 s of javac.
 */
export const launcherSources: Partial<Record<ServerName, string>> = {
  dynamodb: join(stackDir, 'maven', 'dynamodb', 'LoopbackServerRunner.java'),
};

/**
 * `.cache/stack/<server>-<version>-<pom digest>`: the digest makes an edited pom resolve into a
 * new directory instead of rewriting jars that a running stack (another test run) still uses.
 */
export function cacheDirFor(server: ServerName): string {
  const hash = createHash('sha256').update(readFileSync(pomFor(server)));
  const launcher = launcherSources[server];
  if (launcher) hash.update(readFileSync(launcher));
  const digest = hash.digest('hex').slice(0, 8);
  return join(repoRoot, '.cache', 'stack', `${server}-${serverVersions[server]}-${digest}`);
}

/**
 * The directory of the server's jars, resolved with Maven (repositories, checksums, transitive
 * dependencies, ~/.m2) the first time into a temp dir renamed into place, so an interrupted run
 * never leaves a half-filled cache that later runs would trust.
 */
export async function ensureServerJars(server: ServerName): Promise<string> {
  const target = cacheDirFor(server);
  if (existsSync(target) && readdirSync(target).some((file) => file.endsWith('.jar'))) {
    return target;
  }
  mkdirSync(dirname(target), { recursive: true });
  const staging = `${target}.partial-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  const copy = ['dependency:copy-dependencies', `-DoutputDirectory=${staging}`];
  await runTool('mvn', ['-q', '-B', '-f', pomFor(server), ...copy]);
  const launcher = launcherSources[server];
  if (launcher) await runTool('javac', ['-cp', join(staging, '*'), '-d', staging, launcher]);
  try {
    renameSync(staging, target);
  } catch (error) {
    // Another process filled the cache meanwhile; its copy is as good as ours.
    if (!existsSync(target)) throw error;
    rmSync(staging, { recursive: true, force: true });
  }
  return target;
}

/** Runs a short-lived tool that must succeed; its output is kept for the error if it does not. */
export function runTool(command: string, args: string[], cwd?: string): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('error', reject);
    child.once('exit', (code) => {
      if (code === 0) resolvePromise();
      else
        reject(
          new Error(`${command} ${args.join(' ')} failed (exit ${code}):\n${output.slice(-4000)}`),
        );
    });
  });
}
