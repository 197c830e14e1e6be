/**
 * ONNX models for ragged batching, built like Triton's qa/common/gen_qa_ragged_models.py: a ragged
 * input reaches the model flattened to 1-D, batch inputs are extra 1-D (or [batch, k]) inputs, and
 * outputs carry a batch dim so the server can scatter them back per request.
 */
import { GraphBuilder } from '../../../../scripts/onnx-builder.js';

/**
 * The documented example (docs/user_guide/ragged_batching.md): INPUT [-1] plus INDEX =
 * BATCH_ACCUMULATED_ELEMENT_COUNT (FP32). SUM [batch, 1] is each request's own sum, computed from
 * the concatenation: cumsum at each INDEX end minus the one before.
 */
export function raggedSumModel(): Uint8Array {
  return new GraphBuilder('ragged_sum')
    .input('INPUT', 'FLOAT', ['n']).input('INDEX', 'FLOAT', ['r'])
    .initializer('axis0', 'INT64', [], [0]).initializer('one', 'INT64', [1], [1])
    .initializer('zero_f', 'FLOAT', [1], [0])
    .initializer('start0', 'INT64', [1], [0]).initializer('end_last', 'INT64', [1], [-1])
    .initializer('axes1', 'INT64', [1], [1])
    .node('CumSum', ['INPUT', 'axis0'], ['cs'])
    .node('Cast', ['INDEX'], ['index_i'], { to: { int: 7 } })
    .node('Sub', ['index_i', 'one'], ['last'])
    .node('Gather', ['cs', 'last'], ['ends'], { axis: { int: 0 } })
    .node('Concat', ['zero_f', 'ends'], ['ends0'], { axis: { int: 0 } })
    .node('Slice', ['ends0', 'start0', 'end_last'], ['prev'])
    .node('Sub', ['ends', 'prev'], ['sums'])
    .node('Unsqueeze', ['sums', 'axes1'], ['SUM'])
    .output('SUM', 'FLOAT', ['r', 1])
    .toBytes();
}

/**
 * One ragged input and four batch inputs, each echoed to every request as in Triton's qa models:
 * OUT_x = x broadcast to [batch, len(x)] (batch = number of requests, from COUNT's length).
 * RAGGED_OUTPUT = 2 * RAGGED_INPUT, flat, for a BATCH_SCATTER_WITH_INPUT_SHAPE batch output.
 */
export function batchInputKindsModel(): Uint8Array {
  const g = new GraphBuilder('batch_input_kinds')
    .input('RAGGED_INPUT', 'FLOAT', ['n'])
    .input('COUNT', 'INT32', ['r']).input('ACC0', 'FLOAT', ['r1'])
    .input('MAXSHAPE', 'FLOAT', ['m']).input('FLAT', 'FLOAT', ['k'])
    .initializer('axes0', 'INT64', [1], [0]).initializer('two', 'FLOAT', [], [2])
    .node('Shape', ['COUNT'], ['rows'])
    .node('Mul', ['RAGGED_INPUT', 'two'], ['RAGGED_OUTPUT']);
  for (const x of ['COUNT', 'ACC0', 'MAXSHAPE', 'FLAT']) {
    g.node('Shape', [x], [`${x}_len`])
      .node('Concat', ['rows', `${x}_len`], [`${x}_shape`], { axis: { int: 0 } })
      .node('Unsqueeze', [x, 'axes0'], [`${x}_row`])
      .node('Expand', [`${x}_row`, `${x}_shape`], [`OUT_${x}`]);
  }
  return g
    .output('RAGGED_OUTPUT', 'FLOAT', ['n'])
    .output('OUT_COUNT', 'INT32', ['r', 'r']).output('OUT_ACC0', 'FLOAT', ['r', 'r1'])
    .output('OUT_MAXSHAPE', 'FLOAT', ['r', 'm']).output('OUT_FLAT', 'FLOAT', ['r', 'k'])
    .toBytes();
}

/** Triton's batch_item model: RAGGED_INPUT [-1] and BATCH_INPUT = BATCH_ITEM_SHAPE [batch, 2], echoed. */
export function batchItemShapeModel(): Uint8Array {
  return new GraphBuilder('batch_item')
    .input('RAGGED_INPUT', 'FLOAT', ['n']).input('BATCH_INPUT', 'FLOAT', ['b', 2])
    .node('Identity', ['BATCH_INPUT'], ['BATCH_OUTPUT'])
    .output('BATCH_OUTPUT', 'FLOAT', ['b', 2])
    .toBytes();
}
