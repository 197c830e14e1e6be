/**
 * The environment a Python stub starts with: the server's, plus the model's EXECUTION_ENV_PATH additions,
 * minus the glibc malloc tunables that bin/inferd set for the Node server alone (bin/malloc-tuning.sh marks
 * them in INFERD_SET_GLIBC_TUNABLES). Those suit the server's buffers, not a Python runtime's allocations;
 * tunables the user set stay.
 */
export function stubEnvironment(extra: Readonly<Record<string, string>> | undefined): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra, PYTHONUNBUFFERED: '1', PYTHONDONTWRITEBYTECODE: '1' };
  const ours = env.INFERD_SET_GLIBC_TUNABLES;
  if (ours !== undefined && env.GLIBC_TUNABLES === ours) delete env.GLIBC_TUNABLES;
  delete env.INFERD_SET_GLIBC_TUNABLES;
  return env;
}
