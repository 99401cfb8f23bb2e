import type { MockState } from '../../lambdas/mock-apis/mock-state';
import { entityNames } from '../../lambdas/mock-apis/dataset';
import { contentHash } from '../../lambdas/shared/content-hash';

export interface DeliveryCheck {
  /** Current record versions at the source that Analytics must hold (corrupt ones excluded). */
  expected: number;
  /** Of those, held by Analytics. */
  received: number;
  /** Expected current versions Analytics never received. */
  lost: number;
  /** Up to 10 of them, e.g. `CUSTOMER#cust-000042`, for the report. */
  lostSample: string[];
  /** Record versions Analytics received more than once past the Idempotency-Key. */
  duplicated: number;
  /** Records the source serves corrupt (schema-invalid): dead-lettered by the pollers, not expected. */
  corrupt: number;
}

const eventTypes = { customers: 'CUSTOMER', products: 'PRODUCT' } as const;

/**
 * Compares the source's current state (the mock data set, the same one the APIs serve) with
 * what the mock Analytics received: each record's current version must have arrived, and no
 * version may have arrived twice in accepted payloads.
 */
export function checkDelivery(
  state: MockState,
  isCorrupt: (record: Record<string, unknown>) => boolean = defaultIsCorrupt,
): DeliveryCheck {
  let expected = 0;
  let received = 0;
  let corrupt = 0;
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
      const hash = contentHash(record);
      const got = state.analytics.getRecord(eventType, id);
      if (got?.versions.some((version) => version.contentHash === hash)) received++;
      else if (lostSample.length < 10) lostSample.push(`${eventType}#${id}`);
    }
  }
  return {
    expected,
    received,
    lost: expected - received,
    lostSample,
    duplicated: state.analytics.getStats().duplicateRecords,
    corrupt,
  };
}

/** The mock's `corrupt` change: an e-mail that is not one, or a negative stock. */
function defaultIsCorrupt(record: Record<string, unknown>): boolean {
  return (
    record.email === 'not-an-email' ||
    (typeof record.stockQuantity === 'number' && record.stockQuantity < 0)
  );
}
