import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EXAMPLES } from '../../../../scripts/generate-example-models.js';

const models = fileURLToPath(new URL('../../../../examples/models/', import.meta.url));

test('the committed example repository is what scripts/generate-example-models.ts writes', () => {
  for (const e of EXAMPLES) {
    const dir = join(models, e.name);
    if (e.config === undefined) assert.equal(existsSync(join(dir, 'config.pbtxt')), false, `${e.name} has no config.pbtxt`);
    else assert.equal(readFileSync(join(dir, 'config.pbtxt'), 'utf8'), e.config, `${e.name}/config.pbtxt`);
    if (e.labels !== undefined) assert.equal(readFileSync(join(dir, 'labels.txt'), 'utf8'), `${e.labels.join('\n')}\n`);
    if (e.model !== undefined) assert.ok(readFileSync(join(dir, '1', 'model.onnx')).equals(e.model), `${e.name}/1/model.onnx`);
  }
  assert.deepEqual(EXAMPLES.map((e) => e.name).sort(),
    ['accumulator', 'autocomplete', 'classifier', 'identity_fp32', 'nobatch', 'silero_vad', 'simple', 'strings', 'text_direction']);
});
