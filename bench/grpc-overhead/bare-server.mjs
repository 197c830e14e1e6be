#!/usr/bin/env node
// Baseline: a bare grpc-js server implementing only inference.GRPCInferenceService/ModelInfer. It decodes
// each request with the same protobuf definition (the minimum any gRPC KServe v2 server does), checks it
// has inputs, and answers with fixed ModelInferResponse bytes: inferd's own reply to the bench request,
// so both servers move the same messages. Prints its port on stdout.
// Usage: node bare-server.mjs <response-bytes-base64>
import { Server, ServerCredentials, status } from '@grpc/grpc-js';
import { CHANNEL_OPTIONS, inferenceService } from './service.mjs';

const reply = Buffer.from(process.argv[2] ?? '', 'base64');
const method = inferenceService().ModelInfer;

const server = new Server(CHANNEL_OPTIONS);
server.addService(
  {
    ModelInfer: {
      path: method.path, requestStream: false, responseStream: false,
      requestDeserialize: method.requestDeserialize,
      // The reply is already encoded; grpc-js sends the bytes as they are.
      responseSerialize: (bytes) => bytes,
      responseDeserialize: (bytes) => bytes,
      requestSerialize: method.requestSerialize,
    },
  },
  {
    ModelInfer(call, callback) {
      if (!Array.isArray(call.request.inputs) || call.request.inputs.length === 0) {
        callback({ code: status.INVALID_ARGUMENT, details: 'no inputs' });
        return;
      }
      callback(null, reply);
    },
  },
);
server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (err, port) => {
  if (err) throw err;
  process.stdout.write(`${port}\n`);
});
