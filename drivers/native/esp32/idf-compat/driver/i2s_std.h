/*
 * ESP-IDF's driver/i2s_std.h, plus the one name Moddable 8.2.3's stereo audio output needs and no ESP-IDF declares.
 *
 * modules/io/audioout/esp32/audioout-esp32.c (Moddable 8.2.3, line 311) sets a standard-mode slot mask to
 * I2S_SLOT_MODE_BOTH when audioOut.numChannels is 2. No ESP-IDF release declares that name (v5.0 to v6.0 have
 * I2S_STD_SLOT_BOTH, the value meaning "left and right slot"), so the stereo path does not compile. This folder is
 * an include folder of the project (manifest.json, platforms.esp32.modules): Moddable's make searches it before
 * ESP-IDF's, for the C files it compiles itself, so the SDK file gets the header it asks for with the name it
 * expects. ESP-IDF's own components are built by CMake and never see this file. docs/esp32.md: "I2S output".
 */
#include_next <driver/i2s_std.h>

#ifndef I2S_SLOT_MODE_BOTH
#define I2S_SLOT_MODE_BOTH I2S_STD_SLOT_BOTH
#endif
