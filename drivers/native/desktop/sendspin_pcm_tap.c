/*
 * The simulator's PCM tap (drivers/pcm-tap.ts): when the environment variable SENDSPIN_PCM_TAP names a file,
 * every frame the audio sink hands to its output is appended there, raw, as it is handed over. It lets a
 * check outside the process compare what came out with what the server sent, sample by sample, also when
 * the sink plays by the clock alone (no sound device). Desktop simulator only; unset: nothing is written.
 */

#include "xsmc.h"
#include "xsHost.h"
#include <stdio.h>
#include <stdlib.h>

static FILE *gTap = NULL;
static int gTapOpened = 0;

void xs_sendspin_pcm_tap_enabled(xsMachine *the)
{
	if (!gTapOpened) {
		const char *path = getenv("SENDSPIN_PCM_TAP");
		gTapOpened = 1;
		if (path && *path)
			gTap = fopen(path, "wb");
	}
	xsmcSetBoolean(xsResult, gTap != NULL);
}

void xs_sendspin_pcm_tap_write(xsMachine *the)
{
	void *data;
	xsUnsignedValue length;
	if (!gTap)
		return;
	xsmcGetBufferReadable(xsArg(0), &data, &length);
	if (fwrite(data, 1, length, gTap) != length || fflush(gTap) != 0) {
		fclose(gTap);
		gTap = NULL;
		xsUnknownError("pcm tap: write failed");
	}
}
