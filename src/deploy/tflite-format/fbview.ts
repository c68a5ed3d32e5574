// Bounds-checked reads of a flatbuffer (flatbuffers' ByteBuffer checks nothing): every access of
// the TFLite reader and of the ops' option decoders (ops/) goes through FbView, so a truncated,
// bit-flipped or foreign file ends in a one-line TfliteError, never a RangeError or a hang.
import { ByteBuffer } from 'flatbuffers';

export type TfliteErrorCode = 'ERR_TFLITE_CORRUPT' | 'ERR_TFLITE_FOREIGN' | 'ERR_TFLITE_UNSUPPORTED' | 'ERR_TFLITE_MISSING';

export class TfliteError extends Error {
  constructor(message: string, readonly code: TfliteErrorCode) {
    super(message);
    this.name = 'TfliteError';
  }
}

export const corrupt = (what: string) => new TfliteError(`corrupt TFLite file: ${what}`, 'ERR_TFLITE_CORRUPT');
export const unsupported = (what: string) => new TfliteError(`TFLite file not supported: ${what}`, 'ERR_TFLITE_UNSUPPORTED');

/** A table's position and its vtable. */
export interface Table { pos: number; vt: number; vtLen: number }

/** Bounds-checked reads of flatbuffer tables, vectors and strings. */
export class FbView {
  private readonly bb: ByteBuffer;
  private readonly decoder = new TextDecoder();
  // Vectors read so far, in elements. Honest files read each vector once or twice; a damaged one
  // whose offsets all point at one long vector would otherwise cost (file size)^2 time.
  private budget: number;

  constructor(readonly bytes: Uint8Array) {
    this.bb = new ByteBuffer(bytes);
    this.budget = 8 * bytes.length + 4096;
  }

  need(pos: number, n: number, what: string): void {
    if (!(pos >= 0 && pos + n <= this.bytes.length)) {
      throw corrupt(`${what} at offset ${pos} runs past the end of the file (${this.bytes.length} bytes)`);
    }
  }

  table(pos: number, what: string): Table {
    this.need(pos, 4, what);
    const vt = pos - this.bb.readInt32(pos);
    this.need(vt, 4, `${what} vtable`);
    const vtLen = this.bb.readUint16(vt);
    if (vtLen < 4 || vtLen % 2 !== 0) throw corrupt(`${what} has a malformed vtable`);
    this.need(vt, vtLen, `${what} vtable`);
    this.need(pos, this.bb.readUint16(vt + 2), what);
    return { pos, vt, vtLen };
  }

  /** Absolute position of field `slot`, or 0 when the table does not have it. */
  field(t: Table | null, slot: number): number {
    const o = 4 + 2 * slot;
    if (!t || o >= t.vtLen) return 0;
    const off = this.bb.readUint16(t.vt + o);
    return off ? t.pos + off : 0;
  }

  i8(t: Table | null, slot: number, def: number): number { const p = this.field(t, slot); if (!p) return def; this.need(p, 1, 'field'); return this.bb.readInt8(p); }
  u8(t: Table | null, slot: number, def: number): number { const p = this.field(t, slot); if (!p) return def; this.need(p, 1, 'field'); return this.bb.readUint8(p); }
  i32(t: Table | null, slot: number, def: number): number { const p = this.field(t, slot); if (!p) return def; this.need(p, 4, 'field'); return this.bb.readInt32(p); }
  u32(t: Table | null, slot: number, def: number): number { const p = this.field(t, slot); if (!p) return def; this.need(p, 4, 'field'); return this.bb.readUint32(p); }
  f32(t: Table | null, slot: number, def: number): number { const p = this.field(t, slot); if (!p) return def; this.need(p, 4, 'field'); return this.bb.readFloat32(p); }

  /** Follows the uoffset stored at `pos`. */
  private deref(pos: number, what: string): number {
    this.need(pos, 4, what);
    const target = pos + this.bb.readUint32(pos);
    this.need(target, 4, what);
    return target;
  }

  subtable(t: Table | null, slot: number, what: string): Table | null {
    const p = this.field(t, slot);
    return p ? this.table(this.deref(p, what), what) : null;
  }

  /** A vector field: where its elements start and how many there are (null when absent). */
  vector(t: Table | null, slot: number, elemSize: number, what: string): { start: number; length: number } | null {
    const p = this.field(t, slot);
    if (!p) return null;
    const v = this.deref(p, what);
    const length = this.bb.readUint32(v);
    this.need(v + 4, length * elemSize, what);
    this.budget -= length;
    if (this.budget < 0) throw corrupt(`${what} vectors overlap (more elements than the file can hold)`);
    return { start: v + 4, length };
  }

  tables(t: Table | null, slot: number, what: string): Table[] {
    const v = this.vector(t, slot, 4, what);
    return v ? Array.from({ length: v.length }, (_, i) => this.table(this.deref(v.start + 4 * i, what), what)) : [];
  }
  ints(t: Table | null, slot: number, what: string): number[] {
    const v = this.vector(t, slot, 4, what);
    return v ? Array.from({ length: v.length }, (_, i) => this.bb.readInt32(v.start + 4 * i)) : [];
  }
  floats(t: Table | null, slot: number, what: string): number[] {
    const v = this.vector(t, slot, 4, what);
    return v ? Array.from({ length: v.length }, (_, i) => this.bb.readFloat32(v.start + 4 * i)) : [];
  }
  longs(t: Table | null, slot: number, what: string): number[] {
    const v = this.vector(t, slot, 8, what);
    return v ? Array.from({ length: v.length }, (_, i) => Number(this.bb.readInt64(v.start + 8 * i))) : [];
  }
  string(t: Table | null, slot: number, what: string): string | null {
    const v = this.vector(t, slot, 1, what);
    return v ? this.decoder.decode(this.bytes.subarray(v.start, v.start + v.length)) : null;
  }
}

