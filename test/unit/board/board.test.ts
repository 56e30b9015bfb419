import { assert, describe, test } from "../../harness.js";
import { PressDetector } from "../../../modules/board/press-detector.js";
import { BLINK_PATTERNS, BlinkIndicator } from "../../../modules/board/blink-indicator.js";
import { WifiKeeper, type WifiStation } from "../../../modules/board/wifi-keeper.js";
import type { ButtonPress, LogPort } from "../../../modules/platform.js";
import { ManualClock } from "../../support/clock.js";

const quiet: LogPort = { log() {} };

describe("press detector", () => {
  function setup() {
    const clock = new ManualClock(0);
    const presses: ButtonPress[] = [];
    const d = new PressDetector(clock, { debounceMs: 30, longPressMs: 2000 }, (p) => presses.push(p));
    return { clock, presses, d };
  }
  test("a clean short press", () => {
    const { clock, presses, d } = setup();
    d.level(true);
    clock.advanceMs(200);
    d.level(false);
    clock.advanceMs(50);
    assert.deepEqual(presses, ["short"]);
    assert.equal(clock.pendingTimers(), 0);
  });
  test("contact bounce on press and release counts once", () => {
    const { clock, presses, d } = setup();
    for (let i = 0; i < 5; i++) {
      d.level(true);
      clock.advanceMs(3);
      d.level(false);
      clock.advanceMs(2);
    }
    d.level(true);
    clock.advanceMs(300);
    for (let i = 0; i < 4; i++) {
      d.level(false);
      clock.advanceMs(4);
      d.level(true);
      clock.advanceMs(4);
    }
    d.level(false);
    clock.advanceMs(100);
    assert.deepEqual(presses, ["short"]);
  });
  test("a glitch shorter than the debounce time is ignored", () => {
    const { clock, presses, d } = setup();
    d.level(true);
    clock.advanceMs(10);
    d.level(false);
    clock.advanceMs(500);
    assert.deepEqual(presses, []);
  });
  test("a long press is reported when the time is reached, and the release adds nothing", () => {
    const { clock, presses, d } = setup();
    d.level(true);
    clock.advanceMs(2029);
    assert.deepEqual(presses, []);
    clock.advanceMs(2);
    assert.deepEqual(presses, ["long"]);
    clock.advanceMs(3000);
    d.level(false);
    clock.advanceMs(100);
    assert.deepEqual(presses, ["long"]);
    d.level(true);
    clock.advanceMs(100);
    d.level(false);
    clock.advanceMs(100);
    assert.deepEqual(presses, ["long", "short"]);
  });
});

describe("blink indicator", () => {
  test("each cue plays its pattern and ends with the LED off", () => {
    for (const cue of Object.keys(BLINK_PATTERNS) as (keyof typeof BLINK_PATTERNS)[]) {
      const clock = new ManualClock(0);
      const changes: [number, boolean][] = [];
      const ind = new BlinkIndicator(clock, (on) => changes.push([clock.nowUs() / 1000, on]));
      ind.cue(cue);
      clock.advanceMs(10_000);
      const pattern = BLINK_PATTERNS[cue];
      let t = 0;
      const expect: [number, boolean][] = [[0, false]];
      pattern.forEach((ms, i) => {
        expect.push([t, i % 2 === 0]);
        t += ms;
      });
      expect.push([t, false]);
      assert.deepEqual(changes, expect, cue);
      assert.equal(clock.pendingTimers(), 0);
    }
  });
  test("a new cue replaces the one playing", () => {
    const clock = new ManualClock(0);
    const states: boolean[] = [];
    const ind = new BlinkIndicator(clock, (on) => states.push(on));
    ind.cue("paired");
    clock.advanceMs(100);
    ind.cue("connected");
    clock.advanceMs(2000);
    assert.deepEqual(states, [false, true, true, false]);
    assert.equal(clock.pendingTimers(), 0);
  });
});

/** A station whose connection state the test sets, as the Wi-Fi driver would report it. */
class ScriptedStation implements WifiStation {
  connection = 200;
  address: string | undefined = undefined;
  connects = 0;
  disconnects = 0;
  onChanged: () => void = () => {};
  connect(): void {
    this.connects++;
    this.connection = 300;
  }
  disconnect(): void {
    this.disconnects++;
    this.connection = 200;
  }
  set(c: number, address?: string): void {
    this.connection = c;
    this.address = address;
    this.onChanged();
  }
}

describe("wifi keeper", () => {
  function setup() {
    const clock = new ManualClock(0);
    const k = new WifiKeeper(clock, quiet, { ssid: "net", password: "pw", retryMinMs: 1000, retryMaxMs: 8000, attemptTimeoutMs: 5000 });
    const s = new ScriptedStation();
    s.onChanged = () => k.changed();
    const events: string[] = [];
    k.onUp = (a) => events.push(`up ${a}`);
    k.onDown = () => events.push("down");
    return { clock, k, s, events };
  }
  test("connects once the address arrives", () => {
    const { k, s, events } = setup();
    k.start(s);
    assert.equal(s.connects, 1);
    s.set(400);
    s.set(500, "192.168.1.20");
    assert.deepEqual(events, ["up 192.168.1.20"]);
    assert.ok(k.isUp());
  });
  test("failed attempts back off 1, 2, 4, 8, 8 s", () => {
    const { clock, k, s } = setup();
    k.start(s);
    const at: number[] = [];
    for (let i = 0; i < 5; i++) {
      s.set(200); // rejected
      const before = s.connects;
      let waited = 0;
      while (s.connects === before) {
        clock.advanceMs(100);
        waited += 100;
      }
      at.push(waited);
    }
    assert.deepEqual(at, [1000, 2000, 4000, 8000, 8000]);
  });
  test("an attempt that never gets an address times out, disconnects and retries", () => {
    const { clock, k, s } = setup();
    k.start(s);
    s.set(400);
    clock.advanceMs(5000);
    assert.equal(s.disconnects, 1);
    clock.advanceMs(1000);
    assert.equal(s.connects, 2);
  });
  test("a lost connection is reported and retried; backoff restarts after success", () => {
    const { clock, k, s, events } = setup();
    k.start(s);
    s.set(200);
    clock.advanceMs(1000);
    s.set(200);
    clock.advanceMs(2000);
    s.set(500, "10.0.0.2");
    s.set(200);
    assert.deepEqual(events, ["up 10.0.0.2", "down"]);
    const before = s.connects;
    clock.advanceMs(1000);
    assert.equal(s.connects, before + 1, "first retry after the minimum again");
  });
});
