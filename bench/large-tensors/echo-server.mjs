#!/usr/bin/env node
// Baseline: a bare node:http server that reads a KServe v2 binary request, parses its JSON header and
// sends the tensor bytes back behind a small JSON header, as an identity model's reply would carry them.
// Prints its port on stdout.
import http from 'node:http';

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const body = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
    const jsonLen = Number(req.headers['inference-header-content-length']);
    const header = JSON.parse(body.subarray(0, jsonLen).toString('utf8'));
    const tensor = body.subarray(jsonLen);
    const reply = Buffer.from(JSON.stringify({
      model_name: 'echo', outputs: [{ name: 'OUTPUT0', datatype: 'FP32', shape: header.inputs[0].shape, parameters: { binary_data_size: tensor.length } }],
    }));
    res.writeHead(200, {
      'content-type': 'application/octet-stream', 'inference-header-content-length': String(reply.length),
      'content-length': String(reply.length + tensor.length),
    });
    res.write(reply);
    res.end(tensor);
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => process.stdout.write(`${server.address().port}\n`));
