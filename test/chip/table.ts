// The chip runners' output: a Markdown table (first column left-aligned, the others right-aligned) and integers
// with thousands separators.

export function fmtInt(n: number): string {
  return Math.round(n).toLocaleString("en-US");
}

export function render(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  const line = (r: string[]) => "| " + r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(" | ") + " |";
  return [line(rows[0]), "|" + widths.map((w, i) => (i === 0 ? "-".repeat(w + 2) : "-".repeat(w + 1) + ":")).join("|") + "|", ...rows.slice(1).map(line)].join("\n");
}
