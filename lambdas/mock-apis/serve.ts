import { parseArgs } from 'node:util';
import { z } from 'zod';
import { startMockApiServer } from './local-server';

/** `tsx lambdas/mock-apis/serve.ts --port 4010 --customers 10000` */
const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '4010' },
    host: { type: 'string', default: '127.0.0.1' },
    seed: { type: 'string' },
    customers: { type: 'string' },
    products: { type: 'string' },
    'drift-per-minute': { type: 'string' },
  },
});

const ArgsSchema = z.object({
  port: z.coerce.number().int().min(0).max(65535),
  host: z.string().min(1),
  seed: z.coerce.number().int().min(0).optional(),
  customers: z.coerce.number().int().min(0).optional(),
  products: z.coerce.number().int().min(0).optional(),
  'drift-per-minute': z.coerce.number().min(0).optional(),
});
const parsed = ArgsSchema.safeParse(values);
if (!parsed.success) {
  console.error(z.prettifyError(parsed.error));
  process.exit(2);
}
const args = parsed.data;

const server = await startMockApiServer({
  port: args.port,
  host: args.host,
  seed: args.seed,
  customers: args.customers,
  products: args.products,
  driftPerMinute: args['drift-per-minute'],
});
console.log(`mock APIs listening on ${server.url} (OpenAPI at ${server.url}/openapi.json)`);

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void server.close().then(() => process.exit(0));
  });
}
