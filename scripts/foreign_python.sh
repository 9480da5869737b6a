#!/usr/bin/env bash
# foreign_python.sh ARCH DIR: a Debian bookworm Python of another architecture (arm64: Raspberry Pi OS
# 64-bit; armhf: 32-bit), with python3-dev, numpy and cffi from Debian, unpacked into DIR/root, to run under
# qemu-user (qemu-aarch64 / qemu-arm; no binfmt handler needed). tests/build/test_runtime_dist_qemu.py makes a
# venv on it and pip-installs the tensorlet-runtime sdist into that venv, as on a Raspberry Pi.
#
# Needs root (debootstrap), debootstrap, dpkg-deb, Debian's package registry and PyPI (through $PYTHON -m pip,
# default python3). Nothing is installed into the
# host: the packages are downloaded by `debootstrap --foreign` and unpacked with dpkg-deb -x (no maintainer
# scripts run; the two links they would make for numpy's BLAS/LAPACK are made here). DIR/.complete marks a
# finished root; a second call with it present does nothing (CI keeps DIR as a cache).
set -euo pipefail

if [ $# -ne 2 ] || { [ "$1" != arm64 ] && [ "$1" != armhf ]; }; then
  echo "usage: $0 arm64|armhf DIR" >&2
  exit 2
fi
ARCH=$1
DIR=$2
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
if [ -e "$DIR/.complete" ]; then
  exit 0
fi
rm -rf "$DIR"
mkdir -p "$DIR"
# python3-ply: pycparser's parser generator (cffi's cdef parser), a dependency debootstrap does not pull in
debootstrap --foreign --variant=minbase --arch="$ARCH" \
  --include=python3-dev,python3-venv,python3-numpy,python3-cffi,python3-ply bookworm "$DIR/root" "$MIRROR" \
  >"$DIR/debootstrap.log"
for deb in "$DIR"/root/var/cache/apt/archives/*.deb; do
  dpkg-deb -x "$deb" "$DIR/root"
done
rm -f "$DIR"/root/var/cache/apt/archives/*.deb
case $ARCH in
  arm64) TRIPLET=aarch64-linux-gnu ;;
  armhf) TRIPLET=arm-linux-gnueabihf ;;
esac
LIB="$DIR/root/usr/lib/$TRIPLET"
ln -sf blas/libblas.so.3 "$LIB/libblas.so.3"        # update-alternatives' links (libblas3, liblapack3)
ln -sf lapack/liblapack.so.3 "$LIB/liblapack.so.3"
# the sdist's build backend needs setuptools >= 77 (Debian's is 66): a pure-Python wheel from PyPI, which the
# test unpacks into its venv (pip's build isolation would fetch it on a Pi)
"${PYTHON:-python3}" -m pip download -q --no-deps --only-binary=:all: -d "$DIR/wheels" "setuptools>=77"
touch "$DIR/.complete"
echo "foreign_python.sh: $ARCH Python in $DIR/root ($(du -sh "$DIR/root" | cut -f1))"
