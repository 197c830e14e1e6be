import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DATATYPES, GRPC_CONTENTS_FIELDS, grpcContentsField } from '../src/index.js';

test('every datatype but FP16 and BF16 has exactly one typed gRPC contents field (spec §0)', () => {
  const fields = Object.fromEntries(DATATYPES.map((d) => [d, grpcContentsField(d)]));
  assert.deepEqual(fields, {
    BOOL: 'bool_contents', UINT8: 'uint_contents', UINT16: 'uint_contents', UINT32: 'uint_contents',
    UINT64: 'uint64_contents', INT8: 'int_contents', INT16: 'int_contents', INT32: 'int_contents',
    INT64: 'int64_contents', FP16: undefined, FP32: 'fp32_contents', FP64: 'fp64_contents', BYTES: 'bytes_contents',
    BF16: undefined,
  });
  const listed = GRPC_CONTENTS_FIELDS.flatMap((e) => e.datatypes);
  assert.equal(new Set(listed).size, listed.length, 'no datatype in two fields');
  for (const e of GRPC_CONTENTS_FIELDS) assert.ok(e.datatypes.includes(e.widest), `${e.field}: widest is carried`);
});
