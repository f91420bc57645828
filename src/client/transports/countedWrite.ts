/**
 * An upload body written a chunk at a time with progress, for the Node transports (node.ts on a
 * ClientRequest, net.ts on a socket).
 */

/** What `writeCounted` writes to: a ClientRequest or a socket. */
export interface CountedSink {
  readonly destroyed: boolean;
  write(chunk: Uint8Array, done: (error?: Error | null) => void): boolean;
  once(event: 'drain', listener: () => void): unknown;
}

/** Bytes per write of a counted body: progress moves in steps of this size. */
const UPLOAD_CHUNK_BYTES = 64 * 1024;

/**
 * Writes the body a chunk at a time, each after the sink took the one before ('drain' when its
 * buffer filled up), reporting the bytes handed to the kernel; `end` once all were written. An
 * exchange that ended early (abort, timeout, an answer before the whole body) destroyed the
 * sink, which stops the writes.
 */
export function writeCounted(sink: CountedSink, bytes: Uint8Array, progress: (sent: number, total: number) => void, end: () => void): void {
  const total = bytes.length;
  let sent = 0;
  const next = (): void => {
    while (!sink.destroyed && sent < total) {
      const written = Math.min(sent + UPLOAD_CHUNK_BYTES, total);
      const more = sink.write(bytes.subarray(sent, written), (error) => {
        if (!error) progress(written, total);
      });
      sent = written;
      if (!more) {
        sink.once('drain', next);
        return;
      }
    }
    if (!sink.destroyed) end();
  };
  next();
}
