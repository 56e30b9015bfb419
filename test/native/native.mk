# Builds, on the desktop, what proves the native crypto backend here (test/native/run.ts drives it):
#   $(OUT)/crypto-test      the C core's unit tests (Mbed TLS's PSA API from libmbedtls-dev; libsodium-dev as
#                           the independent implementation of the differential test)
#   $(OUT)/xs-native-host   the XS engine of @agoric/xsnap (the object files of its `xsnap` CLI's release build,
#                           with XS 17.9's TypedArray.prototype.set: see xsDataView below) with the XS binding of
#                           the core linked in; -rdynamic exports the host functions to dlsym
#
#   make -f test/native/native.mk XSNAP=<@agoric/xsnap folder> OUT=<build folder> [-j2]

ifndef XSNAP
$(error XSNAP (the @agoric/xsnap package folder) is required)
endif
ifndef OUT
$(error OUT (the build folder) is required)
endif
ifneq ($(VERBOSE),1)
MAKEFLAGS += --silent
endif

HERE := $(dir $(lastword $(MAKEFILE_LIST)))
ROOT := $(abspath $(HERE)/../..)
CORE_DIR := $(ROOT)/drivers/crypto
XS_DIR := $(XSNAP)/moddable/xs
PLATFORM_DIR := $(XSNAP)/xsnap-native/xsnap/sources
TMP := $(OUT)/obj

# The engine is the xsnap CLI's own release build (test/xs/engine.ts builds it first): the same object files
# (but xsDataView, below), linked here with our host instead of xsnap.c.
XSNAP_OBJ := $(XSNAP)/moddable/build/tmp/lin/release/xsnap
XS_OPTIONS = -fno-common -DINCLUDE_XSPLATFORM -DXSPLATFORM=\"xsnapPlatform.h\" -DmxLockdown=1 -DmxMetering=1 \
	-DmxParse=1 -DmxProfile=1 -DmxRun=1 -DmxSloppy=1 -DmxSnapshot=1 -DmxRegExpUnicodePropertyEscapes=1 \
	-DmxStringNormalize=1 -DmxMinusZero=1 -DmxBoundsCheck=1 -O3 \
	-I$(XS_DIR)/includes -I$(XS_DIR)/platforms -I$(XS_DIR)/sources -I$(PLATFORM_DIR)
# Our C: warnings on, the optimisation level Moddable uses for the ESP32 (-Os).
OUR_OPTIONS = -Os -Wall -Wextra -Wno-unused-parameter -I$(CORE_DIR)

XS_SOURCES = xsAll xsAPI xsArguments xsArray xsAtomics xsBigInt xsBoolean xsCode xsCommon xsDataView xsDate \
	xsDebug xsDefaults xsError xsFunction xsGenerator xsGlobal xsJSON xsLexical xsLockdown xsMapSet xsMarshall \
	xsMath xsMemory xsModule xsNumber xsObject xsPlatforms xsProfile xsPromise xsProperty xsProxy xsRegExp xsRun \
	xsScope xsScript xsSnapshot xsSourceMap xsString xsSymbol xsSyntaxical xsTree xsType xsdtoa xsre xsmc
XS_OBJECTS = $(addprefix $(XSNAP_OBJ)/,$(addsuffix .o,$(filter-out xsDataView,$(XS_SOURCES)) xsnapPlatform)) $(TMP)/xsDataView.o

all: $(OUT)/crypto-test $(OUT)/xs-native-host

$(XSNAP_OBJ)/%.o:
	@test -f $@ || (echo "native.mk: $@ is missing: build xsnap first (test/xs/engine.ts ensureXsnap)" >&2; exit 1)

# One engine change, so costs match the device's XS 17.9: TypedArray.prototype.set copies with memcpy when source
# and target have the same element type. XS 13.3 compares the two instances' dispatch slots instead of their
# dispatch tables, so a Uint8Array.set from another Uint8Array copies element by element (about 60 x86
# instructions per byte); XS 17.9 compares the tables (xsDataView.c, fx_TypedArray_prototype_set). Semantics
# are unchanged. The patched copy is made from the package's source at build time.
$(TMP)/xsDataView-set.c: $(XS_DIR)/sources/xsDataView.c | $(TMP)
	sed 's/^\t\tif (dispatch == sourceDispatch) {$$/\t\tif (dispatch->value.typedArray.dispatch == sourceDispatch->value.typedArray.dispatch) {/' $< > $@.tmp
	test "$$(grep -c 'if (dispatch->value.typedArray.dispatch == sourceDispatch->value.typedArray.dispatch) {' $@.tmp)" = 1
	mv $@.tmp $@
$(TMP)/xsDataView.o: $(TMP)/xsDataView-set.c
	$(CC) $< $(XS_OPTIONS) -c -o $@

$(TMP)/sendspin_crypto_psa.o: $(CORE_DIR)/sendspin_crypto_psa.c $(CORE_DIR)/sendspin_crypto.h | $(TMP)
	$(CC) $< $(OUR_OPTIONS) -c -o $@
$(TMP)/xs_sendspin_crypto.o: $(CORE_DIR)/xs_sendspin_crypto.c $(CORE_DIR)/sendspin_crypto.h | $(TMP)
	$(CC) $< $(XS_OPTIONS) $(OUR_OPTIONS) -c -o $@
$(TMP)/xs-native-host.o: $(HERE)/host/xs-native-host.c | $(TMP)
	$(CC) $< $(XS_OPTIONS) -Wall -c -o $@
$(TMP)/crypto-test.o: $(HERE)/crypto-test.c $(CORE_DIR)/sendspin_crypto.h | $(TMP)
	$(CC) $< $(OUR_OPTIONS) -c -o $@

$(OUT)/crypto-test: $(TMP)/crypto-test.o $(TMP)/sendspin_crypto_psa.o
	$(CC) $^ -lmbedcrypto -lsodium -o $@

$(OUT)/xs-native-host: $(XS_OBJECTS) $(TMP)/xs-native-host.o $(TMP)/xs_sendspin_crypto.o $(TMP)/sendspin_crypto_psa.o
	$(CC) -rdynamic $^ -lmbedcrypto -ldl -lm -lpthread -o $@

$(TMP):
	mkdir -p $@

.PHONY: all
