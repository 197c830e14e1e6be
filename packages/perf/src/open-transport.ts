/** `-i` -> a Transport. */
import { ServerError } from 'inferd';
import { InProcessTransport } from './inprocess.js';
import { RemoteTransport } from './remote.js';
import type { PerfOptions } from './options.js';
import type { Transport } from './transport.js';

export async function openTransport(o: PerfOptions): Promise<Transport> {
  if (o.transport === 'inprocess') {
    if (o.sharedMemory !== 'none') throw ServerError.invalidArg('--shared-memory needs -i http or -i grpc (in-process requests share memory already)');
    if (o.streaming) throw ServerError.invalidArg('--streaming needs -i grpc');
    return InProcessTransport.open(o.modelRepository);
  }
  return new RemoteTransport(o);
}
