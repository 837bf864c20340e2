/** What the CLI prints: aligned columns for people, or `--json` for programs. */
export function columns(rows: string[][]): string {
  if (rows.length === 0) return '';
  const widths = (rows[0] ?? []).map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return `${rows.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join('  ')).join('\n')}\n`;
}

export const list = (items: readonly string[], none = '–') => (items.length > 0 ? items.join(',') : none);
