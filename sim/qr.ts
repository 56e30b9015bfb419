// The pairing token as a QR code in the terminal: two module rows per text line with half-block
// characters, light modules drawn as blocks (for the usual dark terminal background), a quiet zone of
// two modules.

import encodeQR from "qr";

export function qrLines(text: string): string[] {
  const m = encodeQR(text, "raw", { ecc: "medium" });
  const size = m.length;
  const q = 2;
  const light = (r: number, c: number): boolean => r < 0 || c < 0 || r >= size || c >= size || !m[r][c];
  const lines: string[] = [];
  for (let r = -q; r < size + q; r += 2) {
    let line = "";
    for (let c = -q; c < size + q; c++) {
      const top = light(r, c), bottom = light(r + 1, c);
      line += top && bottom ? "\u2588" : top ? "\u2580" : bottom ? "\u2584" : " ";
    }
    lines.push(line);
  }
  return lines;
}
