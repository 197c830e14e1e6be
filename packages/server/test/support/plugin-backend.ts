/**
 * Source text of a test plug-in backend module (`<backend-directory>/<name>/index.js`): the Backend
 * contract's shell (createModel → createInstance → execute/dispose) around one `execute(requests)`
 * body, which sees `requests` and the instance context `ctx`. `preamble` is module-level code placed
 * before the export (helpers the body uses).
 */
export function pluginBackend(name: string, executeBody: string, preamble = ''): string {
  return `${preamble}
export const backend = {
  name: '${name}',
  async createModel() {
    return {
      createInstance: async (ctx) => ({
        name: ctx.name,
        async execute(requests) {
${executeBody}
        },
        async dispose() {},
      }),
      dispose: async () => {},
    };
  },
};
`;
}
