/** @inferd/client: typed clients for inferd and Triton servers (grows in issue #8). */
export * from '@inferd/protocol';
