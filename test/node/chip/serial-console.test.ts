// The console readers of test/support/serial-console.ts: what a speaker printed comes out as the same lines
// whether it came as plain text or as xsbug frames on a serial port, and however the bytes were cut.

import { test } from "node:test";
import assert from "node:assert/strict";
import { PlainLines, SerialConsole, decodeXml, type LineDecoder } from "../../support/serial-console.js";

/** Every line `text` gives when fed to a fresh decoder in pieces of `size` characters. */
function feed(make: () => LineDecoder, text: string, size: number): string[] {
  const d = make();
  const out: string[] = [];
  for (let i = 0; i < text.length; i += size) out.push(...d.push(text.slice(i, i + size)));
  out.push(...d.end());
  return out;
}

const XS = "\r\n<?xs.3FC8A1B0?>\r\n";

test("plain lines: CR, colour codes and empty lines dropped; the last line without a newline kept", () => {
  const text = "\x1b[0;32mI (44) heap_init: At 3FC8DCE0 len 00032320 (200 KiB): RAM\x1b[0m\r\n\r\n<info>ready: client_id abc\nlast";
  for (const size of [1, 3, 1000]) assert.deepEqual(feed(() => new PlainLines(), text, size), ["I (44) heap_init: At 3FC8DCE0 len 00032320 (200 KiB): RAM", "<info>ready: client_id abc", "last"]);
});

test("xsbug frames on a serial port: escaped log text, raw C printf text, a trace cut over two frames, a break, the login; plain ESP-IDF lines around them", () => {
  const text =
    "ESP-ROM:esp32c3-api1-20210207\r\n" +
    "\x1b[0;32mI (44) heap_init: At 3FC8DCE0 len 00032320 (200 KiB): RAM\x1b[0m\r\n" +
    `${XS}<xsbug><login name="main" value="XS 17.9.1 32-bit LE 16-bit ID" flags="e"/></xsbug>\r\n` +
    `${XS}<xsbug><log>&lt;info&gt;storage: blank flash: formatted 8 record slots&#10;</log></xsbug>\r\n` +
    `${XS}<xsbug><log>&lt;info&gt;ready: client_id x, pairing token SP:0abc &amp; more, </log></xsbug>\r\n` +
    `${XS}<xsbug><log>static PIN off, protocol auto&#10;</log></xsbug>\r\n` +
    `${XS}<xsbug><log>heap free: 120360 < 200000\n&#10;</log></xsbug>\r\n` +
    "I (1695) esp_netif_handlers: eth ip: 10.0.2.15\r\n" +
    `${XS}<xsbug><break path="main.js" line="12">Error: sha256 failed</break></xsbug>\r\n` +
    `${XS}<xsbug><log>&lt;warn&gt;player: audio chunk rejected (late); further ones are only counted&#10;&lt;info&gt;out-channel: PIN 123456&#10;</log></xsbug>\r\n`;
  const want = [
    "ESP-ROM:esp32c3-api1-20210207",
    "I (44) heap_init: At 3FC8DCE0 len 00032320 (200 KiB): RAM",
    "<info>storage: blank flash: formatted 8 record slots",
    "<info>ready: client_id x, pairing token SP:0abc & more, static PIN off, protocol auto",
    "heap free: 120360 < 200000",
    "I (1695) esp_netif_handlers: eth ip: 10.0.2.15",
    'xsbug break: Error: sha256 failed',
    "<warn>player: audio chunk rejected (late); further ones are only counted",
    "<info>out-channel: PIN 123456",
  ];
  for (const size of [1, 2, 7, 64, 100_000]) assert.deepEqual(feed(() => new SerialConsole(), text, size), want, `pieces of ${size}`);
  // The same console as plain text reads the same through SerialConsole.
  const plain = "<info>storage: blank flash: formatted 8 record slots\r\n<info>ready: client_id x\r\n";
  assert.deepEqual(feed(() => new SerialConsole(), plain, 5), ["<info>storage: blank flash: formatted 8 record slots", "<info>ready: client_id x"]);
});

test("an <xsbug> that never closes is shown as text once it is too long to be a frame", () => {
  const text = "<xsbug>" + "x".repeat(70_000) + "\nnext line\n";
  const lines = feed(() => new SerialConsole(), text, 4096);
  assert.equal(lines.length, 2);
  assert.ok(lines[0].startsWith("<xsbug>xxx"));
  assert.equal(lines[1], "next line");
});

test("XML references", () => {
  assert.equal(decodeXml("&lt;a&gt; &amp;amp; &quot;&apos; &#10;&#x41;&#128512; & &bogus;"), "<a> &amp; \"' \nA😀 & &bogus;");
});
