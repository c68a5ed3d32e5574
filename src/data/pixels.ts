// RGB pixels: RGBA to RGB and the bilinear resize to a model's input size. No Node imports, so
// `cmv3 predict` and the dashboard's in-browser classifier prepare an image the same way.

/** A decoded image: RGB bytes, row-major. */
export interface RgbImage {
  width: number;
  height: number;
  /** RGB, row-major, 3 bytes per pixel */
  data: Uint8Array;
}

export function rgbaToRgb(rgba: Uint8Array, width: number, height: number): Uint8Array {
  const out = new Uint8Array(width * height * 3);
  for (let p = 0; p < width * height; p++) {
    // Transparent pixels composite over white, as viewers show them.
    const a = rgba[p * 4 + 3] / 255;
    for (let k = 0; k < 3; k++) out[p * 3 + k] = Math.round(rgba[p * 4 + k] * a + 255 * (1 - a));
  }
  return out;
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
