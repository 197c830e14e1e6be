/**
 * Checks an edited model config (Triton's JSON shape) before it is sent with a load: JSON syntax (with
 * line:col), the model's name, and the fields whose wrong type or value the server would refuse anyway.
 * The server validates again; this only spares a round trip and points at the line.
 */
const DATA_TYPES = new Set(['TYPE_BOOL', 'TYPE_UINT8', 'TYPE_UINT16', 'TYPE_UINT32', 'TYPE_UINT64', 'TYPE_INT8', 'TYPE_INT16',
  'TYPE_INT32', 'TYPE_INT64', 'TYPE_FP16', 'TYPE_FP32', 'TYPE_FP64', 'TYPE_STRING', 'TYPE_BF16']);

function lineCol(text: string, offset: number): string {
  const before = text.slice(0, offset).split('\n');
  return `${before.length}:${before[before.length - 1]!.length + 1}`;
}

export function validateConfig(text: string, model: string): string[] {
  let config: unknown;
  try {
    config = JSON.parse(text);
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    const pos = /position (\d+)/.exec(msg);
    return [pos ? `JSON syntax error at ${lineCol(text, Number(pos[1]))}: ${msg}` : `JSON syntax error: ${msg}`];
  }
  if (typeof config !== 'object' || config === null || Array.isArray(config)) return ['the config must be a JSON object'];
  const c = config as Record<string, unknown>;
  const errors: string[] = [];
  if (c.name !== undefined && c.name !== model) errors.push(`name is "${String(c.name)}" but the model is "${model}"`);
  if (c.max_batch_size !== undefined && !(Number.isInteger(c.max_batch_size) && (c.max_batch_size as number) >= 0)) {
    errors.push('max_batch_size must be a whole number >= 0');
  }
  for (const kind of ['input', 'output'] as const) {
    const list = c[kind];
    if (list === undefined) continue;
    if (!Array.isArray(list)) {
      errors.push(`${kind} must be a list`);
      continue;
    }
    list.forEach((t: Record<string, unknown>, i) => {
      const where = `${kind}[${i}]`;
      if (typeof t?.name !== 'string' || t.name === '') errors.push(`${where}: name is required`);
      if (t?.data_type !== undefined && !DATA_TYPES.has(String(t.data_type))) errors.push(`${where}: unknown data_type ${String(t.data_type)}`);
      const dims = t?.dims;
      if (dims !== undefined && !(Array.isArray(dims) && dims.every((d) => Number.isInteger(Number(d)) && Number(d) >= -1))) {
        errors.push(`${where}: dims must be whole numbers >= -1`);
      }
    });
  }
  const groups = c.instance_group;
  if (groups !== undefined) {
    if (!Array.isArray(groups)) errors.push('instance_group must be a list');
    else groups.forEach((g: Record<string, unknown>, i) => {
      if (g?.count !== undefined && !(Number.isInteger(g.count) && (g.count as number) >= 1)) errors.push(`instance_group[${i}]: count must be >= 1`);
    });
  }
  return errors;
}
