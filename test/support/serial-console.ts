// A speaker's console as log lines, whatever carries it: plain text (a release build's trace, ESP-IDF's own
// log with its colour codes, the desktop simulators) or, in a Moddable debug build on a serial port, xsbug's
// XML on the same wire: `<?xs.ID?>` processing instructions and `<xsbug><log>TEXT</log></xsbug>` frames whose
// TEXT is escaped (`&lt;`, `&#10;`...), or raw when C code printed it (Moddable's fx_putc). A trace split
// over several frames is joined back into its line.

export interface LineDecoder {
  /** Text as it arrives (any cut); returns the lines completed by it. */
  push(text: string): string[];
  /** The source ended: whatever is left, as lines. */
  end(): string[];
}

/** Plain text split at newlines (a trailing CR dropped, empty lines skipped). */
export class PlainLines implements LineDecoder {
  private pending = "";

  push(text: string): string[] {
    const out: string[] = [];
    this.pending = takeLines(this.pending + text, out);
    return out;
  }

  end(): string[] {
    const out: string[] = [];
    pushLine(out, this.pending);
    this.pending = "";
    return out;
  }
}

const FRAME_OPEN = "<xsbug>";
const FRAME_CLOSE = "</xsbug>";
/** A frame never closed within this much text is shown as it came (a console that only looked like XML). */
const MAX_FRAME_CHARS = 65_536;

export class SerialConsole implements LineDecoder {
  private pending = "";
  /** Log text of xsbug frames not yet ended by a newline. */
  private logText = "";

  push(text: string): string[] {
    this.pending += text;
    const out: string[] = [];
    for (;;) {
      this.pending = this.pending.replace(/<\?xs[^?]*\?>/g, "");
      const nl = this.pending.indexOf("\n");
      const open = this.pending.indexOf(FRAME_OPEN);
      if (open >= 0 && (nl < 0 || open < nl)) {
        const close = this.pending.indexOf(FRAME_CLOSE, open);
        if (close < 0) {
          if (this.pending.length - open <= MAX_FRAME_CHARS) break; // the rest of the frame is still on its way
          // Not a frame after all: its line as plain text, once the line is complete.
          if (nl < 0) break;
          pushLine(out, this.pending.slice(0, nl));
          this.pending = this.pending.slice(nl + 1);
          continue;
        }
        pushLine(out, this.pending.slice(0, open));
        this.frame(this.pending.slice(open + FRAME_OPEN.length, close), out);
        this.pending = this.pending.slice(close + FRAME_CLOSE.length);
        continue;
      }
      if (nl < 0) break;
      pushLine(out, this.pending.slice(0, nl));
      this.pending = this.pending.slice(nl + 1);
    }
    return out;
  }

  end(): string[] {
    const out: string[] = [];
    pushLine(out, this.logText);
    this.logText = "";
    for (const l of this.pending.split("\n")) pushLine(out, l);
    this.pending = "";
    return out;
  }

  private frame(body: string, out: string[]): void {
    for (const m of body.matchAll(/<log>([\s\S]*?)<\/log>|<break\b[^>]*>([\s\S]*?)<\/break>/g)) {
      if (m[2] !== undefined) {
        pushLine(out, `xsbug break: ${decodeXml(m[2])}`);
        continue;
      }
      this.logText = takeLines(this.logText + decodeXml(m[1]), out);
    }
  }
}

/** XML character references and the five named entities; anything else (a raw `&` from C code) stays. */
export function decodeXml(s: string): string {
  return s.replace(/&(lt|gt|amp|quot|apos|#[0-9]+|#x[0-9a-fA-F]+);/g, (all, e: string) => {
    if (e === "lt") return "<";
    if (e === "gt") return ">";
    if (e === "amp") return "&";
    if (e === "quot") return '"';
    if (e === "apos") return "'";
    const code = e[1] === "x" || e[1] === "X" ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
    return code >= 0 && code <= 0x10ffff ? String.fromCodePoint(code) : all;
  });
}

/** Pushes the complete lines of `text` to `out`; returns what follows the last newline. */
function takeLines(text: string, out: string[]): string {
  const nl = text.lastIndexOf("\n");
  if (nl < 0) return text;
  for (const l of text.slice(0, nl).split("\n")) pushLine(out, l);
  return text.slice(nl + 1);
}

/** A line without its CR and terminal colour codes; empty ones are dropped. */
function pushLine(out: string[], raw: string): void {
  // eslint-disable-next-line no-control-regex
  const line = raw.replace(/\x1b\[[0-9;]*[A-Za-z]/g, "").replace(/\r/g, "").trimEnd();
  if (line.length > 0) out.push(line);
}
