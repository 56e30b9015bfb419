/*
 * An XS host for tests and benchmarks with the project's native modules linked in: the XS engine of the
 * @agoric/xsnap package (XS 13.3, the same sources and flags as the `xsnap` CLI the other XS runs use) with
 * xsnap's platform layer (module loading, promise jobs), and a small set of globals:
 *
 *   print(...values)        one line on stdout
 *   gc()                    full garbage collection
 *   performance.now()       milliseconds
 *   native(name)            the host function `name` (a C symbol of this executable, found with dlsym)
 *   Native(destructor)      a base class whose instances are host objects with that destructor
 *   xsMemory()              the machine's own counters: {chunks, chunksPeak, slots, slotsPeak, slotBytes, keys}
 *   instructionMark(label)  under valgrind's callgrind: dump the instruction counts since the previous mark
 *
 * native()/Native() stand in for what xsc does on the device: there `native("xs_f")` compiles to a reference
 * to the host function xs_f, and `class X extends Native("xs_d")` makes X's instances host objects with the
 * destructor xs_d. XS 13.3 has no such syntax, so here they are globals resolving the same names at run time
 * (cached, so a repeated native("xs_f") returns the same function object and allocates nothing).
 *
 *   xs-native-host module.mjs
 */

#include "xsAll.h"
#include "xsnap.h"

#include <dlfcn.h>
#include <sys/time.h>
#if defined(__has_include) && __has_include(<valgrind/callgrind.h>)
#include <valgrind/callgrind.h>
#else
/* No valgrind headers: instruction marks are no-ops and the host never reports running under valgrind. */
#define CALLGRIND_DUMP_STATS_AT(label) ((void)(label))
#define RUNNING_ON_VALGRIND 0
#endif

/* xsmc.h's buffer accessor (xsmc.h itself redefines the xs* macros this file uses) */
extern xsIntegerValue _xsmcGetBuffer(xsMachine *the, xsSlot *slot, void **data, xsUnsignedValue *count, xsBooleanValue writable);

static void xs_print(xsMachine *the)
{
	xsIntegerValue c = xsToInteger(xsArgc), i;
	for (i = 0; i < c; i++) {
		xsArg(i) = xsCall1(xsGlobal, xsID("String"), xsArg(i));
		fprintf(stdout, i ? " %s" : "%s", xsToString(xsArg(i)));
	}
	fprintf(stdout, "\n");
	fflush(stdout);
}

static void xs_gc(xsMachine *the)
{
	xsCollectGarbage();
}

static void xs_performance_now(xsMachine *the)
{
	struct timeval tv;
	gettimeofday(&tv, NULL);
	xsResult = xsNumber((double)tv.tv_sec * 1000.0 + (double)tv.tv_usec / 1000.0);
}

static void *symbol(xsMachine *the, const char *kind)
{
	const char *name;
	void *address;
	if (xsToInteger(xsArgc) != 1 || xsTypeOf(xsArg(0)) != xsStringType)
		xsTypeError("%s: one string argument", kind);
	name = xsToString(xsArg(0));
	address = dlsym(RTLD_DEFAULT, name);
	if (!address)
		xsReferenceError("%s: no host symbol %s in this executable", kind, name);
	return address;
}

/* native(name): the cache is the property `name` of the native function itself. */
static void xs_native(xsMachine *the)
{
	xsCallback callback;
	xsIdentifier id;
	xsVars(1);
	if (xsToInteger(xsArgc) != 1 || xsTypeOf(xsArg(0)) != xsStringType)
		xsTypeError("native: one string argument");
	id = xsID(xsToString(xsArg(0)));
	if (xsHas(xsFunction, id)) {
		xsResult = xsGet(xsFunction, id);
		return;
	}
	callback = (xsCallback)symbol(the, "native");
	xsVar(0) = xsNewHostFunction(callback, 0);
	xsDefine(xsFunction, id, xsVar(0), xsDontEnum | xsDontDelete | xsDontSet);
	xsResult = xsVar(0);
}

/* The base constructor (super() of a class extending Native(...)): the instance is a host object made from
   new.target's prototype, so it carries the destructor (what XS 17's fxNative does). */
static void xs_native_constructor(xsMachine *the)
{
	if (xsTypeOf(xsTarget) == xsUndefinedType)
		xsTypeError("Native: call with new");
	xsResult = xsGet(xsTarget, xsID("prototype"));
	xsResult = xsNewHostInstance(xsResult);
}

/* Native(destructor): a constructor whose prototype is a host object; XS makes the instances of a derived
   class host objects with the same destructor (fxNewHostInstance). */
static void xs_Native(xsMachine *the)
{
	xsDestructor destructor;
	xsIdentifier id;
	xsVars(2);
	if (xsToInteger(xsArgc) != 1 || xsTypeOf(xsArg(0)) != xsStringType)
		xsTypeError("Native: one string argument");
	id = xsID(xsToString(xsArg(0)));
	if (xsHas(xsFunction, id)) {
		xsResult = xsGet(xsFunction, id);
		return;
	}
	destructor = (xsDestructor)symbol(the, "Native");
	xsVar(0) = xsNewHostObject(destructor);
	xsVar(1) = xsNewHostConstructor(xs_native_constructor, 0, xsVar(0));
	xsDefine(xsFunction, id, xsVar(1), xsDontEnum | xsDontDelete | xsDontSet);
	xsResult = xsVar(1);
}

/* The machine's own statistics, as Moddable's instrumentation reports them ("XS Chunk Heap Used",
   "XS Slot Heap Used"): live bytes in the chunk heap and live slots, with the peaks since creation.
   xsMemory() returns {chunks, chunksPeak, slots, slotsPeak, slotBytes, keys}; xsMemory(bytes), given a byte view
   of a Float64Array(5), writes [chunks, chunksPeak, slots, slotsPeak, keys] into it and allocates nothing, so
   two readings around a loop differ by exactly what the loop allocated. */
static void xs_memory(xsMachine *the)
{
	double values[5] = {
		(double)the->currentChunksSize, (double)the->peakChunksSize,
		(double)the->currentHeapCount, (double)the->peakHeapCount, (double)the->keyIndex,
	};
	static const char *names[5] = { "chunks", "chunksPeak", "slots", "slotsPeak", "keys" };
	int i;
	if (xsToInteger(xsArgc) > 0) {
		void *data;
		xsUnsignedValue length;
		_xsmcGetBuffer(the, &xsArg(0), &data, &length, 1);
		if (length < sizeof(values))
			xsRangeError("xsMemory: a byte view of a Float64Array(5) expected");
		c_memcpy(data, values, sizeof(values));
		xsResult = xsArg(0);
		return;
	}
	xsVars(1);
	xsResult = xsNewObject();
	for (i = 0; i < 5; i++) {
		xsVar(0) = xsNumber(values[i]);
		xsSet(xsResult, xsID((char *)names[i]), xsVar(0));
	}
	xsVar(0) = xsInteger((xsIntegerValue)sizeof(txSlot));
	xsSet(xsResult, xsID("slotBytes"), xsVar(0));
}

/* Under callgrind, each mark dumps the counts since the previous one as a profile part labelled `label`. */
static void xs_instruction_mark(xsMachine *the)
{
	char label[128];
	c_strncpy(label, xsToString(xsArg(0)), sizeof(label) - 1);
	label[sizeof(label) - 1] = 0;
	CALLGRIND_DUMP_STATS_AT(label);
}

static void xs_under_valgrind(xsMachine *the)
{
	xsResult = xsBoolean(RUNNING_ON_VALGRIND ? 1 : 0);
}

static void define_function(xsMachine *the, char *name, xsCallback callback, int length)
{
	xsVar(0) = xsNewHostFunction(callback, length);
	xsDefine(xsGlobal, xsID(name), xsVar(0), xsDontEnum);
}

int main(int argc, char *argv[])
{
	xsCreation creation = {
		32 * 1024 * 1024,	/* initialChunkSize */
		4 * 1024 * 1024,	/* incrementalChunkSize */
		256 * 1024,		/* initialHeapCount */
		128 * 1024,		/* incrementalHeapCount */
		4096,			/* stackCount */
		32000,			/* initialKeyCount */
		8000,			/* incrementalKeyCount */
		1993,			/* nameModulo */
		127,			/* symbolModulo */
		8192 * 1024,		/* parserBufferSize */
		1993,			/* parserTableModulo */
	};
	xsMachine *machine;
	char path[C_PATH_MAX];
	int status, failed = 0;
	if (argc != 2) {
		fprintf(stderr, "usage: xs-native-host module.mjs\n");
		return 2;
	}
	if (!c_realpath(argv[1], path)) {
		fprintf(stderr, "xs-native-host: %s not found\n", argv[1]);
		return 2;
	}
	xsInitializeSharedCluster();
	machine = xsCreateMachine(&creation, "xs-native-host", NULL);
	xsBeginHost(machine);
	{
		xsVars(2);
		define_function(the, "print", xs_print, 1);
		define_function(the, "gc", xs_gc, 0);
		define_function(the, "native", xs_native, 1);
		define_function(the, "Native", xs_Native, 1);
		define_function(the, "xsMemory", xs_memory, 0);
		define_function(the, "instructionMark", xs_instruction_mark, 1);
		define_function(the, "underValgrind", xs_under_valgrind, 0);
		xsVar(1) = xsNewObject();
		xsVar(0) = xsNewHostFunction(xs_performance_now, 0);
		xsDefine(xsVar(1), xsID("now"), xsVar(0), xsDontEnum);
		xsDefine(xsGlobal, xsID("performance"), xsVar(1), xsDontEnum);
		xsRunModuleFile(path);
		xsRunLoop(machine);
		/* xsnap's platform keeps a module's evaluation error here (fxRejectModuleFile): report it, fail. */
		if (mxException.kind != XS_UNDEFINED_KIND) {
			xsVar(0) = xsCall1(xsGlobal, xsID("String"), mxException);
			fprintf(stderr, "xs-native-host: uncaught exception: %s\n", xsToString(xsVar(0)));
			failed = 1;
		}
	}
	xsEndHost(machine);
	status = machine->abortStatus ? machine->abortStatus : failed;
	xsDeleteMachine(machine);
	xsTerminateSharedCluster();
	return status;
}
