import { staging } from '../shared/pipeline';

export {
  deliveredKeyFor,
  invalidKeyFor,
  parkedPointerKeyFor,
  parseStagedKey,
} from '../shared/staging-format';
export type { StagedKeyParts } from '../shared/staging-format';

const { prefixes } = staging;

const PARKED_MANIFEST_KEY = /^dlq\/([0-9a-f]{64})\/manifest\.json$/;

export function outboxKeyFor(eventId: string): string {
  return `${prefixes.outbox}${eventId}.json`;
}

export function parkedBatchKeyFor(eventId: string, batchId: string): string {
  return `${prefixes.dlq}${eventId}/${batchId}.json`;
}

export function parkedManifestKeyFor(eventId: string): string {
  return `${prefixes.dlq}${eventId}/manifest.json`;
}

/** The eventId of a parked payload's manifest key, or undefined for any other `dlq/` key. */
export function eventIdOfParkedManifest(key: string): string | undefined {
  return PARKED_MANIFEST_KEY.exec(key)?.[1];
}
