/**
 * Nesting depth of a JSON text, measured before it is parsed. V8 parses deep nesting fine but
 * every recursive walk of the result (JSON.stringify when re-serialising, structured clone)
 * overflows the stack around 10,000 levels: the gateway refuses such texts up front (issue 17.6).
 */

/**
 * True when `text` opens more than `limit` objects/arrays at once. One linear scan: brackets
 * inside strings (escapes included) are text, not nesting. Malformed JSON is left to JSON.parse.
 */
export function nestedDeeperThan(text: string, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x7b || c === 0x5b) {
      depth++;
      if (depth > limit) return true;
    } else if (c === 0x7d || c === 0x5d) {
      depth--;
    }
  }
  return false;
}
