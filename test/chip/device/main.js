// The chip app's entry (test/chip/device/manifest.json): the host functions of chip_mark.c, the firmware's clock and
// memory figures (drivers/native, drivers/memory), Moddable's timer and trace, handed to the host-free app (chip-device.ts).
import Timer from "timer";
import { runChipDevice } from "test/chip/device/chip-device";
import { monotonicMicroseconds } from "drivers/native";
import { memoryReport } from "drivers/memory";

runChipDevice({
	print: (line) => trace(line + "\n"),
	mark: native("xs_chip_mark"),
	nowUs: monotonicMicroseconds,
	gc: native("xs_chip_gc"),
	memory: memoryReport,
	platform: native("xs_chip_platform"),
	later: (cb, ms) => { Timer.set(cb, ms); },
});
