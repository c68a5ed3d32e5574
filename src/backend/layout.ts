// The blocked activation layout: (N, C/B, H*W, B) with B the block size, beside NHWC (N, H*W, C).
// One plane (image, channel block) holds its pixels with B channels each, so a kernel holds a
// block's per-channel constants and sums in one vector register and reads every plane
// contiguously. The reference backend runs its NHWC code between these two reorders.

/** Where a blocked tensor's extra dimensions are: B channels per block, hw pixels per plane. */
export interface BlockedLayout {
  block: number;
  hw: number;
}

/** NHWC (n, hw, c) -> blocked (n, c / block, hw, block); c a multiple of block. */
export function toBlocked(n: number, hw: number, c: number, block: number, src: ArrayLike<number>, dst: Float32Array): Float32Array {
  checkBlocked(n * hw * c, c, block, src.length, dst.length);
  const planes = c / block;
  for (let b = 0; b < n; b++) for (let p = 0; p < hw; p++) for (let ch = 0; ch < c; ch++) {
    dst[((b * planes + Math.floor(ch / block)) * hw + p) * block + (ch % block)] = src[(b * hw + p) * c + ch];
  }
  return dst;
}

/** Blocked (n, c / block, hw, block) -> NHWC (n, hw, c). */
export function fromBlocked(n: number, hw: number, c: number, block: number, src: ArrayLike<number>, dst: Float32Array): Float32Array {
  checkBlocked(n * hw * c, c, block, src.length, dst.length);
  const planes = c / block;
  for (let b = 0; b < n; b++) for (let p = 0; p < hw; p++) for (let ch = 0; ch < c; ch++) {
    dst[(b * hw + p) * c + ch] = src[((b * planes + Math.floor(ch / block)) * hw + p) * block + (ch % block)];
  }
  return dst;
}

function checkBlocked(size: number, c: number, block: number, srcLength: number, dstLength: number): void {
  if (!Number.isInteger(block) || block < 1 || c % block !== 0) throw new RangeError(`Expected c (${c}) a multiple of the block size (${block})`);
  if (srcLength !== size || dstLength !== size) throw new RangeError(`Expected ${size} elements but received ${srcLength} and ${dstLength}`);
}
