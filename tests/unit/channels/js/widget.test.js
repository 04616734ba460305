// Runs channels/static/widget.js against a minimal fake DOM in a fresh V8 context: it defines only
// window.ChatflowWidget, frames /chat/{site} from its own origin and speaks the postMessage protocol.
// Real browsers come later (tests/browser against the real server).
'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const vm = require('node:vm');

const STATIC = process.env.CHATFLOW_STATIC || path.join(__dirname, '../../../../channels/static');
const SOURCE = fs.readFileSync(path.join(STATIC, 'widget.js'), 'utf8');

class FakeElement {
  constructor(doc, tagName) {
    this.ownerDocument = doc;
    this.tagName = tagName.toUpperCase();
    this.attributes = new Map();
    this.children = [];
    this.parentNode = null;
    this.listeners = {};
    this.textContent = '';
    const props = new Map();
    this.style = {
      setProperty: (name, value) => props.set(name, String(value)),
      getPropertyValue: (name) => props.get(name) || '',
      props,
    };
    if (this.tagName === 'IFRAME') {
      this.posted = [];
      this.contentWindow = { postMessage: (data, origin) => this.posted.push({ data, origin }) };
    }
  }
  setAttribute(name, value) {
    this.attributes.set(name, String(value));
  }
  getAttribute(name) {
    return this.attributes.has(name) ? this.attributes.get(name) : null;
  }
  appendChild(child) {
    if (child.parentNode) child.remove();
    child.parentNode = this;
    this.children.push(child);
    return child;
  }
  replaceChildren(...nodes) {
    for (const child of this.children) child.parentNode = null;
    this.children = [];
    for (const node of nodes) this.appendChild(node);
  }
  remove() {
    if (!this.parentNode) return;
    this.parentNode.children = this.parentNode.children.filter((c) => c !== this);
    this.parentNode = null;
  }
  addEventListener(type, fn) {
    (this.listeners[type] = this.listeners[type] || []).push(fn);
  }
  dispatch(type, event = {}) {
    for (const fn of this.listeners[type] || []) fn(event);
  }
  attachShadow() {
    this.shadow = new FakeElement(this.ownerDocument, '#shadow-root');
    this.shadow.host = this;
    return this.shadow;
  }
  focus() {
    this.ownerDocument.focused = this;
  }
  *walk() {
    yield this;
    for (const child of this.shadow ? [this.shadow, ...this.children] : this.children) yield* child.walk();
  }
}

function fakeWindow(attrs, options = {}) {
  const doc = {
    body: null,
    currentScript: null,
    focused: null,
    listeners: {},
    createElement: (tag) => new FakeElement(doc, tag),
    createElementNS: (_ns, tag) => new FakeElement(doc, tag),
    querySelectorAll: () => [],
    addEventListener: (type, fn) => (doc.listeners[type] = fn),
    get activeElement() {
      return doc.focused;
    },
  };
  doc.body = new FakeElement(doc, 'body');
  const script = new FakeElement(doc, 'script');
  script.src = 'https://chat.example.com/static/widget.js?v=3';
  for (const [name, value] of Object.entries(attrs)) script.setAttribute(name, value);
  doc.currentScript = script;
  const storage = new Map(options.session || []);
  const listeners = {};
  if (options.page) {
    Object.assign(doc, { title: options.page.title, referrer: options.page.referrer });
  }
  const win = {
    document: doc,
    location: options.page ? { href: options.page.href } : undefined,
    navigator: { languages: ['en-US'], language: 'en-US' },
    console: { warn: (...args) => (win.warnings = (win.warnings || []).concat([args.join(' ')])) },
    URL,
    CSS: { supports: (_prop, value) => /^#[0-9a-f]{3,8}$|^[a-z]+$/i.test(value) },
    getComputedStyle: () => ({ color: 'rgb(37, 99, 235)' }),
    matchMedia: () => ({ matches: Boolean(options.phone), addEventListener() {} }),
    sessionStorage: {
      getItem: (k) => (storage.has(k) ? storage.get(k) : null),
      setItem: (k, v) => storage.set(k, String(v)),
    },
    addEventListener: (type, fn) => (listeners[type] = fn),
    storage,
    listeners,
  };
  win.window = win;
  return win;
}

function run(attrs, options) {
  const win = fakeWindow(attrs, options);
  const context = vm.createContext(win);
  const before = new Set(Object.getOwnPropertyNames(context));
  vm.runInContext(SOURCE, context, { filename: 'widget.js' });
  const added = Object.getOwnPropertyNames(context).filter((name) => !before.has(name));
  const host = win.document.body.children[0];
  return { win, added, host };
}

/** Objects made inside the vm context have that realm's prototypes; compare their JSON. */
const plain = (value) => JSON.parse(JSON.stringify(value));

function elements(host, tag) {
  return [...host.walk()].filter((n) => n.tagName === tag.toUpperCase());
}

test('defines only window.ChatflowWidget, with open, close and toggle', () => {
  const { added, win } = run({ 'data-site': 'acme-web' });
  assert.deepEqual(added, ['ChatflowWidget']);
  assert.deepEqual(Object.keys(win.ChatflowWidget).sort(), ['close', 'open', 'toggle']);
  assert.ok(Object.isFrozen(win.ChatflowWidget));
});

test('without data-site it warns and defines nothing', () => {
  const { added, win, host } = run({});
  assert.deepEqual(added, ['warnings']); // the fake console's record, not the widget's
  assert.equal(host, undefined);
  assert.match(win.warnings[0], /data-site/);
});

test('the bubble is an accessible button; the iframe loads only when opened', () => {
  const { host, win } = run({ 'data-site': 'acme-web' });
  const [bubble] = elements(host, 'button');
  assert.equal(bubble.type, 'button');
  assert.equal(bubble.getAttribute('aria-label'), 'Open chat');
  assert.equal(bubble.getAttribute('aria-expanded'), 'false');
  assert.equal(bubble.style.getPropertyValue('right'), '20px');
  assert.equal(elements(host, 'iframe').length, 0);

  win.ChatflowWidget.open();
  const [frame] = elements(host, 'iframe');
  assert.equal(frame.src, 'https://chat.example.com/chat/acme-web?embed=1');
  assert.equal(frame.title, 'Customer service');
  assert.match(frame.getAttribute('sandbox'), /allow-scripts allow-same-origin allow-forms/);
  assert.doesNotMatch(frame.getAttribute('sandbox'), /allow-top-navigation/);
  assert.equal(bubble.getAttribute('aria-expanded'), 'true');
  assert.equal(bubble.getAttribute('aria-label'), 'Close chat');
  const [panel] = elements(host, 'div').filter((d) => d.getAttribute('role') === 'dialog');
  assert.equal(panel.style.getPropertyValue('width'), '380px');
  assert.equal(panel.style.getPropertyValue('height'), '600px');
  assert.equal(win.storage.get('chatflow-widget.acme-web'), 'open');

  frame.dispatch('load');
  assert.deepEqual(plain(frame.posted.at(-1)), { data: { chatflow: 'open' }, origin: 'https://chat.example.com' });
  win.ChatflowWidget.toggle();
  assert.equal(panel.style.getPropertyValue('display'), 'none');
  assert.deepEqual(plain(frame.posted.at(-1).data), { chatflow: 'hidden' });
});

test('options: language, color and position go to the bubble and the chat page', () => {
  const { host, win } = run({
    'data-site': 'shop 1',
    'data-lang': 'zh-CN',
    'data-color': '#ff6600',
    'data-position': 'left',
  });
  const [bubble] = elements(host, 'button');
  assert.equal(bubble.getAttribute('aria-label'), '打开在线客服');
  assert.equal(bubble.style.getPropertyValue('left'), '20px');
  assert.equal(bubble.style.getPropertyValue('background'), '#ff6600');
  win.ChatflowWidget.open();
  const [frame] = elements(host, 'iframe');
  const url = new URL(frame.src);
  assert.equal(url.pathname, '/chat/shop%201');
  assert.equal(url.searchParams.get('lang'), 'zh-CN');
  assert.equal(url.searchParams.get('color'), '#ff6600');
});

test("the host page's visitor id and name go to the chat page, which checks them", () => {
  const { host, win } = run({
    'data-site': 'a',
    'data-visitor-id': 'member-1029',
    'data-visitor-name': '王小明',
  });
  win.ChatflowWidget.open();
  const url = new URL(elements(host, 'iframe')[0].src);
  assert.equal(url.searchParams.get('visitor'), 'member-1029');
  assert.equal(url.searchParams.get('name'), '王小明');
  const { host: plainHost, win: plainWin } = run({ 'data-site': 'a' });
  plainWin.ChatflowWidget.open();
  const plainUrl = new URL(elements(plainHost, 'iframe')[0].src);
  assert.equal(plainUrl.searchParams.has('visitor') || plainUrl.searchParams.has('name'), false);
});

test("data-vars goes to the chat page as it is written; the chat page checks it", () => {
  const vars = '{"member_level":"金卡","order_no":"A-1029"}';
  const { host, win } = run({ 'data-site': 'a', 'data-vars': vars });
  win.ChatflowWidget.open();
  const url = new URL(elements(host, 'iframe')[0].src);
  assert.equal(url.searchParams.get('vars'), vars);
  const { host: plainHost, win: plainWin } = run({ 'data-site': 'a' });
  plainWin.ChatflowWidget.open();
  assert.equal(new URL(elements(plainHost, 'iframe')[0].src).searchParams.has('vars'), false);
});

test('the chat page learns its host page: address without fragment, title, referrer', () => {
  const page = {
    href: 'https://shop.example.com/printers?id=7#reviews',
    title: '  LaserJet 2000 - Acme  ',
    referrer: 'https://www.baidu.com/s?wd=printer',
  };
  const { host, win } = run({ 'data-site': 'a' }, { page });
  win.ChatflowWidget.open();
  const url = new URL(elements(host, 'iframe')[0].src);
  assert.equal(url.searchParams.get('page'), 'https://shop.example.com/printers?id=7');
  assert.equal(url.searchParams.get('title'), 'LaserJet 2000 - Acme');
  assert.equal(url.searchParams.get('ref'), 'https://www.baidu.com/s?wd=printer');
  assert.equal(url.searchParams.get('embed'), '1');

  const local = { href: 'file:///C:/shop/index.html', title: '', referrer: '' };
  const { host: localHost, win: localWin } = run({ 'data-site': 'a' }, { page: local });
  localWin.ChatflowWidget.open();
  const localUrl = new URL(elements(localHost, 'iframe')[0].src);
  assert.deepEqual([...localUrl.searchParams.keys()], ['embed'], 'only http(s) pages are told');
});

test('an invalid data-color is ignored', () => {
  const { host, win } = run({ 'data-site': 'a', 'data-color': 'red;background:url(x)' });
  const [bubble] = elements(host, 'button');
  assert.equal(bubble.style.getPropertyValue('background'), '#2563eb');
  win.ChatflowWidget.open();
  assert.equal(new URL(elements(host, 'iframe')[0].src).searchParams.get('color'), null);
});

test('messages from the chat page: close, unread; strangers are ignored', () => {
  const { host, win } = run({ 'data-site': 'acme-web' });
  win.ChatflowWidget.open();
  const [frame] = elements(host, 'iframe');
  const [bubble] = elements(host, 'button');
  const message = win.listeners.message;
  const from = (data, source = frame.contentWindow, origin = 'https://chat.example.com') =>
    message({ data, source, origin });

  from({ chatflow: 'close' }, {}, 'https://chat.example.com'); // not our frame
  from({ chatflow: 'close' }, frame.contentWindow, 'https://evil.example'); // wrong origin
  assert.equal(bubble.getAttribute('aria-expanded'), 'true');
  from({ chatflow: 'close' });
  assert.equal(bubble.getAttribute('aria-expanded'), 'false');
  assert.equal(win.document.focused, bubble);

  from({ chatflow: 'unread', count: 3 });
  assert.equal(bubble.getAttribute('aria-label'), 'Open chat (3 unread)');
  const badge = bubble.children.find((c) => c.tagName === 'SPAN');
  assert.equal(badge.textContent, '3');
  assert.equal(badge.style.getPropertyValue('display'), 'block');
  win.ChatflowWidget.open();
  assert.equal(badge.style.getPropertyValue('display'), 'none');
});

test('on a phone the panel fills the screen and the bubble steps aside', () => {
  const { host, win } = run({ 'data-site': 'acme-web' }, { phone: true });
  win.ChatflowWidget.open();
  const [panel] = elements(host, 'div').filter((d) => d.getAttribute('role') === 'dialog');
  const [bubble] = elements(host, 'button');
  assert.equal(panel.style.getPropertyValue('width'), '100%');
  assert.equal(panel.style.getPropertyValue('height'), '100%');
  assert.equal(bubble.style.getPropertyValue('display'), 'none');
});

test('the open state follows the visitor across pages of the host site', () => {
  const reopened = run({ 'data-site': 'acme-web' }, { session: [['chatflow-widget.acme-web', 'open']] });
  assert.equal(elements(reopened.host, 'button')[0].getAttribute('aria-expanded'), 'true');
  const quiet = run({ 'data-site': 'acme-web' }, { session: [['chatflow-widget.acme-web', 'closed']] });
  assert.equal(elements(quiet.host, 'button')[0].getAttribute('aria-expanded'), 'false');
  assert.equal(elements(quiet.host, 'iframe').length, 1, 'preloaded so unread messages can show');
});
