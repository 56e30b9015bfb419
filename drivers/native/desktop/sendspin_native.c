/*
 * Host functions for drivers/native.ts in Moddable's desktop simulator (lin, mac, win).
 */

#include "xsAll.h"		/* the machine's heap counters (xs_sendspin_memory) */
#include "xsmc.h"
#include "xsHost.h"
#include "sendspin_memory.h"

#if defined(_WIN32)
	#include <windows.h>
	#include <bcrypt.h>
	#pragma comment(lib, "bcrypt.lib")
#elif defined(__APPLE__)
	#include <stdlib.h>
	#include <time.h>
#else
	#include <errno.h>
	#include <sys/random.h>
	#include <time.h>
#endif

void xs_sendspin_fill_random(xsMachine *the)
{
	void *data;
	xsUnsignedValue length;
	xsmcGetBufferWritable(xsArg(0), &data, &length);
#if defined(_WIN32)
	if (BCryptGenRandom(NULL, data, (ULONG)length, BCRYPT_USE_SYSTEM_PREFERRED_RNG) != 0)
		xsUnknownError("random: BCryptGenRandom failed");
#elif defined(__APPLE__)
	arc4random_buf(data, length);
#else
	unsigned char *p = data;
	while (length > 0) {
		ssize_t n = getrandom(p, length, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			xsUnknownError("random: getrandom failed");
		}
		p += n;
		length -= (xsUnsignedValue)n;
	}
#endif
}

void xs_sendspin_monotonic_us(xsMachine *the)
{
#if defined(_WIN32)
	LARGE_INTEGER frequency, counter;
	QueryPerformanceFrequency(&frequency);
	QueryPerformanceCounter(&counter);
	xsmcSetNumber(xsResult, (xsNumberValue)counter.QuadPart * 1000000.0 / (xsNumberValue)frequency.QuadPart);
#else
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	xsmcSetNumber(xsResult, (xsNumberValue)ts.tv_sec * 1000000.0 + (xsNumberValue)(ts.tv_nsec / 1000));
#endif
}

/* Memory figures for the log (drivers/memory.ts): no system heap on the desktop (-1), the XS heaps as on a device. */
void xs_sendspin_memory(xsMachine *the)
{
	sendspin_memory_figures(the, -1, -1);
}
