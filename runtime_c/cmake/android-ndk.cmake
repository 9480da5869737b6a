# Android build through the real NDK (not installable on our CI machines, so this file is untested there).
#   export ANDROID_NDK_HOME=/path/to/android-ndk-r26
#   cmake -S runtime_c -B build/android-arm64 -DCMAKE_TOOLCHAIN_FILE=$PWD/runtime_c/cmake/android-ndk.cmake
#   cmake -S runtime_c -B build/android-armv7 -DCMAKE_TOOLCHAIN_FILE=$PWD/runtime_c/cmake/android-ndk.cmake \
#         -DANDROID_ABI=armeabi-v7a
# Defaults: ANDROID_ABI arm64-v8a, ANDROID_PLATFORM android-24; armeabi-v7a is built with NEON. The test and
# tool binaries run on a device through adb (adb push build/android-arm64/tl_run /data/local/tmp/).
if(NOT DEFINED ENV{ANDROID_NDK_HOME} OR NOT EXISTS "$ENV{ANDROID_NDK_HOME}/build/cmake/android.toolchain.cmake")
  message(FATAL_ERROR "android-ndk.cmake: set ANDROID_NDK_HOME to an Android NDK (no NDK is installed here)")
endif()
if(NOT ANDROID_ABI)
  set(ANDROID_ABI arm64-v8a)
endif()
if(NOT ANDROID_PLATFORM)
  set(ANDROID_PLATFORM android-24)
endif()
if(ANDROID_ABI STREQUAL "armeabi-v7a")
  set(ANDROID_ARM_NEON ON)
endif()
include("$ENV{ANDROID_NDK_HOME}/build/cmake/android.toolchain.cmake")
