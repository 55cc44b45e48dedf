#!/usr/bin/env bash
# graft predict against graft spark predict (local[1], local[2]) on a folder of N PNG files
# written from Fashion-MNIST's training images; wall time of each whole command, images/s.
# Usage: bench/spark_folder.sh MODEL [N]
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
model="$1"; n="${2:-20000}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
lscpu | grep -m1 "Model name" || true
python3 - "$work/images" "$n" <<'PY'
import gzip, os, struct, sys, zlib
out, n = sys.argv[1], int(sys.argv[2])
src = "/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz"
with gzip.open(src) as f:
    _, count, rows, cols = struct.unpack(">IIII", f.read(16))
    data = f.read(rows * cols * min(n, count))
def png(pixels, w, h):
    raw = b"".join(b"\0" + pixels[y * w:(y + 1) * w] for y in range(h))
    chunk = lambda t, d: struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))
for i in range(min(n, count)):
    d = os.path.join(out, str(i % 100))
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, f"{i}.png"), "wb") as f:
        f.write(png(data[i * 784:(i + 1) * 784], 28, 28))
PY
echo "$(find "$work/images" -name '*.png' | wc -l) files"
"$here/graft" spark --version >/dev/null 2>&1 || true
t() { local t0 t1; t0=$(date +%s.%N); "$@" >"$work/log" 2>&1; t1=$(date +%s.%N); echo "$t1 - $t0" | bc; }
mapfile -t files < <(find "$work/images" -name '*.png')
s=$(t "$here/graft" predict --model "$model" --top 3 --json "${files[@]}")  # one JVM, every file
echo "graft predict:              $s s"
for m in 'local[1]' 'local[2]'; do
  rm -rf "$work/out"
  s=$(t "$here/graft" spark predict --model "$model" --images "$work/images" --top 3 --master "$m" --out "$work/out")
  echo "graft spark predict $m: $s s  ($(grep -o '[0-9,]* images' "$work/log" | head -1))"
done
