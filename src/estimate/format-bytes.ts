/** Byte counts for operators: `512 B`, `2.1 KiB`, `12.3 MiB`, `1.88 GiB` (binary units, 3 significant digits). */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes)) return String(bytes);
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (Math.abs(value) >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${Math.round(value)} B` : `${value.toPrecision(3)} ${units[unit]}`;
}

/** `12s`, `4m10s`, `unknown` for an age in seconds. */
export function formatAge(seconds: number): string {
  if (!Number.isFinite(seconds)) return 'unknown age';
  if (seconds < 120) return `${Math.round(seconds)}s old`;
  return `${Math.floor(seconds / 60)}m${Math.round(seconds % 60)}s old`;
}
