import { parseArgs } from 'node:util';
import { z } from 'zod';
import { startMockApiServer } from './local-server';
import { envNumber } from '../shared/config';
import { optionFromText } from './settings';

/** `tsx lambdas/mock-apis/serve.ts --port 4010 --customers 10000` (unset: MOCK_* env, defaults) */
const ArgsSchema = z.strictObject({
  port: envNumber(z.number().int().min(0).max(65535)).default(4010),
  seed: optionFromText('seed').optional(),
  customers: optionFromText('customers').optional(),
  products: optionFromText('products').optional(),
  'drift-per-minute': optionFromText('driftPerMinute').optional(),
});
const options = Object.fromEntries(
  Object.keys(ArgsSchema.shape).map((name) => [name, { type: 'string' as const }]),
);
const parsed = ArgsSchema.safeParse(parseArgs({ options }).values);
if (!parsed.success) {
  console.error(z.prettifyError(parsed.error));
  process.exit(2);
}
const { 'drift-per-minute': driftPerMinute, ...args } = parsed.data;

const server = await startMockApiServer({ ...args, driftPerMinute });
console.log(`mock APIs listening on ${server.url} (OpenAPI at ${server.url}/openapi.json)`);

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void server.close().then(() => process.exit(0));
  });
}
