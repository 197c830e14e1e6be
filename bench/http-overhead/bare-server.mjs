#!/usr/bin/env node
// Baseline: a bare node:http server that does the minimum any KServe v2 server must do with an infer
// request (read the body, split off and parse the JSON header) and returns a fixed reply of the same
// shape and size as inferd's. Prints its port on stdout.
import http from 'node:http';

const reply = Buffer.from(process.argv[2] ?? '{}', 'base64');
const replyHeaders = JSON.parse(process.argv[3] ?? '{}');

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const body = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
    const headerLen = req.headers['inference-header-content-length'];
    const jsonLen = headerLen === undefined ? body.length : Number(headerLen);
    const header = JSON.parse(body.subarray(0, jsonLen).toString('utf8'));
    if (!Array.isArray(header.inputs)) {
      res.writeHead(400).end();
      return;
    }
    res.writeHead(200, { ...replyHeaders, 'content-length': reply.length });
    res.end(reply);
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => process.stdout.write(`${server.address().port}\n`));
