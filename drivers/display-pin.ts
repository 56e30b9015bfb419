// The display out-channel: the dynamic PIN drawn on the board's screen (the `screen` global Moddable's
// setup creates on boards with a display; also the desktop simulator's window) with Commodetto's Poco
// and a bundled bitmap font. Cleared to black when the attempt ends.

import Poco from "commodetto/Poco";
import parseBMF from "commodetto/parseBMF";
import Resource from "Resource";
import type { LogPort } from "../modules/platform.js";
import type { PinOutput } from "../modules/out-channel.js";

const FONT = "OpenSans-Semibold-28.bf4";

/** The PIN display when this board has a screen and the font is bundled; undefined otherwise. */
export function createScreenPin(log: LogPort): PinOutput | undefined {
  const screen = (globalThis as Record<string, unknown>).screen;
  if (typeof screen !== "object" || screen === null) return undefined;
  if (!Resource.exists(FONT)) {
    log.log("warn", `display: font ${FONT} is not bundled`);
    return undefined;
  }
  // The screen is whatever PixelsOut the board's setup made: typed by the constructor it is passed to.
  const render = new Poco(screen as ConstructorParameters<typeof Poco>[0]);
  const font = parseBMF(new Resource(FONT));
  const black = render.makeColor(0, 0, 0);
  const white = render.makeColor(255, 255, 255);
  const grey = render.makeColor(160, 160, 160);
  const clear = () => {
    render.begin();
    render.fillRectangle(black, 0, 0, render.width, render.height);
    render.end();
  };
  return {
    emit(pin: string): void {
      const label = "Pairing PIN";
      const text = pin.split("").join(" ");
      const y = (render.height - 2 * font.height) >> 1;
      render.begin();
      render.fillRectangle(black, 0, 0, render.width, render.height);
      render.drawText(label, font, grey, (render.width - render.getTextWidth(label, font)) >> 1, y);
      render.drawText(text, font, white, Math.max(0, (render.width - render.getTextWidth(text, font)) >> 1), y + font.height, render.width);
      render.end();
    },
    clear,
  };
}

/** The board's PIN displays: the screen when `outChannels` lists "display" (a warning when there is none). */
export function displayPin(o: { config: { outChannels: readonly string[] }; log: LogPort }): PinOutput[] {
  if (o.config.outChannels.indexOf("display") < 0) return [];
  const out = createScreenPin(o.log);
  if (!out) o.log.log("warn", "display: outChannels lists display but this board has no screen");
  return out ? [out] : [];
}
