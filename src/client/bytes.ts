/** Sizes of what a page sends: binary input and UTF-8 text (the client's and the machine's checks). */

/** Byte size of a Uint8Array / ArrayBuffer / Blob, or null for anything else. */
export function binarySize(data: unknown): number | null {
  if (data instanceof Uint8Array || data instanceof ArrayBuffer) return data.byteLength;
  return typeof Blob !== 'undefined' && data instanceof Blob ? data.size : null;
}

/** UTF-8 byte length (a lone surrogate counts as U+FFFD's 3 bytes, as it is sent). Callers skip it for texts of at most a third of their limit in UTF-16 units. */
export function utf8ByteLength(text: string): number {
  return new TextEncoder().encode(text).length;
}
