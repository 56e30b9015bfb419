// Commodetto's Poco renderer and BMF font parser, the parts drivers/display-pin.ts uses (SDK:
// typings/commodetto/Poco.d.ts, parseBMF.d.ts; modules/commodetto). The screen is the `screen` global
// that Moddable's setup creates on boards with a display.
declare module "commodetto/Poco" {
  export type Font = {
    readonly byteLength: number;
    readonly height: number;
    readonly ascent: number;
  };
  export interface PocoPrototype {
    close(): void;
    begin(x?: number, y?: number, width?: number, height?: number): void;
    end(): void;
    makeColor(r: number, g: number, b: number): number;
    fillRectangle(color: number, x: number, y: number, width: number, height: number): void;
    drawText(text: string, font: Font, color: number, x: number, y: number, width?: number): void;
    getTextWidth(text: string, font: Font): number;
    readonly width: number;
    readonly height: number;
  }
  export interface PocoConstructor {
    new (pixelsOut: object, options?: { displayListLength?: number }): PocoPrototype;
  }
  const Poco: PocoConstructor;
  export default Poco;
}

declare module "commodetto/parseBMF" {
  import type { Font } from "commodetto/Poco";
  export default function (bmp: ByteBuffer): Font;
}
