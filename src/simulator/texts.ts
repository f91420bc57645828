/**
 * Documented result texts that protocol.ts's ResultDesc does not carry (yet), and the
 * simulator's own tenant texts. Texts marked [inferred] are not in the docs.
 */
export const MoreResultDesc = {
  /** send TRANS2AGENT "12" (the TRANS2AGENT row ends with a period, the CONNECT row does not). */
  transferAfterHours: 'The current time is not within the working time of the service agents.',
  /** send TRANS2AGENT "13". */
  transferNoChannelConfig: 'transfer to agent failed, none channel config found.',
  /** TRANS2AGENT "0": undocumented [inferred]. */
  transferAccepted: 'success',
  /** queryHistoryChatMessage "0" (example). */
  historySuccess: 'success',
  /** downloadFileStream. */
  objectKeyNull: 'objectKey is null!',
  fileTypeOutOfRange: 'param filetype Out of range!',
  emptyFile: 'empty file!',
  downloadFailed: 'fsservice downloadFile is failed',
  downloadException: 'downloadFileStream exception',
  downloadParamNull: 'param channelId or userId or tenantId is null',
  /** queryPhraseByKeyword "1". */
  phraseRequestMissing: 'request is no exsit',
  phraseLocaleError: 'locale is error',
  phraseNoRobot: 'Robot is no exsit',
  /** saveSatisfaction "13". */
  satisfactionFailed: 'Save satisfaction failed',
  /** doLeaveMessage "13" / generic. */
  exceptionAppeared: 'Exception appeared!',
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
} as const;

/** Texts of SYSTEM messages in an English tenant (aicc-api.md §5.2). */
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
} as const;
