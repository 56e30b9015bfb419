/*
 * XS platform header for the bare-metal rv32imc chip runner (test/chip): picolibc, one thread, no file
 * system for modules, no debugger. Selected with -DINCLUDE_XSPLATFORM -DXSPLATFORM="chip_xs.h".
 * It only says what this host is; the functions it promises live in chip-main.c.
 */
#ifndef __CHIP_XS__
#define __CHIP_XS__

#undef mxLittleEndian
#define mxLittleEndian 1

#define mxExport extern
#define mxImport extern
#define XS_FUNCTION_NORETURN __attribute__((noreturn))

#include <ctype.h>
#include <float.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/time.h>

/* One machine, one thread: the promise-job flag is all the platform state XS needs here. */
#define mxMachinePlatform \
	int promiseJobs;

/* XS's own defaults: keys, chunk and slot allocation through malloc, script parsing, shared chunks. */
#define mxUseDefaultBuildKeys 1
#define mxUseDefaultChunkAllocation 1
#define mxUseDefaultSlotAllocation 1
#define mxUseDefaultParseScript 1
#define mxUseDefaultSharedChunks 1

#endif /* __CHIP_XS__ */
