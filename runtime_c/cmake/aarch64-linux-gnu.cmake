# Cross build for 64-bit ARM Linux (Raspberry Pi 3/4/5, ARM servers) with Debian's gcc-aarch64-linux-gnu.
#   cmake -S runtime_c -B build/aarch64 -DCMAKE_TOOLCHAIN_FILE=$PWD/runtime_c/cmake/aarch64-linux-gnu.cmake
# ctest runs the test binaries under qemu-aarch64 (no binfmt handler is needed).
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(TL_CROSS_SYSROOT /usr/aarch64-linux-gnu)
set(CMAKE_FIND_ROOT_PATH ${TL_CROSS_SYSROOT})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
# Optional CPU model for qemu (e.g. -DTL_QEMU_CPU=cortex-a72 to run without dotprod).
if(TL_QEMU_CPU)
  set(CMAKE_CROSSCOMPILING_EMULATOR "qemu-aarch64;-cpu;${TL_QEMU_CPU};-L;${TL_CROSS_SYSROOT}")
else()
  set(CMAKE_CROSSCOMPILING_EMULATOR "qemu-aarch64;-L;${TL_CROSS_SYSROOT}")
endif()
