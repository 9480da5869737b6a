# Reads runtime_c/cmake/flags.txt, the one list of the runtime's compiler flags (see that file), into
# TL_FLAGS_<NAME> (a CMake list, e.g. TL_FLAGS_WARNINGS) and TL_FLAGS_<NAME>_STR (space-separated, for
# CMAKE_C_FLAGS_INIT in toolchain files). Included by runtime_c/CMakeLists.txt, the toolchain files and
# examples/c; including it twice is harmless.
set(TL_FLAGS_FILE "${CMAKE_CURRENT_LIST_DIR}/flags.txt")
file(STRINGS "${TL_FLAGS_FILE}" _tl_flag_lines REGEX "^[a-z0-9_]+ *=")
foreach(_tl_line IN LISTS _tl_flag_lines)
  if(NOT _tl_line MATCHES "^([a-z0-9_]+) *= *(.*)$")
    message(FATAL_ERROR "tensorlet: bad line in ${TL_FLAGS_FILE}: ${_tl_line}")
  endif()
  string(TOUPPER "${CMAKE_MATCH_1}" _tl_name)
  string(STRIP "${CMAKE_MATCH_2}" _tl_value)
  set(TL_FLAGS_${_tl_name}_STR "${_tl_value}")
  separate_arguments(TL_FLAGS_${_tl_name} UNIX_COMMAND "${_tl_value}")
endforeach()
if(NOT TL_FLAGS_STD MATCHES "^-std=c([0-9]+)$")
  message(FATAL_ERROR "tensorlet: std in ${TL_FLAGS_FILE} must be -std=cNN, not '${TL_FLAGS_STD}'")
endif()
set(TL_C_STANDARD "${CMAKE_MATCH_1}")
unset(_tl_flag_lines)
unset(_tl_line)
unset(_tl_name)
unset(_tl_value)
