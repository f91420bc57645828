/** Sizes of what a page sends: binary input and UTF-8 text (the client's and the machine's checks). */

/** Byte size of a Uint8Array / ArrayBuffer / Blob, or null for anything else. */
export function binarySize(data: unknown): number | null {
  if (data instanceof Uint8Array || data instanceof ArrayBuffer) return data.byteLength;
  return typeof Blob !== 'undefined' && data instanceof Blob ? data.size : null;
}

/**
 * What `new TextEncoder().encode(text).length` returns, counted without encoding: every message
 * sent is checked, and an encoder plus a byte copy per check cost ~7 µs (docs/performance.md).
 * A lone surrogate is sent as U+FFFD, 3 bytes, as TextEncoder does.
 */
export function utf8ByteLength(text: string): number {
  let bytes = text.length;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit < 0x80) continue;
    if (unit < 0x800) {
      bytes += 1;
    } else if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < text.length && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      bytes += 2; // a surrogate pair: 2 units, 4 bytes
      i++;
    } else {
      bytes += 2;
    }
  }
  return bytes;
}
