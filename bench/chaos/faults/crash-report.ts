/**
 * One line for a scenario's `faultsInjected`: how many crashes, after which operations, e.g.
 * "7 crashes (budget 20): 3 after claim PutItem (DynamoDB.PutItem), 4 after staging PutObject (S3.PutObject)".
 * `meaning` names what an operation is in the pipeline; unnamed ones are listed as they are.
 */
export function describeCrashes(
  operations: readonly string[],
  budget: number,
  meaning: Readonly<Record<string, string>> = {},
): string {
  const counts = new Map<string, number>();
  for (const operation of operations) counts.set(operation, (counts.get(operation) ?? 0) + 1);
  const parts = [...counts.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([operation, count]) => {
      const what = meaning[operation];
      return `${count} after ${what ? `${what} (${operation})` : operation}`;
    });
  const head = `${operations.length} crash${operations.length === 1 ? '' : 'es'} (budget ${budget})`;
  return parts.length > 0 ? `${head}: ${parts.join(', ')}` : head;
}
