/** Test fixture: one POST /analytics/data against FIXTURE_ENDPOINT per invocation. */
export async function handler(): Promise<number> {
  const response = await fetch(`${process.env.FIXTURE_ENDPOINT}/analytics/data`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'idempotency-key': 'k1' },
    body: '{}',
  });
  return response.status;
}
