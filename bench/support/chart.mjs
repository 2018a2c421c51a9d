// A horizontal grouped bar chart as a hand-written SVG string (no dependency): panels (one
// per framework), groups in a panel (one per token mode), bars in a group (one per server),
// a vertical reference line (1.0× = the unguarded app). Plain text, so it diffs and renders
// on GitHub as an <img>.

const FONT = 'system-ui, -apple-system, "Segoe UI", Helvetica, Arial, sans-serif';

/** Escapes text for an SVG text node or attribute. */
export function xml(text) {
  return String(text).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]);
}

/**
 * @param {object} chart
 * @param {string} chart.title
 * @param {string[]} chart.subtitle lines under the title
 * @param {{ id: string, label: string, color: string }[]} chart.series the legend, in order
 * @param {{ title: string, groups: { label: string, bars: { series: string, name: string, value?: number, note?: string }[] }[] }[]} chart.panels
 * @param {number} [chart.reference] x of the reference line (default 1)
 * @param {string} [chart.referenceLabel]
 * @param {(v: number) => string} [chart.format] bar value label
 * @returns {string} the SVG document
 */
export function barChart({ title, subtitle = [], series, panels, reference = 1, referenceLabel = '1.0×', format = (v) => `${v.toFixed(2)}×` }) {
  const width = 980;
  const left = 16;
  const nameWidth = 270; // bar names
  const plotLeft = left + nameWidth;
  const plotWidth = 520;
  const barH = 14;
  const rowH = 19;
  const colors = new Map(series.map((s) => [s.id, s.color]));
  const values = panels.flatMap((p) => p.groups.flatMap((g) => g.bars.map((b) => b.value))).filter((v) => Number.isFinite(v));
  const top = Math.max(reference * 1.1, ...values.map((v) => v * 1.05));
  const step = top <= 2 ? 0.25 : top <= 4 ? 0.5 : 1; // about 60 px or more between tick labels
  const xMax = Math.ceil(top / step) * step;
  const x = (v) => plotLeft + (Math.max(0, v) / xMax) * plotWidth;
  const ticks = [];
  for (let t = 0; t <= xMax + 1e-9; t += step) ticks.push(Number(t.toFixed(2)));

  const out = [];
  let y = 30;
  out.push(`<text x="${left}" y="${y}" font-size="18" font-weight="600">${xml(title)}</text>`);
  for (const line of subtitle) {
    y += 18;
    out.push(`<text x="${left}" y="${y}" font-size="12" fill="#444">${xml(line)}</text>`);
  }
  // Legend, wrapped.
  y += 26;
  let lx = left;
  for (const s of series) {
    const w = 22 + s.label.length * 6.4;
    if (lx + w > width - left) {
      lx = left;
      y += 18;
    }
    out.push(`<rect x="${lx}" y="${y - 10}" width="12" height="12" fill="${s.color}"/>`, `<text x="${lx + 17}" y="${y}" font-size="12">${xml(s.label)}</text>`);
    lx += w + 14;
  }
  y += 16;

  const axis = (at) => {
    const parts = ticks.map((t) => `<text x="${x(t)}" y="${at}" font-size="11" fill="#555" text-anchor="middle">${t.toFixed(2)}×</text>`);
    return parts.join('');
  };
  out.push(axis(y + 12));
  y += 20;
  const plotTop = y;
  const body = []; // panel headers, names and bars
  const labels = []; // value labels: drawn last, over the reference line, with a white halo
  for (const panel of panels) {
    y += 8;
    body.push(`<rect x="${left}" y="${y}" width="${width - 2 * left}" height="22" fill="#f1f3f5"/>`, `<text x="${left + 6}" y="${y + 15}" font-size="13" font-weight="600">${xml(panel.title)}</text>`);
    y += 30;
    for (const group of panel.groups) {
      body.push(`<text x="${left}" y="${y + 11}" font-size="12" font-weight="600" fill="#222">${xml(group.label)}</text>`);
      y += rowH;
      for (const bar of group.bars) {
        const color = colors.get(bar.series) ?? '#888';
        body.push(`<text x="${plotLeft - 8}" y="${y + barH - 3}" font-size="12" text-anchor="end" fill="#333">${xml(bar.name)}</text>`);
        if (Number.isFinite(bar.value)) {
          const w = Math.max(1, x(bar.value) - plotLeft);
          body.push(`<rect x="${plotLeft}" y="${y}" width="${w.toFixed(1)}" height="${barH}" fill="${color}"><title>${xml(`${bar.name}: ${format(bar.value)}${bar.note ? `, ${bar.note}` : ''}`)}</title></rect>`);
          const lx = plotLeft + w + 6;
          const chars = format(bar.value).length + (bar.note ? bar.note.length + 2 : 0);
          labels.push(
            `<rect x="${(lx - 2).toFixed(1)}" y="${y}" width="${(chars * 6.7 + 4).toFixed(0)}" height="${barH}" fill="#ffffff" opacity="0.9"/>`,
            `<text x="${lx.toFixed(1)}" y="${y + barH - 3}" font-size="12" fill="#111">${xml(format(bar.value))}${bar.note ? `<tspan dx="8" fill="#666">${xml(bar.note)}</tspan>` : ''}</text>`,
          );
        } else {
          labels.push(`<text x="${plotLeft + 6}" y="${y + barH - 3}" font-size="12" fill="#a00">not measured</text>`);
        }
        y += rowH;
      }
      y += 6;
    }
  }
  const plotBottom = y;
  // Grid behind the bars, reference line in front of them.
  const grid = ticks.map((t) => `<line x1="${x(t)}" y1="${plotTop}" x2="${x(t)}" y2="${plotBottom}" stroke="#e3e6ea" stroke-width="1"/>`);
  const ref = [
    `<line x1="${x(reference)}" y1="${plotTop - 4}" x2="${x(reference)}" y2="${plotBottom}" stroke="#c0392b" stroke-width="1.5" stroke-dasharray="5 3"/>`,
    `<text x="${x(reference) + 4}" y="${plotBottom + 14}" font-size="11" fill="#c0392b">${xml(referenceLabel)}</text>`,
  ];
  y = plotBottom + 20;
  const bottomAxis = axis(y + 12);
  const height = y + 26;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family='${FONT}' role="img" aria-label="${xml(title)}">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    ...grid,
    ...out,
    ...body,
    ...ref,
    ...labels,
    bottomAxis,
    '</svg>',
    '',
  ].join('\n');
}
