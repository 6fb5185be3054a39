/**
 * How fast this machine is right now, by fixed pieces of work that allocate nothing as they run
 * (their figures move by a few per cent within a minute, where generating users, with its garbage
 * collection, moved by half): SHA-256 over the same buffer (one core's compute) and reads scattered
 * over 128 MB (caches and memory, what the databases lean on). Two runs' figures are comparable only
 * when these agree.
 */
import { createHash } from 'node:crypto';

export interface MachineSpeed {
  /** MB hashed per second on one core. */
  sha256MBps: number;
  /** Million scattered 8-byte reads per second over 128 MB. */
  memoryMreadsPerSec: number;
}

const seconds = (since: bigint) => Number(process.hrtime.bigint() - since) / 1e9;

function sha256MBps(buffer: Buffer): number {
  const started = process.hrtime.bigint();
  for (let i = 0; i < 64; i++) createHash('sha256').update(buffer).digest();
  return 64 / seconds(started);
}

function memoryMreadsPerSec(cells: Float64Array): number {
  const mask = cells.length - 1;
  const reads = cells.length;
  const started = process.hrtime.bigint();
  let sum = 0;
  // A stride of 7,919 cells (about 62 KB) lands each read on another page, beyond the prefetchers.
  for (let i = 0; i < reads; i++) sum += cells[(i * 7919) & mask]!;
  if (Number.isNaN(sum)) throw new Error('unreachable: the cells are zeros');
  return reads / seconds(started) / 1e6;
}

/** The median of `rounds` measurements of each probe (about an eighth of a second per round). */
export function machineSpeed(rounds = 5): MachineSpeed {
  const buffer = Buffer.alloc(1 << 20, 7);
  const cells = new Float64Array(1 << 24);
  const sha: number[] = [];
  const memory: number[] = [];
  sha256MBps(buffer); // warm up
  memoryMreadsPerSec(cells);
  for (let r = 0; r < rounds; r++) {
    sha.push(sha256MBps(buffer));
    memory.push(memoryMreadsPerSec(cells));
  }
  return { sha256MBps: Math.round(median(sha)), memoryMreadsPerSec: Number(median(memory).toFixed(1)) };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}
