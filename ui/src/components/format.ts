/** Small display formatters shared by the tables. */

export function formatBytes(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined || Number.isNaN(bytes)) return '-';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(unit === 0 ? 0 : 1)} ${units[unit]}`;
}

export function formatPercent(rate: number | null | undefined): number {
  if (rate === null || rate === undefined || Number.isNaN(rate)) return 0;
  // Rates arrive as percent (0–100); tolerate fractions too.
  const pct = rate <= 1 && rate > 0 ? rate * 100 : rate;
  return Math.round(Math.min(100, Math.max(0, pct)) * 10) / 10;
}

/** The locale the I18nProvider set on <html lang>, or the browser's when none is set. */
export function uiLocale(): string | undefined {
  return document.documentElement.lang || undefined;
}

export function formatTime(value: string | number | null | undefined): string {
  if (value === null || value === undefined || value === '') return '-';
  const date = typeof value === 'number' ? new Date(value * (value < 1e12 ? 1000 : 1)) : new Date(value);
  // The UI's language, not the browser's: a Chinese page shows Chinese dates.
  return Number.isNaN(date.getTime()) ? String(value) : date.toLocaleString(uiLocale());
}
