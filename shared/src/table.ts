/** A left-aligned text table, two spaces between columns; the last column is not padded (long reasons stay short). */
export function textTable(rows: string[][], width: (cell: string) => number = (c) => c.length): string {
  const columns = Math.max(0, ...rows.map((r) => r.length));
  const widths = Array.from({ length: columns }, (_, i) => Math.max(0, ...rows.map((r) => width(r[i] ?? ""))));
  return rows
    .map((r) =>
      r
        .map((c, i) => (i === r.length - 1 ? c : c + " ".repeat(Math.max(0, (widths[i] ?? 0) - width(c)))))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}
