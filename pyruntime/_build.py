"""cffi (API mode) builder of ``pyruntime._tensorlet``: compiles the C runtime sources into an extension.

Used by setup.py (``cffi_modules=["pyruntime/_build.py:ffibuilder"]``), so ``pip install`` compiles the C99
runtime on the target machine (a Raspberry Pi needs only a C compiler). After changing the C sources, rebuild
with ``.venv/bin/pip install -e . --no-build-isolation`` (or ``python pyruntime/_build.py`` for an in-place
build). The cdef below mirrors ``runtime_c/include/tensorlet.h`` (CDEF) and the trainer's convolution entry
points of ``runtime_c/src/conv_train.h`` (CONV_TRAIN_CDEF); API mode makes the C compiler check it.
"""

from __future__ import annotations

import importlib.util
import os
import re
from pathlib import Path

from cffi import FFI


def _load_c_flags():
    """runtime_c/cmake/c_flags.py, the reader of runtime_c/cmake/flags.txt (the one list of compiler flags),
    loaded by path: importing it through the pyruntime package would need the extension built already."""
    path = Path(__file__).resolve().parent.parent / "runtime_c" / "cmake" / "c_flags.py"
    spec = importlib.util.spec_from_file_location("tensorlet_c_flags", path)
    assert spec is not None and spec.loader is not None, path
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


c_flags = _load_c_flags()

ROOT = Path(__file__).resolve().parent.parent
INCLUDE_DIR = ROOT / "runtime_c" / "include"
SRC_DIR = ROOT / "runtime_c" / "src"


def _rel(path: Path, absolute: bool) -> str:
    """Paths relative to the repo root when building from it (setuptools wants relative sources)."""
    if not absolute:
        try:
            return str(path.relative_to(Path.cwd().resolve()))
        except ValueError:
            pass
    return str(path)


def c_sources(absolute: bool = False) -> list[str]:
    """Every C source of the runtime (``runtime_c/src/**/*.c``), sorted."""
    return sorted(_rel(p, absolute) for p in SRC_DIR.rglob("*.c"))


CDEF = """
typedef enum tl_status {
  TL_OK = 0,
  TL_ERROR_NULL_ARGUMENT = 100,
  TL_ERROR_INVALID_ARGUMENT = 101,
  TL_ERROR_BAD_STATE = 102,
  TL_ERROR_DTYPE_MISMATCH = 103,
  TL_ERROR_SIZE_MISMATCH = 104,
  TL_ERROR_NOT_FOUND = 105,
  TL_ERROR_BUSY = 106,
  TL_ERROR_MISALIGNED = 107,
  TL_ERROR_TRUNCATED = 200,
  TL_ERROR_BAD_IDENTIFIER = 201,
  TL_ERROR_BAD_STRUCTURE = 202,
  TL_ERROR_BAD_REFERENCE = 203,
  TL_ERROR_BAD_GRAPH = 204,
  TL_ERROR_BAD_TENSOR = 205,
  TL_ERROR_BAD_QUANTIZATION = 206,
  TL_ERROR_BAD_OPTIONS = 207,
  TL_ERROR_BAD_SHAPE = 208,
  TL_ERROR_BAD_INPUT_COUNT = 209,
  TL_ERROR_UNSUPPORTED_VERSION = 300,
  TL_ERROR_UNSUPPORTED_OP = 301,
  TL_ERROR_UNSUPPORTED_DTYPE = 302,
  TL_ERROR_UNSUPPORTED_FEATURE = 303,
  TL_ERROR_OUT_OF_MEMORY = 400,
  TL_ERROR_LIMIT_EXCEEDED = 401,
  TL_ERROR_ARENA_TOO_SMALL = 402,
  TL_ERROR_IO = 403
} tl_status;

typedef enum tl_dtype {
  TL_FLOAT32 = 0,
  TL_FLOAT16 = 1,
  TL_INT8 = 2,
  TL_UINT8 = 3,
  TL_INT16 = 4,
  TL_INT32 = 5,
  TL_INT64 = 6,
  TL_BOOL = 7
} tl_dtype;

#define TL_SCHEMA_VERSION ...
#define TL_MAX_RANK ...
#define TL_ARENA_ALIGNMENT ...
#define TL_DEFAULT_MAX_WORK ...
#define TL_MAX_THREADS ...

typedef struct tl_model tl_model;
typedef struct tl_interpreter tl_interpreter;

typedef struct tl_tensor_info {
  const char *name;
  tl_dtype dtype;
  int32_t rank;
  int32_t dims[6];
  size_t bytes;
  int32_t quant_count;
  int32_t quant_axis;
  const float *scales;
  const int64_t *zero_points;
} tl_tensor_info;

typedef enum tl_kernels {
  TL_KERNELS_AUTO = 0,
  TL_KERNELS_REFERENCE = 1,
  TL_KERNELS_PORTABLE = 2,
  TL_KERNELS_NEON = 3,
  TL_KERNELS_AVX2 = 4,
  TL_KERNELS_AVX512 = 5
} tl_kernels;
typedef struct tl_options {
  size_t max_arena_bytes;
  int32_t num_threads;
  int32_t kernels;
  uint64_t max_work;
  int32_t preserve_all_tensors;
  int32_t release_inputs;
} tl_options;
int32_t tl_kernels_from_name(const char *name);

const char *tl_status_name(tl_status status);
size_t tl_dtype_size(tl_dtype dtype);
const char *tl_version_string(void);

tl_status tl_model_load(const void *data, size_t size, tl_model **out_model, char *err, size_t err_size);
tl_status tl_model_load_nocopy(const void *data, size_t size, tl_model **out_model, char *err,
                               size_t err_size);
tl_status tl_model_load_static(const void *data, size_t size, void *memory, size_t memory_bytes,
                               tl_model **out_model, char *err, size_t err_size);
size_t tl_model_memory_bytes(const tl_model *model);
tl_status tl_model_load_file(const char *path, tl_model **out_model, char *err, size_t err_size);
void tl_model_destroy(tl_model *model);
int32_t tl_model_tensor_count(const tl_model *model);
int32_t tl_model_op_count(const tl_model *model);
uint64_t tl_model_planned_arena_bytes(const tl_model *model);
size_t tl_model_size_bytes(const tl_model *model);

tl_status tl_interpreter_create(const tl_model *model, const tl_options *options, tl_interpreter **out);
tl_status tl_interpreter_create_with_arena(const tl_model *model, const tl_options *options, void *memory,
                                           size_t memory_bytes, tl_interpreter **out);
void tl_interpreter_destroy(tl_interpreter *interp);
tl_status tl_interpreter_prepare(tl_interpreter *interp);
size_t tl_interpreter_arena_bytes(const tl_interpreter *interp);
size_t tl_interpreter_required_memory_bytes(const tl_interpreter *interp);
uint64_t tl_interpreter_work(const tl_interpreter *interp);
tl_status tl_interpreter_invoke(tl_interpreter *interp);
typedef uint64_t (*tl_clock_fn)(void *user);
typedef struct tl_op_profile {
  const char *type;
  int32_t output;
  uint64_t ticks;
} tl_op_profile;
tl_status tl_interpreter_invoke_profiled(tl_interpreter *interp, tl_clock_fn clock, void *clock_user,
                                         tl_op_profile *ops, int32_t op_count);
uint64_t tl_clock_monotonic_ns(void *user);
const char *tl_interpreter_error(const tl_interpreter *interp);
int32_t tl_interpreter_input_count(const tl_interpreter *interp);
int32_t tl_interpreter_output_count(const tl_interpreter *interp);
tl_status tl_interpreter_input_info(const tl_interpreter *interp, int32_t index, tl_tensor_info *info);
tl_status tl_interpreter_output_info(const tl_interpreter *interp, int32_t index, tl_tensor_info *info);
tl_status tl_interpreter_input_index(const tl_interpreter *interp, const char *name, int32_t *index);
tl_status tl_interpreter_output_index(const tl_interpreter *interp, const char *name, int32_t *index);
tl_status tl_interpreter_resize_input(tl_interpreter *interp, int32_t index, const int32_t *dims,
                                      int32_t rank);
int32_t tl_interpreter_input_tensor(const tl_interpreter *interp, int32_t index);
int32_t tl_interpreter_output_tensor(const tl_interpreter *interp, int32_t index);
tl_status tl_interpreter_tensor_info(const tl_interpreter *interp, int32_t tensor, tl_tensor_info *info);
tl_status tl_interpreter_tensor_data(tl_interpreter *interp, int32_t tensor, void **data);
tl_status tl_interpreter_set_input(tl_interpreter *interp, int32_t index, const void *data, size_t bytes,
                                   tl_dtype dtype);
tl_status tl_interpreter_get_output(tl_interpreter *interp, int32_t index, void *data, size_t bytes,
                                    tl_dtype dtype);
tl_status tl_interpreter_input_data(tl_interpreter *interp, int32_t index, void **data);
tl_status tl_interpreter_output_data(tl_interpreter *interp, int32_t index, const void **data);
"""

# The trainer's convolutions (runtime_c/src/conv_train.h, trainer/ops/conv_runtime.py) and the thread pool
# they run on (runtime_c/src/threadpool.h): internal headers, not tensorlet.h's public API.
CONV_TRAIN_CDEF = """
typedef struct tl_threadpool tl_threadpool;
size_t tl_threadpool_bytes(int32_t num_threads);
tl_status tl_threadpool_create(void *memory, int32_t num_threads, tl_threadpool **out);
void tl_threadpool_destroy(tl_threadpool *pool);
int32_t tl_threadpool_threads(const tl_threadpool *pool);

typedef struct tl_conv2d_geometry {
  int32_t batch, in_h, in_w, in_c;
  int32_t out_h, out_w, out_c;
  int32_t k_h, k_w;
  int32_t stride_h, stride_w;
  int32_t dilation_h, dilation_w;
  int32_t pad_top, pad_left;
} tl_conv2d_geometry;
size_t tl_conv2d_f32_nhwc_scratch_floats(const tl_conv2d_geometry *g, int32_t threads);
tl_status tl_conv2d_f32_nhwc(float *y, const float *x, const float *w, float *scratch, size_t scratch_floats,
                             const tl_conv2d_geometry *g, tl_threadpool *pool);
size_t tl_conv2d_f32_filter_grad_scratch_floats(const tl_conv2d_geometry *g, int32_t threads);
tl_status tl_conv2d_f32_filter_grad(float *dw, const float *x, const float *dy, float *scratch,
                                    size_t scratch_floats, const tl_conv2d_geometry *g, tl_threadpool *pool);
tl_status tl_max_pool2d_f32_nhwc(float *y, const float *x, const tl_conv2d_geometry *g, tl_threadpool *pool);
tl_status tl_max_pool2d_f32_grad(float *dx, const float *x, const float *y, const float *dy,
                                 const tl_conv2d_geometry *g, tl_threadpool *pool);
tl_status tl_conv2d_f32_nhwc_fused(float *y, const float *x, const float *w, const float *bias, int32_t relu,
                                   float *scratch, size_t scratch_floats, const tl_conv2d_geometry *g,
                                   tl_threadpool *pool);
tl_status tl_max_pool2d_f32_grad_relu(float *dx, float *db, const float *x, const float *y, const float *dy,
                                      int32_t relu, const tl_conv2d_geometry *g, tl_threadpool *pool);
tl_status tl_train_adam_f32(float *var, float *m, float *v, const float *g, int64_t n, float one_minus_beta1,
                            float one_minus_beta2, float epsilon, float lr_t, tl_threadpool *pool);
"""


def check_build_tools() -> None:
    """Exit with one line, before any compiler output, when the Python headers or a C compiler are missing
    (setup.py of both distributions calls it)."""
    import shutil
    import sysconfig

    include = sysconfig.get_paths().get("include") or ""
    if not (Path(include) / "Python.h").is_file():
        raise SystemExit(
            f"error: Python.h not found in {include!r}: pyruntime compiles a C extension, install the Python "
            "headers (Debian, Ubuntu, Raspberry Pi OS: sudo apt install python3-dev)"
        )
    cc = (os.environ.get("CC") or sysconfig.get_config_var("CC") or "cc").split()[0]
    if shutil.which(cc) is None:
        raise SystemExit(
            f"error: no C compiler ({cc!r} not found): pyruntime compiles the C runtime at install time, "
            "install one (Debian, Ubuntu, Raspberry Pi OS: sudo apt install gcc) or set CC"
        )


def arm32_neon_flags(machine: str, compiler_macros: str, cpu_features: str, setting: str | None) -> list[str]:
    """``["-mfpu=neon"]`` when a 32-bit ARM build would otherwise lack the NEON kernels.

    32-bit Raspberry Pi OS compiles for ARMv6 with VFP only (Debian's armhf for ARMv7 with VFPv3-D16), so a
    plain build defines no ``__ARM_NEON`` and keeps only the portable kernels. The extension is compiled on
    the machine that runs it (``pip install`` of the sdist), so when that CPU has NEON (``neon`` among the
    features of /proc/cpuinfo: every Pi from the Pi 2 on) the whole runtime is compiled with ``-mfpu=neon``;
    a Pi Zero / Pi 1 gets none. ``TENSORLET_NEON=1`` / ``0`` (``setting``) overrides the detection (cross or
    emulated builds). A wheel built this way needs a NEON CPU.
    """
    if not re.fullmatch(r"armv[6-8].*|arm", machine) or "__ARM_NEON " in compiler_macros:
        return []
    if setting is not None:
        return ["-mfpu=neon"] if setting == "1" else []
    features = re.findall(r"^Features\s*:(.*)$", cpu_features, re.M)
    return ["-mfpu=neon"] if any("neon" in line.split() for line in features) else []


def _is_arm32() -> bool:
    import platform

    return re.fullmatch(r"armv[6-8].*|arm", platform.machine().lower()) is not None


def _neon_flags() -> list[str]:
    """:func:`arm32_neon_flags` for this machine and compiler (nothing to ask off 32-bit ARM)."""
    import platform
    import subprocess
    import sysconfig

    machine = platform.machine().lower()
    if not _is_arm32():
        return []
    cc = (os.environ.get("CC") or sysconfig.get_config_var("CC") or "cc").split()
    try:
        macros = subprocess.run([*cc, "-dM", "-E", "-"], input="", capture_output=True, text=True).stdout
        cpuinfo = Path("/proc/cpuinfo").read_text(errors="replace")
    except OSError:
        return []
    return arm32_neon_flags(machine, macros, cpuinfo, os.environ.get("TENSORLET_NEON"))


def make_ffibuilder(absolute: bool = False) -> FFI:
    builder = FFI()
    builder.cdef(CDEF + CONV_TRAIN_CDEF)
    builder.set_source(
        "pyruntime._tensorlet",
        # conv_train.h (runtime_c/src): the trainer's convolutions and the thread pool they run on
        '#include "tensorlet.h"\n#include "conv_train.h"',
        sources=c_sources(absolute),
        include_dirs=[_rel(INCLUDE_DIR, absolute), _rel(SRC_DIR, absolute)],
        # the language standard of runtime_c/cmake/flags.txt (not its -Werror: users' compilers vary) and -O3,
        # the level of CMake's Release build that tl_bench and the C tests time (strict ISO C keeps FMA
        # contraction off, so the bits are those of -O2; the plain loops around the intrinsics kernels
        # vectorize: DS-CNN float 92 -> 79 µs); no -fwrapv (Python's flags add it; the runtime never relies on
        # signed overflow, UBSan checks that) and no interposition of the library's own functions, as in the
        # static library tl_bench links: the transformer 84.8 -> 83.7 µs minimum, tl_bench 80.8
        # (+ -mfpu=neon on a 32-bit ARM whose compiler targets no NEON but whose CPU has it)
        extra_compile_args=[
            *c_flags.flags("std"), "-O3", "-fno-wrapv", "-fno-semantic-interposition", *_neon_flags()
        ],
        # the thread pool (runtime_c/src/threadpool.c) uses pthreads; glibc < 2.34 keeps them in libpthread
        extra_link_args=[] if os.name == "nt" else ["-pthread"],
        # 32-bit ARM before ARMv7 (Raspberry Pi OS's default target) has no inline 64-bit atomics: the thread
        # pool's come from libatomic, without which the extension fails to load (undefined __atomic_store_8)
        libraries=["m", *(["atomic"] if _is_arm32() else [])],
    )
    return builder



def build_jobs() -> int:
    """How many compiler processes the extension build runs at once: ``TENSORLET_BUILD_JOBS``, else the cores
    this process may use."""
    setting = os.environ.get("TENSORLET_BUILD_JOBS", "")
    if setting:
        if not setting.isdigit() or int(setting) < 1:
            raise SystemExit(f"error: TENSORLET_BUILD_JOBS={setting!r}: expected a positive number")
        return int(setting)
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def parallel_build_ext():
    """setuptools' build_ext, compiling the extension's C sources concurrently (:func:`build_jobs` compiler
    processes). setuptools compiles them one at a time, and the ~120 files of runtime_c/src made `pip install`
    take minutes on a small machine. For ``cmdclass={"build_ext": parallel_build_ext()}`` in setup.py."""
    from concurrent.futures import ThreadPoolExecutor

    from setuptools.command.build_ext import build_ext

    class ParallelBuildExt(build_ext):
        def build_extensions(self) -> None:
            compile_serial, jobs = self.compiler.compile, build_jobs()

            def compile_parallel(sources, *args, **kwargs):
                if jobs <= 1 or len(sources) <= 1:
                    return compile_serial(sources, *args, **kwargs)
                with ThreadPoolExecutor(jobs) as pool:  # each call runs the compiler on one source
                    parts = list(pool.map(lambda src: compile_serial([src], *args, **kwargs), sources))
                return [obj for objs in parts for obj in objs]

            self.compiler.compile = compile_parallel
            super().build_extensions()

    return ParallelBuildExt


ffibuilder = make_ffibuilder()

if __name__ == "__main__":
    # In-place build for development without pip: compiles in a fresh temporary directory (concurrent builds
    # cannot clobber each other) and installs the extension next to this file under the name pip's build
    # uses (``_tensorlet.abi3.so``, gitignored) by an atomic rename, so a process that has the old one
    # loaded keeps a valid mapping. Other variants are removed so that a stale one can never shadow it.
    import shutil
    import tempfile

    package = Path(__file__).resolve().parent
    with tempfile.TemporaryDirectory(prefix="pyruntime-build-") as tmp:
        built = Path(make_ffibuilder(absolute=True).compile(tmpdir=tmp, verbose=False))
        target = package / ("_tensorlet.abi3.so" if built.suffix == ".so" else built.name)
        staged = package / f".{target.name}.{os.getpid()}.tmp"
        shutil.copy2(built, staged)
        os.replace(staged, target)
    for old in package.glob("_tensorlet*.so"):
        if old != target:
            old.unlink()
    print(f"built {target.relative_to(ROOT)}")
