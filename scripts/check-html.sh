#!/usr/bin/env bash
# Renders a small 'forksim fork --html' report in headless Chromium and checks the screenshot.
#
#   scripts/check-html.sh [OUTDIR [PAGE]]  (default OUTDIR: a new directory under /tmp; kept, with report.html and
#                                           report.png, for a human to look at; PAGE: check this existing page
#                                           instead of building one)
#
# Needs Debian's chromium (apt-get install chromium) and python3 (standard library only).
# The page is rendered with every host name unresolvable, so anything it tried to fetch would be missing.
# Checks, on the PNG: each strategy's bar colour covers at least MIN_BAR_PX pixels (the bars are there), and dark
# pixels (#222222 text and its antialiased shades, axes, error bars) on and just below the chart rows at least
# MIN_TEXT_PX (the charts' labels are drawn; the tables do not count). Exit 0 when both hold,
# 1 when not (saying which), 2 when a tool is missing.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="${1:-$(mktemp -d /tmp/forksim-html.XXXXXX)}"
mkdir -p "$OUT"
HTML="$OUT/report.html"
PNG="$OUT/report.png"
MIN_BAR_PX="${MIN_BAR_PX:-400}"
MIN_TEXT_PX="${MIN_TEXT_PX:-3000}"

CHROMIUM="$(command -v chromium || command -v chromium-browser || true)"
if [ -z "$CHROMIUM" ]; then
  echo "check-html: chromium not found (apt-get update && apt-get install -y chromium)" >&2
  exit 2
fi
command -v python3 >/dev/null || { echo "check-html: python3 not found" >&2; exit 2; }

PROFILE="$(mktemp -d /tmp/forksim-chromium.XXXXXX)"
cleanup() { rm -rf "$PROFILE"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ -n "${2:-}" ]; then
  HTML="$(cd "$(dirname "$2")" && pwd)/$(basename "$2")"
else
  echo "check-html: building a small report -> $HTML" >&2
  "$ROOT/forksim" fork --size 64M --runs 2 --iterations 5 --no-progress --no-counters --html "$HTML" > "$OUT/report.txt"
fi

echo "check-html: rendering it in $("$CHROMIUM" --version 2>/dev/null | head -1) -> $PNG" >&2
rm -f "$PNG"
# timeout: a hung browser must not hang the check; its children go with it (--kill-after)
timeout --kill-after=10 120 "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
  --disable-background-networking --disable-component-update --disable-sync --disable-extensions \
  --host-resolver-rules="MAP * ~NOTFOUND" --hide-scrollbars --force-device-scale-factor=1 \
  --user-data-dir="$PROFILE" --window-size=1200,2000 --screenshot="$PNG" "file://$HTML" \
  > "$OUT/chromium.log" 2>&1 || true
if [ ! -s "$PNG" ]; then
  echo "check-html: chromium wrote no screenshot (see $OUT/chromium.log)" >&2
  exit 1
fi

python3 - "$PNG" "$MIN_BAR_PX" "$MIN_TEXT_PX" <<'PY'
import struct, sys, zlib

path, min_bar, min_text = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
# the bar colours of io.forksim.harness.HtmlReport.COLOURS, for the strategies of the default run
BARS = {"legacy": (0x4e, 0x79, 0xa7), "arch-batch": (0xf2, 0x8e, 0x2b), "folio-batch": (0x59, 0xa1, 0x4f)}

def read_png(p):
    data = open(p, "rb").read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, w = 8, b"", None
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        pos += 12 + n
        if kind == b"IHDR":
            w, h, depth, ctype, _, _, interlace = struct.unpack(">IIBBBBB", body)
            assert depth == 8 and ctype in (2, 6) and interlace == 0, "unexpected PNG format %d/%d/%d" % (depth, ctype, interlace)
            bpp = 3 if ctype == 2 else 4
        elif kind == b"IDAT":
            idat += body
    raw = zlib.decompress(idat)
    stride = w * bpp
    rows, prev, i = [], bytearray(stride), 0
    for _ in range(h):
        f = raw[i]; line = bytearray(raw[i + 1:i + 1 + stride]); i += 1 + stride
        for x in range(stride):
            a = line[x - bpp] if x >= bpp else 0
            b = prev[x]
            c = prev[x - bpp] if x >= bpp else 0
            if f == 1: line[x] = (line[x] + a) & 255
            elif f == 2: line[x] = (line[x] + b) & 255
            elif f == 3: line[x] = (line[x] + (a + b) // 2) & 255
            elif f == 4:
                pa, pb, pc = abs(b - c), abs(a - c), abs(a + b - 2 * c)
                line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(line)); prev = line
    return w, h, bpp, rows

w, h, bpp, rows = read_png(path)
counts = {k: 0 for k in BARS}
dark_rows = []
bar_rows = []
for row in rows:
    dark = 0
    bar = False
    for x in range(0, w * bpp, bpp):
        r, g, b = row[x], row[x + 1], row[x + 2]
        if r < 0x60 and g < 0x60 and b < 0x60:
            dark += 1
            continue
        for k, (cr, cg, cb) in BARS.items():
            if abs(r - cr) <= 6 and abs(g - cg) <= 6 and abs(b - cb) <= 6:
                counts[k] += 1
                bar = True
    dark_rows.append(dark)
    bar_rows.append(bar)
# the charts' labels: dark pixels on rows with bar colour (value labels, axis ticks, legend names beside their
# swatches) or up to 30 rows below one (the order labels under the axis); the tables elsewhere do not count
near = [any(bar_rows[max(0, y - 30):y + 1]) for y in range(h)]
dark = sum(d for d, n in zip(dark_rows, near) if n)
ok = True
print("check-html: %s is %dx%d" % (path, w, h))
for k, n in counts.items():
    good = n >= min_bar
    ok &= good
    print("check-html: %-11s bar colour #%02x%02x%02x: %7d px %s" % ((k,) + BARS[k] + (n, "ok" if good else "MISSING (< %d)" % min_bar)))
good = dark >= min_text
ok &= good
print("check-html: dark label pixels in the charts: %d %s" % (dark, "ok" if good else "TOO FEW (< %d): labels missing?" % min_text))
sys.exit(0 if ok else 1)
PY
echo "check-html: passed; look at $PNG" >&2
