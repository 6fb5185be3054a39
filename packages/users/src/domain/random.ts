/**
 * sfc32, a small fast PRNG with good statistical quality, seeded through splitmix32 from
 * (job seed, chunk index). Same inputs, same sequence, in any process.
 */
export interface Random {
  /** Uniform float in [0, 1). */
  next(): number;
  /** Uniform integer in [0, n). */
  int(n: number): number;
  pick<T>(items: readonly T[]): T;
}

function splitmix32(state: number): () => number {
  return () => {
    state = (state + 0x9e3779b9) | 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
}

export function createRandom(...seeds: number[]): Random {
  let h = 0x811c9dc5;
  for (const s of seeds) {
    h = Math.imul(h ^ (s >>> 0), 0x01000193) >>> 0;
    h = Math.imul(h ^ Math.floor(s / 0x1_0000_0000), 0x01000193) >>> 0;
  }
  const mix = splitmix32(h);
  let a = mix();
  let b = mix();
  let c = mix();
  let d = mix();
  const next = () => {
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
  for (let i = 0; i < 12; i++) next();
  const int = (n: number) => Math.floor(next() * n);
  return { next, int, pick: (items) => items[int(items.length)]! };
}
