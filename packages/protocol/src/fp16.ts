/**
 * IEEE half precision (FP16) and bfloat16 (BF16) <-> JS number, rounding to nearest, ties to even.
 * Both are raw-only on the wire (binary tensor extension, gRPC raw contents); JSON refuses them.
 *
 * Encoding rounds straight from the double (no detour through float32, which would round twice).
 */

/** 2^n as an exact double (n in [-1074, 1023]). */
function pow2(n: number): number {
  return 2 ** n;
}

/** floor(log2(a)) for finite a > 0, corrected where Math.log2 rounds across a power of two. */
function exponentOf(a: number): number {
  let e = Math.floor(Math.log2(a));
  if (pow2(e) > a) e -= 1;
  else if (pow2(e + 1) <= a) e += 1;
  return e;
}

/** Rounds a non-negative double to an integer, ties to even. */
function roundHalfEven(x: number): number {
  const r = Math.floor(x);
  const diff = x - r;
  if (diff > 0.5 || (diff === 0.5 && r % 2 === 1)) return r + 1;
  return r;
}

interface Format {
  readonly expBits: number;
  readonly mantBits: number;
  readonly bias: number;
  readonly quietNan: number;
}

const HALF: Format = { expBits: 5, mantBits: 10, bias: 15, quietNan: 0x7e00 };
const BRAIN: Format = { expBits: 8, mantBits: 7, bias: 127, quietNan: 0x7fc0 };

function encode(value: number, f: Format): number {
  const signBit = value < 0 || Object.is(value, -0) ? 0x8000 : 0;
  const expMask = (1 << f.expBits) - 1;
  const infBits = expMask << f.mantBits;
  if (Number.isNaN(value)) return f.quietNan;
  const a = Math.abs(value);
  if (a === Infinity) return signBit | infBits;
  if (a === 0) return signBit;
  const minNormalExp = 1 - f.bias;
  let e = exponentOf(a);
  if (e < minNormalExp) {
    // Subnormal: a = m * 2^(minNormalExp - mantBits); m may round up into the smallest normal.
    const m = roundHalfEven(a * pow2(f.mantBits - minNormalExp));
    return signBit | m;
  }
  let m = roundHalfEven(a * pow2(f.mantBits - e));
  if (m === 1 << (f.mantBits + 1)) {
    m >>= 1;
    e += 1;
  }
  const biased = e + f.bias;
  if (biased >= expMask) return signBit | infBits;
  return signBit | (biased << f.mantBits) | (m - (1 << f.mantBits));
}

function decode(bits: number, f: Format): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const expMask = (1 << f.expBits) - 1;
  const exp = (bits >> f.mantBits) & expMask;
  const mant = bits & ((1 << f.mantBits) - 1);
  if (exp === expMask) return mant === 0 ? sign * Infinity : NaN;
  if (exp === 0) return sign * mant * pow2(1 - f.bias - f.mantBits);
  return sign * (mant + (1 << f.mantBits)) * pow2(exp - f.bias - f.mantBits);
}

/** Number -> FP16 bit pattern (uint16). */
export function numberToFp16Bits(value: number): number {
  return encode(value, HALF);
}

/** FP16 bit pattern (uint16) -> number (exact). */
export function fp16BitsToNumber(bits: number): number {
  return decode(bits, HALF);
}

/** Number -> BF16 bit pattern (uint16): the high half of the float32 pattern, rounded to nearest even. */
export function numberToBf16Bits(value: number): number {
  return encode(value, BRAIN);
}

/** BF16 bit pattern (uint16) -> number (exact). */
export function bf16BitsToNumber(bits: number): number {
  return decode(bits, BRAIN);
}

function encodeArray(values: ArrayLike<number>, toBits: (v: number) => number): Uint8Array {
  const out = new Uint8Array(values.length * 2);
  for (let i = 0; i < values.length; i++) {
    const b = toBits(values[i]!);
    out[2 * i] = b & 0xff;
    out[2 * i + 1] = b >> 8;
  }
  return out;
}

function decodeArray(bytes: Uint8Array, toNumber: (b: number) => number): Float32Array {
  if (bytes.byteLength % 2 !== 0) throw new RangeError(`16-bit tensor data has odd byte length ${bytes.byteLength}`);
  const out = new Float32Array(bytes.byteLength / 2);
  for (let i = 0; i < out.length; i++) out[i] = toNumber(bytes[2 * i]! | (bytes[2 * i + 1]! << 8));
  return out;
}

/** Little-endian FP16 tensor bytes from numbers. */
export function encodeFp16(values: ArrayLike<number>): Uint8Array {
  return encodeArray(values, numberToFp16Bits);
}

/** Little-endian FP16 tensor bytes -> Float32Array (every FP16 value is exact in float32). */
export function decodeFp16(bytes: Uint8Array): Float32Array {
  return decodeArray(bytes, fp16BitsToNumber);
}

/** Little-endian BF16 tensor bytes from numbers. */
export function encodeBf16(values: ArrayLike<number>): Uint8Array {
  return encodeArray(values, numberToBf16Bits);
}

/** Little-endian BF16 tensor bytes -> Float32Array (every BF16 value is exact in float32). */
export function decodeBf16(bytes: Uint8Array): Float32Array {
  return decodeArray(bytes, bf16BitsToNumber);
}
