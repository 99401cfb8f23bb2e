import { describe, expect, it } from 'vitest';
import { joinUrl } from './join-url';

describe('joinUrl', () => {
  it('keeps a stage prefix of the base URL, with or without a trailing slash', () => {
    expect(joinUrl('https://x.example/prod', '/analytics/data')).toBe(
      'https://x.example/prod/analytics/data',
    );
    expect(joinUrl('https://x.example/prod/', 'analytics/data')).toBe(
      'https://x.example/prod/analytics/data',
    );
  });

  it('joins onto a bare origin', () => {
    expect(joinUrl('http://127.0.0.1:4010', '/analytics/data')).toBe(
      'http://127.0.0.1:4010/analytics/data',
    );
  });
});
