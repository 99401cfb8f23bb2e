import { describe, expect, it } from 'vitest';
import { parseJavaMajor, parseNodeMajor } from './prerequisites';

describe('parseJavaMajor', () => {
  it('reads modern and legacy `java -version` formats', () => {
    expect(
      parseJavaMajor('openjdk version "17.0.15" 2025-04-15\nOpenJDK Runtime Environment'),
    ).toBe(17);
    expect(parseJavaMajor('openjdk version "21" 2023-09-19')).toBe(21);
    expect(parseJavaMajor('java version "1.8.0_392"')).toBe(8);
    expect(parseJavaMajor('openjdk version "11.0.22" 2024-01-16')).toBe(11);
  });

  it('returns undefined when there is no version to read', () => {
    expect(parseJavaMajor('command not found')).toBeUndefined();
  });
});

describe('parseNodeMajor', () => {
  it('reads the major of process.version', () => {
    expect(parseNodeMajor('v20.19.1')).toBe(20);
    expect(parseNodeMajor('v18.0.0')).toBe(18);
  });
});
