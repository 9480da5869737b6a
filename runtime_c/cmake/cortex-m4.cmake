# Bare-metal Cortex-M4F (hard float) with Debian's gcc-arm-none-eabi + libnewlib-arm-none-eabi.
#   cmake -S runtime_c -B build-embedded/m4 -DCMAKE_TOOLCHAIN_FILE=$PWD/runtime_c/cmake/cortex-m4.cmake \
#         -DCMAKE_BUILD_TYPE=MinSizeRel
# builds libtensorlet.a freestanding (TL_FREESTANDING: no stdio, no malloc, own message formatter; no tests
# or tools). The test firmware for the mps2-an386 board (QEMU) is in runtime_c/port/mps2-an386/.
set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR arm)
set(CMAKE_C_COMPILER arm-none-eabi-gcc)
set(CMAKE_AR arm-none-eabi-ar)
set(CMAKE_RANLIB arm-none-eabi-ranlib)
include("${CMAKE_CURRENT_LIST_DIR}/flags.cmake")  # TL_FLAGS_CORTEX_M4_STR: the cpu flags of flags.txt
set(TL_CORTEX_M4_FLAGS "${TL_FLAGS_CORTEX_M4_STR}")
set(CMAKE_C_FLAGS_INIT "${TL_CORTEX_M4_FLAGS} -ffunction-sections -fdata-sections")
set(CMAKE_EXE_LINKER_FLAGS_INIT "-Wl,--gc-sections --specs=nosys.specs")
# try_compile links a static library only: there is no startup code for a test executable
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(TL_FREESTANDING ON CACHE BOOL "bare metal: no stdio, no malloc" FORCE)
set(TL_BUILD_TESTS OFF CACHE BOOL "" FORCE)
set(TL_BUILD_TOOLS OFF CACHE BOOL "" FORCE)
