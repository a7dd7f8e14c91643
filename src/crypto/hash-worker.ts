/** A hash-pool.ts thread: keeps the running sums of each body it is given, slab by slab, in order. */
import { parentPort } from 'node:worker_threads';
import { BodySums } from './body-hasher';
import type { FromWorker, ToWorker } from './hash-pool';

const port = parentPort!;
const bodies = new Map<number, BodySums>();
const reply = (m: FromWorker): void => port.postMessage(m);

port.on('message', (m: ToWorker) => {
  switch (m.op) {
    case 'start':
      bodies.set(m.job, new BodySums(m.extras));
      break;
    case 'data':
      bodies.get(m.job)?.update(new Uint8Array(m.slab, 0, m.length));
      reply({ op: 'hashed', job: m.job, slab: m.slab });
      break;
    case 'end': {
      const sums = bodies.get(m.job);
      bodies.delete(m.job);
      if (sums) reply({ op: 'digests', job: m.job, ...sums.digests() });
      break;
    }
    case 'abort':
      bodies.delete(m.job);
      break;
  }
});
