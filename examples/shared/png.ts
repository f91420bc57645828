/**
 * A small PNG made on the fly (no binary fixtures in the repo): what the demo's scripted agent
 * sends and what the e2e test uploads. Node only (node:zlib).
 */
import { deflateSync } from 'node:zlib';

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const byte of bytes) c = (CRC_TABLE[(c ^ byte) & 0xff] ?? 0) ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Uint8Array): Buffer {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'ascii');
  out.set(data, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}

export interface PngOptions {
  width?: number;
  height?: number;
  /** Base colour of the picture, [r, g, b]. */
  hue?: readonly [number, number, number];
}

/**
 * An RGB PNG: a diagonal gradient in `hue` with a white circle in the middle, so a rendered
 * image is easy to recognise in a screenshot.
 */
export function makePng({ width = 160, height = 100, hue = [40, 110, 220] }: PngOptions = {}): Uint8Array {
  const raw = Buffer.alloc((width * 3 + 1) * height);
  const cx = width / 2;
  const cy = height / 2;
  const radius = Math.min(width, height) / 4;
  for (let y = 0; y < height; y++) {
    const row = y * (width * 3 + 1);
    raw[row] = 0; // filter: none
    for (let x = 0; x < width; x++) {
      const t = (x / width + y / height) / 2;
      const inCircle = (x - cx) ** 2 + (y - cy) ** 2 <= radius ** 2;
      const i = row + 1 + x * 3;
      raw[i] = inCircle ? 255 : Math.round(hue[0] * (1 - t) + 255 * t * 0.3);
      raw[i + 1] = inCircle ? 255 : Math.round(hue[1] * (1 - t) + 200 * t * 0.5);
      raw[i + 2] = inCircle ? 255 : Math.round(hue[2] * (1 - t * 0.5));
    }
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bit depth
  header[9] = 2; // colour type: RGB
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  const png = Buffer.concat([signature, chunk('IHDR', header), chunk('IDAT', deflateSync(raw)), chunk('IEND', new Uint8Array(0))]);
  return new Uint8Array(png.buffer, png.byteOffset, png.byteLength);
}
