import { staging } from '../shared/pipeline';

const { prefixes } = staging;

const STAGED_KEY = /^staging\/(\d{4}\/\d{2}\/\d{2})\/([^/]+)\.json$/;
const PARKED_MANIFEST_KEY = /^dlq\/([0-9a-f]{64})\/manifest\.json$/;

export interface StagedKeyParts {
  /** `YYYY/MM/DD` */
  datePath: string;
  batchId: string;
}

/** `staging/YYYY/MM/DD/<batchId>.json` → its parts, or undefined for a key of another shape. */
export function parseStagedKey(key: string): StagedKeyParts | undefined {
  const match = STAGED_KEY.exec(key);
  if (!match?.[1] || !match[2]) return undefined;
  return { datePath: match[1], batchId: match[2] };
}

/** Where a delivered batch goes: the same date path under `delivered/`. */
export function deliveredKeyFor(stagedKey: string): string {
  return `${prefixes.delivered}${stagedKey.slice(prefixes.staging.length)}`;
}

/** A staged object that failed validation is quarantined here, under its original path. */
export function invalidKeyFor(key: string): string {
  return `${prefixes.dlq}invalid/${key}`;
}

export function outboxKeyFor(eventId: string): string {
  return `${prefixes.outbox}${eventId}.json`;
}

export function parkedBatchKeyFor(eventId: string, batchId: string): string {
  return `${prefixes.dlq}${eventId}/${batchId}.json`;
}

export function parkedManifestKeyFor(eventId: string): string {
  return `${prefixes.dlq}${eventId}/manifest.json`;
}

/**
 * `dlq/by-batch/<batchId>.json` → `{ eventId, key }`: finds a parked batch by its batchId alone
 * (merge-consumer, seeing its batch gone from staging/, looks here before re-staging it).
 */
export function parkedPointerKeyFor(batchId: string): string {
  return `${prefixes.dlq}by-batch/${batchId}.json`;
}

/** The eventId of a parked payload's manifest key, or undefined for any other `dlq/` key. */
export function eventIdOfParkedManifest(key: string): string | undefined {
  return PARKED_MANIFEST_KEY.exec(key)?.[1];
}
