// Tiny statistics and formatting helpers.

export function median(values) {
  const list = values.filter((v) => typeof v === 'number' && Number.isFinite(v)).sort((a, b) => a - b);
  if (list.length === 0) return undefined;
  const mid = Math.floor(list.length / 2);
  return list.length % 2 === 1 ? list[mid] : (list[mid - 1] + list[mid]) / 2;
}

export function max(values) {
  const list = values.filter((v) => typeof v === 'number' && Number.isFinite(v));
  return list.length === 0 ? undefined : Math.max(...list);
}

export function sum(values) {
  return values.reduce((a, v) => a + (Number.isFinite(v) ? v : 0), 0);
}

export const fmt = {
  int: (v) => (v === undefined ? '–' : Math.round(v).toLocaleString('en-US')),
  ms: (v) => (v === undefined ? '–' : `${v.toFixed(v < 10 ? 2 : 1)}`),
  ratio: (v) => (v === undefined ? '–' : `${v.toFixed(2)}×`),
  mb: (bytes) => (bytes === undefined || !Number.isFinite(bytes) ? '–' : `${(bytes / 1048576).toFixed(1)}`),
  pct: (v) => (v === undefined ? '–' : `${Math.round(v)}%`),
  seconds: (ms) => `${(ms / 1000).toFixed(1)} s`,
};

/** A plain-text table with aligned columns (numbers right-aligned). */
export function textTable(headers, rows) {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const numeric = headers.map((_, i) => rows.every((r) => /^([-–\d.,×%/ ()]+|base)$/.test(String(r[i]))));
  const line = (cells) => cells.map((c, i) => (numeric[i] ? String(c).padStart(widths[i]) : String(c).padEnd(widths[i]))).join('  ');
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/** A GitHub-flavoured markdown table. */
export function markdownTable(headers, rows) {
  const numeric = headers.map((_, i) => rows.length > 0 && rows.every((r) => /^([-–\d.,×%/ ()]+|base)$/.test(String(r[i]))));
  return [
    `| ${headers.join(' | ')} |`,
    `| ${numeric.map((n) => (n ? '---:' : '---')).join(' | ')} |`,
    ...rows.map((r) => `| ${r.map((c) => String(c).replace(/\|/g, '\\|')).join(' | ')} |`),
  ].join('\n');
}
