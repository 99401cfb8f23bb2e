import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { bundleHandler } from '../../infra/lib/bundling';

/**
 * `entry` (a path from the repository root) bundled and minified as infra's PipelineFunction
 * bundles a handler, then imported: what runs on AWS, where class names are mangled.
 */
export async function importMinified<T>(entry: string): Promise<T> {
  const result = await bundleHandler(resolve(entry));
  const dir = await mkdtemp(join(tmpdir(), 'minified-'));
  try {
    const file = join(dir, 'index.mjs');
    await writeFile(file, result.outputFiles[0]!.contents);
    return (await import(pathToFileURL(file).href)) as T;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** What `run` throws, to compare it as an object (undefined if it returns). */
export function thrownBy(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  return undefined;
}
