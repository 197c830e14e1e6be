/** @inferd/perf: the inferd-perf load generator (issue #8). */
export {};
