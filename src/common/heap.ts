import v8 from 'node:v8';

/**
 * Lets V8's old generation grow to three times what the last full collection left, for a process
 * that moves large bodies. V8's own factor follows its measured GC and allocation speeds; under a
 * stream of large bodies it can settle near 1.6 of a ~20 MB heap (12 MB of room, seen with
 * --trace-incremental-marking), and V8 then starts a full marking after nearly every scavenge:
 * 10-30 full collections per 256 MiB served, each handing freed buffer memory back to the kernel
 * only for the next buffers to fault it in again. Whether a process fell into that state varied
 * from one start to the next; in it a 64 MiB GET cost 3-10 times the CPU. A fixed factor of 3 costs
 * some tens of MB of heap; with it, no run has had more than a few full collections per GiB (the
 * bench prints them). Takes effect at once: V8 reads the flag whenever it sets a new limit.
 */
export function growHeapForLargeBodies(): void {
  v8.setFlagsFromString('--heap-growing-percent=200');
}
