import { describe, expect, it, vi } from 'vitest';
import { loadApiToken } from './api-auth';

describe('loadApiToken', () => {
  it('is undefined without API_TOKEN_PARAMETER (local stack)', async () => {
    const fetchers = { fromSsm: vi.fn(), fromSecretsManager: vi.fn() };
    expect(await loadApiToken(undefined, fetchers)).toBeUndefined();
    expect(fetchers.fromSsm).not.toHaveBeenCalled();
  });

  it('reads an SSM SecureString by name', async () => {
    const fetchers = { fromSsm: vi.fn(async () => ' tok-1 '), fromSecretsManager: vi.fn() };
    expect(await loadApiToken('/ecom-sync/api-token', fetchers)).toBe('tok-1');
    expect(fetchers.fromSsm).toHaveBeenCalledWith('/ecom-sync/api-token');
  });

  it('reads Secrets Manager for a secret ARN, bare or as { token }', async () => {
    const arn = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:api-AbCdEf';
    const bare = { fromSsm: vi.fn(), fromSecretsManager: vi.fn(async () => 'tok-2') };
    expect(await loadApiToken(arn, bare)).toBe('tok-2');
    const json = { fromSsm: vi.fn(), fromSecretsManager: vi.fn(async () => '{"token":"tok-3"}') };
    expect(await loadApiToken(arn, json)).toBe('tok-3');
    expect(bare.fromSsm).not.toHaveBeenCalled();
  });

  it('refuses a JSON secret without a token instead of sending it whole as the token', async () => {
    const arn = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:api-AbCdEf';
    for (const secret of ['{"username":"u","password":"p-secret"}', '{"token":""}', '{"token":']) {
      const fetchers = { fromSsm: vi.fn(), fromSecretsManager: vi.fn(async () => secret) };
      const error = await loadApiToken(arn, fetchers).catch((caught: unknown) => caught);
      expect(error, secret).toBeInstanceOf(Error);
      expect((error as Error).message).not.toContain('p-secret');
    }
  });

  it('fails clearly on an empty value without echoing it', async () => {
    const fetchers = { fromSsm: vi.fn(async () => undefined), fromSecretsManager: vi.fn() };
    await expect(loadApiToken('/missing', fetchers)).rejects.toThrow(/API token "\/missing"/);
  });
});
