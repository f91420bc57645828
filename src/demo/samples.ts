/**
 * Sample files for the demo, made in memory: the customer's `photo.png` (a real 20×20 PNG) and
 * the bytes the simulated agent sends back (`image.jpg`, 3000 bytes with JPEG markers).
 */
import { deflateSync } from 'node:zlib';

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n += 1) {
    let c = n;
    for (let k = 0; k < 8; k += 1) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = (CRC_TABLE[(c ^ b) & 0xff] ?? 0) ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Uint8Array): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'ascii');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

/** Deterministic pseudo-random bytes (xorshift), so the sample is the same every run. */
function noise(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i += 1) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = (x >>> 0) & 0xff;
  }
  return out;
}

/** A valid 20×20 RGB PNG (about 1.2 KB): a noisy gradient, standing in for a photo. */
export function samplePhoto(): Uint8Array {
  const size = 20;
  const rows: number[] = [];
  const grain = noise(size * size * 3, 42);
  for (let y = 0; y < size; y += 1) {
    rows.push(0); // filter: none
    for (let x = 0; x < size; x += 1) {
      const i = (y * size + x) * 3;
      rows.push((x * 12 + (grain[i] ?? 0)) & 0xff, (y * 12 + (grain[i + 1] ?? 0)) & 0xff, (grain[i + 2] ?? 0) & 0xff);
    }
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(size, 0);
  header.writeUInt32BE(size, 4);
  header[8] = 8; // bit depth
  header[9] = 2; // colour type RGB
  return new Uint8Array(
    Buffer.concat([
      Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
      chunk('IHDR', header),
      chunk('IDAT', deflateSync(Buffer.from(rows))),
      chunk('IEND', new Uint8Array(0)),
    ]),
  );
}

export const SAMPLE_PHOTO_NAME = 'photo.png';

/** What the simulated agent sends: `length` bytes framed by JPEG SOI/EOI markers (not decodable). */
export function sampleAgentImage(length = 3000): Uint8Array {
  const bytes = noise(length, 7);
  bytes.set([0xff, 0xd8, 0xff, 0xe0], 0);
  bytes.set([0xff, 0xd9], length - 2);
  return bytes;
}
