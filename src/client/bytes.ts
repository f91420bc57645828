/** Sizes of what a page sends: binary input and UTF-8 text (the client's and the machine's checks). */

/** Byte size of a Uint8Array / ArrayBuffer / Blob, or null for anything else. */
export function binarySize(data: unknown): number | null {
  if (data instanceof Uint8Array || data instanceof ArrayBuffer) return data.byteLength;
  return typeof Blob !== 'undefined' && data instanceof Blob ? data.size : null;
}

/** UTF-8 byte length (a lone surrogate counts as U+FFFD's 3 bytes, as it is sent). */
export function utf8ByteLength(text: string): number {
  return new TextEncoder().encode(text).length;
}

/**
 * The text's UTF-8 byte length when it is over `max`, else null. A UTF-16 unit is at most 3
 * bytes, so a text of at most max / 3 units is not counted: most texts, and every message is
 * checked (docs/performance.md).
 */
export function utf8BytesOver(text: string, max: number): number | null {
  if (text.length * 3 <= max) return null;
  const bytes = utf8ByteLength(text);
  return bytes > max ? bytes : null;
}
