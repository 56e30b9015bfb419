/*
 * Host functions for drivers/native.ts on ESP32.
 *
 * esp_fill_random() draws from the hardware RNG. ESP-IDF documents its output as truly random while
 * the RF subsystem (Wi-Fi/Bluetooth) runs; main.ts therefore starts the speaker (which creates the
 * identity key and PSKs on first boot) only once Wi-Fi is up.
 */

#include "xsAll.h"		/* the machine's heap counters (xs_sendspin_memory) */
#include "xsmc.h"
#include "xsHost.h"
#include "esp_heap_caps.h"
#include "esp_random.h"
#include "esp_timer.h"
#include "sdkconfig.h"
#include "sendspin_memory.h"

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

/* Memory figures for the log: [system heap free, its low-water mark, XS chunk bytes in use, chunk bytes allocated,
   peak chunk bytes, slots in use at the last collection, slots allocated, peak slots]. The system heap is what
   ESP-IDF's malloc can still give (8-bit capable RAM): Wi-Fi or Ethernet, lwIP, sockets, the audio buffer and the
   I2S DMA ring all come from it, so it is the figure a board runs out of. */
void xs_sendspin_memory(xsMachine *the)
{
	sendspin_memory_figures(the, (xsNumberValue)heap_caps_get_free_size(MALLOC_CAP_8BIT), (xsNumberValue)heap_caps_get_minimum_free_size(MALLOC_CAP_8BIT));
}
