import stringWidth from 'string-width';

/** Pads by display columns, not characters: titles like 仙剑奇侠传 take two columns a character. */
export const padEnd = (text: string, width: number): string =>
  text + ' '.repeat(Math.max(0, width - stringWidth(text)));

/** Shortens to `width` columns with an ellipsis, so one long file name cannot wrap every line. */
export function fit(text: string, width: number): string {
  if (stringWidth(text) <= width) return padEnd(text, width);
  let out = '';
  for (const char of text) {
    if (stringWidth(out + char) > width - 1) break;
    out += char;
  }
  return padEnd(`${out}…`, width);
}

/** A plain aligned text table: a header row, then one row per entry. */
export function renderTable(
  headers: readonly string[],
  rows: readonly (readonly (string | number)[])[],
): string {
  const cells = rows.map((row) => row.map(String));
  const widths = headers.map((h, i) =>
    Math.max(stringWidth(h), ...cells.map((row) => stringWidth(row[i] ?? ''))),
  );
  const line = (row: readonly string[]) =>
    row
      .map((cell, i) => (i === row.length - 1 ? cell : padEnd(cell, widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(headers), ...cells.map(line)].join('\n');
}
