import type { MockState } from '../../lambdas/mock-apis/mock-state';
import { entityNames } from '../../lambdas/mock-apis/dataset';
import { contentHash } from '../../lambdas/shared/content-hash';
import type { EventType } from '../../lambdas/shared/pipeline';

export const eventTypes = { customers: 'CUSTOMER', products: 'PRODUCT' } as const;

/** When Analytics received this version of a record (`eventType#id#contentHash`), if it did. */
export function receivedAtMs(
  state: MockState,
  eventType: EventType,
  id: string,
  hash: string,
): number | undefined {
  const versions = state.analytics.getRecord(eventType, id)?.versions;
  const version = versions?.find((v) => v.contentHash === hash);
  return version ? Date.parse(version.receivedAt) : undefined;
}

/**
 * The source's current state (the data set the mock APIs serve, deletes included) against what Analytics holds;
 * the figures are defined in docs/chaos.md, "What is measured, and how".
 */
export function checkDelivery(state: MockState) {
  let expected = 0;
  let received = 0;
  let corrupt = 0;
  const deletes = { expected: 0, received: 0 };
  const lostSample: string[] = [];
  for (const entity of entityNames) {
    const store = state.dataset.stores[entity];
    const eventType = eventTypes[entity];
    for (let index = 0; index < store.total; index++) {
      const record = store.record(index);
      if (isCorrupt(record)) {
        corrupt++;
        continue;
      }
      expected++;
      const id = String(record.id);
      // A deleted record arrived when Analytics took its delete and holds nothing of it since.
      const deleted = record.deletedAt !== undefined;
      const arrived = deleted
        ? state.analytics.deletedAt(eventType, id) !== undefined
        : receivedAtMs(state, eventType, id, contentHash(record)) !== undefined;
      deletes.expected += Number(deleted);
      deletes.received += Number(deleted && arrived);
      if (arrived) received++;
      else if (lostSample.length < 10) lostSample.push(`${eventType}#${id}`);
    }
  }
  return {
    expected,
    received,
    lost: expected - received,
    /** Up to 10 lost ones, e.g. `CUSTOMER#cust-000042`. */
    lostSample,
    duplicated: state.analytics.getStats().duplicateRecords,
    /** Served corrupt on purpose: dead-lettered by the pollers, not expected. */
    corrupt,
    /** Of `expected` and `received`, the deleted records (a delete that did not arrive is lost). */
    deletes,
  };
}

/** The mock's `corrupt` change: an e-mail that is not one, or a negative stock. */
function isCorrupt(record: Record<string, unknown>): boolean {
  return (
    record.email === 'not-an-email' ||
    (typeof record.stockQuantity === 'number' && record.stockQuantity < 0)
  );
}
