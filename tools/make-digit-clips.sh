#!/bin/sh
# Regenerates the spoken digit clips in resources/voice/ (run at development time only; the result is
# committed). Requires Debian's espeak-ng and sox:  apt-get install espeak-ng sox
#
# Each clip: espeak-ng, voice en-us, 140 words/min; resampled to 16 kHz mono 16-bit little-endian PCM;
# leading/trailing silence trimmed; peak-normalised to -1 dBFS; 5 ms fade-in and 20 ms fade-out (no
# clicks), no dither (reproducible); written as a plain WAV (44-byte header: fmt and data chunks only).
# The firmware bundles them as `data` (copied untransformed: `resources` would turn WAV into IMA ADPCM).
set -eu
out="$(dirname "$0")/../resources/voice"
mkdir -p "$out"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
set -- zero one two three four five six seven eight nine
d=0
for word in "$@"; do
  espeak-ng -v en-us -s 140 -w "$tmp/raw.wav" "$word"
  sox -D "$tmp/raw.wav" -r 16000 -c 1 -b 16 -e signed-integer "$tmp/clip.wav" \
    silence 1 0.02 1% reverse silence 1 0.02 1% reverse gain -n -1
  # Second pass (the length is known now): fades, and a canonical RIFF/WAVE with only fmt and data.
  sox -D "$tmp/clip.wav" -t wavpcm "$out/digit-$d.wav" fade q 0.005 -0 0.02
  d=$((d + 1))
done
ls -l "$out"
