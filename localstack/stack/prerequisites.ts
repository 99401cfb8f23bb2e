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

/** Checks Node, Java and Maven before anything is downloaded or spawned. */
export function checkPrerequisites(): void {
  const nodeMajor = parseNodeMajor(process.version);
  if (nodeMajor < minimumNodeMajor) {
    throw new MissingPrerequisiteError(
      `ecom-sync local stack needs Node.js ${minimumNodeMajor} or newer (found ${process.version}): install Node.js 20+`,
    );
  }

  const java = spawnSync('java', ['-version'], { encoding: 'utf8' });
  if (java.error || java.status !== 0) {
    throw new MissingPrerequisiteError(
      `ecom-sync local stack needs Java ${minimumJavaMajor} or newer (java not found on PATH): install a JDK 17+, e.g. apt-get install openjdk-17-jdk-headless`,
    );
  }
  // `java -version` prints to stderr.
  const javaMajor = parseJavaMajor(`${java.stderr}${java.stdout}`);
  if (javaMajor === undefined || javaMajor < minimumJavaMajor) {
    throw new MissingPrerequisiteError(
      `ecom-sync local stack needs Java ${minimumJavaMajor} or newer (found ${javaMajor ?? 'unknown'}): install a JDK 17+, e.g. apt-get install openjdk-17-jdk-headless`,
    );
  }

  // The JDK's compiler builds DynamoDB Local's loopback launcher (artifacts.ts); a JRE lacks it.
  const javac = spawnSync('javac', ['-version'], { encoding: 'utf8' });
  if (javac.error || javac.status !== 0) {
    throw new MissingPrerequisiteError(
      `ecom-sync local stack needs a JDK ${minimumJavaMajor}+ (javac not found on PATH, only a JRE?): install e.g. apt-get install openjdk-17-jdk-headless`,
    );
  }

  const mvn = spawnSync('mvn', ['-v'], { encoding: 'utf8' });
  if (mvn.error || mvn.status !== 0) {
    throw new MissingPrerequisiteError(
      'ecom-sync local stack needs Maven (mvn not found on PATH) to fetch the servers: install Maven, e.g. apt-get install maven',
    );
  }
}
