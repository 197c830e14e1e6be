import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  bf16BitsToNumber, decodeBf16, decodeFp16, encodeBf16, encodeFp16, fp16BitsToNumber, numberToBf16Bits, numberToFp16Bits,
} from '../src/index.js';

test('FP16 encodes exact values, rounds to nearest even, saturates to Infinity', () => {
  assert.equal(numberToFp16Bits(1), 0x3c00);
  assert.equal(numberToFp16Bits(-2), 0xc000);
  assert.equal(numberToFp16Bits(65504), 0x7bff);
  assert.equal(numberToFp16Bits(65520), 0x7c00); // halfway to the next step rounds to even = overflow
  assert.equal(numberToFp16Bits(65519.99), 0x7bff);
  assert.equal(numberToFp16Bits(2 ** -24), 0x0001); // smallest subnormal
  assert.equal(numberToFp16Bits(2 ** -25), 0x0000); // tie -> even (0)
  assert.equal(numberToFp16Bits(3 * 2 ** -25), 0x0002); // tie -> even (2)
  assert.equal(numberToFp16Bits(1 + 2 ** -11), 0x3c00); // tie -> even mantissa
  assert.equal(numberToFp16Bits(1 + 3 * 2 ** -11), 0x3c02);
  assert.equal(numberToFp16Bits(0.1), 0x2e66);
  assert.equal(numberToFp16Bits(-0), 0x8000);
  assert.equal(numberToFp16Bits(Infinity), 0x7c00);
  assert.equal(numberToFp16Bits(NaN), 0x7e00);
  assert.equal(fp16BitsToNumber(0x2e66), 0.0999755859375);
  assert.equal(fp16BitsToNumber(0x0001), 2 ** -24);
  assert.equal(fp16BitsToNumber(0xfc00), -Infinity);
  assert.ok(Number.isNaN(fp16BitsToNumber(0x7e00)));
});

test('FP16 round-trips every finite bit pattern', () => {
  for (let b = 0; b < 0x10000; b++) {
    const v = fp16BitsToNumber(b);
    if (Number.isNaN(v)) continue;
    assert.equal(numberToFp16Bits(v), b);
  }
});

test('BF16 rounds to nearest even from the double and round-trips', () => {
  assert.equal(numberToBf16Bits(1), 0x3f80);
  assert.equal(numberToBf16Bits(3.140625), 0x4049);
  assert.equal(numberToBf16Bits(1 + 2 ** -8), 0x3f80); // tie -> even
  assert.equal(numberToBf16Bits(1 + 3 * 2 ** -8), 0x3f82);
  assert.equal(numberToBf16Bits(-Infinity), 0xff80);
  assert.equal(numberToBf16Bits(NaN), 0x7fc0);
  assert.equal(bf16BitsToNumber(0x4049), 3.140625);
  for (let b = 0; b < 0x10000; b++) {
    const v = bf16BitsToNumber(b);
    if (!Number.isNaN(v)) assert.equal(numberToBf16Bits(v), b);
  }
});

test('array helpers write little-endian pairs', () => {
  assert.deepEqual([...encodeFp16([1, -2])], [0x00, 0x3c, 0x00, 0xc0]);
  assert.deepEqual([...decodeFp16(new Uint8Array([0x00, 0x3c, 0x00, 0xc0]))], [1, -2]);
  assert.deepEqual([...encodeBf16([1.5])], [0xc0, 0x3f]);
  assert.deepEqual([...decodeBf16(new Uint8Array([0xc0, 0x3f]))], [1.5]);
});
