import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** `/proc/net/tcp{,6}` local address → printable address and whether it is loopback. */
export function decodeProcAddress(hex: string): { address: string; loopback: boolean } {
  const [ip = '', portHex = ''] = hex.split(':');
  const port = parseInt(portHex, 16);
  // The kernel prints each 32-bit word of the address in host (little-endian) byte order.
  const words = ip.match(/.{8}/g) ?? [];
  const bytes = words.flatMap((word) =>
    (word.match(/../g) ?? []).reverse().map((b) => parseInt(b, 16)),
  );
  if (bytes.length === 4) {
    return { address: `${bytes.join('.')}:${port}`, loopback: bytes[0] === 127 };
  }
  const groups = Array.from({ length: 8 }, (_, i) =>
    (((bytes[2 * i] ?? 0) << 8) | (bytes[2 * i + 1] ?? 0)).toString(16),
  );
  const v4Mapped = groups.slice(0, 5).every((g) => g === '0') && groups[5] === 'ffff';
  const isLoopback6 = groups.slice(0, 7).every((g) => g === '0') && groups[7] === '1';
  return {
    address: `[${groups.join(':')}]:${port}`,
    loopback: isLoopback6 || (v4Mapped && bytes[12] === 127),
  };
}

/** Every listening TCP socket on this host's network namespace, by socket inode. */
function listeningSockets(): Map<string, string> {
  const byInode = new Map<string, string>();
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of readFileSync(file, 'utf8').split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      // st 0A = TCP_LISTEN; field 9 is the inode.
      if (fields[3] === '0A' && fields[1] && fields[9]) byInode.set(fields[9], fields[1]);
    }
  }
  return byInode;
}

/** `pid` and every process below it (the JVMs, their watchdogs, worker processes). */
function processTree(pid: number): number[] {
  const parentOf = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // The command name may hold spaces and parentheses; the fields after the last ')' do not.
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parentOf.set(Number(entry), ppid);
    } catch {
      // The process ended meanwhile.
    }
  }
  const tree = [pid];
  for (let i = 0; i < tree.length; i++) {
    for (const [child, parent] of parentOf) if (parent === tree[i]) tree.push(child);
  }
  return tree;
}

function socketInodes(pid: number): string[] {
  const inodes: string[] = [];
  let fds: string[];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return inodes;
  }
  for (const fd of fds) {
    try {
      const match = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (match?.[1]) inodes.push(match[1]);
    } catch {
      // Closed meanwhile.
    }
  }
  return inodes;
}

describe.runIf(process.platform === 'linux')('npm start listens on loopback only', () => {
  it('every listening TCP socket of the npm start process tree is on a loopback address', async () => {
    // Exactly what `npm start` runs (package.json: tsx localstack/start.ts), with a small data set.
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', join(repoRoot, 'localstack', 'start.ts'), '--records', '30'],
      { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    let output = '';
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    try {
      await new Promise<void>((resolve, reject) => {
        void exited.then((code) =>
          reject(new Error(`npm start exited early (${code}):\n${output.slice(-3000)}`)),
        );
        createInterface({ input: child.stdout }).on('line', (line) => {
          output += `${line}\n`;
          if (line.includes('running; Ctrl-C to stop')) resolve();
        });
      });

      const listening = listeningSockets();
      const found: { pid: number; address: string; loopback: boolean }[] = [];
      for (const pid of processTree(child.pid!)) {
        for (const inode of socketInodes(pid)) {
          const local = listening.get(inode);
          if (local) found.push({ pid, ...decodeProcAddress(local) });
        }
      }
      console.log(
        `listening sockets of npm start: ${found.map((s) => `${s.address} (pid ${s.pid})`).join(', ')}`,
      );
      // Kafka (broker + controller), DynamoDB Local, S3Mock (HTTP + HTTPS), mocks, dashboard.
      expect(found.length).toBeGreaterThanOrEqual(7);
      expect(found.filter((socket) => !socket.loopback)).toEqual([]);
    } finally {
      child.kill('SIGINT');
      await exited;
    }
  });

  it('decodes /proc/net/tcp and tcp6 local addresses', () => {
    expect(decodeProcAddress('0100007F:1F90')).toEqual({
      address: '127.0.0.1:8080',
      loopback: true,
    });
    expect(decodeProcAddress('00000000:0050').loopback).toBe(false);
    expect(decodeProcAddress('00000000000000000000000001000000:1F90')).toEqual({
      address: '[0:0:0:0:0:0:0:1]:8080',
      loopback: true,
    });
    expect(decodeProcAddress('0000000000000000FFFF00000100007F:1F90').loopback).toBe(true);
    expect(decodeProcAddress('00000000000000000000000000000000:1F90').loopback).toBe(false);
  });
});
