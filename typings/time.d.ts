// Moddable `time` (SDK: typings/time.d.ts; modules/base/time). `microseconds` is present only when
// modules/base/microseconds is in the build (esp32 here; it does not build on lin/win).
declare module "time" {
  var Time: {
    set: (seconds: number) => void;
    timezone: number;
    dst: number;
    /** Milliseconds; on ESP32 an int32 that wraps (use delta). */
    ticks: number;
    delta(start: number, end?: number): number;
    readonly microseconds?: number;
  };
  export { Time as default };
}
