// AssemblyScript (compiled into the fused-mlp kernel, which re-exports these, so they share its
// memory): the image layers of the fused trainer's wasm engine (src/train/fused/kernel/
// conv-stages.ts). Images are NHWC, channels last, as tfjs-layers lays them out, one sample
// after another in a batch buffer. A conv2d is im2col (this file) then the module's gemm with
// the kernel as tfjs stores it, [kh, kw, inC, outC] = [(kh, kw, inC) × outC] row-major; its
// backward is the same gemm transposed and col2im. The host lays out every buffer and passes
// byte offsets; nothing here allocates.

@inline function cell(base: usize, index: i32): usize {
  return base + ((<usize>index) << 2);
}

/**
 * cols[rows·outH·outW × k·k·C] ← the patches of x[rows × inH × inW × C]: one row per output
 * pixel, its k·k·C inputs in (ky, kx, c) order, zeros where the patch runs over the padding.
 */
export function im2col(x: usize, cols: usize, rows: i32, inH: i32, inW: i32, channels: i32, outH: i32, outW: i32, kernel: i32, stride: i32, padTop: i32, padLeft: i32): void {
  const sampleSize = inH * inW * channels;
  const pixelBytes = (<usize>channels) << 2;
  const kernelRowBytes = <usize>kernel * pixelBytes;
  let dst = cols;
  for (let n = 0; n < rows; n++) {
    const sample = cell(x, n * sampleSize);
    for (let oy = 0; oy < outH; oy++) {
      const top = oy * stride - padTop;
      for (let ox = 0; ox < outW; ox++) {
        const left = ox * stride - padLeft;
        const inside = left >= 0 && left + kernel <= inW;
        for (let ky = 0; ky < kernel; ky++) {
          const iy = top + ky;
          if (iy < 0 || iy >= inH) {
            memory.fill(dst, 0, kernelRowBytes);
          } else if (inside) {
            // The kernel's row of pixels is contiguous in x.
            memory.copy(dst, cell(sample, (iy * inW + left) * channels), kernelRowBytes);
          } else {
            for (let kx = 0; kx < kernel; kx++) {
              const ix = left + kx;
              const to = dst + <usize>kx * pixelBytes;
              if (ix < 0 || ix >= inW) memory.fill(to, 0, pixelBytes);
              else memory.copy(to, cell(sample, (iy * inW + ix) * channels), pixelBytes);
            }
          }
          dst += kernelRowBytes;
        }
      }
    }
  }
}

/** dx[rows × inH × inW × C] ← the sum, over every patch that read a pixel, of its cols entry (im2col's adjoint). */
export function col2im(cols: usize, dx: usize, rows: i32, inH: i32, inW: i32, channels: i32, outH: i32, outW: i32, kernel: i32, stride: i32, padTop: i32, padLeft: i32): void {
  const sampleSize = inH * inW * channels;
  memory.fill(dx, 0, (<usize>(rows * sampleSize)) << 2);
  let src = cols;
  const pixelBytes = (<usize>channels) << 2;
  for (let n = 0; n < rows; n++) {
    const sample = cell(dx, n * sampleSize);
    for (let oy = 0; oy < outH; oy++) {
      const top = oy * stride - padTop;
      for (let ox = 0; ox < outW; ox++) {
        const left = ox * stride - padLeft;
        for (let ky = 0; ky < kernel; ky++) {
          const iy = top + ky;
          for (let kx = 0; kx < kernel; kx++) {
            const ix = left + kx;
            if (iy >= 0 && iy < inH && ix >= 0 && ix < inW) {
              const to = cell(sample, (iy * inW + ix) * channels);
              for (let c = 0; c < channels; c++) store<f32>(cell(to, c), load<f32>(cell(to, c)) + load<f32>(cell(src, c)));
            }
            src += pixelBytes;
          }
        }
      }
    }
  }
}

/**
 * Max pooling, out[rows × outH × outW × C] from x: each output the largest input of its window
 * (padding never wins), argmax[same] its index into x; the first in (ky, kx) order wins a tie, as
 * tfjs's pool and maxPoolPositions do (a strict >, from −∞: NaNs never win, and a window of
 * NaNs gives −∞ and index −1, which the backward pass skips).
 */
export function maxPoolForward(x: usize, out: usize, argmax: usize, rows: i32, inH: i32, inW: i32, channels: i32, outH: i32, outW: i32, size: i32, stride: i32, padTop: i32, padLeft: i32): void {
  const sampleSize = inH * inW * channels;
  let o = 0;
  for (let n = 0; n < rows; n++) {
    const base = n * sampleSize;
    for (let oy = 0; oy < outH; oy++) {
      const top = oy * stride - padTop;
      for (let ox = 0; ox < outW; ox++) {
        const left = ox * stride - padLeft;
        for (let c = 0; c < channels; c++) {
          let best: f32 = -Infinity;
          let bestAt = -1;
          for (let ky = 0; ky < size; ky++) {
            const iy = top + ky;
            if (iy < 0 || iy >= inH) continue;
            for (let kx = 0; kx < size; kx++) {
              const ix = left + kx;
              if (ix < 0 || ix >= inW) continue;
              const index = base + (iy * inW + ix) * channels + c;
              const v = load<f32>(cell(x, index));
              if (v > best) {
                best = v;
                bestAt = index;
              }
            }
          }
          store<f32>(cell(out, o), best);
          store<i32>(cell(argmax, o), bestAt);
          o++;
        }
      }
    }
  }
}

/** Max pooling's backward: dx[inCount] ← 0, then each dy[i] added at argmax[i] (the gradient goes to the window's max). */
export function maxPoolBackward(dy: usize, argmax: usize, dx: usize, outCount: i32, inCount: i32): void {
  memory.fill(dx, 0, (<usize>inCount) << 2);
  for (let i = 0; i < outCount; i++) {
    const to = load<i32>(cell(argmax, i));
    if (to >= 0) store<f32>(cell(dx, to), load<f32>(cell(dx, to)) + load<f32>(cell(dy, i)));
  }
}

/** Average pooling, out = the mean of the window's pixels inside the image (padding not counted, as tfjs's pool does). */
export function averagePoolForward(x: usize, out: usize, rows: i32, inH: i32, inW: i32, channels: i32, outH: i32, outW: i32, size: i32, stride: i32, padTop: i32, padLeft: i32): void {
  const sampleSize = inH * inW * channels;
  let o = 0;
  for (let n = 0; n < rows; n++) {
    const base = n * sampleSize;
    for (let oy = 0; oy < outH; oy++) {
      const top = oy * stride - padTop;
      for (let ox = 0; ox < outW; ox++) {
        const left = ox * stride - padLeft;
        for (let c = 0; c < channels; c++) {
          let sum: f32 = 0;
          let count = 0;
          for (let ky = 0; ky < size; ky++) {
            const iy = top + ky;
            if (iy < 0 || iy >= inH) continue;
            for (let kx = 0; kx < size; kx++) {
              const ix = left + kx;
              if (ix < 0 || ix >= inW) continue;
              sum += load<f32>(cell(x, base + (iy * inW + ix) * channels + c));
              count++;
            }
          }
          store<f32>(cell(out, o), sum / <f32>max<i32>(count, 1));
          o++;
        }
      }
    }
  }
}

/**
 * Average pooling's backward as tfjs's AvgPoolGrad computes it: each pixel's dx is the sum of the
 * dy of every window holding it, times 1/(size·size) (the whole window's size, also where
 * 'same' padding made the forward pass divide by fewer pixels).
 */
export function averagePoolBackward(dy: usize, dx: usize, rows: i32, inH: i32, inW: i32, channels: i32, outH: i32, outW: i32, size: i32, stride: i32, padTop: i32, padLeft: i32, multiplier: f32): void {
  const sampleSize = inH * inW * channels;
  memory.fill(dx, 0, (<usize>(rows * sampleSize)) << 2);
  let o = 0;
  for (let n = 0; n < rows; n++) {
    const base = n * sampleSize;
    for (let oy = 0; oy < outH; oy++) {
      const top = oy * stride - padTop;
      for (let ox = 0; ox < outW; ox++) {
        const left = ox * stride - padLeft;
        for (let c = 0; c < channels; c++) {
          const d = load<f32>(cell(dy, o));
          for (let ky = 0; ky < size; ky++) {
            const iy = top + ky;
            if (iy < 0 || iy >= inH) continue;
            for (let kx = 0; kx < size; kx++) {
              const ix = left + kx;
              if (ix < 0 || ix >= inW) continue;
              const to = cell(dx, base + (iy * inW + ix) * channels + c);
              store<f32>(to, load<f32>(to) + d);
            }
          }
          o++;
        }
      }
    }
  }
  const count = rows * sampleSize;
  for (let i = 0; i < count; i++) store<f32>(cell(dx, i), load<f32>(cell(dx, i)) * multiplier);
}
