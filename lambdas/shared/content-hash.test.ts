import { describe, expect, it } from 'vitest';
import { canonicalJson, contentHash } from './content-hash';

describe('canonicalJson', () => {
  it('sorts keys recursively so key order does not change the text', () => {
    expect(canonicalJson({ b: 1, a: { d: [{ z: 1, y: 2 }], c: null } })).toBe(
      '{"a":{"c":null,"d":[{"y":2,"z":1}]},"b":1}',
    );
  });

  it('drops undefined properties like JSON.stringify does', () => {
    expect(canonicalJson({ a: undefined, b: 1 })).toBe('{"b":1}');
  });
});

describe('contentHash', () => {
  it('is the SHA-256 hex of the canonical JSON', () => {
    // sha256('{"a":1}') computed independently: echo -n '{"a":1}' | sha256sum
    expect(contentHash({ a: 1 })).toBe(
      '015abd7f5cc57a2dd94b7590f04ad8084273905ee33ec5cebeae62276a97f862',
    );
  });

  it('is equal for reordered keys and different for changed values', () => {
    expect(contentHash({ id: 'x', n: 1 })).toBe(contentHash({ n: 1, id: 'x' }));
    expect(contentHash({ id: 'x', n: 1 })).not.toBe(contentHash({ id: 'x', n: 2 }));
  });
});
