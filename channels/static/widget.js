/* chatflow web widget: a chat bubble that opens the visitor chat page (/chat/{site_key}, on the
 * origin this script came from) in an iframe, so the host page's CSS and ours never meet.
 *
 *   <script src="<chatflow>/static/widget.js" data-site="acme-web" data-lang="zh-CN" async></script>
 *
 * Options: data-site (required), data-lang (zh-CN | en), data-position (right | left),
 * data-color (any CSS color), data-visitor-id and data-visitor-name (who the host page's
 * logged-in user is), data-vars (JSON: values for the flow's variables). The chat page learns
 * this page's address (no fragment), title and referrer, for the conversation's record. Defines only window.ChatflowWidget {open, close,
 * toggle}. Styles go through the CSSOM (no <style>, no style attributes), so a strict CSP
 * needs nothing beyond allowing this script and framing the chat page. */
(function () {
  'use strict';

  if (window.ChatflowWidget) return; // embedded twice: the first one wins

  const SVG_NS = 'http://www.w3.org/2000/svg';
  const CHAT_ICON = 'M20 2H4a2 2 0 0 0-2 2v18l4-4h14a2 2 0 0 0 2-2V4a2 2 0 0 0-2-2z';
  const CLOSE_ICON =
    'M19 6.41 17.59 5 12 10.59 6.41 5 5 6.41 10.59 12 5 17.59 6.41 19 12 13.41 17.59 19 19 17.59 13.41 12z';
  const STRINGS = {
    'zh-CN': { open: '打开在线客服', close: '关闭在线客服', title: '在线客服', unread: '{n} 条未读消息' },
    en: { open: 'Open chat', close: 'Close chat', title: 'Customer service', unread: '{n} unread' },
  };
  const DEFAULT_COLOR = '#2563eb';
  const Z_INDEX = '2147483000';

  function findScript() {
    if (document.currentScript) return document.currentScript;
    for (const node of document.querySelectorAll('script[data-site]')) {
      if (/\/widget\.js(?:[?#]|$)/.test(node.src)) return node;
    }
    return null;
  }

  function pickLang(candidates) {
    for (const tag of candidates) {
      if (typeof tag !== 'string') continue;
      const lower = tag.trim().toLowerCase();
      if (lower === 'zh' || lower.startsWith('zh-') || lower.startsWith('zh_')) return 'zh-CN';
      if (lower === 'en' || lower.startsWith('en-') || lower.startsWith('en_')) return 'en';
    }
    return 'zh-CN';
  }

  function validColor(value) {
    if (!value) return null;
    const supports = window.CSS && typeof CSS.supports === 'function';
    return supports && CSS.supports('color', value) ? value : null;
  }

  const MAX_PAGE_URL = 2048;
  const MAX_PAGE_TITLE = 200;

  /** An http(s) address without its fragment and credentials (never sent on), else null. */
  function webAddress(value) {
    let url;
    try {
      url = new URL(String(value || ''));
    } catch (_) {
      return null;
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
    url.hash = '';
    url.username = '';
    url.password = '';
    return url.href.length <= MAX_PAGE_URL ? url.href : null;
  }

  /** Tells the chat page where it is opened (for the conversation's record): this page's
   * address, title and referrer. The chat page checks them again. */
  function addPage(target) {
    const here = window.location ? webAddress(window.location.href) : null;
    const title = Array.from(String(document.title || '').trim())
      .slice(0, MAX_PAGE_TITLE)
      .join('');
    const referrer = webAddress(document.referrer);
    if (here) target.searchParams.set('page', here);
    if (title) target.searchParams.set('title', title);
    if (referrer) target.searchParams.set('ref', referrer);
  }

  function css(node, styles) {
    for (const name of Object.keys(styles)) node.style.setProperty(name, styles[name], 'important');
  }

  function icon(path) {
    const svg = document.createElementNS(SVG_NS, 'svg');
    svg.setAttribute('viewBox', '0 0 24 24');
    svg.setAttribute('width', '28');
    svg.setAttribute('height', '28');
    svg.setAttribute('aria-hidden', 'true');
    svg.setAttribute('focusable', 'false');
    const shape = document.createElementNS(SVG_NS, 'path');
    shape.setAttribute('d', path);
    shape.setAttribute('fill', 'currentColor');
    svg.appendChild(shape);
    return svg;
  }

  const script = findScript();
  const site = script ? (script.getAttribute('data-site') || '').trim() : '';
  if (!site) {
    if (window.console) console.warn('chatflow widget: add data-site="<site key>" to its script tag');
    return;
  }
  let chatUrl;
  try {
    // <chatflow>/static/widget.js -> <chatflow>/chat/<site>
    chatUrl = new URL(`../chat/${encodeURIComponent(site)}`, script.src);
  } catch (_) {
    return;
  }
  const dataLang = script.getAttribute('data-lang');
  const lang = pickLang([dataLang].concat(navigator.languages || [navigator.language]));
  const T = STRINGS[lang];
  const side = script.getAttribute('data-position') === 'left' ? 'left' : 'right';
  const customColor = validColor(script.getAttribute('data-color'));
  const color = customColor || DEFAULT_COLOR;
  chatUrl.searchParams.set('embed', '1');
  if (dataLang) chatUrl.searchParams.set('lang', lang);
  if (customColor) chatUrl.searchParams.set('color', customColor);
  // who the host page says the visitor is (the chat page checks both)
  const visitorId = script.getAttribute('data-visitor-id');
  const visitorName = script.getAttribute('data-visitor-name');
  if (visitorId) chatUrl.searchParams.set('visitor', visitorId);
  if (visitorName) chatUrl.searchParams.set('name', visitorName);
  // values for the flow's variables, as JSON (the chat page keeps what the server takes)
  const vars = script.getAttribute('data-vars');
  if (vars) chatUrl.searchParams.set('vars', vars);
  const memoryKey = `chatflow-widget.${site}`;

  let host = null;
  let bubble = null;
  let badge = null;
  let panel = null;
  let frame = null;
  let frameReady = false;
  let isOpen = false;
  let unread = 0;
  let openOnMount = null;
  const phone = window.matchMedia ? window.matchMedia('(max-width: 480px)') : null;

  function remember(value) {
    try {
      window.sessionStorage.setItem(memoryKey, value);
    } catch (_) {
      /* storage blocked: the widget just starts closed on the next page */
    }
  }

  function recall() {
    try {
      return window.sessionStorage.getItem(memoryKey);
    } catch (_) {
      return null;
    }
  }

  /** White or near-black icon, whichever reads on the bubble's color. */
  function textColorOn(background, parent) {
    const probe = document.createElement('span');
    css(probe, { color: background });
    parent.appendChild(probe);
    const rgb = (getComputedStyle(probe).color.match(/[\d.]+/g) || []).map(Number);
    probe.remove();
    if (rgb.length < 3) return '#ffffff';
    return (0.2126 * rgb[0] + 0.7152 * rgb[1] + 0.0722 * rgb[2]) / 255 > 0.6 ? '#111827' : '#ffffff';
  }

  function post(type) {
    if (frame && frameReady && frame.contentWindow) {
      frame.contentWindow.postMessage({ chatflow: type }, chatUrl.origin);
    }
  }

  function label() {
    if (isOpen) return T.close;
    return unread ? `${T.open} (${T.unread.replace('{n}', String(unread))})` : T.open;
  }

  function render() {
    const full = Boolean(phone && phone.matches);
    bubble.setAttribute('aria-expanded', String(isOpen));
    bubble.setAttribute('aria-label', label());
    bubble.replaceChildren(icon(isOpen ? CLOSE_ICON : CHAT_ICON), badge);
    css(badge, { display: unread && !isOpen ? 'block' : 'none' });
    badge.textContent = unread > 99 ? '99+' : String(unread);
    css(bubble, { display: isOpen && full ? 'none' : 'flex' });
    if (!isOpen) {
      css(panel, { display: 'none' });
      return;
    }
    const layout = full
      ? { top: '0', bottom: '0', width: '100%', height: '100%', 'max-width': 'none', 'max-height': 'none', 'border-radius': '0' }
      : {
          top: 'auto',
          bottom: '88px',
          width: '380px',
          height: '600px',
          'max-width': 'calc(100vw - 40px)',
          'max-height': 'calc(100vh - 108px)',
          'border-radius': '12px',
        };
    css(panel, Object.assign({ display: 'block' }, layout, { [side]: full ? '0' : '20px' }));
  }

  function ensureFrame() {
    if (frame) return;
    frame = document.createElement('iframe');
    frame.title = T.title;
    // Same-origin for its own storage and API; popups so links open; no top navigation.
    frame.setAttribute(
      'sandbox',
      'allow-scripts allow-same-origin allow-forms allow-popups allow-popups-to-escape-sandbox',
    );
    css(frame, { border: '0', width: '100%', height: '100%', display: 'block', background: '#ffffff' });
    frame.addEventListener('load', () => {
      frameReady = true;
      post(isOpen ? 'open' : 'hidden');
    });
    const src = new URL(chatUrl.href);
    addPage(src); // the page the chat is first loaded on, not the one the script ran on
    frame.src = src.href;
    panel.appendChild(frame);
  }

  function setUnread(count) {
    const n = Number(count);
    unread = Number.isInteger(n) && n > 0 ? n : 0;
    if (bubble) render();
  }

  function open() {
    if (!host) {
      openOnMount = true;
      return;
    }
    ensureFrame();
    isOpen = true;
    unread = 0;
    remember('open');
    render();
    post('open');
    frame.focus();
  }

  function close() {
    if (!host) {
      openOnMount = false;
      return;
    }
    const hadFocus = document.activeElement === host;
    isOpen = false;
    remember('closed');
    render();
    post('hidden');
    if (hadFocus) bubble.focus();
  }

  function toggle() {
    if (isOpen) close();
    else open();
  }

  function build() {
    host = document.createElement('div');
    host.setAttribute('data-chatflow-widget', site);
    css(host, { all: 'initial', position: 'fixed', 'z-index': Z_INDEX, width: '0', height: '0' });
    // A closed shadow root keeps the host page's selectors off our elements.
    const root = typeof host.attachShadow === 'function' ? host.attachShadow({ mode: 'closed' }) : host;
    document.body.appendChild(host);

    bubble = document.createElement('button');
    bubble.type = 'button';
    css(bubble, {
      position: 'fixed',
      bottom: '20px',
      [side]: '20px',
      width: '56px',
      height: '56px',
      margin: '0',
      padding: '0',
      border: '0',
      'border-radius': '50%',
      background: color,
      color: textColorOn(color, root),
      'box-shadow': '0 4px 14px rgba(0, 0, 0, 0.25)',
      cursor: 'pointer',
      'align-items': 'center',
      'justify-content': 'center',
      'z-index': Z_INDEX,
    });
    bubble.addEventListener('click', toggle);

    badge = document.createElement('span');
    badge.setAttribute('aria-hidden', 'true');
    css(badge, {
      position: 'absolute',
      top: '-4px',
      [side === 'right' ? 'left' : 'right']: '-4px',
      'min-width': '20px',
      height: '20px',
      padding: '0 5px',
      'box-sizing': 'border-box',
      'border-radius': '10px',
      background: '#dc2626',
      color: '#ffffff',
      font: '600 12px/20px system-ui, sans-serif',
      'text-align': 'center',
    });

    panel = document.createElement('div');
    panel.setAttribute('role', 'dialog');
    panel.setAttribute('aria-label', T.title);
    css(panel, {
      position: 'fixed',
      display: 'none',
      overflow: 'hidden',
      background: '#ffffff',
      'box-shadow': '0 12px 40px rgba(0, 0, 0, 0.25)',
      'z-index': Z_INDEX,
    });

    root.appendChild(panel);
    root.appendChild(bubble);
    render();
  }

  function mount() {
    if (host) return;
    build();
    window.addEventListener('message', (event) => {
      if (!frame || event.source !== frame.contentWindow || event.origin !== chatUrl.origin) return;
      const data = event.data;
      if (!data || typeof data !== 'object') return;
      if (data.chatflow === 'close') {
        close();
        bubble.focus();
      } else if (data.chatflow === 'unread' && !isOpen) {
        setUnread(data.count);
      }
    });
    if (phone) {
      if (typeof phone.addEventListener === 'function') phone.addEventListener('change', render);
      else if (typeof phone.addListener === 'function') phone.addListener(render);
    }
    const remembered = recall();
    if (openOnMount === true || (openOnMount === null && remembered === 'open')) open();
    else if (remembered === 'closed') ensureFrame(); // chatted before: load quietly for unread
  }

  window.ChatflowWidget = Object.freeze({ open, close, toggle });

  if (document.body) mount();
  else document.addEventListener('DOMContentLoaded', mount, { once: true });
})();
