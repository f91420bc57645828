/**
 * The retired `v1.` sealed-token format (gateway before JWE), kept here byte for byte so the tests
 * can present what a browser that was open across the upgrade still holds.
 */
import { createCipheriv, hkdfSync, randomBytes } from 'node:crypto';
import type { SealedClaims } from '../../src/gateway/sealing.js';

export function sealLegacyV1(secret: string, claims: SealedClaims): string {
  const key = Buffer.from(hkdfSync('sha256', Buffer.from(secret, 'utf8'), 'aicc-chat-machine/gateway', 'ccmessaging-token seal v1', 32));
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from('aicc-chat-machine/gateway ccmessaging-token v1', 'utf8'));
  const plain = Buffer.from(JSON.stringify({ t: claims.token, u: claims.userId, c: claims.channelId, i: claims.issuedAt }), 'utf8');
  const body = Buffer.concat([cipher.update(plain), cipher.final()]);
  return 'v1.' + Buffer.concat([iv, body, cipher.getAuthTag()]).toString('base64url');
}
