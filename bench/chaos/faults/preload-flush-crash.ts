/**
 * Preload module for flush's execution environments (startPipelineRun `preloadModules.flush`):
 * crashes the environment right after Analytics answered 2xx to a payload POST, as planned by the
 * CHAOS_CRASH_PLAN env var. Imported before the handler captures `fetch` in its HTTP client.
 */
import { crashAfterAnalyticsPost } from './analytics-post-crash-hook';
import { crashDeciderFromEnv, crashExecutionEnvironment } from './crash-environment';

globalThis.fetch = crashAfterAnalyticsPost(globalThis.fetch, {
  shouldCrash: crashDeciderFromEnv(),
  crash: crashExecutionEnvironment,
});
