/** The same request as curl, Python tritonclient and @inferd/client code, for copying. */
import type { FormInput, FormOutput } from './infer-request.js';

const NP: Record<string, string> = {
  FP32: 'np.float32', FP64: 'np.float64', FP16: 'np.float16', INT8: 'np.int8', INT16: 'np.int16', INT32: 'np.int32',
  INT64: 'np.int64', UINT8: 'np.uint8', UINT16: 'np.uint16', UINT32: 'np.uint32', UINT64: 'np.uint64', BOOL: 'np.bool_', BYTES: 'np.object_',
};

const short = (values: unknown[] | undefined): string => {
  const v = values ?? [];
  return v.length > 32 ? `[${v.slice(0, 8).map((x) => JSON.stringify(x)).join(', ')}, ...]  # ${v.length} values` : JSON.stringify(v);
};

export function curlSnippet(origin: string, model: string, json: Record<string, unknown>, inputs: FormInput[]): string {
  const url = `${origin}/v2/models/${model}/infer`;
  const file = inputs.find((i) => i.bytes !== undefined);
  if (file === undefined) {
    const text = JSON.stringify(json);
    return `curl -s ${url} \\\n  -H 'Content-Type: application/json' \\\n  -d '${text.length > 1500 ? `${text.slice(0, 1500)}…` : text}'`;
  }
  // The header names the element's size, known only once the file is: split the JSON around it.
  const marker = '"@SIZE@"';
  const header = JSON.stringify({ ...json, inputs: (json.inputs as Record<string, unknown>[]).map((i) =>
    i.name === file.name ? { ...i, parameters: { binary_data_size: '@SIZE@' } } : i) });
  const [before, after] = header.split(marker) as [string, string];
  return [
    `# ${file.name}: one BYTES element in the binary extension = 4-byte little-endian length, then the file`,
    `IMG=photo.png; SIZE=$(stat -c %s "$IMG")`,
    `HEADER='${before}'$((SIZE + 4))'${after}'`,
    `{ printf '%s' "$HEADER"; python3 -c "import struct,sys; sys.stdout.buffer.write(struct.pack('<I', $SIZE))"; cat "$IMG"; } |`,
    `  curl -s ${url} -H 'Content-Type: application/octet-stream' \\`,
    `    -H "Inference-Header-Content-Length: \${#HEADER}" --data-binary @-`,
  ].join('\n');
}

export function pythonSnippet(host: string, model: string, inputs: FormInput[], outputs: FormOutput[], params: Record<string, unknown>): string {
  const lines = ['import numpy as np', 'import tritonclient.http as httpclient', '', `client = httpclient.InferenceServerClient("${host}")`, 'inputs = []'];
  for (const i of inputs) {
    const data = i.bytes !== undefined
      ? `np.array([open("photo.png", "rb").read()], dtype=np.object_)`
      : `np.array(${short(i.values)}, dtype=${NP[i.datatype] ?? 'np.float32'}).reshape(${JSON.stringify(i.shape)})`;
    lines.push(`x = httpclient.InferInput("${i.name}", ${JSON.stringify(i.shape)}, "${i.datatype}")`, `x.set_data_from_numpy(${data}${i.bytes !== undefined ? ', binary_data=True' : ''})`, 'inputs.append(x)');
  }
  lines.push(`outputs = [${outputs.map((o) => `httpclient.InferRequestedOutput("${o.name}"${o.classification ? `, class_count=${o.classification}` : ''})`).join(', ')}]`);
  const extra = Object.keys(params).length > 0 ? `, parameters=${JSON.stringify(params)}` : '';
  lines.push(`result = client.infer("${model}", inputs, outputs=outputs${extra})`);
  for (const o of outputs) lines.push(`print(result.as_numpy("${o.name}"))`);
  return lines.join('\n');
}

export function clientSnippet(origin: string, model: string, inputs: FormInput[], outputs: FormOutput[]): string {
  const lines = [`import { HttpClient, InferInput, InferRequestedOutput } from '@inferd/client/http';`];
  if (inputs.some((i) => i.bytes !== undefined)) lines.push(`import { readFileSync } from 'node:fs';`);
  lines.push('', `const client = new HttpClient('${origin}');`);
  lines.push(`const result = await client.infer('${model}', [`);
  for (const i of inputs) {
    const data = i.bytes !== undefined ? `[readFileSync('photo.png')]` : short(i.values);
    lines.push(`  new InferInput('${i.name}', ${JSON.stringify(i.shape)}, '${i.datatype}').setData(${data}),`);
  }
  lines.push(`], {`, `  outputs: [${outputs.map((o) => `new InferRequestedOutput('${o.name}'${o.classification ? `, { classCount: ${o.classification} }` : ''})`).join(', ')}],`, '});');
  for (const o of outputs) {
    const strings = o.datatype === 'BYTES' || (o.classification ?? 0) > 0;
    lines.push(`console.log(result.${strings ? 'asStrings' : 'asTypedArray'}('${o.name}'));`);
  }
  return lines.join('\n');
}
