/**
 * Summarises V8 .cpuprofile files (one per thread from `node --cpu-prof`): per file, the total
 * sampled time, the top functions by self time, and self time grouped by package (node_modules
 * package, or the repo folder), which is what tells "SDK serialisation" from "our own JSON/zod".
 *
 *   npx tsx bench/profile/summarize-cpuprofile.ts <dir-or-files...> [--top 15]
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { z } from 'zod';

const CallFrameSchema = z.object({
  functionName: z.string(),
  url: z.string(),
  lineNumber: z.number(),
});
const ProfileSchema = z.object({
  nodes: z.array(
    z.object({
      id: z.number(),
      callFrame: CallFrameSchema,
      children: z.array(z.number()).optional(),
    }),
  ),
  startTime: z.number(),
  endTime: z.number(),
  samples: z.array(z.number()),
  timeDeltas: z.array(z.number()),
});
type Profile = z.output<typeof ProfileSchema>;

export interface ProfileSummary {
  file: string;
  /** Wall time the profile spans, and the time the thread was sampled doing something (not idle). */
  wallMs: number;
  busyMs: number;
  topFunctions: { name: string; selfMs: number }[];
  byPackage: { name: string; selfMs: number }[];
}

/** Names that are not JavaScript work: the thread was waiting. */
const idleNames = new Set(['(idle)', '(program)']);

export function summarizeProfile(file: string, profile: Profile, top: number): ProfileSummary {
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfUs = new Map<number, number>();
  profile.samples.forEach((nodeId, index) => {
    selfUs.set(nodeId, (selfUs.get(nodeId) ?? 0) + (profile.timeDeltas[index] ?? 0));
  });
  const byFunction = new Map<string, number>();
  const byPackage = new Map<string, number>();
  let busyUs = 0;
  for (const [nodeId, us] of selfUs) {
    const frame = nodes.get(nodeId)?.callFrame;
    if (frame === undefined) continue;
    const fn = frame.functionName || '(anonymous)';
    if (idleNames.has(fn)) continue;
    busyUs += us;
    const where = frame.url === '' ? '' : ` ${shortUrl(frame.url)}:${frame.lineNumber + 1}`;
    byFunction.set(`${fn}${where}`, (byFunction.get(`${fn}${where}`) ?? 0) + us);
    const pkg = packageOf(frame.url, fn);
    byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + us);
  }
  const ranked = (map: Map<string, number>, count: number): { name: string; selfMs: number }[] =>
    [...map]
      .sort(([, a], [, b]) => b - a)
      .slice(0, count)
      .map(([name, us]) => ({ name, selfMs: Math.round(us / 1000) }));
  return {
    file,
    wallMs: Math.round((profile.endTime - profile.startTime) / 1000),
    busyMs: Math.round(busyUs / 1000),
    topFunctions: ranked(byFunction, top),
    byPackage: ranked(byPackage, top),
  };
}

function shortUrl(url: string): string {
  const modules = url.lastIndexOf('node_modules/');
  if (modules >= 0) return url.slice(modules + 'node_modules/'.length);
  const repo = url.indexOf('/work/main/');
  return repo >= 0 ? url.slice(repo + '/work/main/'.length) : url;
}

/** `@scope/name` or `name` under node_modules, the first two folders of a repo path, else a kind. */
function packageOf(url: string, functionName: string): string {
  if (url === '') return functionName.startsWith('(') ? functionName : '(native)';
  if (url.startsWith('node:')) return 'node:internals';
  const modules = url.lastIndexOf('node_modules/');
  if (modules >= 0) {
    const parts = url.slice(modules + 'node_modules/'.length).split('/');
    return parts[0]?.startsWith('@') ? `${parts[0]}/${parts[1]}` : (parts[0] ?? url);
  }
  const repo = url.indexOf('/work/main/');
  if (repo >= 0)
    return url
      .slice(repo + '/work/main/'.length)
      .split('/')
      .slice(0, 2)
      .join('/');
  return url;
}

function profileFiles(paths: string[]): string[] {
  return paths.flatMap((path) =>
    statSync(path).isDirectory()
      ? readdirSync(path)
          .filter((name) => name.endsWith('.cpuprofile'))
          .sort()
          .map((name) => join(path, name))
      : [path],
  );
}

const isMain = import.meta.url === `file://${process.argv[1]}`;
if (isMain) {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { top: { type: 'string', default: '15' } },
  });
  const top = Number(values.top);
  for (const file of profileFiles(positionals)) {
    const summary = summarizeProfile(
      file,
      ProfileSchema.parse(JSON.parse(readFileSync(file, 'utf8'))),
      top,
    );
    console.log(
      `\n## ${summary.file}: wall ${(summary.wallMs / 1000).toFixed(1)} s, busy ${(summary.busyMs / 1000).toFixed(1)} s`,
    );
    console.log('self time by package:');
    for (const { name, selfMs } of summary.byPackage)
      console.log(`  ${String(selfMs).padStart(7)} ms  ${name}`);
    console.log('top functions by self time:');
    for (const { name, selfMs } of summary.topFunctions)
      console.log(`  ${String(selfMs).padStart(7)} ms  ${name}`);
  }
}
