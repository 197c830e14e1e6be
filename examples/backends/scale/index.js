// A custom inferd backend in plain JavaScript: OUTPUT = INPUT * scale, for FP32 tensors.
// `scale` comes from the model's config.pbtxt: parameters { key: "scale" value: { string_value: "2.5" } }.
// Point inferd at this folder with --backend-directory=examples/backends and set backend: "scale".
// A board runtime (RKNN, TNN, TensorRT) plugs in the same way: createModel -> createInstance -> execute.

/** @type {import('inferd').Backend} */
export const backend = {
  name: 'scale',
  async createModel(ctx) {
    const raw = ctx.config.parameters?.scale?.string_value ?? '1';
    const scale = Number(raw);
    if (!Number.isFinite(scale)) throw new Error(`parameter 'scale' must be a number, got '${raw}'`);
    ctx.log.info(`scale backend: version ${ctx.version} multiplies by ${scale}`);
    return {
      async createInstance(instance) {
        const pairs = instance.spec.outputs.map((o, i) => [o.name, instance.spec.inputs[i]?.name]);
        return {
          name: instance.name,
          async execute(requests) {
            for (const request of requests) {
              const outputs = [];
              for (const [outName, inName] of pairs) {
                if (!request.requestedOutputs.some((o) => o.name === outName)) continue;
                const input = request.input(inName);
                if (input === undefined || input.datatype !== 'FP32') {
                  throw new Error(`scale backend needs an FP32 input for output '${outName}'`);
                }
                // Copy into an aligned buffer: wire bytes may start at any offset.
                const src = new Float32Array(input.data.slice().buffer);
                const dst = new Float32Array(src.length);
                for (let i = 0; i < src.length; i++) dst[i] = src[i] * scale;
                outputs.push({ name: outName, datatype: 'FP32', shape: input.shape, data: new Uint8Array(dst.buffer) });
              }
              request.respond({ outputs });
            }
          },
          async dispose() {},
        };
      },
      async dispose() {},
    };
  },
};

export default backend;
