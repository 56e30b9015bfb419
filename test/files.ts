// Finding compiled test files under build/ (Node-only helper for the runners).

import { readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";

export function findFiles(dir: string, suffix: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (name.endsWith(suffix)) out.push(p);
    }
  };
  try {
    walk(dir);
  } catch {
    // directory absent: no files
  }
  return out;
}

export function rel(from: string, p: string): string {
  return relative(from, p).split("\\").join("/");
}
