/*
 * Host functions of the chip app (test/chip/device): the instruction-count mark, a full garbage collection and the
 * platform's name (its clock and memory figures are the firmware's: drivers/native, drivers/memory). One file for
 * every platform the app builds for.
 *
 * xs_chip_mark: on RISC-V (the ESP32-C3 under QEMU) executes `slti x0, x0, 0x5a5`, a HINT (rd = x0: no effect)
 * that no compiler emits; test/chip/plugin/insn-count.c records the exact executed-instruction count when it runs.
 * Elsewhere (an Xtensa ESP32, x86 in Moddable's simulator) it does nothing.
 */

#include "xsmc.h"

#if defined(ESP32)
#include "sdkconfig.h"
#endif

void xs_chip_mark(xsMachine *the)
{
#if defined(__riscv)
	__asm__ volatile (".insn i 0x13, 2, x0, x0, 0x5a5" ::: "memory");
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
