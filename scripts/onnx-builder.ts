/**
 * A small typed builder for ONNX models (ModelProto, ir_version 8, default opset 13), so tests and the
 * example repository can make real models in TypeScript without downloading anything.
 *
 *   const bytes = new GraphBuilder('add')
 *     .input('a', 'FLOAT', ['batch', 3]).input('b', 'FLOAT', ['batch', 3])
 *     .node('Add', ['a', 'b'], ['sum'])
 *     .output('sum', 'FLOAT', ['batch', 3])
 *     .toBytes();
 *
 * Encoding goes through `onnx-proto` (a protobufjs static module of onnx.proto, dev dependency only).
 */
import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;

/** TensorProto.DataType values (onnx.proto). */
export const ELEM_TYPES = {
  FLOAT: 1, UINT8: 2, INT8: 3, UINT16: 4, INT16: 5, INT32: 6, INT64: 7, STRING: 8, BOOL: 9, FLOAT16: 10,
  DOUBLE: 11, UINT32: 12, UINT64: 13, BFLOAT16: 16,
} as const;
export type ElemType = keyof typeof ELEM_TYPES;

/** A dim: a fixed size, a symbolic name (`'batch'`), or null for a dim with neither (unknown). */
export type Dim = number | string | null;

/** Attribute values, tagged so that `1` (INT) and `1.0` (FLOAT) stay distinct. */
export type AttributeValue =
  | { readonly int: number }
  | { readonly float: number }
  | { readonly string: string }
  | { readonly ints: readonly number[] }
  | { readonly floats: readonly number[] }
  | { readonly graph: GraphBuilder };

/** Initializer data: numbers for numeric types (bigints allowed for 64-bit), strings for STRING. */
export type InitializerValues = readonly number[] | readonly bigint[] | readonly string[];

export interface ModelOptions {
  /** Default 13. */
  readonly opset?: number;
  /** Default 8. */
  readonly irVersion?: number;
  readonly producer?: string;
}

type ValueInfo = InstanceType<typeof onnx.ValueInfoProto>;
type NodeProto = InstanceType<typeof onnx.NodeProto>;
type TensorProto = InstanceType<typeof onnx.TensorProto>;
type GraphProto = InstanceType<typeof onnx.GraphProto>;

const AttrType = onnx.AttributeProto.AttributeType;
const utf8 = new TextEncoder();

export class GraphBuilder {
  readonly name: string;
  readonly #inputs: ValueInfo[] = [];
  readonly #outputs: ValueInfo[] = [];
  readonly #initializers: TensorProto[] = [];
  readonly #nodes: NodeProto[] = [];

  constructor(name = 'graph') {
    this.name = name;
  }

  /** A graph input. */
  input(name: string, type: ElemType, dims: readonly Dim[] | undefined): this {
    this.#inputs.push(valueInfo(name, type, dims));
    return this;
  }

  /** A graph output. */
  output(name: string, type: ElemType, dims: readonly Dim[] | undefined): this {
    this.#outputs.push(valueInfo(name, type, dims));
    return this;
  }

  /**
   * A constant tensor. With `overridable: true` it is also listed as a graph input, which ONNX Runtime
   * treats as an overridable initializer: a feed may replace it, and omitting the feed uses this value
   * (how Triton's `optional` inputs map onto ONNX).
   */
  initializer(
    name: string, type: ElemType, dims: readonly number[], values: InitializerValues,
    options: { overridable?: boolean } = {},
  ): this {
    this.#initializers.push(tensorProto(name, type, dims, values));
    if (options.overridable === true) this.#inputs.push(valueInfo(name, type, dims));
    return this;
  }

  /** One node; `attributes` are tagged values (see AttributeValue). */
  node(
    op: string, inputs: readonly string[], outputs: readonly string[],
    attributes: Readonly<Record<string, AttributeValue>> = {}, options: { name?: string; domain?: string } = {},
  ): this {
    this.#nodes.push(
      onnx.NodeProto.create({
        opType: op,
        input: [...inputs],
        output: [...outputs],
        name: options.name ?? `${op.toLowerCase()}_${this.#nodes.length}`,
        domain: options.domain ?? '',
        attribute: Object.entries(attributes).map(([n, v]) => attribute(n, v)),
      }),
    );
    return this;
  }

  /** The GraphProto (for subgraph attributes or further editing). */
  toGraphProto(): GraphProto {
    return onnx.GraphProto.create({
      name: this.name,
      input: this.#inputs,
      output: this.#outputs,
      initializer: this.#initializers,
      node: this.#nodes,
    });
  }

  /** Serialized ModelProto bytes, ready for `InferenceSession.create(bytes)` or a `model.onnx` file. */
  toBytes(options: ModelOptions = {}): Uint8Array {
    const model = onnx.ModelProto.create({
      irVersion: options.irVersion ?? 8,
      producerName: options.producer ?? 'inferd-onnx-builder',
      producerVersion: '1',
      opsetImport: [onnx.OperatorSetIdProto.create({ domain: '', version: options.opset ?? 13 })],
      graph: this.toGraphProto(),
    });
    return onnx.ModelProto.encode(model).finish();
  }
}

function valueInfo(name: string, type: ElemType, dims: readonly Dim[] | undefined): ValueInfo {
  const tensorType: Record<string, unknown> = { elemType: ELEM_TYPES[type] };
  // `undefined` dims = unknown rank: the shape field is left out entirely.
  if (dims !== undefined) {
    tensorType.shape = {
      dim: dims.map((d) => (d === null ? {} : typeof d === 'number' ? { dimValue: d } : { dimParam: d })),
    };
  }
  return onnx.ValueInfoProto.create({ name, type: onnx.TypeProto.fromObject({ tensorType }) });
}

function tensorProto(name: string, type: ElemType, dims: readonly number[], values: InitializerValues): TensorProto {
  const base = { name, dataType: ELEM_TYPES[type], dims: [...dims] };
  if (type === 'STRING') {
    return onnx.TensorProto.create({ ...base, stringData: values.map((v) => utf8.encode(String(v))) });
  }
  return onnx.TensorProto.create({ ...base, rawData: rawBytes(type, values) });
}

/** Little-endian raw_data for numeric initializers (every platform Node runs on is little-endian). */
function rawBytes(type: Exclude<ElemType, 'STRING'>, values: InitializerValues): Uint8Array {
  const nums = values as readonly (number | bigint)[];
  const big = (v: number | bigint): bigint => (typeof v === 'bigint' ? v : BigInt(v));
  const num = (v: number | bigint): number => Number(v);
  let arr: ArrayBufferView;
  switch (type) {
    case 'FLOAT': arr = Float32Array.from(nums, num); break;
    case 'DOUBLE': arr = Float64Array.from(nums, num); break;
    case 'UINT8': case 'BOOL': arr = Uint8Array.from(nums, num); break;
    case 'INT8': arr = Int8Array.from(nums, num); break;
    case 'UINT16': case 'FLOAT16': case 'BFLOAT16': arr = Uint16Array.from(nums, num); break;
    case 'INT16': arr = Int16Array.from(nums, num); break;
    case 'INT32': arr = Int32Array.from(nums, num); break;
    case 'UINT32': arr = Uint32Array.from(nums, num); break;
    case 'INT64': arr = BigInt64Array.from(nums, big); break;
    case 'UINT64': arr = BigUint64Array.from(nums, big); break;
  }
  return new Uint8Array(arr.buffer, arr.byteOffset, arr.byteLength);
}

function attribute(name: string, v: AttributeValue): InstanceType<typeof onnx.AttributeProto> {
  if ('int' in v) return onnx.AttributeProto.create({ name, type: AttrType.INT, i: v.int });
  if ('float' in v) return onnx.AttributeProto.create({ name, type: AttrType.FLOAT, f: v.float });
  if ('string' in v) return onnx.AttributeProto.create({ name, type: AttrType.STRING, s: utf8.encode(v.string) });
  if ('ints' in v) return onnx.AttributeProto.create({ name, type: AttrType.INTS, ints: [...v.ints] });
  if ('floats' in v) return onnx.AttributeProto.create({ name, type: AttrType.FLOATS, floats: [...v.floats] });
  return onnx.AttributeProto.create({ name, type: AttrType.GRAPH, g: v.graph.toGraphProto() });
}

/** `y = x` for one element type; the model behind the per-datatype tests and the `strings` example. */
export function identityModel(
  type: ElemType, dims: readonly Dim[], names: { input?: string; output?: string } = {},
): Uint8Array {
  const input = names.input ?? 'INPUT0';
  const output = names.output ?? 'OUTPUT0';
  return new GraphBuilder(`identity_${type.toLowerCase()}`)
    .input(input, type, dims)
    .node('Identity', [input], [output])
    .output(output, type, dims)
    .toBytes();
}

/**
 * A deliberately slow model: `y = x · W · W · ... · W` (`steps` MatMuls of `size`×`size` FP32), for tests
 * that need inference to take a while. Cost ≈ steps · 2·size³ FLOP (steps=40, size=256 → 1.3 GFLOP).
 * W is scaled so values stay finite.
 */
export function slowMatMulModel(steps: number, size = 256): Uint8Array {
  const g = new GraphBuilder('slow_matmul').input('x', 'FLOAT', [size, size]);
  const w = new Array<number>(size * size);
  for (let i = 0; i < w.length; i++) w[i] = ((i * 7919) % 13) / (13 * size);
  g.initializer('W', 'FLOAT', [size, size], w);
  let prev = 'x';
  for (let s = 0; s < steps; s++) {
    const out = s === steps - 1 ? 'y' : `h${s}`;
    g.node('MatMul', [prev, 'W'], [out]);
    prev = out;
  }
  return g.output('y', 'FLOAT', [size, size]).toBytes();
}
