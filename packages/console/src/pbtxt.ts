/**
 * A model config in Triton's JSON shape printed as config.pbtxt text (protobuf text format): enums
 * (TYPE_FP32, KIND_CPU...) bare, strings quoted, repeated messages as `name [ {...}, {...} ]`.
 * The server keeps the JSON; this is for reading, and for copying into a repository.
 */

const ENUM = /^(TYPE_|KIND_|FORMAT_|BATCH_|OLDEST|STRICT|REJECT|DELAY|CONTROL_|BYTE_SIZE)/;
/** String fields whose values are enum names in model_config.proto. */
const ENUM_FIELDS = new Set(['data_type', 'kind', 'format', 'timeout_action', 'kind_', 'kind']);

function scalar(key: string, v: unknown): string {
  if (typeof v === 'string') return ENUM_FIELDS.has(key) && ENUM.test(v) ? v : JSON.stringify(v);
  return String(v);
}

function isEmpty(v: unknown): boolean {
  return v === undefined || v === null || (Array.isArray(v) && v.length === 0);
}

function lines(obj: Record<string, unknown>, indent: string): string[] {
  const out: string[] = [];
  for (const [key, v] of Object.entries(obj)) {
    if (isEmpty(v)) continue;
    if (Array.isArray(v)) {
      if (v.every((x) => typeof x !== 'object' || x === null)) {
        out.push(`${indent}${key}: [ ${v.map((x) => scalar(key, x)).join(', ')} ]`);
      } else {
        out.push(`${indent}${key} [`);
        v.forEach((item, i) => {
          out.push(`${indent}  {`, ...lines(item as Record<string, unknown>, `${indent}    `), `${indent}  }${i < v.length - 1 ? ',' : ''}`);
        });
        out.push(`${indent}]`);
      }
    } else if (typeof v === 'object') {
      // Maps (parameters, input_map...) print as repeated key/value entries.
      if (key === 'parameters' || key.endsWith('_map')) {
        for (const [k, val] of Object.entries(v as Record<string, unknown>)) {
          const inner = typeof val === 'object' && val !== null
            ? ['{', ...lines(val as Record<string, unknown>, `${indent}    `), `${indent}  }`].join('\n')
            : JSON.stringify(val);
          out.push(`${indent}${key} {`, `${indent}  key: ${JSON.stringify(k)}`, `${indent}  value: ${inner}`, `${indent}}`);
        }
      } else {
        out.push(`${indent}${key} {`, ...lines(v as Record<string, unknown>, `${indent}  `), `${indent}}`);
      }
    } else {
      out.push(`${indent}${key}: ${scalar(key, v)}`);
    }
  }
  return out;
}

export function configToPbtxt(config: Record<string, unknown>): string {
  return lines(config, '').join('\n') + '\n';
}
