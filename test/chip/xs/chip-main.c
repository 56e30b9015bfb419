/*
 * The chip runner: XS on bare-metal rv32imc (QEMU virt, picolibc, semihosting for files, output and exit).
 * It evaluates one bundled script, `chip-workload.js`, read from the host's current directory, with
 * three host functions:
 *   print(...values)  a line on standard output
 *   chipMark()        executes the marker instruction that the instruction-counting plugin snapshots
 *   gc()              a full garbage collection
 * and runs promise jobs until none is left. Exit status: 0 when the script completed, 1 otherwise.
 */
#include "xsAll.h"
#include "xs.h"

/* The marker: `slti x0, x0, 0x5a5`, a HINT (rd = x0) that no compiler emits; the plugin recognises it. */
static void chipMarkInstruction(void)
{
	__asm__ volatile (".insn i 0x13, 2, x0, x0, 0x5a5" ::: "memory");
}

void fxCreateMachinePlatform(txMachine* the)
{
	the->promiseJobs = 0;
}

void fxDeleteMachinePlatform(txMachine* the)
{
}

void fxQueuePromiseJobs(txMachine* the)
{
	the->promiseJobs = 1;
}

/* Everything is in the one bundled script: there are no modules to find or load. */
txID fxFindModule(txMachine* the, txSlot* realm, txID moduleID, txSlot* slot)
{
	return XS_NO_ID;
}

void fxLoadModule(txMachine* the, txSlot* module, txID moduleID)
{
}

void fxAbort(txMachine* the, int status)
{
	const char* why = "abort";
	switch (status) {
	case XS_STACK_OVERFLOW_EXIT: why = "stack overflow"; break;
	case XS_NOT_ENOUGH_MEMORY_EXIT: why = "memory full"; break;
	case XS_NO_MORE_KEYS_EXIT: why = "not enough keys"; break;
	case XS_UNHANDLED_EXCEPTION_EXIT: why = "unhandled exception"; break;
	case XS_UNHANDLED_REJECTION_EXIT: why = "unhandled rejection"; break;
	default: break;
	}
	printf("# chip-abort %s\n", why);
	fflush(stdout);
	exit(1);
}

static void xs_print(xsMachine* the)
{
	xsIntegerValue c = xsToInteger(xsArgc), i;
	for (i = 0; i < c; i++) {
		if (i) fputc(' ', stdout);
		fputs(xsToString(xsArg(i)), stdout);
	}
	fputc('\n', stdout);
	fflush(stdout);
}

static void xs_mark(xsMachine* the)
{
	chipMarkInstruction();
}

static void xs_gc(xsMachine* the)
{
	xsCollectGarbage();
}

static char* readScript(const char* path)
{
	FILE* f = fopen(path, "rb");
	long size;
	char* buffer;
	if (!f) return NULL;
	fseek(f, 0, SEEK_END);
	size = ftell(f);
	fseek(f, 0, SEEK_SET);
	buffer = malloc(size + 1);
	if (!buffer || fread(buffer, 1, size, f) != (size_t)size) {
		fclose(f);
		return NULL;
	}
	buffer[size] = 0;
	fclose(f);
	return buffer;
}

int main(int argc, char* argv[])
{
	/* Sizes: small increments, so the collector runs about as often as on a device (the code itself,
	   parsed here at run time, lives in the heap too; on a device it stays in flash). */
	xsCreation creation = {
		1024 * 1024,	/* initialChunkSize */
		128 * 1024,	/* incrementalChunkSize */
		32 * 1024,	/* initialHeapCount */
		8 * 1024,	/* incrementalHeapCount */
		4096,		/* stackCount */
		8 * 1024,	/* initialKeyCount */
		1024,		/* incrementalKeyCount */
		1993,		/* nameModulo */
		127,		/* symbolModulo */
		256 * 1024,	/* parserBufferSize */
		1993,		/* parserTableModulo */
		0,		/* staticSize */
	};
	int status = 0;
	char* script = readScript("chip-workload.js");
	xsMachine* machine;
	if (!script) {
		printf("# chip-abort cannot read chip-workload.js\n");
		return 1;
	}
	machine = xsCreateMachine(&creation, "chip", NULL);
	xsBeginHost(machine);
	{
		xsVars(1);
		xsResult = xsNewHostFunction(xs_print, 0);
		xsDefine(xsGlobal, xsID("print"), xsResult, xsDontEnum);
		xsResult = xsNewHostFunction(xs_mark, 0);
		xsDefine(xsGlobal, xsID("chipMark"), xsResult, xsDontEnum);
		xsResult = xsNewHostFunction(xs_gc, 0);
		xsDefine(xsGlobal, xsID("gc"), xsResult, xsDontEnum);
		xsTry {
			xsVar(0) = xsString(script);
			free(script);
			script = NULL;
			xsCall1(xsGlobal, xsID("eval"), xsVar(0));
			xsVar(0) = xsUndefined;
		}
		xsCatch {
			printf("# chip-exception %s\n", xsToString(xsException));
			status = 1;
		}
	}
	xsEndHost(machine);
	while (!status && machine->promiseJobs) {
		machine->promiseJobs = 0;
		xsBeginHost(machine);
		{
			xsTry {
				fxRunPromiseJobs(machine);
			}
			xsCatch {
				printf("# chip-exception %s\n", xsToString(xsException));
				status = 1;
			}
		}
		xsEndHost(machine);
	}
	xsDeleteMachine(machine);
	fflush(stdout);
	return status;
}
