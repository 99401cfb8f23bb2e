import { describe, expect, it } from 'vitest';
import type { SyncState } from '../shared/sync-state';
import {
  InvalidPollRequestError,
  PollerError,
  manualRunRefusal,
  mayAdvanceWatermark,
  overlapStart,
  parsePollRequest,
  planRun,
} from './poll-request';

const now = new Date('2025-06-01T12:00:00.000Z');

describe('parsePollRequest', () => {
  it('treats an EventBridge scheduled event as a scheduled poll', () => {
    expect(
      parsePollRequest({ source: 'aws.events', 'detail-type': 'Scheduled Event', detail: {} }),
    ).toEqual({ kind: 'scheduled' });
  });

  it('accepts { mode: "full" } and { since }', () => {
    expect(parsePollRequest({ mode: 'full' })).toEqual({ kind: 'manual' });
    expect(parsePollRequest({ since: '2025-05-01T00:00:00+02:00' })).toEqual({
      kind: 'manual',
      since: '2025-05-01T00:00:00+02:00',
    });
  });

  it('accepts redeliver on both manual shapes, a boolean only', () => {
    expect(parsePollRequest({ mode: 'full', redeliver: true })).toEqual({
      kind: 'manual',
      redeliver: true,
    });
    const since = '2025-05-01T00:00:00Z';
    expect(parsePollRequest({ since, redeliver: true })).toEqual({
      kind: 'manual',
      since,
      redeliver: true,
    });
    expect(() => parsePollRequest({ mode: 'full', redeliver: 'yes' })).toThrow(/redeliver/);
    expect(() => parsePollRequest({ mode: 'full', redelivr: true })).toThrow(
      InvalidPollRequestError,
    );
  });

  it('refuses typos, {}, no payload, strings, arrays and null instead of polling', () => {
    for (const bad of [
      { sinse: '2025-05-01T00:00:00Z' },
      {},
      undefined,
      'a string',
      [],
      null,
      { source: 'aws.scheduler', 'detail-type': 'Scheduled Event' },
      { 'detail-type': 'Scheduled Event' },
    ]) {
      expect(() => parsePollRequest(bad), JSON.stringify(bad)).toThrow(InvalidPollRequestError);
      expect(() => parsePollRequest(bad)).toThrow(PollerError);
    }
  });

  it('names what it got and every accepted shape', () => {
    const message = (bad: unknown) => {
      try {
        parsePollRequest(bad);
      } catch (error) {
        return (error as Error).message;
      }
      throw new Error('accepted');
    };
    expect(message({ sinse: 'x' })).toContain('got an object with key(s) "sinse"');
    expect(message('a string')).toContain('got a string');
    expect(message([])).toContain('got an array');
    expect(message(null)).toContain('got null');
    for (const shape of ['"Scheduled Event"', '{"mode":"full"}', '{"since":"<ISO-8601']) {
      expect(message({})).toContain(shape);
    }
  });

  it('rejects malformed manual payloads with the schema error of the shape they resemble', () => {
    for (const bad of [
      { mode: 'incremental' },
      { since: '1 May' },
      { mode: 'full', since: '2025-05-01T00:00:00Z' },
    ]) {
      expect(() => parsePollRequest(bad)).toThrow(InvalidPollRequestError);
    }
    expect(() => parsePollRequest({ since: 'yesterday' })).toThrow(/Invalid ISO datetime.*since/);
    expect(() => parsePollRequest({ mode: 'ful' })).toThrow(/expected "full".*mode/);
  });
});

describe('planRun', () => {
  const base: SyncState = { source: 'crm', version: 2, updatedAt: now.toISOString() };

  it('FULL without a watermark, INCREMENTAL from watermark - overlap otherwise', () => {
    const full = planRun({ kind: 'scheduled' }, undefined, 60, now);
    expect(full.syncType).toBe('FULL');
    expect(full.since).toBeUndefined();
    expect(
      planRun({ kind: 'scheduled' }, { ...base, watermark: '2025-06-01T00:00:30.000Z' }, 60, now),
    ).toMatchObject({ syncType: 'INCREMENTAL', since: '2025-05-31T23:59:30.000Z', resumed: false });
  });

  it('resumes a saved cursor with its own sync type, since and start', () => {
    const state: SyncState = {
      ...base,
      watermark: '2025-01-01T00:00:00.000Z',
      cursor: 'abc',
      cursorSyncType: 'RESYNC',
      cursorSince: '2025-04-01T00:00:00.000Z',
      runStartedAt: '2025-06-01T11:00:00.000Z',
      runMaxUpdatedAt: '2025-05-01T00:00:00.000Z',
    };
    expect(planRun({ kind: 'scheduled' }, state, 60, now)).toEqual({
      syncType: 'RESYNC',
      since: '2025-04-01T00:00:00.000Z',
      cursor: 'abc',
      runStartedAt: '2025-06-01T11:00:00.000Z',
      runMaxUpdatedAt: '2025-05-01T00:00:00.000Z',
      resumed: true,
    });
  });

  it('a manual request is a RESYNC from its own since, with no cursor', () => {
    const plan = planRun({ kind: 'manual', since: '2025-05-01T00:00:00.000Z' }, base, 60, now);
    expect(plan).toMatchObject({ syncType: 'RESYNC', since: '2025-05-01T00:00:00.000Z' });
    expect(plan.resumed).toBe(false);
    expect(plan.cursor).toBeUndefined();
  });

  it('a redeliver request names a generation (its start) that a resumed invocation keeps; others have none', () => {
    const plan = planRun({ kind: 'manual', redeliver: true }, base, 60, now);
    expect(plan.generation).toBe(now.toISOString());
    expect(planRun({ kind: 'manual' }, base, 60, now).generation).toBeUndefined();
    const later = new Date(now.getTime() + 60_000);
    const inProgress: SyncState = {
      ...base,
      cursor: 'abc',
      cursorSyncType: 'RESYNC',
      cursorGeneration: now.toISOString(),
      runStartedAt: now.toISOString(),
    };
    expect(planRun({ kind: 'scheduled' }, inProgress, 60, later).generation).toBe(
      now.toISOString(),
    );
    const incremental = { ...base, watermark: now.toISOString() };
    expect(planRun({ kind: 'scheduled' }, incremental, 60, later).generation).toBeUndefined();
  });

  it('overlap arithmetic works across offsets', () => {
    expect(overlapStart('2025-01-01T01:00:00+01:00', 90)).toBe('2024-12-31T23:58:30.000Z');
  });
});

describe('manualRunRefusal', () => {
  const base: SyncState = { source: 'crm', version: 2, updatedAt: now.toISOString() };
  const inProgress: SyncState = {
    ...base,
    cursor: 'abc',
    cursorSyncType: 'FULL',
    runStartedAt: '2025-06-01T11:00:00.000Z',
  };

  it('refuses a manual run while a saved cursor exists, whatever was asked', () => {
    for (const request of [
      { kind: 'manual' as const },
      { kind: 'manual' as const, since: '2025-05-01T00:00:00.000Z' },
    ]) {
      expect(manualRunRefusal(request, inProgress)).toMatch(
        /a scheduled sync is in progress.*retry later/,
      );
    }
  });

  it('lets scheduled runs resume and manual runs start when no cursor is saved', () => {
    expect(manualRunRefusal({ kind: 'scheduled' }, inProgress)).toBeUndefined();
    expect(manualRunRefusal({ kind: 'manual' }, base)).toBeUndefined();
    expect(manualRunRefusal({ kind: 'manual' }, undefined)).toBeUndefined();
  });
});

describe('mayAdvanceWatermark', () => {
  it('allows a run without since, or one starting at or before the watermark (as instants)', () => {
    expect(mayAdvanceWatermark(undefined, undefined)).toBe(true);
    expect(mayAdvanceWatermark(undefined, '2025-01-01T00:00:00Z')).toBe(true);
    expect(mayAdvanceWatermark('2025-01-01T00:00:00Z', '2025-01-01T00:00:00.000Z')).toBe(true);
    expect(mayAdvanceWatermark('2025-01-01T01:00:00+02:00', '2025-01-01T00:00:00Z')).toBe(true);
  });

  it('refuses a run that starts after the watermark, or with since and no watermark at all', () => {
    expect(mayAdvanceWatermark('2025-01-01T00:00:01Z', '2025-01-01T00:00:00Z')).toBe(false);
    expect(mayAdvanceWatermark('2025-01-01T00:00:00Z', undefined)).toBe(false);
  });
});
