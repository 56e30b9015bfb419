/*
 * Host functions for drivers/native.ts on ESP32.
 *
 * esp_fill_random() draws from the hardware RNG. ESP-IDF documents its output as truly random while
 * the RF subsystem (Wi-Fi/Bluetooth) runs; main.ts therefore starts the speaker (which creates the
 * identity key and PSKs on first boot) only once Wi-Fi is up.
 */

#include "xsmc.h"
#include "xsHost.h"
#include "esp_random.h"
#include "esp_timer.h"
#include "sdkconfig.h"

void xs_sendspin_fill_random(xsMachine *the)
{
	void *data;
	xsUnsignedValue length;
	xsmcGetBufferWritable(xsArg(0), &data, &length);
	esp_fill_random(data, length);	// no XS allocation in between: the pointer stays valid
}

void xs_sendspin_monotonic_us(xsMachine *the)
{
	xsmcSetNumber(xsResult, (xsNumberValue)esp_timer_get_time());
}

/* The chip this firmware was built for, as ESP-IDF's build names it ("esp32", "esp32c3", "esp32s3", ...): Moddable
   passes no platform name to JavaScript, and the target of the sdkconfig is what the binary can run on. */
void xs_sendspin_chip(xsMachine *the)
{
	xsmcSetString(xsResult, CONFIG_IDF_TARGET);
}
