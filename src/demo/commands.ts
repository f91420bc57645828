/**
 * What the customer types in the demo: plain text is a chat message, `/…` a command.
 * `parseCommand` is pure; `DemoController.run` (controller.ts) carries commands out.
 */

export type Command =
  | { kind: 'say'; text: string }
  /** No path: the built-in sample photo. */
  | { kind: 'file'; path: string | null }
  | { kind: 'agent' }
  | { kind: 'end' }
  | { kind: 'rate'; score: number | 'yes' | 'no'; comment: string | null }
  | { kind: 'skip' }
  | { kind: 'leave'; caller: string; message: string }
  | { kind: 'suggest'; text: string }
  | { kind: 'retry' }
  | { kind: 'read' }
  | { kind: 'sim'; action: 'say' | 'file' | 'hangup' | 'release'; text: string | null }
  | { kind: 'help' }
  | { kind: 'quit' }
  | { kind: 'empty' }
  | { kind: 'invalid'; message: string };

export const HELP = `Type a message and press Enter to send it. Commands:
  /file [path]          send a file (jpg, png, bmp, mp3, aac, mp4, txt, csv; none: a sample photo)
  /agent                ask the robot for a human agent
  /suggest <text>       phrase suggestions for a draft (robot channels)
  /read                 tell the agent you have read its messages
  /retry                resend the last failed message; sign-in, connect or the survey: try again now
  /end                  end the chat (a survey may follow; once it has ended, /rate or /skip)
  /rate <1-5> [comment] answer the survey (robot survey: 4 or more = satisfied, or yes/no)
  /skip                 skip the survey (also one that could not be loaded) or the leave-message form
  /leave <phone> <text> leave a message when nobody can take the chat
  /sim say <text> | /sim file | /sim hangup | /sim release
                        make the simulated agent talk, send a file, hang up; release the session
  /quit                 end the chat and skip everything (also Ctrl+C, Ctrl+D)
  /help                 this list`;

/** What follows the first word (the command's arguments), trimmed. */
function afterFirstWord(input: string): string {
  const space = input.search(/\s/);
  return space < 0 ? '' : input.slice(space).trim();
}

export function parseCommand(line: string): Command {
  const input = line.trim();
  if (input === '') return { kind: 'empty' };
  if (!input.startsWith('/')) return { kind: 'say', text: input };
  if (input.startsWith('//')) return { kind: 'say', text: input.slice(1) };
  const name = (input.split(/\s/, 1)[0] ?? '').toLowerCase();
  const args = afterFirstWord(input);
  switch (name) {
    case '/file':
      return { kind: 'file', path: args === '' ? null : args };
    case '/agent':
      return { kind: 'agent' };
    case '/end':
      return { kind: 'end' };
    case '/rate': {
      const first = (args.split(/\s/, 1)[0] ?? '').toLowerCase();
      const comment = afterFirstWord(args);
      if (first === 'yes' || first === 'no') return { kind: 'rate', score: first, comment: comment === '' ? null : comment };
      if (!/^\d+$/.test(first)) return { kind: 'invalid', message: 'usage: /rate <1-5> [comment]' };
      return { kind: 'rate', score: Number(first), comment: comment === '' ? null : comment };
    }
    case '/skip':
      return { kind: 'skip' };
    case '/leave': {
      // The phone number may contain spaces and dashes: "+49 30 1234567 Please call me".
      const match = /^(\+?\d(?:[\d -]*\d)?)\s+(\S.*)$/s.exec(args);
      if (!match?.[1] || !match[2]) return { kind: 'invalid', message: 'usage: /leave <phone> <message>' };
      return { kind: 'leave', caller: match[1], message: match[2].trim() };
    }
    case '/suggest':
      return args === '' ? { kind: 'invalid', message: 'usage: /suggest <text>' } : { kind: 'suggest', text: args };
    case '/retry':
      return { kind: 'retry' };
    case '/read':
      return { kind: 'read' };
    case '/sim': {
      const action = (args.split(/\s/, 1)[0] ?? '').toLowerCase();
      const text = afterFirstWord(args);
      if (action === 'say') return text === '' ? { kind: 'invalid', message: 'usage: /sim say <text>' } : { kind: 'sim', action, text };
      if (action === 'file' || action === 'hangup' || action === 'release') return { kind: 'sim', action, text: null };
      return { kind: 'invalid', message: 'usage: /sim say <text> | /sim file | /sim hangup | /sim release' };
    }
    case '/help':
    case '/?':
      return { kind: 'help' };
    case '/quit':
    case '/exit':
      return { kind: 'quit' };
    default:
      return { kind: 'invalid', message: `unknown command ${name} (try /help; start a message with // to send a literal /)` };
  }
}

/** Upload type from a file name: `photo.JPEG` → `jpeg`; null without an extension. */
export function fileTypeOf(path: string): string | null {
  const match = /\.([A-Za-z0-9]+)$/.exec(path);
  return match?.[1] ? match[1].toLowerCase() : null;
}
