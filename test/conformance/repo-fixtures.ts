import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

/**
 * AWS-authored fixtures that live in public repositories. Their files may not be committed here
 * (only the steering repo's shared/ may hold them), so each is named by repo, path and the commit
 * that last changed it, and read at test time (see test/conformance/README.md).
 */
export const repoFixtures = {
  'aws-lambda-go-kafka-event': {
    repo: 'aws/aws-lambda-go',
    path: 'events/testdata/kafka-event.json',
    commit: '771b391678d3f54bfa38531774d656f5e0f2ab58',
  },
  'powertools-python-kafka-event-msk': {
    repo: 'aws-powertools/powertools-lambda-python',
    path: 'tests/events/kafkaEventMsk.json',
    commit: 'a3c57364df7c404728dde34dc1db7728e5316d6a',
  },
  'powertools-typescript-kafka-default': {
    repo: 'aws-powertools/powertools-lambda-typescript',
    path: 'packages/kafka/tests/events/default.json',
    commit: '006f27bd9909e2da548cff9dbdcc1944ba76dbd1',
  },
  'powertools-typescript-kafka-protobuf-complex-confluent': {
    repo: 'aws-powertools/powertools-lambda-typescript',
    path: 'packages/kafka/tests/events/protobuf-complex.confluent.json',
    commit: 'c1008fb91ce92c2c1b955f3c97df1ce32aa6d70a',
  },
  'powertools-typescript-parser-kafka-base': {
    repo: 'aws-powertools/powertools-lambda-typescript',
    path: 'packages/parser/tests/events/kafka/base.json',
    commit: 'bd6b24aa66b79ce267395b5376418bdabc0e31af',
  },
  'aws-lambda-go-lambda-urls-request': {
    repo: 'aws/aws-lambda-go',
    path: 'events/testdata/lambda-urls-request.json',
    commit: '0578e3271e32e7943d40aaf052f51d9654715de0',
  },
  'powertools-typescript-parser-lambda-base': {
    repo: 'aws-powertools/powertools-lambda-typescript',
    path: 'packages/parser/tests/events/lambda/base.json',
    commit: '4ce5daa3c733604ec94a46c72439e71a4a5520ef',
  },
  // A JSON string in Go source: `inputJSON` of TestCloudwatchScheduledEventIdempotency.
  'aws-lambda-go-scheduled-event': {
    repo: 'aws/aws-lambda-go',
    path: 'events/cloudwatch_events_test.go',
    commit: '532af4ba32f9e6f1752a79795fcfcf726289a548',
    goStringAfter: 'inputJSON := []byte(',
  },
} as const satisfies Record<
  string,
  { repo: string; path: string; commit: string; goStringAfter?: string }
>;

/** The concatenated Go string literals after `marker`, up to the closing parenthesis. */
function goStringAfter(source: string, marker: string): string {
  const start = source.indexOf(marker) + marker.length;
  const literals = source.slice(start, source.indexOf(')', start)).match(/"(?:[^"\\]|\\.)*"/g);
  // Go's interpreted string literals here use only JSON's escapes.
  return (literals ?? []).map((literal) => z.string().parse(JSON.parse(literal))).join('');
}

export type RepoFixtureName = keyof typeof repoFixtures;

export type LoadedFixture =
  { available: true; json: unknown; from: string } | { available: false; reason: string };

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
/** Where the `fetch` tool lays repositories on a developer machine. */
const fetchMirror = '/work/.mirror';

/** Where to put the file so that every machine has it. */
export function sharedPathOf(name: RepoFixtureName): string {
  const { repo, path } = repoFixtures[name];
  return `shared/conformance/${repo}/${path}`;
}

function fromMirror(repo: string, commit: string, path: string): string | undefined {
  const base = `${fetchMirror}/${repo.replace('/', '+')}/repo`;
  // Some snapshots are bare git directories, others clones with a work tree.
  const gitDir = [`${base}/.git`, base].find((dir) => existsSync(`${dir}/HEAD`));
  if (!gitDir) return undefined;
  try {
    return execFileSync('git', ['--git-dir', gitDir, 'show', `${commit}:${path}`], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
  } catch {
    return undefined; // the snapshot predates the commit, or git is missing
  }
}

const cache = new Map<RepoFixtureName, LoadedFixture>();

/** The fixture from ../shared/conformance/, else from the local fetch mirror, else unavailable. */
export function loadRepoFixture(name: RepoFixtureName): LoadedFixture {
  const cached = cache.get(name);
  if (cached) return cached;
  const fixture: { repo: string; path: string; commit: string; goStringAfter?: string } =
    repoFixtures[name];
  const { repo, path, commit } = fixture;
  const parse = (text: string): unknown =>
    JSON.parse(fixture.goStringAfter ? goStringAfter(text, fixture.goStringAfter) : text);
  const shared = `${repoRoot}../${sharedPathOf(name)}`;
  const mirrored = existsSync(shared) ? undefined : fromMirror(repo, commit, path);
  const loaded: LoadedFixture = existsSync(shared)
    ? { available: true, json: parse(readFileSync(shared, 'utf8')), from: shared }
    : mirrored !== undefined
      ? { available: true, json: parse(mirrored), from: `${repo}@${commit}` }
      : {
          available: false,
          reason: `${repo} ${path} @ ${commit} is not available: place it at ${sharedPathOf(name)} beside the clone`,
        };
  cache.set(name, loaded);
  return loaded;
}
