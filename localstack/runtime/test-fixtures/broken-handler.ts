/** Fails at import time, like a handler whose env does not parse at cold start. */
throw new Error('Invalid configuration: SYNC_STATE_TABLE: Required');

export const handler = async (): Promise<null> => null;
