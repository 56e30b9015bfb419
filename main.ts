// Composition root on the device (see issue 6): builds the device platform from drivers/ and starts the speaker.
export {};
