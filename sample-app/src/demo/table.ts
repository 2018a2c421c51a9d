/** A plain ASCII table: `+---+` borders, left-aligned cells, one line per row. */
export function asciiTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((header, i) => Math.max(header.length, ...rows.map((row) => (row[i] ?? '').length)));
  const rule = `+${widths.map((w) => '-'.repeat(w + 2)).join('+')}+`;
  const line = (cells: readonly string[]): string => `|${widths.map((w, i) => ` ${(cells[i] ?? '').padEnd(w)} `).join('|')}|`;
  return [rule, line(headers), rule, ...rows.map(line), rule].join('\n');
}

/** ANSI styling, only when stdout is a terminal and NO_COLOR is unset. */
export function styler(enabled: boolean): { ok: (s: string) => string; bad: (s: string) => string; dim: (s: string) => string; bold: (s: string) => string } {
  const wrap = (code: string) => (s: string) => (enabled ? `\u001b[${code}m${s}\u001b[0m` : s);
  return { ok: wrap('32'), bad: wrap('31'), dim: wrap('2'), bold: wrap('1') };
}
