/**
 * Upload progress bars as a page shows them: every `<progress data-file="<name>">` the examples
 * render from the view's `file.upload.percent`. A bar lives only while its file uploads and can
 * go from 0 to 100 between two polls of a test, so the page records them itself: a
 * MutationObserver (its callback runs after each render, before the next network event) keeps
 * the highest value each file's bar ever showed.
 */
import type { Page } from 'playwright-core';

type Peaks = Record<string, number>;

/** Starts recording in `page` (call before picking the file). */
export async function watchUploadBars(page: Page): Promise<void> {
  await page.evaluate(() => {
    const peaks: Record<string, number> = {};
    (window as unknown as { __uploadPeaks: Record<string, number> }).__uploadPeaks = peaks;
    const record = (): void => {
      document.querySelectorAll<HTMLProgressElement>('progress[data-file]').forEach((bar) => {
        const name = bar.dataset['file'] ?? '';
        peaks[name] = Math.max(peaks[name] ?? -1, bar.value);
      });
    };
    new MutationObserver(record).observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ['value'] });
    record();
  });
}

/** The highest value each file's bar showed since `watchUploadBars`, by file name. */
export function uploadBarPeaks(page: Page): Promise<Peaks> {
  return page.evaluate(() => ({ ...(window as unknown as { __uploadPeaks: Record<string, number> }).__uploadPeaks }));
}
