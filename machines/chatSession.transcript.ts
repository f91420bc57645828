/**
 * The transcript and its key index. The transcript is append-only (entries are replaced in
 * place, never removed or moved), so a key's position never changes.
 *
 * Both are shaped so that one update costs O(new messages), not O(history), while staying
 * immutable plain JSON (XState snapshots, persistence):
 * - the transcript is a list of chunks of TRANSCRIPT_CHUNK entries; appending or replacing an
 *   entry copies the chunk it lands in and the (short) list of chunks, never the whole history
 *   (one flat array copied per message cost ~0.5 ms at 20 000 entries; docs/performance.md);
 * - the index maps key → position: sharded by a hash of the key into INDEX_SHARDS lists of
 *   pages of at most INDEX_PAGE keys; an update copies the small outer object, the page list of
 *   each shard it touches and that shard's last page. (One flat object per shard grew with the
 *   history: ~300 µs to copy a shard at 20 000 entries.) A lookup reads the pages of one shard.
 *   A page holds keys in an array, not as property names: each new name cost V8 a hidden class
 *   and an interned string (~11 µs per message; docs/performance.md).
 */
import type { ChatSessionContext, Transcript, TranscriptEntry, TranscriptIndex, TranscriptIndexPage } from './chatSession.types.js';
import { fnv1a32 } from '../src/client/hash.js';

export const INDEX_SHARDS = 64;
/** Keys per index page (small enough to copy on every append). */
export const INDEX_PAGE = 16;
/** Entries per transcript chunk. */
export const TRANSCRIPT_CHUNK = 256;

export function emptyTranscript(): Transcript {
  return { length: 0, chunks: [] };
}

/** Every entry in order, as one array (what a UI renders). O(length): call it once per render. */
export function transcriptEntries(transcript: Transcript): TranscriptEntry[] {
  return transcript.chunks.length === 1 ? transcript.chunks[0]!.slice() : transcript.chunks.flat();
}

/** The entry at a position (0-based, in arrival order). */
export function entryAtPosition(transcript: Transcript, position: number): TranscriptEntry | undefined {
  return transcript.chunks[Math.floor(position / TRANSCRIPT_CHUNK)]?.[position % TRANSCRIPT_CHUNK];
}

/** The key's hash, folded to a shard name. */
export function shardOf(key: string): string {
  return String(fnv1a32(key) % INDEX_SHARDS);
}

/**
 * A page as an earlier version wrote it, `{ [key]: position }`: a tab of that version may lead
 * and mirror its snapshots to this one, or a host restore one without prepareRestoredSnapshot.
 */
const isEarlierPage = (page: TranscriptIndexPage): boolean => !Array.isArray(page.keys);
const own = (object: object, key: string): boolean => Object.prototype.hasOwnProperty.call(object, key);

export function positionOf(index: TranscriptIndex, key: string): number | undefined {
  const pages = index[shardOf(key)];
  if (!pages) return undefined;
  for (let i = pages.length - 1; i >= 0; i--) {
    const page = pages[i] as TranscriptIndexPage;
    if (isEarlierPage(page)) {
      if (own(page, key)) return (page as unknown as Record<string, number>)[key];
      continue;
    }
    const at = page.keys.indexOf(key);
    if (at >= 0) return page.positions[at];
  }
  return undefined;
}

/** The transcript entry with this key, if any. */
export function entryAt(context: Pick<ChatSessionContext, 'transcript' | 'transcriptIndex'>, key: unknown): TranscriptEntry | undefined {
  if (typeof key !== 'string') return undefined;
  const position = positionOf(context.transcriptIndex, key);
  return position === undefined ? undefined : entryAtPosition(context.transcript, position);
}

/** Builds an index for a transcript (tests, migrations). */
export function indexTranscript(transcript: Transcript): TranscriptIndex {
  const index: TranscriptIndex = {};
  transcriptEntries(transcript).forEach((entry, position) => {
    const pages = (index[shardOf(entry.key)] ??= []);
    const last = pages.at(-1);
    if (last && last.keys.length < INDEX_PAGE) {
      last.keys.push(entry.key);
      last.positions.push(position);
    } else pages.push({ keys: [entry.key], positions: [position] });
  });
  return index;
}

/** A transcript holding these entries (tests, migrations). */
export function transcriptOf(entries: readonly TranscriptEntry[]): Transcript {
  const chunks: TranscriptEntry[][] = [];
  for (let i = 0; i < entries.length; i += TRANSCRIPT_CHUNK) chunks.push(entries.slice(i, i + TRANSCRIPT_CHUNK));
  return { length: entries.length, chunks };
}

/** Copy-on-write view of transcript + index for one context update. */
export class TranscriptWriter {
  // `declare`d and set in the constructor, not class fields: a bundle for an engine older than
  // ES2022 would lower each field to a helper call (+~150 B gzip, docs/performance.md section 5).
  private declare chunks: TranscriptEntry[][];
  private declare length: number;
  private declare index: TranscriptIndex;
  private declare chunksCopied: boolean;
  private declare indexCopied: boolean;
  private declare readonly copiedChunks: Set<number>;
  private declare readonly copiedShards: Set<string>;
  /** Shards whose last page this update already copied (or created). */
  private declare readonly copiedPages: Set<string>;

  constructor(context: Pick<ChatSessionContext, 'transcript' | 'transcriptIndex'>) {
    this.chunks = context.transcript.chunks;
    this.length = context.transcript.length;
    this.index = context.transcriptIndex;
    this.chunksCopied = false;
    this.indexCopied = false;
    this.copiedChunks = new Set();
    this.copiedShards = new Set();
    this.copiedPages = new Set();
  }

  has(key: string): boolean {
    return positionOf(this.index, key) !== undefined;
  }

  get(key: string): TranscriptEntry | undefined {
    const position = positionOf(this.index, key);
    return position === undefined ? undefined : this.chunks[Math.floor(position / TRANSCRIPT_CHUNK)]?.[position % TRANSCRIPT_CHUNK];
  }

  /** Appends unless the key is known. */
  append(entry: TranscriptEntry): boolean {
    if (this.has(entry.key)) return false;
    const position = this.length;
    const chunk = Math.floor(position / TRANSCRIPT_CHUNK);
    if (position % TRANSCRIPT_CHUNK === 0) {
      this.copyChunkList();
      this.chunks.push([]);
      this.copiedChunks.add(chunk);
    }
    this.writableChunk(chunk).push(entry);
    this.length += 1;
    this.indexKey(entry.key, position);
    return true;
  }

  replace(key: string, update: (entry: TranscriptEntry) => TranscriptEntry): void {
    const position = positionOf(this.index, key);
    if (position === undefined) return;
    const chunk = Math.floor(position / TRANSCRIPT_CHUNK);
    const current = this.chunks[chunk]?.[position % TRANSCRIPT_CHUNK];
    if (!current) return;
    const next = update(current);
    if (next === current) return;
    this.writableChunk(chunk)[position % TRANSCRIPT_CHUNK] = next;
  }

  /** The changed transcript and index, as a context update the caller may add fields to. */
  result(): Partial<ChatSessionContext> {
    const update: Partial<ChatSessionContext> = {};
    if (this.chunksCopied) update.transcript = { length: this.length, chunks: this.chunks };
    if (this.indexCopied) update.transcriptIndex = this.index;
    return update;
  }

  /** Adds key → position to its shard's last page, copying what an earlier snapshot shares. */
  private indexKey(key: string, position: number): void {
    if (!this.indexCopied) {
      this.index = { ...this.index };
      this.indexCopied = true;
    }
    const name = shardOf(key);
    let pages = this.index[name] ?? [];
    if (!this.copiedShards.has(name)) {
      pages = pages.slice();
      this.index[name] = pages;
      this.copiedShards.add(name);
    }
    const last = pages.length - 1;
    const page = pages[last];
    if (!page || isEarlierPage(page) || page.keys.length >= INDEX_PAGE) {
      pages.push({ keys: [key], positions: [position] });
      this.copiedPages.add(name);
      return;
    }
    if (this.copiedPages.has(name)) {
      page.keys.push(key);
      page.positions.push(position);
      return;
    }
    // The last page, copied with the key added: concat sizes the copies exactly, where a copy
    // grown by push keeps room for 16 more keys (~45 B per kept message: docs/performance.md, 3c).
    pages[last] = { keys: page.keys.concat(key), positions: page.positions.concat(position) };
    this.copiedPages.add(name);
  }

  private copyChunkList(): void {
    if (this.chunksCopied) return;
    this.chunks = this.chunks.slice();
    this.chunksCopied = true;
  }

  /** The chunk, copied once per update before the first write to it. */
  private writableChunk(chunk: number): TranscriptEntry[] {
    this.copyChunkList();
    if (!this.copiedChunks.has(chunk)) {
      this.chunks[chunk] = (this.chunks[chunk] ?? []).slice();
      this.copiedChunks.add(chunk);
    }
    return this.chunks[chunk] as TranscriptEntry[];
  }
}
