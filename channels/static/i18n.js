/* chatflow visitor chat: the page's strings in zh-CN (the default) and English.
 * Loaded before chat.js as window.ChatflowI18n; tests load it with require(). */
(function (root, factory) {
  'use strict';
  const api = factory();
  if (typeof module === 'object' && module.exports) module.exports = api;
  else root.ChatflowI18n = api;
})(typeof self !== 'undefined' ? self : this, function () {
  'use strict';

  const DEFAULT_LANG = 'zh-CN';

  const MESSAGES = {
    'zh-CN': {
      title: '在线客服',
      close: '关闭',
      endChat: '结束会话',
      endConfirm: '确定结束本次会话吗？',
      endYes: '结束',
      cancel: '取消',
      inputLabel: '输入消息',
      placeholder: '请输入消息…',
      keysHint: 'Enter 发送，Shift+Enter 换行',
      endedPlaceholder: '会话已结束',
      send: '发送',
      image: '发送图片',
      connecting: '正在连接…',
      reconnecting: '连接已断开，正在重新连接…',
      offline: '网络已断开，恢复后将自动重连…',
      sending: '发送中…',
      failed: '未送达',
      queue: '您前面还有 {n} 位访客',
      queueNext: '即将为您接通',
      agentJoined: '客服 {nickname}（工号 {staff_no}）已接入',
      agentJoinedNoNumber: '客服 {nickname} 已接入',
      agentJoinedNoName: '客服（工号 {staff_no}）已接入',
      agentTyping: '客服正在输入…',
      botTyping: '对方正在输入…',
      ended: '会话已结束',
      newSession: '开始新会话',
      expired: '会话已过期，已为您开始新会话',
      surveyPrompt: '请对本次服务进行评价',
      star: '{n} 星',
      score: '{n} 分',
      levelLabel: '{level}（{label}）',
      rated: '您的评价：{choice}',
      dismiss: '关闭提示',
      tooLong: '消息不能超过 {max} 个字',
      imageTooBig: '图片“{name}”超过 2 MB，未发送',
      imageBadType: '“{name}”不是 JPEG、PNG、GIF 或 WebP 图片，未发送',
      imageUploading: '正在发送图片：{name}',
      imageFailed: '图片发送失败',
      retry: '重试',
      imageAlt: '图片',
      imageUnavailable: '[图片无法显示]',
      siteMissing: '链接无效：缺少客服入口标识',
      siteUnknown: '该客服入口不存在或已停用',
      captchaTitle: '安全验证',
      captchaSlide: '拖动滑块完成拼图',
      captchaRefresh: '换一张',
      captchaChecking: '正在验证…',
      captchaFailed: '验证失败，请再试一次',
      captchaUnavailable: '验证码加载失败，请点击“换一张”重试',
      unavailable: '暂时无法连接客服，请稍后再试',
      reload: '重新加载',
      errorGeneric: '出错了，请稍后再试',
      errorRateLimited: '消息发送太频繁，请稍后再试',
      you: '我',
      bot: '智能助手',
      agent: '客服',
      system: '系统消息',
    },
    en: {
      title: 'Customer service',
      close: 'Close',
      endChat: 'End chat',
      endConfirm: 'End this conversation?',
      endYes: 'End',
      cancel: 'Cancel',
      inputLabel: 'Type a message',
      placeholder: 'Type a message…',
      keysHint: 'Enter sends, Shift+Enter adds a line',
      endedPlaceholder: 'This conversation has ended',
      send: 'Send',
      image: 'Send images',
      connecting: 'Connecting…',
      reconnecting: 'Connection lost. Reconnecting…',
      offline: 'You are offline. We will reconnect when the network is back…',
      sending: 'Sending…',
      failed: 'Not delivered',
      queue: (vars) =>
        Number(vars.n) === 1 ? '1 visitor ahead of you' : '{n} visitors ahead of you',
      queueNext: 'You are next: connecting you now',
      agentJoined: '{nickname} (staff no. {staff_no}) joined the chat',
      agentJoinedNoNumber: '{nickname} joined the chat',
      agentJoinedNoName: 'An agent (staff no. {staff_no}) joined the chat',
      agentTyping: 'The agent is typing…',
      botTyping: 'Typing…',
      ended: 'This conversation has ended',
      newSession: 'Start a new conversation',
      expired: 'The conversation expired; a new one has started',
      surveyPrompt: 'Please rate this service',
      star: (vars) => (Number(vars.n) === 1 ? '1 star' : '{n} stars'),
      score: '{n} points',
      levelLabel: '{level}: {label}',
      rated: 'Your rating: {choice}',
      dismiss: 'Dismiss',
      tooLong: 'Messages are limited to {max} characters',
      imageTooBig: '“{name}” is larger than 2 MB and was not sent',
      imageBadType: '“{name}” is not a JPEG, PNG, GIF or WebP image and was not sent',
      imageUploading: 'Sending image: {name}',
      imageFailed: 'The image could not be sent',
      retry: 'Retry',
      imageAlt: 'Image',
      imageUnavailable: '[image unavailable]',
      siteMissing: 'Invalid link: the chat entry key is missing',
      siteUnknown: 'This chat does not exist or is disabled',
      captchaTitle: 'Security check',
      captchaSlide: 'Slide to complete the puzzle',
      captchaRefresh: 'New puzzle',
      captchaChecking: 'Checking…',
      captchaFailed: 'That did not fit. Please try again',
      captchaUnavailable: 'The puzzle could not be loaded. Press “New puzzle” to retry',
      unavailable: 'Customer service cannot be reached right now. Please try again later',
      reload: 'Reload',
      errorGeneric: 'Something went wrong. Please try again later',
      errorRateLimited: 'You are sending messages too fast. Please wait a moment',
      you: 'Me',
      bot: 'Assistant',
      agent: 'Agent',
      system: 'System message',
    },
  };

  /** The supported language for a BCP 47 tag, or null: zh-* reads Chinese, en-* English. */
  function normalize(tag) {
    if (typeof tag !== 'string') return null;
    const lower = tag.trim().toLowerCase();
    if (lower === 'zh' || lower.startsWith('zh-') || lower.startsWith('zh_')) return 'zh-CN';
    if (lower === 'en' || lower.startsWith('en-') || lower.startsWith('en_')) return 'en';
    return null;
  }

  /** The first supported language among candidates (?lang=, data-lang, navigator.languages). */
  function pick(candidates) {
    for (const candidate of candidates || []) {
      const lang = normalize(candidate);
      if (lang) return lang;
    }
    return DEFAULT_LANG;
  }

  /** `key` of `messages[lang]` (else of zh-CN) with its {placeholders} filled from vars. The
   * agent workbench passes its own messages. */
  function translateWith(messages, lang, key, vars) {
    const table = messages[lang] || messages[DEFAULT_LANG];
    let text = key in table ? table[key] : messages[DEFAULT_LANG][key];
    if (text === undefined) return key;
    const values = vars || {};
    if (typeof text === 'function') text = text(values);
    return text.replace(/\{(\w+)\}/g, (match, name) =>
      values[name] === undefined || values[name] === null ? match : String(values[name]),
    );
  }

  function translate(lang, key, vars) {
    return translateWith(MESSAGES, lang, key, vars);
  }

  /** The key of the words for an error frame's `code`: the frame's `message` is the server's
   * English, so a visitor reads what the codes a real chat meets mean, else the apology. */
  const ERROR_KEYS = { rate_limited: 'errorRateLimited', session_ended: 'ended' };

  function errorKey(code) {
    const known = Object.prototype.hasOwnProperty.call(ERROR_KEYS, code);
    return known ? ERROR_KEYS[code] : 'errorGeneric';
  }

  return { DEFAULT_LANG, MESSAGES, normalize, pick, t: translate, translateWith, errorKey };
});
