// PNG and JPEG in, RGB uint8 HWC out, and a bilinear resize to the model's input size.
import { readFileSync } from 'node:fs';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { DataError } from './cifar.js';

export interface RgbImage {
  width: number;
  height: number;
  /** RGB, row-major, 3 bytes per pixel */
  data: Uint8Array;
}

function rgbaToRgb(rgba: Uint8Array, width: number, height: number): Uint8Array {
  const out = new Uint8Array(width * height * 3);
  for (let p = 0; p < width * height; p++) {
    // Transparent pixels composite over white, as viewers show them.
    const a = rgba[p * 4 + 3] / 255;
    for (let k = 0; k < 3; k++) out[p * 3 + k] = Math.round(rgba[p * 4 + k] * a + 255 * (1 - a));
  }
  return out;
}

export function decodeImage(bytes: Uint8Array, name = 'image'): RgbImage {
  const isPng = bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47;
  const isJpeg = bytes[0] === 0xff && bytes[1] === 0xd8;
  try {
    if (isPng) {
      const png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
      return { width: png.width, height: png.height, data: rgbaToRgb(png.data, png.width, png.height) };
    }
    if (isJpeg) {
      const j = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true, maxMemoryUsageInMB: 512 });
      return { width: j.width, height: j.height, data: rgbaToRgb(j.data, j.width, j.height) };
    }
  } catch (err) {
    throw new DataError(`${name}: cannot decode (${(err as Error).message}); the file is damaged`);
  }
  throw new DataError(`${name}: not a PNG or JPEG file; convert it to one of those`);
}

export function readImage(path: string): RgbImage {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    throw new DataError(`${path}: cannot read image (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); check the path`);
  }
  return decodeImage(bytes, path);
}

/** Bilinear resize (pixel centres aligned, as TensorFlow's half_pixel_centers) to size x size. */
export function resizeTo(img: RgbImage, size: number): Uint8Array {
  if (img.width === size && img.height === size) return img.data;
  const out = new Uint8Array(size * size * 3);
  const sy = img.height / size, sx = img.width / size;
  for (let y = 0; y < size; y++) {
    const fy = Math.min(Math.max((y + 0.5) * sy - 0.5, 0), img.height - 1);
    const y0 = Math.floor(fy), y1 = Math.min(y0 + 1, img.height - 1), wy = fy - y0;
    for (let x = 0; x < size; x++) {
      const fx = Math.min(Math.max((x + 0.5) * sx - 0.5, 0), img.width - 1);
      const x0 = Math.floor(fx), x1 = Math.min(x0 + 1, img.width - 1), wx = fx - x0;
      for (let k = 0; k < 3; k++) {
        const p = (yy: number, xx: number) => img.data[(yy * img.width + xx) * 3 + k];
        const v = (1 - wy) * ((1 - wx) * p(y0, x0) + wx * p(y0, x1)) + wy * ((1 - wx) * p(y1, x0) + wx * p(y1, x1));
        out[(y * size + x) * 3 + k] = Math.round(v);
      }
    }
  }
  return out;
}
