/**
 * `npm run invoke -- <function> '<payload JSON>' [--url …] | [--target aws [--stack …]]`
 * The local twin of `aws lambda invoke`: the running `npm start`, or the deployed stack (function
 * names from its outputs).
 */
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import type { FunctionName } from './invokers';
import { invocableFunctions } from './invokers';
import { resolveInvoker, runCli, targetArgs } from './target';

const USAGE = `usage: invoke <${invocableFunctions.join('|')}> ['<payload JSON>']`;

export async function main(argv: string[]): Promise<unknown> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: targetArgs,
    allowPositionals: true,
    strict: true,
  });
  const [name, payloadText, ...rest] = positionals;
  if (!name || rest.length > 0) throw new Error(USAGE);
  if (!invocableFunctions.includes(name as FunctionName))
    throw new Error(`unknown function ${name}; ${USAGE}`);
  let payload: unknown = {};
  if (payloadText !== undefined) {
    try {
      payload = JSON.parse(payloadText);
    } catch {
      throw new Error(`the payload is not JSON: ${payloadText}`);
    }
  }
  const { invoke } = await resolveInvoker(values);
  return invoke(name as FunctionName, payload);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href)
  await runCli(() => main(process.argv.slice(2)));
