/**
 * Why the gateway (`aicc-chat-machine/gateway`) refused a request, by name: the `reason` of its
 * refusal body `{ "errorCode": "<HTTP status>", "exceptionInfo": "<text>", "reason": "<name>" }`.
 * One list for both sides: the gateway's texts are typed against it (a reason without a text,
 * or a text without a reason, fails the type check) and the client keeps a `reason` only when it
 * is one of these (`AiccError.gatewayReason`). Browser-safe: the gateway's texts stay in the
 * gateway entry, only the names are here.
 */
export const GATEWAY_REFUSAL_REASONS = [
  'noRoute',
  'origin',
  'preflight',
  'contentType',
  'tooLarge',
  'unidentified',
  'identifyFailed',
  'badIdentity',
  'rateLimited',
  'rateLimitedAddress',
  'pollsPerAddress',
  'inFlight',
  'inFlightAddress',
  'uploadsPerAddress',
  'bodyTimeout',
  'tooDeep',
  'badJson',
  'badField',
  'notCaller',
  'foreignFile',
  'noToken',
  'badToken',
  'oldToken',
  'unknownKey',
  'legacyToken',
  'unexpectedBody',
  'unexpectedQuery',
  'consumed',
  'upstreamAuth',
  'upstreamTimeout',
  'upstreamNetwork',
  'upstreamTooLarge',
  'upstreamNotJson',
  'upstreamRedirect',
  'upstreamTooDeep',
  'upstreamBusy',
  'upstreamStatus',
  'applyTokenFailed',
  'internal',
] as const;

/** A gateway refusal's reason (see GATEWAY_REFUSAL_REASONS; the texts: the gateway's `GATEWAY_REASONS`). */
export type GatewayRefusalReason = (typeof GATEWAY_REFUSAL_REASONS)[number];

const KNOWN: ReadonlySet<string> = new Set(GATEWAY_REFUSAL_REASONS);

/** The `reason` of an answer's body when it is a gateway refusal reason, else undefined. */
export function gatewayReasonOf(body: unknown): GatewayRefusalReason | undefined {
  const reason = (body as { reason?: unknown } | null)?.reason;
  return typeof reason === 'string' && KNOWN.has(reason) ? (reason as GatewayRefusalReason) : undefined;
}
