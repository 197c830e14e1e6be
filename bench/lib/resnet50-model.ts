// A ResNet-50-shaped ONNX model built with our GraphBuilder (no download): the v1.5 layout (7x7/2 stem,
// max pool, bottleneck stages of 3, 4, 6, 3 blocks at widths 64..512 with 4x expansion, stride on the 3x3
// conv, projection shortcuts), batch norm folded into the convolutions as exported inference graphs have
// it, global average pool and a 2048 -> 1000 Gemm. ~25.5M deterministic pseudo-random weights (He scale),
// so the FLOPs (~4.1 GFLOP per image) and memory traffic are a real ResNet-50's; the outputs mean nothing.
import { GraphBuilder } from '../../scripts/onnx-builder.js';
import { uniformWeights } from './weights.js';

/** He-scaled uniform weights: variance 2 / fanIn. */
function heWeights(n: number, fanIn: number, seed: number): Float32Array {
  return uniformWeights(n, seed, Math.sqrt(2 / fanIn) * Math.sqrt(3));
}

export function resnet50Model(): Uint8Array {
  const g = new GraphBuilder('resnet50_shaped').input('input', 'FLOAT', ['batch', 3, 224, 224]);
  let seed = 1;
  let n = 0;
  const conv = (x: string, cin: number, cout: number, k: number, stride: number, relu: boolean): string => {
    const id = n++;
    const w = `w${id}`;
    const b = `b${id}`;
    // Float32Array stands in for number[]: the builder copies it with Float32Array.from.
    g.initializer(w, 'FLOAT', [cout, cin, k, k], heWeights(cout * cin * k * k, cin * k * k, seed++) as unknown as number[]);
    g.initializer(b, 'FLOAT', [cout], new Float32Array(cout) as unknown as number[]);
    const pad = Math.floor(k / 2);
    g.node('Conv', [x, w, b], [`c${id}`], { kernel_shape: { ints: [k, k] }, strides: { ints: [stride, stride] }, pads: { ints: [pad, pad, pad, pad] } });
    if (!relu) return `c${id}`;
    g.node('Relu', [`c${id}`], [`r${id}`]);
    return `r${id}`;
  };
  let x = conv('input', 3, 64, 7, 2, true);
  g.node('MaxPool', [x], ['pool0'], { kernel_shape: { ints: [3, 3] }, strides: { ints: [2, 2] }, pads: { ints: [1, 1, 1, 1] } });
  x = 'pool0';
  let cin = 64;
  const stages: Array<[blocks: number, width: number]> = [[3, 64], [4, 128], [6, 256], [3, 512]];
  stages.forEach(([blocks, width], s) => {
    for (let i = 0; i < blocks; i++) {
      const stride = i === 0 && s > 0 ? 2 : 1;
      const cout = width * 4;
      const a = conv(x, cin, width, 1, 1, true);
      const b = conv(a, width, width, 3, stride, true);
      const c = conv(b, width, cout, 1, 1, false);
      const shortcut = i === 0 ? conv(x, cin, cout, 1, stride, false) : x;
      const id = n++;
      g.node('Add', [c, shortcut], [`sum${id}`]);
      g.node('Relu', [`sum${id}`], [`out${id}`]);
      x = `out${id}`;
      cin = cout;
    }
  });
  g.node('GlobalAveragePool', [x], ['gap']);
  g.node('Flatten', ['gap'], ['flat'], { axis: { int: 1 } });
  g.initializer('fc_w', 'FLOAT', [1000, 2048], heWeights(1000 * 2048, 2048, seed++) as unknown as number[]);
  g.initializer('fc_b', 'FLOAT', [1000], new Float32Array(1000) as unknown as number[]);
  g.node('Gemm', ['flat', 'fc_w', 'fc_b'], ['logits'], { transB: { int: 1 } });
  return g.output('logits', 'FLOAT', ['batch', 1000]).toBytes();
}
