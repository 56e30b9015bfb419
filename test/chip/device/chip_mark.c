/*
 * Host functions of the chip app (test/chip/device): the instruction-count mark, a monotonic microsecond clock,
 * a full garbage collection and the heap figures. One file for every platform the app builds for.
 *
 * xs_chip_mark: on RISC-V (the ESP32-C3 under QEMU) executes `slti x0, x0, 0x5a5`, a HINT (rd = x0: no effect)
 * that no compiler emits; test/chip/plugin/insn-count.c records the exact executed-instruction count when it runs.
 * Elsewhere (an Xtensa ESP32, x86 in Moddable's simulator) it does nothing.
 */

#include "xsAll.h"
#include "xsmc.h"

#if defined(ESP32)
#include "esp_timer.h"
#include "esp_system.h"
#include "sdkconfig.h"
#else
#include <time.h>
#endif

void xs_chip_mark(xsMachine *the)
{
#if defined(__riscv)
	__asm__ volatile (".insn i 0x13, 2, x0, x0, 0x5a5" ::: "memory");
#endif
}

void xs_chip_now_us(xsMachine *the)
{
#if defined(ESP32)
	xsmcSetNumber(xsResult, (xsNumberValue)esp_timer_get_time());
#else
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	xsmcSetNumber(xsResult, (xsNumberValue)ts.tv_sec * 1e6 + (xsNumberValue)ts.tv_nsec / 1e3);
#endif
}

void xs_chip_gc(xsMachine *the)
{
	xsCollectGarbage();
}

/* What the app runs on: ESP-IDF's target name ("esp32c3", ...) or "desktop". */
void xs_chip_platform(xsMachine *the)
{
#if defined(ESP32)
	xsmcSetString(xsResult, CONFIG_IDF_TARGET);
#else
	xsmcSetString(xsResult, "desktop");
#endif
}

/*
 * Fills `out` (an array) with: XS chunk heap used and size (bytes), XS slot heap used and size (bytes), the system
 * heap's free bytes now and its lowest free since boot (ESP-IDF; -1 on the desktop). XS fills a heap before it
 * collects, so "used" means something only after a collection (the app calls xs_chip_gc first).
 */
void xs_chip_memory(xsMachine *the)
{
	xsNumberValue values[6];
	int i;
	values[0] = the->currentChunksSize;
	values[1] = the->maximumChunksSize;
	values[2] = (xsNumberValue)the->currentHeapCount * sizeof(txSlot);
	values[3] = (xsNumberValue)the->maximumHeapCount * sizeof(txSlot);
#if defined(ESP32)
	values[4] = esp_get_free_heap_size();
	values[5] = esp_get_minimum_free_heap_size();
#else
	values[4] = -1;
	values[5] = -1;
#endif
	xsmcVars(1);
	for (i = 0; i < 6; i++) {
		xsmcSetNumber(xsVar(0), values[i]);
		xsmcSetIndex(xsArg(0), i, xsVar(0));
	}
}
