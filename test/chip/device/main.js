// The chip app's entry (test/chip/device/manifest.json): the host functions of chip_mark.c and Moddable's timer
// and trace, handed to the host-free app (chip-device.ts).
import Timer from "timer";
import { runChipDevice } from "test/chip/device/chip-device";

runChipDevice({
	print: (line) => trace(line + "\n"),
	mark: native("xs_chip_mark"),
	nowUs: native("xs_chip_now_us"),
	gc: native("xs_chip_gc"),
	memory: native("xs_chip_memory"),
	platform: native("xs_chip_platform"),
	later: (cb, ms) => { Timer.set(cb, ms); },
});
