// PNG and JPEG in, RGB uint8 HWC out (the pixel work itself is in pixels.ts, which the browser shares).
import { readFileSync } from 'node:fs';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { DataError } from './cifar.js';
import { isInternalError } from '../internal-error.js';
import { rgbaToRgb, type RgbImage } from './pixels.js';

export { resizeTo, rgbaToRgb, type RgbImage } from './pixels.js';

export class ImageTooLargeError extends DataError {}

/**
 * Decoded images larger than this are refused (predict --max-megapixels, serve --max-megapixels):
 * an 8000x8000 PNG of 187 KB took 869 MB and 4 minutes to decode and resize.
 */
export const DEFAULT_MAX_PIXELS = 16e6;

const tooLarge = (name: string, w: number, h: number, maxPixels: number) =>
  new ImageTooLargeError(`${name}: ${w}x${h} pixels is over the ${+(maxPixels / 1e6).toFixed(2)} megapixel limit; scale the image down (or raise --max-megapixels)`);

/** Width and height from a JPEG's frame header (SOF0-SOF15 but DHT/JPG/DAC), or null if none is found. */
function jpegSize(b: Uint8Array): { w: number; h: number } | null {
  let i = 2;
  while (i + 9 < b.length) {
    if (b[i] !== 0xff) return null;
    const marker = b[i + 1], len = (b[i + 2] << 8) | b[i + 3];
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) return { h: (b[i + 5] << 8) | b[i + 6], w: (b[i + 7] << 8) | b[i + 8] };
    i += 2 + len;
  }
  return null;
}

/** `maxPixels` refuses a huge image from its header, before any pixel memory is allocated; so is an empty one. */
export function decodeImage(bytes: Uint8Array, name = 'image', maxPixels = DEFAULT_MAX_PIXELS): RgbImage {
  const isPng = bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47;
  const isJpeg = bytes[0] === 0xff && bytes[1] === 0xd8;
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const size = isPng && bytes.length >= 24 ? { w: dv.getUint32(16), h: dv.getUint32(20) } : isJpeg ? jpegSize(bytes) : null;
  if (size && (size.w === 0 || size.h === 0)) throw new DataError(`${name}: the image is ${size.w}x${size.h} pixels (empty); the file is damaged`);
  if (size && size.w * size.h > maxPixels) throw tooLarge(name, size.w, size.h, maxPixels);
  let img: RgbImage | null = null;
  try {
    if (isPng) {
      const png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
      img = { width: png.width, height: png.height, data: rgbaToRgb(png.data, png.width, png.height) };
    } else if (isJpeg) {
      const j = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true, maxMemoryUsageInMB: 512, maxResolutionInMP: maxPixels / 1e6 });
      img = { width: j.width, height: j.height, data: rgbaToRgb(j.data, j.width, j.height) };
    }
  } catch (err) {
    if (/maxResolutionInMP/.test((err as Error).message)) throw new ImageTooLargeError(`${name}: over the ${+(maxPixels / 1e6).toFixed(2)} megapixel limit; scale the image down (or raise --max-megapixels)`);
    // The decoders' own words help only when they are words (pngjs: "Invalid file signature"); a
    // TypeError from inside jpeg-js on damaged data says nothing to a user.
    const why = isInternalError(err) ? '' : ` (${(err as Error).message.split('\n')[0]})`;
    throw new DataError(`${name}: cannot decode the ${isPng ? 'PNG' : 'JPEG'} data${why}; the file is damaged`);
  }
  if (!img) throw new DataError(`${name}: not a PNG or JPEG file; convert it to one of those`);
  if (img.width === 0 || img.height === 0) throw new DataError(`${name}: the image is ${img.width}x${img.height} pixels (empty); the file is damaged`);
  return img;
}

export function readImage(path: string, maxPixels = DEFAULT_MAX_PIXELS): RgbImage {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    throw new DataError(`${path}: cannot read image (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); check the path`);
  }
  return decodeImage(bytes, path, maxPixels);
}
