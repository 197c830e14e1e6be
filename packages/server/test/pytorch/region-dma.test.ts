/**
 * Issue 15: the pytorch backend DMAs a batch to the GPU from the shared region it lies in, when the batch's
 * rows lie there back to back (stub/_inferd_torch_staging.py). There is no GPU here, so this drives the
 * part that decides: a real tmpfs mapping with bodies written as the server writes them, views made by
 * the stub's own wire code (Channel._mapped_body), and `contiguous_rows` must give one array over exactly
 * those bytes (no copy) or refuse. Registration on a machine without CUDA must say no, never raise, and
 * the staging path then keeps the answer right (the rest of test/pytorch covers that path).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { pythonInterpreter, stubDirectory } from '../../src/backends/python/interpreter.js';

const SCRIPT = String.raw`
import mmap, os, sys, tempfile
import numpy as np
sys.path.insert(0, sys.argv[1])
import _inferd_wire as wire
import _inferd_torch_staging as staging

fd, path = tempfile.mkstemp(dir="/dev/shm")
os.unlink(path)
os.ftruncate(fd, 1 << 22)
ch = wire.Channel(-1, shm_in=fd)
rows = [np.full((1, 3, 4, 4), k, dtype=np.float32) for k in range(5)]
# The server writes one execute body: request after request, each input's bytes back to back.
blob = b"".join(r.tobytes() for r in rows)
os.pwrite(fd, blob, 8192)
body = ch._mapped_body(8192, len(blob))
views = [body[k * 192:(k + 1) * 192].view(np.float32).reshape(1, 3, 4, 4) for k in range(5)]
joined, mm = staging.contiguous_rows(views)
assert mm is not None and isinstance(mm, mmap.mmap)
assert joined.shape == (5, 3, 4, 4), joined.shape
assert joined.ctypes.data == views[0].ctypes.data, "a view over the region, not a copy"
assert np.array_equal(joined, np.concatenate(rows)), "the rows, in order"
# Not back to back (a gap, or out of order), another dtype, or not in a mapping at all: refused.
assert staging.contiguous_rows([views[0], views[2]])[0] is None
assert staging.contiguous_rows([views[1], views[0]])[0] is None
assert staging.contiguous_rows([views[0], body[192:192 + 96].view(np.float64).reshape(1, 3, 4, 1)])[0] is None
assert staging.contiguous_rows([r.copy() for r in rows])[0] is None
# One view alone is its own batch.
one, _ = staging.contiguous_rows([views[3]])
assert one.ctypes.data == views[3].ctypes.data and np.array_equal(one, rows[3])
# Without CUDA the driver cannot page-lock it: no, and asked only once.
reg = staging.RegisteredMappings()
first = reg.registered(mm)
assert reg.registered(mm) == first
print("ok", first)
`;

test('a batch lying back to back in the region is one view over it; anything else is refused', () => {
  const r = spawnSync(pythonInterpreter({}), ['-c', SCRIPT, stubDirectory()], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  // This machine has no GPU: registration is refused (true only where CUDA is present).
  assert.match(r.stdout, /^ok (False|True)$/m);
});
