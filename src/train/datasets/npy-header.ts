// The .npy header (format versions 1.0, 2.0, 3.0): magic, version, header length, then a Python
// dict literal { 'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }. Parsed by a strict
// little reader of exactly that literal (never an eval), every number bounded, and no error
// quoting the header: it is text read from a file the spec named.
import { DatasetError } from './dataset-error.js';

/** numpy's own default `max_header_size` is 10 000 bytes; a plain array's header is under 200. */
export const MAX_NPY_HEADER_BYTES = 16 * 1024;
/** numpy 2 allows 64 dimensions. */
export const MAX_NPY_RANK = 64;
/** Values one array may hold (4 GiB as float32): a bound on what a header can make us allocate. */
export const MAX_ARRAY_VALUES = 2 ** 30;

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

export type NpyDtypeKind = 'float' | 'int' | 'uint' | 'bool';

export interface NpyDtype {
  readonly kind: NpyDtypeKind;
  readonly bytes: 1 | 2 | 4 | 8;
  readonly littleEndian: boolean;
}

export interface NpyHeader {
  readonly dtype: NpyDtype;
  readonly fortranOrder: boolean;
  readonly shape: readonly number[];
  /** Product of the shape (1 for a 0-d array). */
  readonly valueCount: number;
  /** Where the data starts: magic, version, length field and header. */
  readonly dataOffset: number;
  readonly dataBytes: number;
}

/** Where an error happened: the file and, inside an .npz, the array. */
export interface NpyOrigin {
  readonly file: string;
  readonly array?: string;
}

export function npyError(origin: NpyOrigin, reason: string): DatasetError {
  return new DatasetError(origin.array === undefined ? reason : `array "${origin.array}": ${reason}`, { file: origin.file });
}

/**
 * The data offset once the fixed-size preamble has arrived, or undefined while it has not
 * (fewer than 12 bytes). Checks the magic and the version, and bounds the header length.
 */
export function npyDataOffset(prefix: Uint8Array, origin: NpyOrigin): number | undefined {
  const magicSeen = Math.min(prefix.length, MAGIC.length);
  for (let i = 0; i < magicSeen; i++) {
    if (prefix[i] !== MAGIC[i]) throw npyError(origin, 'not a .npy array — the file does not start with the NumPy magic string');
  }
  if (prefix.length < 8) return undefined;
  const major = prefix[6] ?? 0;
  const minor = prefix[7] ?? 0;
  if (minor !== 0 || major < 1 || major > 3) throw npyError(origin, 'unsupported .npy format version — this reader knows 1.0, 2.0 and 3.0');
  const fieldBytes = major === 1 ? 2 : 4;
  if (prefix.length < 8 + fieldBytes) return undefined;
  const view = new DataView(prefix.buffer, prefix.byteOffset, prefix.byteLength);
  const headerBytes = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  if (headerBytes > MAX_NPY_HEADER_BYTES) {
    throw npyError(origin, `the header claims ${headerBytes} bytes — at most ${MAX_NPY_HEADER_BYTES} are accepted`);
  }
  return 8 + fieldBytes + headerBytes;
}

/** A tokenizer over the header literal; its failures never show the text. */
class Literal {
  private at = 0;
  constructor(
    private readonly text: string,
    private readonly origin: NpyOrigin,
  ) {}

  fail(what: string): never {
    throw npyError(this.origin, `the header is not a dict this reader understands (${what})`);
  }

  private skipSpace(): void {
    while (this.at < this.text.length && ' \t\n\r'.includes(this.text[this.at] ?? '')) this.at++;
  }

  peek(): string {
    this.skipSpace();
    return this.text[this.at] ?? '';
  }

  expect(char: string, what: string): void {
    if (this.peek() !== char) this.fail(what);
    this.at++;
  }

  /** Consumes `char` if it comes next. */
  accept(char: string): boolean {
    if (this.peek() !== char) return false;
    this.at++;
    return true;
  }

  string(): string {
    const quote = this.peek();
    if (quote !== "'" && quote !== '"') this.fail('expected a quoted string');
    const end = this.text.indexOf(quote, this.at + 1);
    if (end < 0) this.fail('a string is not closed');
    const value = this.text.slice(this.at + 1, end);
    if (value.includes('\\')) this.fail('escapes in a string');
    this.at = end + 1;
    return value;
  }

  word(): string {
    this.skipSpace();
    const start = this.at;
    while (this.at < this.text.length && /[A-Za-z0-9_]/.test(this.text[this.at] ?? '')) this.at++;
    return this.text.slice(start, this.at);
  }

  end(): void {
    if (this.peek() !== '') this.fail('text after the closing brace');
  }
}

function parseDimension(literal: Literal, origin: NpyOrigin): number {
  // numpy under Python 2 wrote longs as `3L`.
  const word = literal.word().replace(/L$/, '');
  if (!/^\d{1,16}$/.test(word)) literal.fail('a dimension is not a whole number');
  const value = Number(word);
  if (!Number.isSafeInteger(value)) throw npyError(origin, 'a dimension of the shape is too large');
  return value;
}

function parseShape(literal: Literal, origin: NpyOrigin): number[] {
  literal.expect('(', "'shape' is not a tuple");
  const shape: number[] = [];
  while (!literal.accept(')')) {
    if (shape.length >= MAX_NPY_RANK) throw npyError(origin, `the shape has more than ${MAX_NPY_RANK} dimensions`);
    shape.push(parseDimension(literal, origin));
    if (!literal.accept(',')) {
      literal.expect(')', "'shape' is not a tuple of whole numbers");
      break;
    }
  }
  return shape;
}

/** Our own words for a dtype we do not read, so the message never repeats the header's text. */
function unsupportedDtype(descr: string): string {
  const code = descr.replace(/^[<>|=]/, '');
  if (code === 'f2' || code === 'e') return 'float16';
  if (/^c\d+$/.test(code)) return 'complex numbers';
  if (/^[USa]\d*$/.test(code)) return 'strings';
  if (code === 'O') return 'Python objects (pickled)';
  if (/^[Mm]8/.test(code)) return 'dates or times';
  if (/^V\d*$/.test(code)) return 'raw bytes';
  return 'an unrecognized dtype';
}

function parseDtype(descr: string, origin: NpyOrigin): NpyDtype {
  const match = /^([<>|=])([fiub])([1248])$/.exec(descr);
  const supported = 'float32/64, int8–64, uint8–64 or bool';
  if (match === null) throw npyError(origin, `the array holds ${unsupportedDtype(descr)} — expected ${supported}`);
  const [, order, letter, size] = match;
  const bytes = Number(size) as 1 | 2 | 4 | 8;
  const kind: NpyDtypeKind = letter === 'f' ? 'float' : letter === 'i' ? 'int' : letter === 'u' ? 'uint' : 'bool';
  if ((kind === 'float' && bytes < 4) || (kind === 'bool' && bytes !== 1)) {
    throw npyError(origin, `the array holds ${unsupportedDtype(descr)} — expected ${supported}`);
  }
  // '=' is the writer's native order; numpy always writes '<' or '>' (or '|' for one byte).
  return { kind, bytes, littleEndian: order !== '>' };
}

/** Parses the header bytes (`bytes` holds at least `dataOffset` bytes, from the magic on). */
export function parseNpyHeader(bytes: Uint8Array, dataOffset: number, origin: NpyOrigin): NpyHeader {
  const major = bytes[6] ?? 1;
  const headerStart = major === 1 ? 10 : 12;
  const raw = bytes.subarray(headerStart, dataOffset);
  // Versions 1 and 2 are latin1, version 3 is UTF-8; a plain header is ASCII in both.
  const text = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(raw);
  const literal: Literal = new Literal(text, origin);
  literal.expect('{', 'no opening brace');
  let descr: string | undefined;
  let fortranOrder: boolean | undefined;
  let shape: number[] | undefined;
  while (!literal.accept('}')) {
    const key = literal.string();
    literal.expect(':', 'a key without a colon');
    if (key === 'descr') {
      if (literal.peek() === '[') throw npyError(origin, 'the array has a structured dtype (named fields) — expected plain numbers');
      descr = literal.string();
    } else if (key === 'fortran_order') {
      const word = literal.word();
      if (word !== 'True' && word !== 'False') literal.fail("'fortran_order' is not True or False");
      fortranOrder = word === 'True';
    } else if (key === 'shape') {
      shape = parseShape(literal, origin);
    } else {
      literal.fail('an unknown key');
    }
    if (!literal.accept(',')) {
      literal.expect('}', 'entries not separated by commas');
      break;
    }
  }
  literal.end();
  if (descr === undefined || fortranOrder === undefined || shape === undefined) {
    literal.fail("'descr', 'fortran_order' and 'shape' are all required");
  }
  const dtype = parseDtype(descr, origin);
  let valueCount = 1;
  for (const dimension of shape) valueCount *= dimension;
  if (valueCount > MAX_ARRAY_VALUES) {
    throw npyError(origin, `the shape [${shape.join(', ')}] holds ${valueCount} values — at most ${MAX_ARRAY_VALUES} are supported`);
  }
  return { dtype, fortranOrder, shape, valueCount, dataOffset, dataBytes: valueCount * dtype.bytes };
}
