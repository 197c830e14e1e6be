/**
 * Every ensemble load-time check, with Triton's exact message as the model's index reason: the config's
 * own data flow, forbidden fields, the steps against the members' configs, and the members themselves
 * (unknown, failed, wrong version, circular). One repository holds every case.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ensembleConfig, startServer, step } from './support.js';
import { identityConfig } from '../support/temp-repo.js';

const FP = (name: string, dims = '[ -1 ]') => `{ name: "${name}" data_type: TYPE_FP32 dims: ${dims} }`;
const io = (inputs: string[], outputs: string[], dims?: string) =>
  `input [ ${inputs.map((n) => FP(n, dims)).join(', ')} ]\noutput [ ${outputs.map((n) => FP(n, dims)).join(', ')} ]`;
const id = (input: string, output: string, extra = '') => step('id', { INPUT0: input }, { OUTPUT0: output }, extra);

const pairConfig = (type: string) => [
  'backend: "identity"', 'max_batch_size: 0',
  `input [ { name: "INPUT0" data_type: ${type} dims: [ -1 ] }, { name: "INPUT1" data_type: ${type} dims: [ -1 ] } ]`,
  `output [ { name: "OUTPUT0" data_type: ${type} dims: [ -1 ] }, { name: "OUTPUT1" data_type: ${type} dims: [ -1 ] } ]`,
].join('\n');

const repeatConfig = [
  'backend: "repeat"', 'max_batch_size: 0', 'model_transaction_policy { decoupled: true }',
  'input [ { name: "IN" data_type: TYPE_INT32 dims: [ -1 ] } ]',
  'output [ { name: "OUT" data_type: TYPE_INT32 dims: [ 1 ] }, { name: "IDX" data_type: TYPE_UINT32 dims: [ 1 ] } ]',
].join('\n');

/** Ensemble name -> [config body, max_batch_size, expected reason]. */
const CASES: Record<string, [string, number, string]> = {
  e_in_unused: [`${io(['IN', 'IN2'], ['OUT'])}\nensemble_scheduling { ${id('IN', 'OUT')} }`, 0,
    "ensemble input 'IN2' for ensemble e_in_unused' is not used"],
  e_out_unused: [`${io(['IN'], ['OUT', 'OUT2'])}\nensemble_scheduling { ${id('IN', 'OUT')} }`, 0,
    "ensemble output 'OUT2' for ensemble e_out_unused' is not used"],
  e_not_written: [`${io(['IN'], ['OUT', 'OUT2'])}\nensemble_scheduling { ${id('IN', 'OUT')} ${id('nowhere', 'OUT2')} }`, 0,
    "output 'OUT2' for ensemble 'e_not_written' is not written"],
  e_dangling: [`${io(['IN'], ['OUT'])}\nensemble_scheduling { ${id('IN', 'OUT')} ${id('IN', 'EXTRA')} }`, 0,
    "ensemble tensor 'EXTRA' is unused in ensemble 'e_dangling'"],
  e_twice: [`${io(['IN'], ['OUT'])}\nensemble_scheduling { ${id('IN', 'OUT')} ${id('IN', 'OUT')} }`, 0,
    "ensemble tensor 'OUT' can appear in an output map only once for ensemble 'e_twice' step 1"],
  // OUT needs `back`, which needs `fwd`, which needs OUT's own step: never ready.
  e_cycle: [`${io(['IN'], ['OUT'])}\nensemble_scheduling { ${step('pair', { INPUT0: 'IN', INPUT1: 'back' }, { OUTPUT0: 'OUT', OUTPUT1: 'fwd' })} ${id('fwd', 'back')} }`, 0,
    "output 'OUT' for ensemble 'e_cycle' is not written"],
  e_loop: [`${io(['IN'], ['OUT'])}\nensemble_scheduling { ${id('t2', 't1')} ${id('t1', 't2')} ${id('IN', 'OUT')} }`, 0,
    "ensemble tensor 't1' is unused in ensemble 'e_loop'"],
  e_no_steps: [`${io(['IN'], ['OUT'])}\nensemble_scheduling { }`, 0, "must specify 'step' for ensemble 'e_no_steps'"],
  e_no_output_map: [`${io(['IN'], ['OUT'])}\nensemble_scheduling { ${id('IN', 'OUT')} step { model_name: "id" input_map { key: "INPUT0" value: "IN" } } }`, 0,
    "must specify 'output_map' in step 1 of ensemble 'e_no_output_map'"],
  e_group: [`${io(['IN'], ['OUT'])}\ninstance_group [ { kind: KIND_CPU } ]\nensemble_scheduling { ${id('IN', 'OUT')} }`, 0,
    "instance group should not be specified for ensemble 'e_group'"],
  e_opt: [`${io(['IN'], ['OUT'])}\noptimization { graph { level: 1 } }\nensemble_scheduling { ${id('IN', 'OUT')} }`, 0,
    "optimization should not be specified for ensemble 'e_opt'"],
  e_warmup: [`${io(['IN'], ['OUT'])}\nmodel_warmup [ { name: "w" batch_size: 1 } ]\nensemble_scheduling { ${id('IN', 'OUT')} }`, 0,
    "model_warmup can not be specified for ensemble 'e_warmup'"],
  e_batch: [`${io(['IN'], ['OUT'], '[ 4 ]')}\nensemble_scheduling { ${step('id4', { INPUT0: 'IN' }, { OUTPUT0: 'OUT' })} }`, 8,
    'ensemble e_batch allows maximum batch size 8, but it contains model id4 which only allows maximum batch size to be 4'],
  e_dtype: [`input [ { name: "IN" data_type: TYPE_INT32 dims: [ -1 ] } ]\noutput [ ${FP('OUT')} ]\nensemble_scheduling { ${id('IN', 'OUT')} }`, 0,
    'in ensemble e_dtype, ensemble tensor IN: inconsistent data type: TYPE_INT32 is inferred from model e_dtype while TYPE_FP32 is inferred from model id'],
  e_shape: [`${io(['IN'], ['OUT'], '[ 3 ]')}\nensemble_scheduling { ${step('id4', { INPUT0: 'IN' }, { OUTPUT0: 'OUT' })} }`, 4,
    'in ensemble e_shape, ensemble tensor IN: inconsistent shape: [-1,3] is inferred from model e_shape while [-1,4] is inferred from model id4'],
  e_no_input: [`${io(['IN'], ['OUT'])}\nensemble_scheduling { ${step('id', { BOGUS: 'IN' }, { OUTPUT0: 'OUT' })} }`, 0,
    'in ensemble e_no_input, ensemble tensor IN is mapping to non-existing input BOGUS in model id'],
  e_no_output: [`${io(['IN'], ['OUT'])}\nensemble_scheduling { ${step('id', { INPUT0: 'IN' }, { BOGUS: 'OUT' })} }`, 0,
    'in ensemble e_no_output, ensemble tensor OUT is mapped from non-existing output BOGUS in model id'],
  e_unmapped: [`${io(['IN'], ['OUT'])}\nensemble_scheduling { ${step('pair', { INPUT0: 'IN' }, { OUTPUT0: 'OUT' })} }`, 0,
    'in ensemble e_unmapped, input INPUT1 in model pair is not mapped to any ensemble tensors'],
  e_mixed: [
    'input [ { name: "IN" data_type: TYPE_INT32 dims: [ -1 ] } ]\noutput [ { name: "OUT" data_type: TYPE_INT32 dims: [ -1 ] } ]\n' +
      `ensemble_scheduling { ${step('rep', { IN: 'IN' }, { OUT: 'a' })} ${step('rep', { IN: 'IN' }, { OUT: 'b' })} ` +
      `${step('pair_i32', { INPUT0: 'a', INPUT1: 'b' }, { OUTPUT0: 'OUT' })} }`, 0,
    // Triton names the model that declared the tensor first: for an ensemble output, the ensemble.
    "in ensemble e_mixed, step of model 'e_mixed' receives inputs originated from different decoupled models"],
  e_unknown: [`${io(['IN'], ['OUT'])}\nensemble_scheduling { ${step('nope', { INPUT0: 'IN' }, { OUTPUT0: 't' })} ${step('nope2', { INPUT0: 't' }, { OUTPUT0: 'OUT' })} }`, 0,
    'ensemble e_unknown contains models that are not available or ambiguous: nope, nope2'],
  e_version: [`${io(['IN'], ['OUT'])}\nensemble_scheduling { ${id('IN', 'OUT', 'model_version: 7')} }`, 0,
    "ensemble 'e_version' depends on 'id' whose required version 7 is not loaded."],
  c1: [`${io(['IN'], ['OUT'])}\nensemble_scheduling { ${step('c2', { IN: 'IN' }, { OUT: 'OUT' })} }`, 0,
    'circular dependency between ensembles: c1 -> ... -> c2 -> c1'],
  c2: [`${io(['IN'], ['OUT'])}\nensemble_scheduling { ${step('c1', { IN: 'IN' }, { OUT: 'OUT' })} }`, 0,
    'circular dependency between ensembles: c2 -> ... -> c1 -> c2'],
  uses_c1: [`${io(['IN'], ['OUT'])}\nensemble_scheduling { ${step('c1', { IN: 'IN' }, { OUT: 'OUT' })} }`, 0,
    "ensemble 'uses_c1' depends on 'c1' which is not valid. Model 'c1' failed with error: circular dependency between ensembles: c1 -> ... -> c2 -> c1"],
};

test('each ensemble validation error is reported with Triton\'s message; valid models still load', async () => {
  const files: Record<string, string | null> = {
    'id/config.pbtxt': identityConfig(), 'id/1/': null,
    'id4/config.pbtxt': identityConfig('', '[ 4 ]', 4), 'id4/1/': null,
    'pair/config.pbtxt': pairConfig('TYPE_FP32'), 'pair/1/': null,
    'pair_i32/config.pbtxt': pairConfig('TYPE_INT32'), 'pair_i32/1/': null,
    'rep/config.pbtxt': repeatConfig, 'rep/1/': null,
    'broken/config.pbtxt': 'backend: "identity"\nbogus_field: 1\n', 'broken/1/': null,
    'nofile/config.pbtxt': 'platform: "onnxruntime_onnx"\nmax_batch_size: 0\ninput [ { name: "INPUT0" data_type: TYPE_FP32 dims: [ -1 ] } ]\noutput [ { name: "OUTPUT0" data_type: TYPE_FP32 dims: [ -1 ] } ]',
    'nofile/1/': null,
    'e_broken/config.pbtxt': ensembleConfig('e_broken', `${io(['IN'], ['OUT'])}\nensemble_scheduling { ${step('broken', { INPUT0: 'IN' }, { OUTPUT0: 'OUT' })} }`),
    'e_broken/1/': null,
    'e_nofile/config.pbtxt': ensembleConfig('e_nofile', `${io(['IN'], ['OUT'])}\nensemble_scheduling { ${step('nofile', { INPUT0: 'IN' }, { OUTPUT0: 'OUT' })} }`),
    'e_nofile/1/': null,
    'good/config.pbtxt': ensembleConfig('good', `${io(['IN'], ['OUT'])}\nensemble_scheduling { ${id('IN', 'OUT')} }`),
    'good/1/': null,
  };
  for (const [name, [body, maxBatch]] of Object.entries(CASES)) {
    files[`${name}/config.pbtxt`] = ensembleConfig(name, body, maxBatch);
    files[`${name}/1/`] = null;
  }
  const s = await startServer(files);
  try {
    const index = new Map(s.server.repositoryIndex().map((e) => [e.name, e]));
    for (const [name, [, , reason]] of Object.entries(CASES)) {
      assert.equal(index.get(name)?.state, 'UNAVAILABLE', name);
      assert.equal(index.get(name)?.reason, reason, name);
    }
    const broken = index.get('broken')!.reason!;
    assert.match(broken, /bogus_field/);
    assert.equal(index.get('e_broken')?.reason,
      `ensemble 'e_broken' depends on 'broken' which is not valid. Model 'broken' failed with error: ${broken}`);
    const nofile = index.get('nofile')!.reason!;
    assert.equal(index.get('nofile')?.state, 'UNAVAILABLE');
    assert.equal(index.get('e_nofile')?.reason,
      `ensemble 'e_nofile' depends on 'nofile' which has no loaded version. Model 'nofile' loading failed with error: ${nofile}`);
    assert.equal(index.get('good')?.state, 'READY');
    assert.ok(s.failed.includes('e_dtype') && !s.failed.includes('good'));
  } finally {
    await s.close();
  }
});
