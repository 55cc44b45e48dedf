#!/usr/bin/env bash
# graft on a full disk: each command writes to a small tmpfs that runs out of space part-way.
#
#   sudo bench/full_disk.sh        (mounts tmpfs, so it needs root; about a minute)
#
# A case passes when the command exits 2 with one line that says the disk is full, prints no
# stack trace, and leaves every file that was there before intact and every checkpoint
# either whole (it loads) or absent, never half-written.
set -uo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "needs root to mount a small tmpfs" >&2; exit 2; }
./graft --version > /dev/null || exit 1
graft() { java -Dai.djl.offline=true -jar target/graft.jar "$@"; }
export GRAFT_OFFLINE=1
work=$(mktemp -d)
disk=$work/disk
mkdir -p "$disk"
cleanup() { umount "$disk" 2> /dev/null; rm -rf "$work"; }
trap cleanup EXIT
train=(pretrain --data fashion-mnist-small --arch mlp --shots 20 --schedule constant -q)
graft "${train[@]}" --epochs 1 --out "$work/done" > /dev/null 2>&1 || exit 1

mount_kib() { umount "$disk" 2> /dev/null; mount -t tmpfs -o size="$1"k tmpfs "$disk"; }
failed=0
check() { # name, exit code, stderr file, extra condition (shell)
  local name=$1 code=$2 err=$3 cond=$4 ok=yes
  [ "$code" = 2 ] || ok=no
  grep -q "No space left on device" "$err" || ok=no
  grep -q $'\tat \|Exception' "$err" && ok=no
  eval "$cond" || ok=no
  echo "| $name | $code | $(grep -m1 error "$err" | sed "s|$work|…|g" | cut -c1-110) | $ok |"
  [ $ok = yes ] || { failed=$((failed + 1)); sed 's/^/    /' "$err" >&2; }
}
loads() { graft evaluate --model "$1" -q > /dev/null 2>&1; }

echo "| full disk while | exit | message | nothing half-written |"
echo "|---|---|---|---|"
# 1. the first checkpoint does not fit (the mlp's weights take 1 MiB)
mount_kib 600
graft "${train[@]}" --epochs 1 --out "$disk/run" > /dev/null 2> "$work/err"
check "pretrain writes its first checkpoint" $? "$work/err" \
  '[ ! -e "$disk/run/model" ] && [ -z "$(find "$disk" -name "*.partial" -o -name "*.tmp")" ]'
# 2. resuming a finished run for more epochs: last/ and model/ must stay loadable
mount_kib 9000
cp -r "$work/done" "$disk/run2"
dd if=/dev/zero of="$disk/filler" bs=1k count=$(( $(df -k --output=avail "$disk" | tail -1) - 300 )) 2> /dev/null
graft "${train[@]}" --epochs 2 --out "$disk/run2" --resume > /dev/null 2> "$work/err"
code=$?
rm -f "$disk/filler"
check "pretrain --resume rewrites last/" $code "$work/err" \
  'loads "$disk/run2/last" && loads "$disk/run2/model" && [ -z "$(find "$disk" -name "*.partial" -o -name "*.tmp")" ]'
# 3. an image folder that does not fit: nothing is left where it was to go
mount_kib 200
graft data images --data fashion-mnist-small --train-per-class 100 --test-per-class 10 \
  --out "$disk/images" -q > /dev/null 2> "$work/err"
check "data images writes 1,100 PNGs" $? "$work/err" '[ ! -e "$disk/images" ] && [ -z "$(ls "$disk")" ]'
# 4. codes that do not fit
mount_kib 100
graft extract --model "$work/done/model" --out "$disk/codes" -q > /dev/null 2> "$work/err"
check "extract writes 7,000 codes" $? "$work/err" \
  '[ -z "$(find "$disk" -name "*.safetensors" -size -1k)" ] && [ -z "$(find "$disk" -name "*.tmp")" ]'
echo
echo "$(( 4 - failed )) of 4 full-disk cases handled"
exit $failed
