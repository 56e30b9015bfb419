// The two host functions the firmware adds to Moddable (C in drivers/native/<platform>/): random bytes
// from the platform's CSPRNG, and a monotonic microsecond clock. Math.random is not a CSPRNG (on ESP32
// it yields 31 bits of esp_random() per call as a double; on the desktop it is libc rand()), and
// Moddable has no binding for esp_fill_random or getrandom.

/** Fill `bytes` from the CSPRNG: esp_fill_random() on ESP32, getrandom() on Linux. */
export const fillRandom: (bytes: Uint8Array) => void = native("xs_sendspin_fill_random");

/** Monotonic µs: esp_timer_get_time() on ESP32, CLOCK_MONOTONIC on the desktop. */
export const monotonicMicroseconds: () => number = native("xs_sendspin_monotonic_us");
