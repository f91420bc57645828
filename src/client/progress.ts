/**
 * Upload progress as a UI wants it: in the file's bytes, few reports, and always the end.
 * Transports report the request body (the file as Base64 inside JSON, ~4/3 of its size) as
 * often as they like; `uploadProgress` scales that to the file and throttles it.
 */
import type { UploadProgress } from './types.js';

/** A report at least this often while bytes move... */
export const PROGRESS_INTERVAL_MS = 100;
/** ...or whenever this share of the file went out since the last one. */
export const PROGRESS_STEP = 0.05;

/**
 * The transport's `(sent, total)` callback for an upload of `fileBytes`, reporting to `report`:
 * when PROGRESS_INTERVAL_MS passed or PROGRESS_STEP of the file went out since the last report,
 * and always when the whole body left. Never the same value twice in a row, so at most
 * 1/PROGRESS_STEP reports plus one per interval. A resent body (a 401 retry) starts again at 0.
 */
export function uploadProgress(
  fileBytes: number,
  report: (progress: UploadProgress) => void,
  now: () => number = Date.now,
): (sent: number, total: number) => void {
  let last = -1;
  let lastAt = -Infinity;
  return (sent, total) => {
    const loaded = total <= 0 || sent >= total ? fileBytes : Math.floor((fileBytes * sent) / total);
    if (loaded === last) return;
    const at = now();
    const due = loaded === fileBytes || loaded < last || at - lastAt >= PROGRESS_INTERVAL_MS || loaded - last >= fileBytes * PROGRESS_STEP;
    if (!due) return;
    last = loaded;
    lastAt = at;
    try {
      report({ loaded, total: fileBytes });
    } catch {
      // A UI callback's bug must not break the upload (it runs inside the transport's I/O).
    }
  };
}
