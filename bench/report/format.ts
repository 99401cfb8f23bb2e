/** Number formatting shared by the markdown report and the terminal table. */
export function formatNumber(value: number, fractionDigits = 0): string {
  return value.toLocaleString('en-US', {
    minimumFractionDigits: fractionDigits,
    maximumFractionDigits: fractionDigits,
  });
}

/** Rates and ratios: 3 significant digits below 100, whole numbers above. */
export function formatRate(value: number): string {
  if (!Number.isFinite(value)) return 'n/a';
  if (Math.abs(value) >= 100) return formatNumber(value);
  return value.toPrecision(3);
}

export function formatMs(value: number): string {
  return value >= 10_000 ? `${formatNumber(value / 1000, 1)} s` : `${formatNumber(value)} ms`;
}

export function formatUsd(value: number): string {
  if (value === 0) return '$0';
  if (value < 0.01) return `$${value.toPrecision(2)}`;
  return `$${formatNumber(value, 2)}`;
}

export function orNa<T>(value: T | null | undefined, format: (value: T) => string): string {
  return value === null || value === undefined ? 'n/a' : format(value);
}
