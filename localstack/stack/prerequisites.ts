import { spawnSync } from 'node:child_process';

const minimumNodeMajor = 20;
const minimumJavaMajor = 17;

/** A missing or too-old tool, reported in one line that says what to install. */
export class MissingPrerequisiteError extends Error {
  override name = 'MissingPrerequisiteError';
}

/** Parses the major version out of `java -version` output ("17.0.15", "1.8.0_392" → 8). */
export function parseJavaMajor(versionOutput: string): number | undefined {
  const match = /version "(\d+)(?:\.(\d+))?/.exec(versionOutput);
  if (!match?.[1]) return undefined;
  const first = Number(match[1]);
  return first === 1 && match[2] ? Number(match[2]) : first;
}

export function parseNodeMajor(version: string): number {
  return Number(version.replace(/^v/, '').split('.')[0]);
}

const missing = (what: string) =>
  new MissingPrerequisiteError(`ecom-sync local stack needs ${what}`);
const jdk = `install a JDK ${minimumJavaMajor}+, e.g. apt-get install openjdk-17-jdk-headless`;

/** The output of `command flag` (stderr first: `java -version` prints there), if it ran at all. */
function versionOutput(command: string, flag: string): string | undefined {
  const result = spawnSync(command, [flag], { encoding: 'utf8' });
  return result.error || result.status !== 0 ? undefined : `${result.stderr}${result.stdout}`;
}

/** Checks Node, Java and Maven before anything is downloaded or spawned. */
export function checkPrerequisites(): void {
  if (parseNodeMajor(process.version) < minimumNodeMajor) {
    throw missing(`Node.js ${minimumNodeMajor} or newer (found ${process.version}): install it`);
  }
  const java = versionOutput('java', '-version');
  if (java === undefined)
    throw missing(`Java ${minimumJavaMajor} or newer (no java on PATH): ${jdk}`);
  const javaMajor = parseJavaMajor(java) ?? 'unknown';
  if (javaMajor === 'unknown' || javaMajor < minimumJavaMajor) {
    throw missing(`Java ${minimumJavaMajor} or newer (found ${javaMajor}): ${jdk}`);
  }
  // The JDK's compiler builds DynamoDB Local's loopback launcher (artifacts.ts); a JRE lacks it.
  if (versionOutput('javac', '-version') === undefined)
    throw missing(`a JDK (no javac on PATH): ${jdk}`);
  if (versionOutput('mvn', '-v') === undefined) {
    throw missing('Maven to fetch the servers (no mvn on PATH): e.g. apt-get install maven');
  }
}
