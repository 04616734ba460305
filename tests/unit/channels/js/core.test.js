// Unit tests for channels/static/core.js and i18n.js, run by `node --test` from
// tests/unit/channels/test_static_assets.py (CHATFLOW_STATIC points at the installed assets).
'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');

const STATIC = process.env.CHATFLOW_STATIC || path.join(__dirname, '../../../../channels/static');
const core = require(path.join(STATIC, 'core.js'));
const i18n = require(path.join(STATIC, 'i18n.js'));

const tick = () => new Promise((resolve) => setImmediate(resolve));

// ---- a fake world for the client: timers, sockets, the session API, storage ---------------

function harness(options = {}) {
  const storage = options.storage || core.memoryStorage();
  const timers = [];
  const sockets = [];
  const events = [];
  const sessions = options.sessions || [];
  const created = [];
  let ids = 0;
  let now = 0;
  const deps = {
    store: core.createStore('acme-web', storage),
    api: {
      createSession(body) {
        created.push(body);
        const next = sessions.length ? sessions.shift() : { session_id: `s${created.length}`, visitor_token: `tok${created.length}` };
        return next instanceof Error ? Promise.reject(next) : Promise.resolve(next);
      },
    },
    openSocket(args, handlers) {
      const socket = {
        args,
        handlers,
        sent: [],
        closed: false,
        send(frame) {
          this.sent.push(frame);
          return true;
        },
        close() {
          this.closed = true;
        },
      };
      sockets.push(socket);
      return socket;
    },
    timers: {
      set(fn, ms) {
        const timer = { fn, ms, done: false };
        timers.push(timer);
        return timer;
      },
      clear(timer) {
        timer.done = true;
      },
    },
    now: () => now,
    random: () => 0.5,
    newId: () => `c${++ids}`,
    visitorId: 'v-1',
    emit: (type, detail) => events.push({ type, ...detail }),
  };
  const client = core.createClient(deps);
  return {
    client,
    storage,
    sockets,
    events,
    created,
    timers,
    socket: () => sockets[sockets.length - 1],
    advance(ms) {
      now += ms;
    },
    /** Runs the first live timer with the given delay predicate; returns its delay. */
    fire(filter = () => true) {
      const timer = timers.find((t) => !t.done && filter(t));
      assert.ok(timer, 'no timer to fire');
      timer.done = true;
      timer.fn();
      return timer.ms;
    },
    liveTimers: () => timers.filter((t) => !t.done),
    of: (type) => events.filter((e) => e.type === type),
  };
}

async function connected(options) {
  const h = harness(options);
  h.client.start();
  await tick();
  h.socket().handlers.open();
  return h;
}

// ---- pure helpers --------------------------------------------------------------------------

test('backoff grows from 1 s to at most 30 s, with jitter', () => {
  assert.equal(core.backoffDelay(0, () => 0), 1000);
  assert.equal(core.backoffDelay(0, () => 0.999), 1000);
  assert.equal(core.backoffDelay(1, () => 0), 1000);
  assert.equal(core.backoffDelay(1, () => 1), 2000);
  assert.equal(core.backoffDelay(3, () => 0), 4000);
  for (let attempt = 0; attempt < 50; attempt += 1) {
    for (const r of [0, 0.3, 0.99]) {
      const delay = core.backoffDelay(attempt, () => r);
      assert.ok(delay >= 1000 && delay <= 30000, `${attempt}: ${delay}`);
    }
  }
  assert.equal(core.backoffDelay(40, () => 1), 30000);
});

test('random ids are UUID-shaped with or without randomUUID', () => {
  const fallback = core.randomId({ getRandomValues: (bytes) => bytes.fill(255) });
  assert.match(fallback, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  assert.equal(core.randomId({ randomUUID: () => 'x' }), 'x');
});

test('linkify makes anchors only of http(s) URLs and stops at punctuation', () => {
  assert.deepEqual(core.linkify('no links here'), [{ text: 'no links here' }]);
  assert.deepEqual(core.linkify('见 https://example.com/a?b=1。谢谢'), [
    { text: '见 ' },
    { text: 'https://example.com/a?b=1', href: 'https://example.com/a?b=1' },
    { text: '。谢谢' },
  ]);
  assert.deepEqual(core.linkify('go to http://example.com.'), [
    { text: 'go to ' },
    { text: 'http://example.com', href: 'http://example.com/' },
    { text: '.' },
  ]);
  assert.deepEqual(core.linkify('javascript:alert(1) and data:text/html,x'), [
    { text: 'javascript:alert(1) and data:text/html,x' },
  ]);
  const parts = core.linkify('<a href="https://evil.example/">x</a>');
  assert.ok(parts.every((p) => !p.href || p.href === 'https://evil.example/'));
  assert.equal(parts.map((p) => p.text).join(''), '<a href="https://evil.example/">x</a>');
});

test('images are accepted only as same-origin paths under api/v1', () => {
  const page = 'https://chat.example.com/chat/acme-web';
  assert.equal(core.safeImageUrl('/api/v1/images/a.png', page, '/'), '/api/v1/images/a.png');
  assert.equal(core.safeImageUrl('/api/v1/images/a.png?sig=1', page, '/'), '/api/v1/images/a.png?sig=1');
  for (const bad of [
    'https://chat.example.com/api/v1/images/a.png',
    'https://evil.example/api/v1/a.png',
    '//evil.example/api/v1/a.png',
    '/\\evil.example/api/v1/a.png',
    '/api/v1/../admin/secret',
    '/static/a.png',
    'javascript:alert(1)',
    'data:image/png;base64,AAAA',
    '',
    42,
    null,
  ]) {
    assert.equal(core.safeImageUrl(bad, page, '/'), null, String(bad));
  }
  assert.equal(core.safeImageUrl('/cs/api/v1/i.png', 'https://h.example/cs/chat/x', '/cs/'), '/cs/api/v1/i.png');
  assert.equal(core.safeImageUrl('/api/v1/i.png', 'https://h.example/cs/chat/x', '/cs/'), null);
});

test('images are checked for type and the 2 MB limit', () => {
  assert.equal(core.imageProblem({ type: 'image/png', size: 2 * 1024 * 1024 }), null);
  assert.equal(core.imageProblem({ type: 'image/webp', size: 10 }), null);
  assert.equal(core.imageProblem({ type: 'image/png', size: 2 * 1024 * 1024 + 1 }), 'size');
  assert.equal(core.imageProblem({ type: 'image/svg+xml', size: 10 }), 'type');
  assert.equal(core.imageProblem({ type: '', size: 10 }), 'type');
});

test('text length counts characters, not UTF-16 units', () => {
  assert.equal(core.textLength('你好😀'), 3);
});

test('the store keys by site, validates, survives broken storage', () => {
  const storage = core.memoryStorage();
  const store = core.createStore('acme-web', storage);
  assert.equal(store.session(), null);
  store.saveSession({ session_id: 's', visitor_token: 't', last_seq: 3 });
  assert.deepEqual(store.session(), { session_id: 's', visitor_token: 't', last_seq: 3 });
  assert.ok(storage.getItem('chatflow.v1.acme-web.session'));
  const id = store.visitorId(() => 'v-new');
  assert.equal(store.visitorId(() => 'other'), id);
  store.clearConversation();
  assert.equal(store.session(), null);
  assert.equal(store.visitorId(() => 'other'), 'v-new');
  storage.setItem('chatflow.v1.acme-web.session', '{not json');
  assert.equal(store.session(), null);
  storage.setItem('chatflow.v1.acme-web.session', JSON.stringify({ session_id: 's', last_seq: -1 }));
  assert.equal(store.session(), null);
  const broken = {
    getItem() {
      throw new Error('SecurityError');
    },
    setItem() {
      throw new Error('QuotaExceededError');
    },
    removeItem() {
      throw new Error('SecurityError');
    },
  };
  const safe = core.createStore('x', broken);
  assert.equal(safe.session(), null);
  assert.deepEqual(safe.pending(), []);
  safe.saveSession({ session_id: 's', visitor_token: 't', last_seq: 0 });
  assert.equal(safe.visitorId(() => 'v'), 'v');
});

test("the host page's visitor: checked, and another one does not continue the stored chat", () => {
  assert.deepEqual(core.hostVisitor('member-1029', ' 王小明 '), { id: 'member-1029', name: '王小明' });
  assert.deepEqual(core.hostVisitor(null, null), { id: null, name: null });
  assert.deepEqual(core.hostVisitor('has space', '   '), { id: null, name: null });
  assert.equal(core.hostVisitor('x'.repeat(65), '').id, null, 'longer than the server takes');
  assert.equal(Array.from(core.hostVisitor('a', '名'.repeat(80)).name).length, 64);

  const storage = core.memoryStorage();
  const store = core.createStore('acme-web', storage);
  assert.equal(store.visitorId(() => 'v-anon'), 'v-anon');
  store.saveSession({ session_id: 's-anon', visitor_token: 't', last_seq: 4 });
  store.saveLog([{ seq: 1, text: 'hi' }]);
  // the anonymous visitor logs in on the host page: a fresh conversation as the member
  assert.equal(store.adoptVisitor('member-1'), 'member-1');
  assert.equal(store.session(), null);
  assert.deepEqual(store.log(), []);
  assert.equal(store.visitorId(() => 'other'), 'member-1');
  store.saveSession({ session_id: 's-1', visitor_token: 't', last_seq: 2 });
  assert.equal(store.adoptVisitor('member-1'), 'member-1');
  assert.equal(store.session().session_id, 's-1', 'the same member goes on with the chat');
  store.adoptVisitor('member-2');
  assert.equal(store.session(), null, "another member never sees the first one's chat");
});

/** The body of the first session a client creates, with `deps` over a do-nothing harness. */
function firstSessionBody(deps) {
  const bodies = [];
  const client = core.createClient({
    store: core.createStore('acme-web', core.memoryStorage()),
    api: {
      createSession: (body) => {
        bodies.push(body);
        return new Promise(() => {});
      },
    },
    openSocket: () => ({ close() {} }),
    timers: { set: () => 0, clear() {} },
    now: () => 0,
    random: () => 0,
    newId: () => 'id',
    emit() {},
    ...deps,
  });
  client.start();
  assert.equal(bodies.length, 1);
  return bodies[0];
}

test('the profile name goes with a new session', () => {
  const body = firstSessionBody({ visitorId: 'member-1', profile: { name: '王小明' } });
  assert.deepEqual(body, { visitor_id: 'member-1', name: '王小明' });
});

test("the host page's variables: a JSON object of text, numbers and true/false only", () => {
  assert.deepEqual(core.hostData('{"member_level": "金卡", "points": 1200, "vip": true}'), {
    member_level: '金卡',
    points: 1200,
    vip: true,
  });
  for (const bad of [null, '', '  ', 'not json', '[1, 2]', '"text"', '7', 'null', '{}']) {
    assert.equal(core.hostData(bad), null, String(bad));
  }
  // what the server would refuse is left out, so the chat still starts
  const mixed = core.hostData(
    '{"ok": "yes", "nested": {"a": 1}, "list": [1], "none": null, "bad name": 1, "1st": 2}',
  );
  assert.deepEqual(mixed, { ok: 'yes' });
  const long = core.hostData(JSON.stringify({ note: 'あ'.repeat(1200) }));
  assert.equal(Array.from(long.note).length, 1000);
  const many = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`v${i}`, i]));
  assert.equal(Object.keys(core.hostData(JSON.stringify(many))).length, 32);
});

test('the profile data goes with a new session as its data', () => {
  const profile = { name: null, data: core.hostData('{"member_level": "金卡"}') };
  const body = firstSessionBody({ visitorId: 'v-1', profile });
  assert.deepEqual(body, { visitor_id: 'v-1', data: { member_level: '金卡' } });
});

test('the page the chat is opened on: http(s) only, no fragment, within the server limits', () => {
  assert.deepEqual(
    core.pageInfo({
      url: 'https://shop.example.com/p?id=7#reviews',
      title: '  LaserJet 2000  ',
      referrer: 'https://www.baidu.com/s?wd=printer',
    }),
    {
      url: 'https://shop.example.com/p?id=7',
      title: 'LaserJet 2000',
      referrer: 'https://www.baidu.com/s?wd=printer',
    },
  );
  assert.equal(core.pageInfo(null), null);
  assert.equal(core.pageInfo({ url: '', title: '   ', referrer: null }), null);
  const bads = ['javascript:alert(1)', 'data:text/html,x', '/relative', 'file:///etc/passwd'];
  for (const bad of bads) {
    assert.equal(core.pageInfo({ url: bad, referrer: bad }), null, bad);
  }
  const long = `https://example.com/${'a'.repeat(2048)}`;
  assert.equal(core.pageInfo({ url: long }), null, 'longer than the server takes');
  assert.deepEqual(core.pageInfo({ url: 'https://user:secret@example.com/#x' }), {
    url: 'https://example.com/',
  });
  assert.deepEqual(core.pageInfo({ url: 'https://例え.jp/パス' }), {
    url: 'https://xn--r8jz45g.jp/%E3%83%91%E3%82%B9',
  });
  const title = core.pageInfo({ title: '页'.repeat(250) }).title;
  assert.equal(Array.from(title).length, 200);
});

test('the page goes with a new session', () => {
  const body = firstSessionBody({ visitorId: 'v-1', page: { url: 'https://shop.example.com/' } });
  assert.deepEqual(body, { visitor_id: 'v-1', page: { url: 'https://shop.example.com/' } });
});

// ---- the client ----------------------------------------------------------------------------

test('a first visit creates a session, connects after=0 and renders each seq once', async () => {
  const h = harness();
  h.client.start();
  await tick();
  assert.deepEqual(h.created, [{ visitor_id: 'v-1' }]);
  assert.deepEqual(h.socket().args, { token: 'tok1', after: 0 });
  h.socket().handlers.open();
  const hello = { type: 'message', seq: 1, from: 'bot', text: '您好' };
  h.socket().handlers.frame(hello);
  h.socket().handlers.frame({ type: 'queue', seq: 2, position: 3 });
  h.socket().handlers.frame(hello); // replayed twice: ignored
  h.socket().handlers.frame({ type: 'typing', from: 'agent' });
  assert.deepEqual(
    h.of('frame').map((e) => e.frame.seq),
    [1, 2],
  );
  assert.deepEqual(h.of('typing'), [{ type: 'typing', from: 'agent' }]);
  const saved = JSON.parse(h.storage.getItem('chatflow.v1.acme-web.session'));
  assert.deepEqual(saved, { session_id: 's1', visitor_token: 'tok1', last_seq: 2, ended: false });
});

test('sent frames stay pending until echoed and are resent after a reconnect', async () => {
  const h = harness();
  h.client.start();
  await tick();
  const text = h.client.send({ type: 'text', text: 'hi' }); // socket not open yet
  assert.deepEqual(text, { type: 'text', text: 'hi', id: 'c1' });
  assert.deepEqual(h.socket().sent, []);
  h.socket().handlers.open();
  assert.deepEqual(h.socket().sent, [text]);
  const choice = h.client.send({ type: 'choice', value: '售前' });
  assert.deepEqual(JSON.parse(h.storage.getItem('chatflow.v1.acme-web.pending')), [text, choice]);

  h.socket().handlers.close(1006);
  assert.equal(h.of('status').at(-1).state, 'reconnecting');
  const delay = h.fire();
  assert.ok(delay >= 1000 && delay <= 30000);
  assert.deepEqual(h.socket().args, { token: 'tok1', after: 0 });
  h.socket().handlers.open();
  assert.deepEqual(h.socket().sent, [text, choice]);

  h.socket().handlers.frame({ type: 'message', seq: 1, from: 'visitor', text: 'hi', id: 'c1' });
  assert.deepEqual(h.of('frame').at(-1).acked, text);
  assert.deepEqual(h.client.pendingFrames(), [choice]);
  h.socket().handlers.frame({ type: 'message', seq: 2, from: 'visitor', text: '售前', id: 'c2' });
  assert.deepEqual(h.client.pendingFrames(), []);
  assert.deepEqual(JSON.parse(h.storage.getItem('chatflow.v1.acme-web.pending')), []);
});

test('a reload shows the cached transcript and pending frames, then resumes after last seq', async () => {
  const first = await connected();
  first.socket().handlers.frame({ type: 'message', seq: 1, from: 'bot', text: '您好', options: ['售前'] });
  first.socket().handlers.frame({ type: 'message', seq: 2, from: 'bot', text: '请选择' });
  first.client.send({ type: 'text', text: 'still sending' });
  first.client.stop();

  const second = harness({ storage: first.storage });
  second.client.start();
  assert.deepEqual(second.created, []);
  assert.deepEqual(
    second.of('frame').map((e) => [e.frame.seq, e.replay]),
    [
      [1, true],
      [2, true],
    ],
  );
  assert.deepEqual(second.of('pending').map((e) => [e.frame.text, e.replay]), [['still sending', true]]);
  assert.deepEqual(second.socket().args, { token: 'tok1', after: 2 });
  second.socket().handlers.open();
  assert.deepEqual(second.socket().sent.map((f) => f.id), ['c1']);
});

test('a lost transcript cache means a full replay', async () => {
  const first = await connected();
  first.socket().handlers.frame({ type: 'message', seq: 1, from: 'bot', text: 'a' });
  first.client.stop();
  first.storage.removeItem('chatflow.v1.acme-web.log');
  const second = harness({ storage: first.storage });
  second.client.start();
  assert.deepEqual(second.socket().args, { token: 'tok1', after: 0 });
});

test('backoff resets only after a connection stays up', async () => {
  const h = await connected();
  const delays = [];
  for (let i = 0; i < 6; i += 1) {
    h.socket().handlers.close(1011); // dropped at once: the stable timer never fires
    delays.push(h.fire());
    h.socket().handlers.open();
  }
  assert.deepEqual(delays, [1000, 1500, 3000, 6000, 12000, 22500]);
  h.fire((t) => t.ms === 5000); // this one stays up
  h.socket().handlers.close(1006);
  assert.equal(h.fire(), 1000);
});

test('nudge reconnects at once instead of waiting for the backoff', async () => {
  const h = await connected();
  h.socket().handlers.close(1006);
  const before = h.sockets.length;
  h.client.nudge();
  assert.equal(h.sockets.length, before + 1);
  assert.equal(h.liveTimers().filter((t) => t.ms !== 5000).length, 0);
  h.client.nudge(); // already connecting: nothing more
  assert.equal(h.sockets.length, before + 1);
});

test('an unknown session (close 4404) starts a new one, keeping unsent text only', async () => {
  const h = await connected();
  h.socket().handlers.frame({ type: 'message', seq: 5, from: 'bot', text: 'old' });
  h.socket().handlers.close(1006);
  const text = h.client.send({ type: 'text', text: 'hello?' });
  const choice = h.client.send({ type: 'choice', value: '1' });
  h.client.nudge();
  h.socket().handlers.close(4404);
  assert.deepEqual(h.of('reset'), [{ type: 'reset', reason: 'expired' }]);
  assert.deepEqual(h.of('failed').map((e) => e.frame.id), [choice.id]);
  await tick();
  assert.equal(h.created.length, 2);
  assert.deepEqual(h.socket().args, { token: 'tok2', after: 0 });
  h.socket().handlers.open();
  assert.deepEqual(h.socket().sent, [text]);
  h.socket().handlers.frame({ type: 'message', seq: 1, from: 'bot', text: 'new session' });
  assert.equal(h.of('frame').at(-1).frame.text, 'new session'); // seq starts again
});

test('error frames session_not_found / unauthorized also start a new session', async () => {
  for (const code of ['session_not_found', 'unauthorized']) {
    const h = await connected();
    h.socket().handlers.frame({ type: 'error', code, message: 'gone' });
    assert.deepEqual(h.of('reset'), [{ type: 'reset', reason: 'expired' }]);
    await tick();
    assert.equal(h.created.length, 2);
  }
});

test('a server that keeps refusing new sessions ends in a fatal status, not a loop', async () => {
  const h = await connected();
  for (let i = 0; i < 4; i += 1) {
    h.socket().handlers.close(4401);
    await tick();
    const retry = h.liveTimers().find((t) => t.ms !== 5000);
    if (retry) {
      retry.done = true;
      retry.fn();
      await tick();
    }
    if (h.of('status').some((e) => e.state === 'fatal')) break;
    h.socket().handlers.open();
  }
  assert.equal(h.of('status').at(-1).state, 'fatal');
  assert.ok(h.created.length <= 4);
});

test('replayed frames do not reset the expiry count; only a connection that stays up does', async () => {
  const h = await connected();
  for (let i = 0; i < 6 && !h.of('status').some((e) => e.state === 'fatal'); i += 1) {
    h.socket().handlers.frame({ type: 'message', seq: 1, from: 'bot', text: 'welcome' });
    h.socket().handlers.close(4404);
    await tick();
    const retry = h.liveTimers().find((t) => t.ms !== 5000);
    if (retry) {
      retry.done = true;
      retry.fn();
      await tick();
    }
    if (h.sockets.length && !h.of('status').some((e) => e.state === 'fatal')) h.socket().handlers.open();
  }
  assert.equal(h.of('status').at(-1).state, 'fatal');

  const healthy = await connected();
  healthy.socket().handlers.close(4404);
  await tick();
  healthy.socket().handlers.open();
  healthy.fire((t) => t.ms === 5000); // up long enough: the count starts again
  for (let i = 0; i < 3; i += 1) {
    healthy.socket().handlers.close(4404);
    await tick();
    const retry = healthy.liveTimers().find((t) => t.ms !== 5000);
    if (retry) {
      retry.done = true;
      retry.fn();
      await tick();
    }
    healthy.socket().handlers.open();
  }
  assert.ok(!healthy.of('status').some((e) => e.state === 'fatal'));
});

test('other error frames are shown; one naming a pending id fails that frame', async () => {
  const h = await connected();
  const frame = h.client.send({ type: 'text', text: 'x'.repeat(10) });
  h.socket().handlers.frame({ type: 'error', seq: 1, code: 'too_long', message: 'Too long', id: frame.id });
  assert.deepEqual(h.of('failed').map((e) => e.frame.id), [frame.id]);
  assert.equal(h.of('frame').at(-1).frame.code, 'too_long');
  assert.deepEqual(h.client.pendingFrames(), []);
});

test('ended stops reconnecting, drops what was never delivered, and restart begins again', async () => {
  const h = await connected();
  const rate = h.client.send({ type: 'rate', score: 5 });
  h.socket().handlers.frame({ type: 'ended', seq: 1, reason: 'agent' });
  assert.deepEqual(h.of('failed').map((e) => e.frame.id), [rate.id]);
  assert.equal(h.client.send({ type: 'text', text: 'late' }), null);
  h.socket().handlers.close(1000);
  assert.equal(h.liveTimers().filter((t) => t.ms !== 5000).length, 0);

  const reloaded = harness({ storage: h.storage });
  reloaded.client.start();
  assert.equal(reloaded.sockets.length, 0, 'an ended conversation is shown, not reconnected');
  assert.equal(reloaded.of('frame').at(-1).frame.type, 'ended');

  reloaded.client.restart();
  assert.deepEqual(reloaded.of('reset'), [{ type: 'reset', reason: 'new' }]);
  await tick();
  assert.equal(reloaded.created.length, 1);
  assert.deepEqual(reloaded.socket().args, { token: 'tok1', after: 0 });
  assert.equal(JSON.parse(h.storage.getItem('chatflow.v1.acme-web.log')).length, 0);
});

test('an ended session whose transcript cache was lost still offers a new conversation', async () => {
  const h = await connected();
  h.socket().handlers.frame({ type: 'ended', seq: 1, reason: 'idle' });
  h.client.stop();
  h.storage.removeItem('chatflow.v1.acme-web.log');
  const reloaded = harness({ storage: h.storage });
  reloaded.client.start();
  assert.equal(reloaded.sockets.length, 0);
  assert.deepEqual(reloaded.of('frame').map((e) => [e.frame.type, e.replay]), [['ended', true]]);
});

test('an unknown site is fatal; a network failure retries with backoff', async () => {
  const fatal = harness({ sessions: [new core.SessionError('HTTP 404', true, 'site_unknown')] });
  fatal.client.start();
  await tick();
  const last = fatal.of('status').at(-1);
  assert.deepEqual([last.state, last.reason], ['fatal', 'site_unknown']);
  assert.equal(fatal.liveTimers().length, 0);

  const flaky = harness({ sessions: [new core.SessionError('network', false)] });
  flaky.client.start();
  await tick();
  assert.equal(flaky.sockets.length, 0);
  flaky.fire();
  await tick();
  assert.equal(flaky.created.length, 2);
  assert.equal(flaky.sockets.length, 1);
});

test('a refused visitor hears the server\'s own words', async () => {
  const h = harness({ sessions: [new core.SessionError('refused', true, 'refused', '抱歉，暂时无法为您提供在线服务。')] });
  h.client.start();
  await tick();
  const last = h.of('status').at(-1);
  assert.deepEqual([last.state, last.reason, last.detail], ['fatal', 'refused', '抱歉，暂时无法为您提供在线服务。']);
});

test('a page the site does not allow (4403 / origin_not_allowed) stops instead of retrying', async () => {
  const closed = await connected();
  closed.socket().handlers.close(4403);
  assert.deepEqual(closed.of('status').at(-1).reason, 'forbidden');
  assert.equal(closed.liveTimers().length, 0);
  assert.equal(closed.client.send({ type: 'text', text: 'x' }), null);

  const told = await connected();
  told.socket().handlers.frame({ type: 'error', code: 'origin_not_allowed', message: 'origin not allowed' });
  told.socket().handlers.close(4403); // the server closes right after; nothing more happens
  assert.equal(told.of('status').filter((e) => e.state === 'fatal').length, 1);
  assert.equal(told.of('frame').length, 0);
  assert.ok(told.socket().closed);
});

test('the server\'s rejections (error frames with the id, no seq) fail that frame only', async () => {
  const h = await connected();
  h.socket().handlers.frame({ type: 'message', seq: 3, from: 'bot', text: 'hi' });
  const a = h.client.send({ type: 'text', text: 'a' });
  const b = h.client.send({ type: 'text', text: 'b' });
  h.socket().handlers.frame({ type: 'error', code: 'rate_limited', message: 'wait 5 s', id: a.id });
  assert.deepEqual(h.of('failed').map((e) => e.frame.id), [a.id]);
  assert.deepEqual(h.client.pendingFrames(), [b]);
  assert.equal(h.client.lastSeq(), 3);
  assert.equal(JSON.parse(h.storage.getItem('chatflow.v1.acme-web.log')).length, 1, 'not cached');
});

test('typing frames go out at most every 3 s and only while connected', async () => {
  const h = harness();
  h.client.start();
  await tick();
  assert.equal(h.client.typing(), false);
  h.socket().handlers.open();
  assert.equal(h.client.typing(), true);
  assert.equal(h.client.typing(), false);
  h.advance(2999);
  assert.equal(h.client.typing(), false);
  h.advance(1);
  assert.equal(h.client.typing(), true);
  assert.deepEqual(h.socket().sent, [{ type: 'typing' }, { type: 'typing' }]);
  assert.deepEqual(h.client.pendingFrames(), []);
});

test('frames from a socket that was replaced are ignored', async () => {
  const h = await connected();
  const old = h.socket();
  old.handlers.close(1006);
  h.client.nudge();
  old.handlers.frame({ type: 'message', seq: 9, from: 'bot', text: 'ghost' });
  assert.equal(h.of('frame').length, 0);
});

// ---- i18n ------------------------------------------------------------------------------------

test('both languages define the same keys and placeholders', () => {
  const zh = i18n.MESSAGES['zh-CN'];
  const en = i18n.MESSAGES.en;
  assert.deepEqual(Object.keys(zh).sort(), Object.keys(en).sort());
  const holes = (lang, key) => {
    const value = i18n.MESSAGES[lang][key];
    const text = typeof value === 'function' ? value({ n: 2 }) : value;
    return (text.match(/\{\w+\}/g) || []).sort();
  };
  for (const key of Object.keys(zh)) assert.deepEqual(holes('en', key), holes('zh-CN', key), key);
});

test('language comes from ?lang=, then data-lang, then the browser; zh-CN by default', () => {
  assert.equal(i18n.pick(['en', 'zh-CN']), 'en');
  assert.equal(i18n.pick([null, 'fr-FR', 'en-GB']), 'en');
  assert.equal(i18n.pick(['zh-TW']), 'zh-CN');
  assert.equal(i18n.pick(['fr']), 'zh-CN');
  assert.equal(i18n.pick([]), 'zh-CN');
});

test("an error frame is worded by its code, never by the server's English message", () => {
  assert.equal(i18n.t('zh-CN', i18n.errorKey('rate_limited')), '消息发送太频繁，请稍后再试');
  assert.equal(i18n.t('zh-CN', i18n.errorKey('session_ended')), '会话已结束');
  assert.equal(i18n.t('en', i18n.errorKey('session_ended')), 'This conversation has ended');
  for (const code of ['flow_error', 'bad_json', 'toString', undefined]) {
    assert.equal(i18n.errorKey(code), 'errorGeneric', String(code));
  }
});

test('strings fill their placeholders', () => {
  assert.equal(i18n.t('zh-CN', 'queue', { n: 3 }), '您前面还有 3 位访客');
  assert.equal(i18n.t('en', 'queue', { n: 1 }), '1 visitor ahead of you');
  assert.equal(i18n.t('en', 'queue', { n: 4 }), '4 visitors ahead of you');
  assert.equal(i18n.t('zh-CN', 'queueNext'), '即将为您接通');
  assert.equal(
    i18n.t('zh-CN', 'agentJoined', { nickname: 'Alice', staff_no: '1001' }),
    '客服 Alice（工号 1001）已接入',
  );
  assert.equal(i18n.t('zh-CN', 'ended'), '会话已结束');
  assert.equal(i18n.t('zh-CN', 'newSession'), '开始新会话');
  assert.equal(i18n.t('xx', 'ended'), '会话已结束');
  assert.equal(i18n.t('en', 'no-such-key'), 'no-such-key');
});
