/**
 * FNV-1a, 32 bit, as an unsigned integer: the one small stable string hash of the project
 * (message keys without a messageCode, transcript index shards, per-session jitter, the
 * simulator's seeds). Not for anything an attacker may choose to collide.
 */
export function fnv1a32(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}
