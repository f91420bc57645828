/**
 * The page of test/e2e/devProxy.test.ts, served by Vite's dev server: a chat session against the
 * gateway at `?gateway=` on the page's own origin (Vite's `server.proxy` forwards it), drawn as
 * plain text from the view module. Imports the repository's source, as the examples do.
 */
import { chatView, createAiccClient, createChatSession, gatewayTokenProvider } from '../../../src/index.js';
import { ZH_CN_TEXTS } from '../../../src/locales/zh_CN.js';

const params = new URLSearchParams(location.search);
const gatewayUrl = new URL(params.get('gateway') ?? '/aicc', location.href).href;
const userId = params.get('user') ?? 'dev-proxy';
// The gateway's identify() reads this cookie (it reaches the gateway through the proxy).
document.cookie = `devUser=${encodeURIComponent(userId)}; path=/; SameSite=Strict`;

const client = createAiccClient({ baseUrl: gatewayUrl, token: gatewayTokenProvider(gatewayUrl, { credentials: 'same-origin' }) });
const session = createChatSession({ client, identity: { userId, userName: 'Dev', channelId: params.get('channel') ?? '', locale: params.get('locale') ?? 'en_US' } });

const app = document.getElementById('app') as HTMLElement;
const line = (testId: string, text: string | null): HTMLParagraphElement => {
  const p = document.createElement('p');
  p.dataset['testid'] = testId;
  p.textContent = text ?? '';
  return p;
};

session.subscribe((snapshot) => {
  const view = chatView(snapshot, { locales: [ZH_CN_TEXTS] });
  document.documentElement.lang = view.lang;
  const status = line('chat-status', view.statusText);
  status.dataset['phase'] = view.phase;
  app.replaceChildren(status, line('chat-error', view.errorText), line('ended', view.endText));
});
session.start();
