package org.tensorlet;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * A tensorlet model on the C runtime (runtime_c/android/jni_bridge.c, library "tensorlet_jni").
 *
 * <pre>
 *   try (Interpreter it = new Interpreter(modelBytes)) {      // e.g. read from assets
 *     float[] scores = it.run(new float[784]);               // float32 input 0 -> float32 output 0
 *     byte[] raw = it.runBytes(int8Input);                    // any dtype: raw bytes in and out
 *   }
 * </pre>
 * The model is verified completely when it is loaded; errors are exceptions with the runtime's message.
 * One Interpreter must not be used by two threads at once.
 */
public final class Interpreter implements AutoCloseable {
  static {
    System.loadLibrary("tensorlet_jni");
  }

  private static final int FLOAT32 = 0;
  private long handle;

  public Interpreter(byte[] model) {
    handle = nativeCreate(model);
  }

  /** Bytes of input 0. */
  public int inputBytes() {
    return nativeBytes(handle, 0);
  }

  /** Bytes of output 0. */
  public int outputBytes() {
    return nativeBytes(handle, 1);
  }

  /** Runs on the raw bytes of input 0 (native byte order) and returns output 0's raw bytes. */
  public byte[] runBytes(byte[] input) {
    byte[] out = new byte[outputBytes()];
    nativeRun(handle, input, out);
    return out;
  }

  /** float32 input 0 -> float32 output 0. */
  public float[] run(float[] input) {
    if (nativeDtype(handle, 0) != FLOAT32 || nativeDtype(handle, 1) != FLOAT32) {
      throw new IllegalArgumentException("tensorlet: run(float[]) needs a float32 input and output; use runBytes");
    }
    ByteBuffer in = ByteBuffer.allocate(input.length * 4).order(ByteOrder.nativeOrder());
    in.asFloatBuffer().put(input);
    byte[] out = runBytes(in.array());
    float[] result = new float[out.length / 4];
    ByteBuffer.wrap(out).order(ByteOrder.nativeOrder()).asFloatBuffer().get(result);
    return result;
  }

  @Override
  public void close() {
    nativeDestroy(handle);
    handle = 0;
  }

  private static native long nativeCreate(byte[] model);

  private static native int nativeBytes(long handle, int which);

  private static native int nativeDtype(long handle, int which);

  private static native void nativeRun(long handle, byte[] input, byte[] output);

  private static native void nativeDestroy(long handle);
}
