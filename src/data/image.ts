// PNG and JPEG in, RGB uint8 HWC out (the pixel work itself is in pixels.ts, which the browser shares).
import { readFileSync } from 'node:fs';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { DataError } from './cifar.js';
import { rgbaToRgb, type RgbImage } from './pixels.js';

export { resizeTo, rgbaToRgb, type RgbImage } from './pixels.js';

export class ImageTooLargeError extends DataError {}

/** `maxPixels` refuses a huge image from its header, before any pixel memory is allocated. */
export function decodeImage(bytes: Uint8Array, name = 'image', maxPixels = 256e6): RgbImage {
  const isPng = bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47;
  const isJpeg = bytes[0] === 0xff && bytes[1] === 0xd8;
  if (isPng && bytes.length >= 24) {
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), w = dv.getUint32(16), h = dv.getUint32(20);
    if (w * h > maxPixels) throw new ImageTooLargeError(`${name}: ${w}x${h} pixels is over the ${(maxPixels / 1e6).toFixed(0)} megapixel limit; scale the image down`);
  }
  try {
    if (isPng) {
      const png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
      return { width: png.width, height: png.height, data: rgbaToRgb(png.data, png.width, png.height) };
    }
    if (isJpeg) {
      const j = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true, maxMemoryUsageInMB: 512, maxResolutionInMP: maxPixels / 1e6 });
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
