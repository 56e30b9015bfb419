// The desktop simulator's PCM tap (C: drivers/native/desktop/sendspin_pcm_tap.c): with SENDSPIN_PCM_TAP=<file>
// in mcsim's environment, the audio sink appends every frame it hands to its output (the sound device, or the
// clock when there is none) to that file, raw, so a check outside the process sees what came out
// (test/native/moddable-stream.ts, docs/moddable-checks.md). Not on the device.

const enabled: () => boolean = native("xs_sendspin_pcm_tap_enabled");
const write: (pcm: Uint8Array) => void = native("xs_sendspin_pcm_tap_write");

/** The tap when the environment asks for one, else undefined. */
export function pcmTap(): ((pcm: Uint8Array) => void) | undefined {
  return enabled() ? write : undefined;
}
