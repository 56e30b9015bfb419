/*
 * The XS half of xs_sendspin_memory (drivers/memory.ts), shared by the ESP32 and desktop host functions: the
 * machine's own counters (xsAll.h), as xsbug's instrumentation panel shows them, in an array after the two system
 * heap figures the platform passes. Slots are counted at the last garbage collection; chunks as they are now.
 */
#ifndef SENDSPIN_MEMORY_H
#define SENDSPIN_MEMORY_H

static void sendspin_memory_figures(xsMachine *the, xsNumberValue heapFree, xsNumberValue heapMinimumFree)
{
	const xsNumberValue figures[8] = {
		heapFree, heapMinimumFree,
		(xsNumberValue)the->currentChunksSize, (xsNumberValue)the->maximumChunksSize, (xsNumberValue)the->peakChunksSize,
		(xsNumberValue)the->currentHeapCount, (xsNumberValue)the->maximumHeapCount, (xsNumberValue)the->peakHeapCount,
	};
	xsmcVars(1);
	xsmcSetNewArray(xsResult, 8);
	for (int i = 0; i < 8; i++) {
		xsmcSetNumber(xsVar(0), figures[i]);
		xsmcSetIndex(xsResult, i, xsVar(0));
	}
}

#endif
