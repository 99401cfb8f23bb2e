import { createMockApi } from './app';
import { mockSettingsFromEnv } from './settings';

/** One mock state per container, created at cold start; a Function URL keeps it warm in tests. */
export const handler = createMockApi({ settings: mockSettingsFromEnv() }).handle;
