/**
 * `aicc-chat-machine/locales/zh_CN`: the view module's texts in Simplified Chinese, as a Chinese
 * customer-service widget words them. An entry of its own, so a page that never shows Chinese
 * does not load it (2.3 KB gzip). Offer it to the view, which picks it for a `zh` session:
 *
 *   import { ZH_CN_TEXTS } from 'aicc-chat-machine/locales/zh_CN';
 *   connectChat(snapshot, send, { locales: [ZH_CN_TEXTS] });
 *
 * Typed as `ChatTexts`, so a missing or extra key fails the type check.
 *
 * @module zh_CN
 */
import type { ChatTexts } from '../view/texts.js';

const TRY_SOON = '请求过于频繁，请稍候。';
const TRY_LATER = '客服系统暂时不可用，请稍后再试。';
const REFUSED_REQUEST = '客服系统拒绝了该请求：{detail}';
const SIGN_IN_AGAIN = '登录状态已失效，请刷新页面。';
const UNEXPECTED_ANSWER = '客服中心返回了无法识别的数据。';

/** Simplified Chinese (`zh_CN`). */
export const ZH_CN_TEXTS: ChatTexts = {
  locale: 'zh_CN',
  status: {
    auth: '正在登录…',
    'auth-retry': '登录失败，正在重试…',
    history: '正在加载历史消息…',
    connecting: '正在连接…',
    'connect-retry': '连接失败，正在重试…',
    'leave-message': '请给我们留言',
    queuing: '正在等待人工客服',
    'chatting-robot': '智能助手为您服务',
    'chatting-agent': '{agent}为您服务',
    ending: '正在结束会话…',
    'survey-mode-retry': '评价加载失败，正在重试…',
    'survey-unavailable': '评价加载失败',
    'survey-agent': '请对本次服务进行评价',
    'survey-robot': '智能助手是否解决了您的问题？',
    disconnecting: '正在关闭…',
    disconnected: '会话已结束',
  },
  names: { you: '我', agent: '客服', robot: '智能助手' },
  queue: {
    position: '您当前排在第 {position} 位',
    wait: '，预计等待约 {seconds} 秒',
    unknown: '正在为您安排客服…',
    ivr: '正在等待空闲客服…',
  },
  outgoing: { uploading: '上传中…', queued: '等待发送', sending: '发送中…', sent: '已发送', failed: '发送失败', read: '已读' },
  notices: {
    gap: '部分消息未能加载。',
    agentLeft: '客服已离开会话。',
    closed: '会话已被系统关闭。',
    unknown: '[暂不支持显示此类消息]',
  },
  connection: {
    offline: '网络已断开，恢复后消息将自动发送。',
    reconnecting: '连接异常，正在重新连接…',
  },
  endReasons: {
    'customer-ended': '您已结束本次会话。',
    'agent-ended': '客服已结束本次会话。',
    'session-released': '会话已被系统关闭。',
    'auth-failed': '登录客服系统失败。',
    'connect-failed': '会话连接失败。',
    'after-hours': '当前为非工作时间。',
    'message-left': '留言已提交，我们会尽快给您回电。',
    'network-lost': '网络连接已断开。',
  },
  errors: {
    network: '无法连接客服系统。',
    timeout: '客服系统响应超时。',
    http: '客服系统异常（HTTP {status}）。',
    business: '客服系统未受理：{detail}',
    validation: '请求有误：{detail}',
    aborted: '请求已取消。',
    protocol: '客服系统返回了无法识别的数据。',
  },
  gatewayReasons: {
    noRoute: '未在此地址找到客服系统（请检查网关地址及其 basePath）。',
    origin: '此页面无权使用客服系统：请将页面的来源加入网关的 allowedOrigins（使用开发服务器代理时，加入页面自身的来源）。',
    preflight: '客服系统拒绝了此页面的请求头（见网关的 corsAllowHeaders）。',
    contentType: REFUSED_REQUEST,
    tooLarge: '内容过大，客服系统无法接收。',
    unidentified: '请先登录再咨询客服。',
    identifyFailed: TRY_LATER,
    badIdentity: '您的账号暂不能使用在线客服（网关的 identify() 返回了无效的身份）。',
    rateLimited: TRY_SOON,
    rateLimitedAddress: TRY_SOON,
    pollsPerAddress: TRY_SOON,
    inFlight: TRY_SOON,
    inFlightAddress: TRY_SOON,
    uploadsPerAddress: TRY_SOON,
    bodyTimeout: '发送超时，请重试。',
    tooDeep: REFUSED_REQUEST,
    badJson: REFUSED_REQUEST,
    badField: REFUSED_REQUEST,
    notCaller: REFUSED_REQUEST,
    foreignFile: '该文件属于其他会话。',
    noToken: SIGN_IN_AGAIN,
    badToken: SIGN_IN_AGAIN,
    oldToken: SIGN_IN_AGAIN,
    unknownKey: SIGN_IN_AGAIN,
    legacyToken: SIGN_IN_AGAIN,
    unexpectedBody: REFUSED_REQUEST,
    unexpectedQuery: REFUSED_REQUEST,
    consumed: '客服系统配置有误（请在任何请求体解析中间件之前挂载网关）。',
    upstreamAuth: '客服中心拒绝了客服系统的凭据（请检查网关的 appKey 和 appSecret）。',
    upstreamTimeout: TRY_LATER,
    upstreamNetwork: TRY_LATER,
    upstreamTooLarge: UNEXPECTED_ANSWER,
    upstreamNotJson: UNEXPECTED_ANSWER,
    upstreamRedirect: UNEXPECTED_ANSWER,
    upstreamTooDeep: UNEXPECTED_ANSWER,
    upstreamBusy: TRY_SOON,
    upstreamStatus: '客服中心异常（HTTP {status}）。',
    applyTokenFailed: TRY_LATER,
    internal: TRY_LATER,
  },
  inputErrors: {
    'empty-text': '请输入消息内容。',
    'text-too-long': '消息过长，请分条发送。',
    'invalid-file': '无法读取该文件。',
    'unsupported-file-type': '不支持发送该类型的文件。',
    'file-too-large': '文件过大，无法发送。',
    'unknown-message': '找不到这条消息。',
    'not-retryable': '该消息无法重新发送。',
    'not-downloadable': '该文件无法下载。',
    'invalid-rating': '请选择评价等级。',
    'invalid-comment': '评价内容过长。',
    'comment-required': '请告诉我们哪里做得不好。',
    'invalid-nps': '推荐度评分须为 0 到 10 的整数。',
    'invalid-fcr': '请选择问题是否已解决。',
    'invalid-caller': '请填写正确的回拨号码。',
    'invalid-leave-message': '请填写留言内容。',
    'not-served-by-robot': '当前无法转人工客服。',
    'invalid-event': '无法执行该操作。',
  },
};
