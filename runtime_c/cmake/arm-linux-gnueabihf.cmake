# Cross build for 32-bit ARMv7 hard-float Linux with NEON (Raspberry Pi 2+ on a 32-bit OS) with Debian's
# gcc-arm-linux-gnueabihf.
#   cmake -S runtime_c -B build/armhf -DCMAKE_TOOLCHAIN_FILE=$PWD/runtime_c/cmake/arm-linux-gnueabihf.cmake
# ctest runs the test binaries under qemu-arm (no binfmt handler is needed).
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR armv7l)
set(CMAKE_C_COMPILER arm-linux-gnueabihf-gcc)
include("${CMAKE_CURRENT_LIST_DIR}/flags.cmake")  # TL_FLAGS_ARMHF_STR: the NEON/float ABI flags of flags.txt
set(CMAKE_C_FLAGS_INIT "${TL_FLAGS_ARMHF_STR}")
set(TL_CROSS_SYSROOT /usr/arm-linux-gnueabihf)
set(CMAKE_FIND_ROOT_PATH ${TL_CROSS_SYSROOT})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
set(CMAKE_CROSSCOMPILING_EMULATOR "qemu-arm;-L;${TL_CROSS_SYSROOT}")
