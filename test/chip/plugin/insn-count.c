/*
 * Exact executed-instruction counter for the chip runners: a QEMU TCG plugin (plugin API version 1, the
 * one Debian 12's QEMU 7.2 implements; no Debian package ships qemu-plugin.h, so the few declarations
 * this plugin uses are written out below, with the signatures of that API version). Checked against QEMU
 * 8.1.3's include/qemu/qemu-plugin.h (the version of the ESP32-C3 emulator test/chip/device-run.ts uses, a
 * fork of Espressif's QEMU): QEMU_PLUGIN_VERSION is still 1, and qemu_info_t, the two enums and the nine
 * functions below are declared there exactly as here.
 *
 * Counting: every translation block adds its instruction count inline when it is entered. A block that
 * leaves early (a trap) would over-count its tail, which bare-metal code without interrupts does not do
 * except at semihosting calls (outside the measured sections). Under an RTOS (the ESP32-C3 app), TCG
 * takes interrupts between blocks, and what the handlers and any task switched to execute is counted
 * too: a count between two marks is everything the core executed in between.
 *
 * Marks: the guest executes `slti x0, x0, 0x5a5` (a HINT no compiler emits) where it wants a snapshot.
 * The plugin finds that encoding at translation time and, when it executes, records the exact count:
 * the block's inline add already covered the instructions after the marker, so they are subtracted.
 *
 * Output (plugin argument out=FILE): one line per mark, "mark N", then "total N" at exit.
 * Optional per-function breakdown (argument syms=FILE, lines "start size name" in hex, sorted by start):
 * each block's instructions are also added to the function holding its first instruction, and after
 * every "mark" line the functions that ran since the previous mark follow as "fn COUNT NAME", largest
 * first (at most 25).
 */
#include <stdlib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* ---- the QEMU plugin API, version 1 (QEMU 4.2 … 8.x) ---- */
typedef uint64_t qemu_plugin_id_t;
typedef struct {
	const char *target_name;
	struct { int min; int cur; } version;
	bool system_emulation;
	union { struct { int smp_vcpus; int max_vcpus; } system; };
} qemu_info_t;
struct qemu_plugin_tb;
struct qemu_plugin_insn;
enum qemu_plugin_cb_flags { QEMU_PLUGIN_CB_NO_REGS, QEMU_PLUGIN_CB_R_REGS, QEMU_PLUGIN_CB_RW_REGS };
enum qemu_plugin_op { QEMU_PLUGIN_INLINE_ADD_U64 };
typedef void (*qemu_plugin_vcpu_tb_trans_cb_t)(qemu_plugin_id_t id, struct qemu_plugin_tb *tb);
typedef void (*qemu_plugin_vcpu_udata_cb_t)(unsigned int vcpu_index, void *userdata);
typedef void (*qemu_plugin_udata_cb_t)(qemu_plugin_id_t id, void *userdata);
extern void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t id, qemu_plugin_vcpu_tb_trans_cb_t cb);
extern void qemu_plugin_register_vcpu_tb_exec_inline(struct qemu_plugin_tb *tb, enum qemu_plugin_op op, void *ptr, uint64_t imm);
extern void qemu_plugin_register_vcpu_insn_exec_cb(struct qemu_plugin_insn *insn, qemu_plugin_vcpu_udata_cb_t cb, enum qemu_plugin_cb_flags flags, void *userdata);
extern void qemu_plugin_register_atexit_cb(qemu_plugin_id_t id, qemu_plugin_udata_cb_t cb, void *userdata);
extern size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *tb);
extern struct qemu_plugin_insn *qemu_plugin_tb_get_insn(const struct qemu_plugin_tb *tb, size_t idx);
extern const void *qemu_plugin_insn_data(const struct qemu_plugin_insn *insn);
extern size_t qemu_plugin_insn_size(const struct qemu_plugin_insn *insn);
extern uint64_t qemu_plugin_tb_vaddr(const struct qemu_plugin_tb *tb);

__attribute__((visibility("default"))) int qemu_plugin_version = 1;

/* ---- the counter ---- */
static const uint32_t MARKER = (0x5a5u << 20) | (2u << 12) | 0x13u; /* slti x0, x0, 0x5a5 */

static uint64_t executed;
static FILE *out;

/* The per-function breakdown (syms=FILE). */
struct function { uint64_t start, end; char *name; uint64_t count, before; };
static struct function *functions;
static size_t function_count;
static struct function other = { 0, 0, "(outside any symbol)", 0, 0 };

static void load_symbols(const char *path)
{
	FILE *f = fopen(path, "r");
	char name[256];
	unsigned long long start, size;
	size_t cap = 0;
	if (!f) return;
	while (fscanf(f, "%llx %llx %255s", &start, &size, name) == 3) {
		if (function_count == cap) {
			cap = cap ? cap * 2 : 1024;
			functions = realloc(functions, cap * sizeof(*functions));
		}
		functions[function_count].start = start;
		functions[function_count].end = start + size;
		functions[function_count].name = strdup(name);
		functions[function_count].count = 0;
		functions[function_count].before = 0;
		function_count++;
	}
	fclose(f);
}

static struct function *function_at(uint64_t pc)
{
	size_t lo = 0, hi = function_count;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (functions[mid].start <= pc) lo = mid + 1;
		else hi = mid;
	}
	if (lo > 0 && pc < functions[lo - 1].end) return &functions[lo - 1];
	return &other;
}

static int by_delta(const void *a, const void *b)
{
	const struct function *x = *(struct function *const *)a, *y = *(struct function *const *)b;
	uint64_t dx = x->count - x->before, dy = y->count - y->before;
	return dx < dy ? 1 : dx > dy ? -1 : 0;
}

static void write_breakdown(void)
{
	struct function **ran = malloc((function_count + 1) * sizeof(*ran));
	size_t n = 0;
	for (size_t i = 0; i < function_count; i++)
		if (functions[i].count != functions[i].before) ran[n++] = &functions[i];
	if (other.count != other.before) ran[n++] = &other;
	qsort(ran, n, sizeof(*ran), by_delta);
	for (size_t i = 0; i < n && i < 25; i++)
		fprintf(out, "fn %llu %s\n", (unsigned long long)(ran[i]->count - ran[i]->before), ran[i]->name);
	for (size_t i = 0; i < function_count; i++) functions[i].before = functions[i].count;
	other.before = other.count;
	free(ran);
}

static void on_mark(unsigned int vcpu, void *tail)
{
	uint64_t at = executed - (uint64_t)(uintptr_t)tail;
	if (out) {
		fprintf(out, "mark %llu\n", (unsigned long long)at);
		/* Function counts are per block (the marker's block is counted whole): a breakdown, not the total. */
		if (function_count) write_breakdown();
		fflush(out);
	}
}

static void on_translate(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
	size_t n = qemu_plugin_tb_n_insns(tb);
	qemu_plugin_register_vcpu_tb_exec_inline(tb, QEMU_PLUGIN_INLINE_ADD_U64, &executed, n);
	if (function_count)
		qemu_plugin_register_vcpu_tb_exec_inline(tb, QEMU_PLUGIN_INLINE_ADD_U64, &function_at(qemu_plugin_tb_vaddr(tb))->count, n);
	for (size_t i = 0; i < n; i++) {
		struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
		uint32_t word;
		if (qemu_plugin_insn_size(insn) != 4) continue;
		memcpy(&word, qemu_plugin_insn_data(insn), 4);
		if (word == MARKER)
			qemu_plugin_register_vcpu_insn_exec_cb(insn, on_mark, QEMU_PLUGIN_CB_NO_REGS, (void *)(uintptr_t)(n - 1 - i));
	}
}

static void on_qemu_exit(qemu_plugin_id_t id, void *p)
{
	if (out) {
		fprintf(out, "total %llu\n", (unsigned long long)executed);
		fclose(out);
		out = NULL;
	}
}

__attribute__((visibility("default")))
int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info, int argc, char **argv)
{
	for (int i = 0; i < argc; i++) {
		if (strncmp(argv[i], "out=", 4) == 0) out = fopen(argv[i] + 4, "w");
		else if (strncmp(argv[i], "syms=", 5) == 0) load_symbols(argv[i] + 5);
	}
	if (!out) {
		fprintf(stderr, "insn-count: give out=FILE\n");
		return -1;
	}
	if (info->system_emulation && info->system.smp_vcpus != 1) {
		fprintf(stderr, "insn-count: one vCPU only (the counter is not per-vCPU)\n");
		return -1;
	}
	qemu_plugin_register_vcpu_tb_trans_cb(id, on_translate);
	qemu_plugin_register_atexit_cb(id, on_qemu_exit, NULL);
	return 0;
}
