/** The simulator's own texts where the docs give none, and its tenant texts ([inferred]). */
/** Result texts the docs do not give [inferred]; the documented ones live in protocol.ts ResultDesc. */
export const MoreResultDesc = {
  /** TRANS2AGENT "0": undocumented [inferred]. */
  transferAccepted: 'success',
  /** getsatisfactionsurveymode "0": undocumented [inferred]. */
  surveyModeSuccess: 'query satisfaction survey mode success',
} as const;

/** Inferred descriptions for codes the docs list without a text. */
export const InferredDesc = {
  parameterMissing: 'parameter is empty',
  parameterError: 'parameter is error',
  uploadSuccess: 'upload file success',
  uploadFailed: 'upload file failed: file too large',
  feedbackSaved: 'feedback satisfaction success',
  feedbackParamError: 'feedback parameter is error',
  applyTokenFailed: 'apply token failed',
  notRobotSession: 'current session is not a robot session or there is no session',
  /** CHAT to a robot session the service lost: worded like TRANS2AGENT's documented answer. */
  sessionKeepTouchFailed: 'send message to robot failed,session keep touch failed.',
  /** feedbacksatisfaction "10010000002" (rate-limited, flow control): the docs give no text. */
  flowControl: 'the request is rejected by flow control, please try again later',
} as const;

/** Texts of SYSTEM messages in an English tenant (docs/protocol.md#52-lifecycle-events-and-texts). */
export const SystemText = {
  nickname: 'system',
  queuing: 'Queuing...',
  connected: 'The call is connected to an agent.',
  /** Tenant text [inferred] (the demo shows 会话转人工处理。). */
  transferring: 'The session is transferred to an agent.',
} as const;

/** Gateway texts [inferred], except accessTokenExpired which protocol.ts carries. */
export const GatewayText = {
  badCredentials: 'auth fail! app_key or app_secret is invalid.',
  badTokenExpire: 'X-Token-Expire must be an integer from 1 to 3600.',
  ccTokenInvalid: 'ccmessaging-token is invalid or expired, please apply for a new token.',
  ccTokenMissing: 'ccmessaging-token is missing.',
  identityMismatch: 'ccmessaging-token does not belong to the user named in the request.',
  notFound: 'the API does not exist.',
  badRequest: 'the request body is not valid JSON.',
  tooLarge: 'the request body is too large.',
  injected: 'injected fault',
  /** HTTP 429 of the gateway's flow control. */
  rateLimited: 'the request rate limit of this API has been reached, please retry later.',
  /** HTTP 403 of the gateway's IP allow-list (with errorCode GatewayCode.ipNotAllowed). */
  ipForbidden: 'client IP not allowed: the source address is not in the allow-list of this app.',
} as const;

/** Gateway errorCode values other than the HTTP status [inferred]. */
export const GatewayCode = {
  /**
   * The AICC code for "client IP not allowed" (one of the documented CC-UCS codes); that the
   * gateway's allow-list puts it in errorCode is [inferred] (docs/simulator.md, Faults).
   */
  ipNotAllowed: '160033',
} as const;
