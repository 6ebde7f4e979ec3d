// Turns the bytes of one .npy array, pushed in chunks of any size as they are read or inflated,
// into float32 values in C order: the whole file is never held, and each chunk is converted as it
// arrives, so a large array never blocks the event loop for long.
import { type NpyDtype, type NpyHeader, type NpyOrigin, npyDataOffset, npyError, parseNpyHeader } from './npy-header.js';

/** An array as the datasets use it: float32 values in C (row-major) order. */
export interface NpyArray {
  readonly shape: readonly number[];
  readonly values: Float32Array;
}

type ValueReader = (view: DataView, offset: number) => number;

function readerFor(dtype: NpyDtype): ValueReader {
  const le = dtype.littleEndian;
  switch (`${dtype.kind}${dtype.bytes}`) {
    case 'float4':
      return (view, offset) => view.getFloat32(offset, le);
    case 'float8':
      return (view, offset) => view.getFloat64(offset, le);
    case 'int1':
      return (view, offset) => view.getInt8(offset);
    case 'int2':
      return (view, offset) => view.getInt16(offset, le);
    case 'int4':
      return (view, offset) => view.getInt32(offset, le);
    case 'int8':
      // Two 32-bit halves: exact in a double up to 2^53, rounded beyond, like numpy's cast.
      return (view, offset) => view.getInt32(offset + (le ? 4 : 0), le) * 2 ** 32 + view.getUint32(offset + (le ? 0 : 4), le);
    case 'uint1':
      return (view, offset) => view.getUint8(offset);
    case 'uint2':
      return (view, offset) => view.getUint16(offset, le);
    case 'uint4':
      return (view, offset) => view.getUint32(offset, le);
    case 'uint8':
      return (view, offset) => view.getUint32(offset + (le ? 4 : 0), le) * 2 ** 32 + view.getUint32(offset + (le ? 0 : 4), le);
    case 'bool1':
      return (view, offset) => (view.getUint8(offset) === 0 ? 0 : 1);
    default:
      throw new Error(`no reader for dtype ${dtype.kind}${dtype.bytes}`);
  }
}

/** C-order position of the value at flat C index `index`, for messages: "[2, 0, 1]". */
function positionOf(index: number, shape: readonly number[]): string {
  const position: number[] = new Array<number>(shape.length).fill(0);
  let rest = index;
  for (let d = shape.length - 1; d >= 0; d--) {
    const size = shape[d] ?? 1;
    position[d] = rest % size;
    rest = Math.floor(rest / size);
  }
  return `[${position.join(', ')}]`;
}

/** Where the next value goes in C order when the file holds them in Fortran order (first index fastest). */
class FortranCursor {
  private readonly index: number[];
  private readonly cStrides: number[];
  offset = 0;

  constructor(private readonly shape: readonly number[]) {
    this.index = new Array<number>(shape.length).fill(0);
    this.cStrides = new Array<number>(shape.length).fill(1);
    for (let d = shape.length - 2; d >= 0; d--) this.cStrides[d] = (this.cStrides[d + 1] ?? 1) * (shape[d + 1] ?? 1);
  }

  advance(): void {
    for (let d = 0; d < this.shape.length; d++) {
      const next = (this.index[d] ?? 0) + 1;
      const stride = this.cStrides[d] ?? 1;
      if (next < (this.shape[d] ?? 1)) {
        this.index[d] = next;
        this.offset += stride;
        return;
      }
      this.index[d] = 0;
      this.offset -= stride * ((this.shape[d] ?? 1) - 1);
    }
  }
}

const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

export class NpyDecoder {
  private prefix: Uint8Array = new Uint8Array(0);
  private header: NpyHeader | undefined;
  private values: Float32Array = new Float32Array(0);
  private read: ValueReader = () => 0;
  private fortran: FortranCursor | undefined;
  /** Bytes of a value split across two chunks. */
  private readonly carry = new Uint8Array(8);
  private carryLength = 0;
  private dataReceived = 0;
  private valuesWritten = 0;

  /** `totalBytes`: the size of the whole .npy stream when known (a file's size), checked against the header before any allocation. */
  constructor(
    private readonly origin: NpyOrigin,
    private readonly totalBytes?: number,
  ) {}

  push(chunk: Uint8Array): void {
    if (this.header !== undefined) {
      this.decode(chunk);
      return;
    }
    this.prefix = this.prefix.length === 0 ? chunk : concat(this.prefix, chunk);
    const dataOffset = npyDataOffset(this.prefix, this.origin);
    if (dataOffset === undefined) return;
    if (this.totalBytes !== undefined && dataOffset > this.totalBytes) {
      throw npyError(this.origin, `the header length (${dataOffset} bytes with the preamble) runs past the end of the file (${this.totalBytes} bytes)`);
    }
    if (this.prefix.length < dataOffset) return;
    const header = parseNpyHeader(this.prefix, dataOffset, this.origin);
    this.start(header);
    const rest = this.prefix.subarray(dataOffset);
    this.prefix = new Uint8Array(0);
    this.decode(rest);
  }

  finish(): NpyArray {
    const header = this.header;
    if (header === undefined) throw npyError(this.origin, 'the data ends inside the .npy header — the file is truncated or not a .npy array');
    if (this.dataReceived < header.dataBytes) {
      throw npyError(
        this.origin,
        `the data ends after ${this.dataReceived} of the ${header.dataBytes} bytes that the shape [${header.shape.join(', ')}] needs — the file is truncated`,
      );
    }
    return { shape: header.shape, values: this.values };
  }

  private start(header: NpyHeader): void {
    if (this.totalBytes !== undefined) {
      const available = this.totalBytes - header.dataOffset;
      if (header.dataBytes > available) {
        throw npyError(
          this.origin,
          `the shape [${header.shape.join(', ')}] needs ${header.dataBytes} bytes of data but the file holds ${available} after its header`,
        );
      }
      if (header.dataBytes < available) {
        throw npyError(
          this.origin,
          `the file holds ${available} bytes after its header but the shape [${header.shape.join(', ')}] needs only ${header.dataBytes}`,
        );
      }
    }
    this.header = header;
    this.values = new Float32Array(header.valueCount);
    this.read = readerFor(header.dtype);
    this.fortran = header.fortranOrder && header.shape.length > 1 ? new FortranCursor(header.shape) : undefined;
  }

  private decode(bytes: Uint8Array): void {
    const header = this.header;
    if (header === undefined || bytes.length === 0) return;
    if (this.dataReceived + bytes.length > header.dataBytes) {
      throw npyError(this.origin, `more data than the shape [${header.shape.join(', ')}] needs (${header.dataBytes} bytes)`);
    }
    this.dataReceived += bytes.length;
    const size = header.dtype.bytes;
    let chunk = bytes;
    if (this.carryLength > 0) {
      const take = Math.min(size - this.carryLength, chunk.length);
      this.carry.set(chunk.subarray(0, take), this.carryLength);
      this.carryLength += take;
      chunk = chunk.subarray(take);
      if (this.carryLength < size) return;
      this.emit(this.read(new DataView(this.carry.buffer, 0, size), 0));
      this.carryLength = 0;
    }
    const whole = Math.floor(chunk.length / size);
    if (header.dtype.kind === 'float' && size === 4 && header.dtype.littleEndian && LITTLE_ENDIAN_HOST && this.fortran === undefined) {
      this.copyFloat32(chunk.subarray(0, whole * size));
    } else {
      const view = new DataView(chunk.buffer, chunk.byteOffset, whole * size);
      for (let i = 0; i < whole; i++) this.emit(this.read(view, i * size));
    }
    const tail = chunk.subarray(whole * size);
    this.carry.set(tail, 0);
    this.carryLength = tail.length;
  }

  /** float32 in the host's byte order: copy the bytes, then check them. */
  private copyFloat32(bytes: Uint8Array): void {
    const from = this.valuesWritten;
    new Uint8Array(this.values.buffer, from * 4, bytes.length).set(bytes);
    this.valuesWritten += bytes.length / 4;
    for (let i = from; i < this.valuesWritten; i++) {
      if (!Number.isFinite(this.values[i] ?? 0)) this.notFinite(i);
    }
  }

  private emit(value: number): void {
    const index = this.fortran?.offset ?? this.valuesWritten;
    const single = Math.fround(value);
    if (!Number.isFinite(single)) {
      if (Number.isFinite(value)) {
        const shape = this.header?.shape ?? [];
        throw npyError(this.origin, `the value at ${positionOf(index, shape)} is beyond the float32 range`);
      }
      this.notFinite(index);
    }
    this.values[index] = single;
    this.valuesWritten++;
    this.fortran?.advance();
  }

  private notFinite(index: number): never {
    throw npyError(this.origin, `the value at ${positionOf(index, this.header?.shape ?? [])} is not a finite number (NaN or infinity)`);
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const joined = new Uint8Array(a.length + b.length);
  joined.set(a);
  joined.set(b, a.length);
  return joined;
}
