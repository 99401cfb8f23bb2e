/** A preload module for the function-host tests: marks the worker before the handler loads. */
(globalThis as { probePreload?: string }).probePreload =
  `preloaded in ${process.env.PROBE_SETTING}`;
