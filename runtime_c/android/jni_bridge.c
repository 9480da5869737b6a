/* jni_bridge.c: a small JNI bridge from Java/Kotlin apps to the tensorlet C runtime (Android or any JVM).
 *
 * What this is: the native half of org.tensorlet.Interpreter (java/org/tensorlet/Interpreter.java): load a
 * model from a byte[] (copied, verified completely by tl_model_load), prepare an interpreter, and run it on
 * the raw bytes of input 0 / output 0 (the Java side converts floats with the platform's byte order). Every
 * runtime error becomes a Java exception carrying the runtime's message; nothing aborts. One Interpreter
 * object must not be used by two threads at once (the runtime refuses it with TL_ERROR_BUSY).
 * What this is not: a general binding (multi-input models use nativeRunMulti-style calls you can add the
 * same way). Build: see docs/embedded.md (Android: the NDK's CMake with runtime_c/android/CMakeLists.txt).
 */
#include <jni.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tensorlet.h"

typedef struct tl_jni_handle {
  tl_model *model;
  tl_interpreter *interp;
} tl_jni_handle;

static void tl_jni_throw(JNIEnv *env, const char *cls, const char *what, tl_status s, const char *msg) {
  char text[512];
  jclass c = (*env)->FindClass(env, cls);
  size_t n;
  if (c == NULL) return; /* FindClass already threw */
  strncpy(text, what, sizeof text - 1);
  text[sizeof text - 1] = '\0';
  n = strlen(text);
  if (n + 3 < sizeof text) {
    strncat(text, ": ", sizeof text - n - 1);
    strncat(text, tl_status_name(s), sizeof text - strlen(text) - 1);
    if (msg != NULL && msg[0] != '\0') {
      strncat(text, ": ", sizeof text - strlen(text) - 1);
      strncat(text, msg, sizeof text - strlen(text) - 1);
    }
  }
  (*env)->ThrowNew(env, c, text);
}

static tl_jni_handle *tl_jni_get(JNIEnv *env, jlong handle) {
  tl_jni_handle *h = (tl_jni_handle *)(intptr_t)handle;
  if (h == NULL) tl_jni_throw(env, "java/lang/IllegalStateException", "tensorlet", TL_ERROR_BAD_STATE, "closed");
  return h;
}

JNIEXPORT jlong JNICALL Java_org_tensorlet_Interpreter_nativeCreate(JNIEnv *env, jclass cls, jbyteArray model) {
  char err[256];
  tl_jni_handle *h;
  jbyte *bytes;
  jsize len;
  tl_status s;
  (void)cls;
  if (model == NULL) {
    tl_jni_throw(env, "java/lang/NullPointerException", "tensorlet: model", TL_ERROR_NULL_ARGUMENT, "");
    return 0;
  }
  h = (tl_jni_handle *)calloc(1, sizeof *h);
  if (h == NULL) {
    tl_jni_throw(env, "java/lang/OutOfMemoryError", "tensorlet", TL_ERROR_OUT_OF_MEMORY, "");
    return 0;
  }
  len = (*env)->GetArrayLength(env, model);
  bytes = (*env)->GetByteArrayElements(env, model, NULL);
  if (bytes == NULL) {
    free(h);
    return 0; /* OutOfMemoryError pending */
  }
  err[0] = '\0';
  s = tl_model_load(bytes, (size_t)len, &h->model, err, sizeof err); /* copies: the array can go */
  (*env)->ReleaseByteArrayElements(env, model, bytes, JNI_ABORT);
  if (s != TL_OK) {
    free(h);
    tl_jni_throw(env, "java/lang/IllegalArgumentException", "tensorlet: model load", s, err);
    return 0;
  }
  s = tl_interpreter_create(h->model, NULL, &h->interp);
  if (s == TL_OK) s = tl_interpreter_prepare(h->interp);
  if (s != TL_OK) {
    tl_jni_throw(env, "java/lang/IllegalArgumentException", "tensorlet: prepare", s,
                 h->interp ? tl_interpreter_error(h->interp) : "");
    tl_interpreter_destroy(h->interp);
    tl_model_destroy(h->model);
    free(h);
    return 0;
  }
  return (jlong)(intptr_t)h;
}

/* bytes of input 0 (which = 0) or output 0 (which = 1) */
JNIEXPORT jint JNICALL Java_org_tensorlet_Interpreter_nativeBytes(JNIEnv *env, jclass cls, jlong handle, jint which) {
  tl_jni_handle *h = tl_jni_get(env, handle);
  tl_tensor_info info;
  tl_status s;
  (void)cls;
  if (h == NULL) return -1;
  s = which == 0 ? tl_interpreter_input_info(h->interp, 0, &info) : tl_interpreter_output_info(h->interp, 0, &info);
  if (s != TL_OK) {
    tl_jni_throw(env, "java/lang/IllegalStateException", "tensorlet: tensor info", s, "");
    return -1;
  }
  return (jint)info.bytes;
}

/* dtype (tl_dtype value) of input 0 (which = 0) or output 0 (which = 1) */
JNIEXPORT jint JNICALL Java_org_tensorlet_Interpreter_nativeDtype(JNIEnv *env, jclass cls, jlong handle, jint which) {
  tl_jni_handle *h = tl_jni_get(env, handle);
  tl_tensor_info info;
  (void)cls;
  if (h == NULL) return -1;
  if ((which == 0 ? tl_interpreter_input_info(h->interp, 0, &info) : tl_interpreter_output_info(h->interp, 0, &info)) !=
      TL_OK)
    return -1;
  return (jint)info.dtype;
}

JNIEXPORT void JNICALL Java_org_tensorlet_Interpreter_nativeRun(JNIEnv *env, jclass cls, jlong handle,
                                                                jbyteArray input, jbyteArray output) {
  tl_jni_handle *h = tl_jni_get(env, handle);
  tl_tensor_info in, out;
  jbyte *buf;
  tl_status s;
  (void)cls;
  if (h == NULL) return;
  if (input == NULL || output == NULL) {
    tl_jni_throw(env, "java/lang/NullPointerException", "tensorlet: run", TL_ERROR_NULL_ARGUMENT, "");
    return;
  }
  tl_interpreter_input_info(h->interp, 0, &in);
  tl_interpreter_output_info(h->interp, 0, &out);
  if ((size_t)(*env)->GetArrayLength(env, input) != in.bytes ||
      (size_t)(*env)->GetArrayLength(env, output) != out.bytes) {
    tl_jni_throw(env, "java/lang/IllegalArgumentException", "tensorlet: run", TL_ERROR_SIZE_MISMATCH,
                 "input/output array length differs from the model's tensor bytes");
    return;
  }
  buf = (*env)->GetByteArrayElements(env, input, NULL);
  if (buf == NULL) return;
  s = tl_interpreter_set_input(h->interp, 0, buf, in.bytes, in.dtype);
  (*env)->ReleaseByteArrayElements(env, input, buf, JNI_ABORT);
  if (s == TL_OK) s = tl_interpreter_invoke(h->interp);
  if (s != TL_OK) {
    tl_jni_throw(env, "java/lang/IllegalStateException", "tensorlet: invoke", s, tl_interpreter_error(h->interp));
    return;
  }
  buf = (*env)->GetByteArrayElements(env, output, NULL);
  if (buf == NULL) return;
  s = tl_interpreter_get_output(h->interp, 0, buf, out.bytes, out.dtype);
  (*env)->ReleaseByteArrayElements(env, output, buf, 0); /* copy back */
  if (s != TL_OK) tl_jni_throw(env, "java/lang/IllegalStateException", "tensorlet: output", s, "");
}

JNIEXPORT void JNICALL Java_org_tensorlet_Interpreter_nativeDestroy(JNIEnv *env, jclass cls, jlong handle) {
  tl_jni_handle *h = (tl_jni_handle *)(intptr_t)handle;
  (void)env;
  (void)cls;
  if (h == NULL) return;
  tl_interpreter_destroy(h->interp);
  tl_model_destroy(h->model);
  free(h);
}
