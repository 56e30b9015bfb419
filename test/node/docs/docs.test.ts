// The README and docs/ say what a reader can run; this test holds them to the code as it stands, so that a
// renamed script, flag, option or file breaks the build instead of the reader's first try. Everything is
// derived from the code at the time the test runs (package.json's scripts, the simulator's parser in
// sim/args.ts, manifest.json's config, the repository's file list), never from a list kept here:
//
// - every command in a shell code block or a code span of a Markdown file (`npm …`, `node …`, `mcconfig …`)
//   names an npm script that exists, a script file whose source exists, flags that script accepts (the
//   simulator's through its own parser, any other script's as a string literal in its source, alone or
//   followed by `=`), `--config`
//   options the simulator knows, and `mcconfig` key=value options that are keys of manifest.json's config;
// - the README's options table (header `option`) lists exactly the keys of manifest.json's config, and its
//   simulator flag table (header `flag`) holds exactly the flags sim/args.ts accepts;
// - every repository path named in a code span, a shell code block or a relative link exists (a module
//   specifier without extension, a glob or a `<placeholder>` must match at least one file);
// - the README stays within 15 KB, and every file of docs/ opens with a title and a paragraph saying what
//   it covers;
// - no file of the repository holds a path of a development machine.

import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, normalize } from "node:path";
import { parseArgs, UsageError } from "../../../sim/args.js";
import { OPTION_NAMES } from "../../../sim/args.js";
import { projectRoot } from "../../xs/engine.js";

const README_MAX_BYTES = 15_000;

// ------------------------------------------------------------------ the repository's files

/** The repository's own files (tracked, or new and not ignored), relative, with "/" separators. */
function repoFiles(): string[] {
  try {
    const out = execFileSync("git", ["ls-files", "--cached", "--others", "--exclude-standard", "-z"], { cwd: projectRoot, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
    return out.split("\0").filter((f) => f.length > 0 && existsSync(join(projectRoot, f)));
  } catch {
    // No git (a source archive): walk the tree, leaving out what the build and npm make.
    const skip = new Set([".git", "node_modules", "build"]);
    const files: string[] = [];
    const walk = (dir: string, prefix: string) => {
      for (const name of readdirSync(dir).sort()) {
        if (skip.has(name)) continue;
        const p = join(dir, name);
        if (statSync(p).isDirectory()) walk(p, `${prefix}${name}/`);
        else files.push(`${prefix}${name}`);
      }
    };
    walk(projectRoot, "");
    return files;
  }
}

const files = repoFiles();
const fileSet = new Set(files);
const topLevel = new Set(files.map((f) => f.split("/")[0]));
const markdown = files.filter((f) => f.endsWith(".md"));
const read = (f: string) => readFileSync(join(projectRoot, f), "utf8");

/** A path of the repository named in the docs exists: a file, a folder, a module specifier (a file with that name plus an extension), or, for a glob or placeholder, something under its fixed prefix. */
function pathExists(p: string): boolean {
  const cut = p.search(/[*<[]|\.\.\.|…/);
  if (cut >= 0) return files.some((f) => f.startsWith(p.slice(0, cut)));
  const clean = p.replace(/\/+$/, "");
  return fileSet.has(clean) || files.some((f) => f.startsWith(clean + "/") || f.startsWith(clean + "."));
}

/** `a/{b,c}/d` → `a/b/d`, `a/c/d`. */
function expandBraces(p: string): string[] {
  const m = /\{([^{}]*)\}/.exec(p);
  if (!m) return [p];
  return m[1].split(",").flatMap((alt) => expandBraces(p.slice(0, m.index) + alt + p.slice(m.index + m[0].length)));
}

/** A token names a path of this repository when its first segment is a top-level entry of the repository. */
function repoPathOf(token: string): string | undefined {
  let t = token.replace(/^[("'`]+/, "").replace(/[)"'`,;:.]+$/, "").replace(/:\d+$/, "");
  if (t.startsWith("./")) t = t.slice(2);
  if (t.includes("://") || t.startsWith("$") || t.startsWith("/")) return undefined;
  const first = t.split("/")[0];
  if (!topLevel.has(first) || (!t.includes("/") && !fileSet.has(t))) return undefined;
  return t;
}

// ------------------------------------------------------------------ Markdown: code and commands

interface Snippet {
  file: string;
  text: string;
  shell: boolean; // a line of a shell code block (a command), rather than a code span
}

const SHELL_FENCES = new Set(["", "sh", "bash", "shell", "console"]);

function snippets(file: string): Snippet[] {
  const out: Snippet[] = [];
  const prose: string[] = [];
  let fence: string | undefined;
  let pending = "";
  for (const line of read(file).split("\n")) {
    const f = /^\s*```+\s*(\S*)/.exec(line);
    if (f) {
      fence = fence === undefined ? f[1].toLowerCase() : undefined;
      prose.push("");
      continue;
    }
    if (fence === undefined) {
      prose.push(line);
      continue;
    }
    if (!SHELL_FENCES.has(fence)) continue;
    const joined = pending + line;
    if (joined.endsWith("\\")) {
      pending = joined.slice(0, -1) + " ";
      continue;
    }
    pending = "";
    out.push({ file, text: stripComment(joined), shell: true });
  }
  // Code spans may wrap over a line break; they never cross a blank line.
  for (const m of prose.join("\n").matchAll(/`([^`]+)`/g)) {
    if (!m[1].includes("\n\n")) out.push({ file, text: m[1].replace(/\n/g, " "), shell: false });
  }
  return out;
}

/** A shell line without its trailing `# comment` (a # outside quotes, after a space). */
function stripComment(line: string): string {
  let quote = "";
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quote) {
      if (c === quote) quote = "";
    } else if (c === '"' || c === "'") quote = c;
    else if (c === "#" && (i === 0 || /\s/.test(line[i - 1]))) return line.slice(0, i);
  }
  return line;
}

/** Shell words of a line, split into simple commands at && || ; | ( ). Quotes are removed. */
function commands(line: string): string[][] {
  const cmds: string[][] = [[]];
  let word: string | undefined;
  let quote = "";
  const end = () => {
    if (word !== undefined) cmds[cmds.length - 1].push(word);
    word = undefined;
  };
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quote) {
      if (c === quote) quote = "";
      else word += c;
    } else if (c === '"' || c === "'") {
      quote = c;
      word ??= "";
    } else if (/\s/.test(c)) end();
    else if ("&|;()".includes(c)) {
      end();
      if (cmds[cmds.length - 1].length > 0) cmds.push([]);
    } else word = (word ?? "") + c;
  }
  end();
  return cmds.filter((c) => c.length > 0);
}

// ------------------------------------------------------------------ what the code accepts

const pkg = JSON.parse(read("package.json")) as { scripts: Record<string, string> };
const manifestConfig = Object.keys((JSON.parse(read("manifest.json")) as { config: Record<string, unknown> }).config);

/** How the simulator's parser reports an unknown flag, learnt from a flag that cannot exist. */
const BOGUS_FLAG = "--no-such-flag-of-the-docs-test";
function unknownFlagMessage(flag: string): string | undefined {
  try {
    parseArgs([BOGUS_FLAG]);
  } catch (e) {
    if (e instanceof UsageError) return e.message.split(BOGUS_FLAG).join(flag);
  }
  return undefined;
}

/** The simulator accepts this flag (it may still want a value): its parser does not report it as unknown. */
function simAccepts(flag: string): boolean {
  try {
    parseArgs([flag]);
    return true;
  } catch (e) {
    return !(e instanceof UsageError && e.message === unknownFlagMessage(flag));
  }
}

/** Every flag sim/args.ts accepts: its string literals that look like flags and that the parser does not reject as unknown. */
function simFlags(): string[] {
  const src = read("sim/args.ts");
  const literals = new Set([...src.matchAll(/["'`](--[a-z][a-z0-9-]*)["'`]/g)].map((m) => m[1]));
  return [...literals].filter(simAccepts).sort();
}

/** The script file a command runs, as a source path of the repository (build/x.js → x.ts). */
function sourceOf(script: string): string {
  return script.startsWith("build/") ? script.slice("build/".length).replace(/\.js$/, ".ts") : script;
}

/** The node script an npm script ends up running (the last `node <file>` of its command). */
function npmScriptTarget(name: string): string | undefined {
  const all = [...(pkg.scripts[name] ?? "").matchAll(/\bnode\s+(\S+\.js)/g)];
  return all.length > 0 ? sourceOf(all[all.length - 1][1]) : undefined;
}

interface Problem {
  file: string;
  what: string;
}

/** Checks the arguments given to a script: flags must exist, `--config` options too (simulator). */
function checkScriptArgs(source: string, args: string[], file: string, problems: Problem[]): void {
  const isSim = source === "sim/main.ts";
  const text = existsSync(join(projectRoot, source)) ? read(source) : "";
  for (let i = 0; i < args.length; i++) {
    for (const word of args[i].replace(/^\[|\]$/g, "").split("|")) {
      if (!word.startsWith("--") || word === "--") continue;
      const flag = word.split("=")[0];
      const known = isSim ? simAccepts(flag) : new RegExp(`["'\`]${flag.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}(?![A-Za-z0-9-])`).test(text);
      if (!known) problems.push({ file, what: `${source} has no flag ${flag}` });
      if (isSim && flag === "--config") {
        const kv = word.includes("=") ? word.slice(word.indexOf("=") + 1) : (args[i + 1] ?? "");
        const key = kv.split("=")[0];
        if (key !== "key" && !key.startsWith("<") && !OPTION_NAMES.includes(key)) problems.push({ file, what: `the simulator has no option ${key} (--config ${kv})` });
      }
    }
  }
}

function checkCommand(words: string[], file: string, problems: Problem[]): void {
  let i = 0;
  while (i < words.length && /^[A-Z_][A-Z0-9_]*=/.test(words[i])) i++; // environment assignments
  const cmd = words[i];
  const rest = words.slice(i + 1);
  if (cmd === "npm") {
    let j = 0;
    while (j < rest.length && rest[j].startsWith("-")) j++;
    const sub = rest[j];
    let script: string | undefined;
    let after = rest.slice(j + 1);
    if (sub === "run" || sub === "run-script") {
      while (after.length > 0 && after[0].startsWith("-") && after[0] !== "--") after = after.slice(1);
      script = after[0];
      after = after.slice(1);
      if (script === undefined || script.startsWith("<")) return;
    } else if (sub === "start" || sub === "test") script = sub;
    else return; // npm ci, npm install, …: npm's own commands
    if (!(script in pkg.scripts)) {
      problems.push({ file, what: `package.json has no script "${script}" (${words.join(" ")})` });
      return;
    }
    const dash = after.indexOf("--");
    const target = npmScriptTarget(script);
    if (dash >= 0 && target) checkScriptArgs(target, after.slice(dash + 1), file, problems);
  } else if (cmd === "node") {
    const j = rest.findIndex((w) => !w.startsWith("-"));
    if (j < 0) return;
    const source = sourceOf(rest[j]);
    if (!fileSet.has(source)) problems.push({ file, what: `no source ${source} for "node ${rest[j]}"` });
    else checkScriptArgs(source, rest.slice(j + 1), file, problems);
  } else if (cmd === "mcconfig") {
    for (const w of rest) {
      const m = /^([A-Za-z_][\w.]*)=/.exec(w);
      if (m && !manifestConfig.includes(m[1])) problems.push({ file, what: `manifest.json's config has no option ${m[1]} (mcconfig … ${w})` });
    }
  }
}

// ------------------------------------------------------------------ Markdown tables

/** Rows (cells) of every table whose first header cell is `header`. */
function tableRows(file: string, header: string): string[][] {
  const rows: string[][] = [];
  let inTable = false;
  for (const line of read(file).split("\n")) {
    if (!line.startsWith("|")) {
      inTable = false;
      continue;
    }
    const cells = line.split("|").slice(1, -1).map((c) => c.trim());
    if (!inTable) {
      inTable = cells[0]?.toLowerCase() === header;
      continue;
    }
    if (/^:?-+:?$/.test(cells[0] ?? "")) continue;
    rows.push(cells);
  }
  return rows;
}

/** The names in backticks at the start of a cell: "`--port N`" → "--port". */
function firstCode(cell: string): string | undefined {
  const m = /^`([^`\s]+)/.exec(cell);
  return m ? m[1] : undefined;
}

// ------------------------------------------------------------------ the tests

function report(problems: Problem[]): string {
  return problems.map((p) => `${p.file}: ${p.what}`).join("\n");
}

test("the docs test sees the README, docs/ and the simulator's parser", () => {
  assert.ok(markdown.includes("README.md"), "README.md");
  assert.ok(markdown.some((f) => f.startsWith("docs/")), "docs/*.md");
  assert.ok(unknownFlagMessage(BOGUS_FLAG) !== undefined, "sim/args.ts parseArgs must refuse an unknown flag with a UsageError");
  assert.ok(!simAccepts(BOGUS_FLAG));
  assert.ok(simAccepts("--help"), "--help");
});

test("every command in the README and docs names scripts, flags, options and files that exist", () => {
  const problems: Problem[] = [];
  let checked = 0;
  for (const f of markdown) {
    for (const s of snippets(f)) {
      for (const words of commands(s.text)) {
        if (!s.shell && !["npm", "node", "mcconfig"].includes(words.find((w) => !/^[A-Z_][A-Z0-9_]*=/.test(w)) ?? "")) continue;
        checked++;
        checkCommand(words, f, problems);
      }
    }
  }
  assert.ok(checked > 20, `only ${checked} commands found: is the Markdown parsing broken?`);
  assert.equal(problems.length, 0, report(problems));
});

test("every repository path named in the README and docs exists", () => {
  const problems: Problem[] = [];
  for (const f of markdown) {
    for (const s of snippets(f)) {
      for (const token of s.text.split(/\s+/)) {
        const p = repoPathOf(token);
        if (p === undefined) continue;
        for (const q of expandBraces(p)) if (!pathExists(q)) problems.push({ file: f, what: `no ${q} in the repository` });
      }
    }
    // Relative links: [text](target), from the Markdown file's folder.
    for (const m of read(f).matchAll(/\]\(([^)\s]+)\)/g)) {
      const target = m[1].split("#")[0];
      if (target === "" || /^[a-z]+:/i.test(target)) continue;
      const p = normalize(join(dirname(f), decodeURIComponent(target))).split("\\").join("/");
      if (!pathExists(p)) problems.push({ file: f, what: `link to ${m[1]}: no ${p} in the repository` });
    }
  }
  assert.equal(problems.length, 0, report(problems));
});

test("the README's options table is manifest.json's config, key for key", () => {
  const keys = tableRows("README.md", "option").map((r) => firstCode(r[0])).filter((k): k is string => k !== undefined);
  assert.ok(keys.length > 0, "README.md has no table headed `option`");
  const unknown = keys.filter((k) => !manifestConfig.includes(k));
  const missing = manifestConfig.filter((k) => !keys.includes(k));
  assert.deepEqual({ unknown, missing }, { unknown: [], missing: [] }, "unknown: README options that manifest.json's config does not have; missing: config keys absent from the README's options table");
});

test("the README's simulator flag table holds exactly the flags sim/args.ts accepts", () => {
  const documented = tableRows("README.md", "flag").map((r) => firstCode(r[0])).filter((k): k is string => k !== undefined);
  assert.ok(documented.length > 0, "README.md has no table headed `flag`");
  const code = simFlags();
  assert.ok(code.length > 0, "no flag found in sim/args.ts");
  const unknown = documented.filter((f) => !simAccepts(f));
  const missing = code.filter((f) => !documented.includes(f));
  assert.deepEqual({ unknown, missing }, { unknown: [], missing: [] }, "unknown: flags in the README that the simulator refuses; missing: flags of sim/args.ts absent from the README's flag table");
});

test("the README is short and every file of docs/ says first what it covers", () => {
  const size = statSync(join(projectRoot, "README.md")).size;
  assert.ok(size <= README_MAX_BYTES, `README.md is ${size} bytes (at most ${README_MAX_BYTES}): move engineering detail to docs/`);
  for (const f of markdown.filter((m) => m.startsWith("docs/"))) {
    const blocks = read(f).split(/\n\s*\n/).map((b) => b.trim()).filter((b) => b.length > 0);
    assert.match(blocks[0] ?? "", /^# \S/, `${f} must start with a title`);
    assert.match(blocks[1] ?? "", /^[^#|`\-\d>]/, `${f}: a paragraph saying what the file covers must follow the title`);
  }
});

test("no file of the repository holds a path of a development machine", () => {
  // An absolute path under a home, scratch or workspace folder of some machine. A bare "/tmp/" (a default
  // folder a program falls back to at run time) is not one; "/tmp/<name>" is.
  const machinePath = /(?:^|[^\w.$)}\/~-])(\/(?:work|root|home|Users)\/[^\s"'`)]*|\/tmp\/[\w.-][^\s"'`)]*)/g;
  const problems: Problem[] = [];
  for (const f of files) {
    const bytes = readFileSync(join(projectRoot, f));
    if (bytes.subarray(0, 8192).includes(0)) continue; // binary
    const lines = bytes.toString("utf8").split("\n");
    lines.forEach((line, n) => {
      for (const m of line.matchAll(machinePath)) problems.push({ file: `${f}:${n + 1}`, what: m[1] });
    });
  }
  assert.equal(problems.length, 0, report(problems));
});
