// Unit tests for admin_api/static/workbench-state.js, workbench-i18n.js and workbench-apps.js,
// run by `node --test` from tests/unit/channels/test_static_assets.py (CHATFLOW_ADMIN_STATIC
// points at the installed assets). The frames are the agent websocket's, as docs/agent-api.md
// gives them.
'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');

const ADMIN =
  process.env.CHATFLOW_ADMIN_STATIC || path.join(__dirname, '../../../../admin_api/static');
const STATIC = process.env.CHATFLOW_STATIC || path.join(__dirname, '../../../../channels/static');
const WB = require(path.join(ADMIN, 'workbench-state.js'));
const messages = require(path.join(ADMIN, 'workbench-i18n.js'));
const i18n = require(path.join(STATIC, 'i18n.js'));

const msg = (sid, seq, from, text, extra) => ({
  type: 'message',
  session_id: sid,
  seq,
  from,
  text,
  at: '2026-11-23T02:00:00+00:00',
  ...extra,
});

test('an offer rings, is accepted, and its replayed transcript is kept once, in seq order', () => {
  const board = WB.createState();
  let out = board.apply({ type: 'offer', session_id: 's1', group: 'presales', timeout: 15 }, 1000);
  assert.deepEqual(out.notice, { kind: 'offer', session: 's1', group: 'presales' });
  const c = board.state.conversations.get('s1');
  assert.equal(c.phase, 'ringing');
  assert.equal(WB.secondsLeft(c, 1000), 15);
  assert.equal(WB.secondsLeft(c, 15500), 1);
  assert.equal(WB.secondsLeft(c, 99000), 0);
  assert.equal(board.attention(), 1);

  out = board.apply({ type: 'assigned', session_id: 's1', group: 'presales' }, 2000);
  assert.equal(c.phase, 'active');
  assert.equal(board.state.selected, 's1', 'the first conversation is opened by itself');
  board.apply(msg('s1', 3, 'visitor', '售前咨询', { replay: true }), 2001);
  board.apply(msg('s1', 1, 'bot', '您好', { replay: true }), 2002);
  // a reconnect announces the conversation again and replays the same lines
  board.apply({ type: 'assigned', session_id: 's1', group: 'presales', resumed: true }, 3000);
  board.apply(msg('s1', 1, 'bot', '您好', { replay: true }), 3001);
  board.apply(msg('s1', 3, 'visitor', '售前咨询', { replay: true }), 3002);
  assert.deepEqual(
    c.lines.map((l) => [l.seq, l.from, l.text]),
    [
      [1, 'bot', '您好'],
      [3, 'visitor', '售前咨询'],
    ],
  );
  assert.equal(c.unread, 0, 'replayed lines are not unread');
});

test('live lines of another conversation count as unread until it is opened', () => {
  const board = WB.createState();
  board.apply({ type: 'assigned', session_id: 'a', group: 'g' }, 1);
  board.apply({ type: 'assigned', session_id: 'b', group: 'g' }, 2);
  assert.equal(board.state.selected, 'a');
  let out = board.apply(msg('b', 5, 'visitor', 'hello?'), 3);
  assert.deepEqual(out.notice, { kind: 'message', session: 'b' });
  board.apply(msg('b', 6, 'bot', 'auto'), 4);
  board.apply(msg('b', 7, 'agent', 'mine'), 5); // the agent's own echo is never unread
  board.apply(msg('b', 6, 'bot', 'auto'), 6); // a duplicate changes nothing
  const b = board.state.conversations.get('b');
  assert.equal(b.unread, 2);
  assert.equal(board.attention(), 2);
  out = board.apply(msg('a', 2, 'visitor', 'here'), 7);
  assert.equal(board.state.conversations.get('a').unread, 0, 'the open one is being read');
  assert.ok(board.select('b'));
  assert.equal(b.unread, 0);
  assert.equal(board.select('nope'), false);
});

test("two agents' lines: mine say 'you', a colleague's carry their name", () => {
  const board = WB.createState();
  board.apply({ type: 'assigned', session_id: 's1', group: 'g', invited: true }, 1);
  const bob = { author: 'demo_bob', author_nickname: 'Bob' };
  board.apply(msg('s1', 1, 'agent', 'hello', { ...bob, replay: true }), 2);
  const alice = { author: 'demo_alice', author_nickname: 'Alice' };
  board.apply(msg('s1', 2, 'agent', 'me too', alice), 3);
  board.apply(msg('s1', 3, 'agent', 'no nickname', { author: 'demo_carol' }), 4);
  board.apply(msg('s1', 4, 'agent', 'from before authors'), 5);
  board.apply(msg('s1', 5, 'visitor', 'hi', { author: 'demo_bob' }), 6);
  const lines = board.state.conversations.get('s1').lines;
  assert.deepEqual(
    lines.map((line) => WB.lineSender(line, 'demo_alice')),
    [
      { name: 'Bob' },
      { key: 'from_you' },
      { name: 'demo_carol' },
      { key: 'from_agent' },
      { key: 'from_visitor' },
    ],
  );
  assert.deepEqual(WB.lineSender(lines[0], 'demo_bob'), { key: 'from_you' });
  assert.equal(i18n.translateWith(messages, 'zh-CN', 'from_you', {}), '我');
  assert.equal(i18n.translateWith(messages, 'en', 'from_you', {}), 'You');
});

test('unread badges stop at 99+', () => {
  assert.equal(WB.unreadLabel(0), '');
  assert.equal(WB.unreadLabel(7), '7');
  assert.equal(WB.unreadLabel(99), '99');
  assert.equal(WB.unreadLabel(100), '99+');
});

test('a withdrawn offer disappears; an ended or handed-over conversation waits to be dismissed', () => {
  const board = WB.createState();
  board.apply({ type: 'offer', session_id: 'r', group: 'g', timeout: 15 }, 0);
  const out = board.apply({ type: 'auto_transfer', session_id: 'r', reason: 'status' }, 1);
  assert.equal(out.notice.kind, 'offer_gone');
  assert.equal(board.state.conversations.has('r'), false);

  board.apply({ type: 'assigned', session_id: 'e', group: 'g' }, 2);
  board.apply({ type: 'assigned', session_id: 't', group: 'g' }, 3);
  board.apply({ type: 'assigned', session_id: 'l', group: 'g' }, 4);
  board.apply({ type: 'session_ended', session_id: 'e', closed_by: 'client' }, 5);
  board.apply({ type: 'transferred', session_id: 't', to_group: 'aftersales' }, 6);
  board.apply({ type: 'left', session_id: 'l' }, 7);
  const get = (id) => board.state.conversations.get(id);
  assert.equal(get('e').phase, 'ended');
  assert.equal(get('e').closedBy, 'client');
  assert.deepEqual(get('t').goneTo, { group: 'aftersales', agent: null });
  assert.deepEqual(get('l').goneTo, { left: true });
  assert.equal(board.serving('e'), false);
  // an auto_transfer for something no longer ringing is ignored
  board.apply({ type: 'auto_transfer', session_id: 'e' }, 8);
  assert.equal(get('e').phase, 'ended');

  assert.equal(board.state.selected, 'e');
  assert.ok(board.dismiss('e'));
  assert.notEqual(board.state.selected, 'e');
  assert.equal(board.state.conversations.has('e'), false);
  board.apply({ type: 'assigned', session_id: 'x', group: 'g' }, 9);
  assert.equal(board.dismiss('x'), false, 'a conversation still served cannot be closed');
});

test('the list puts ringing offers first, soonest to ring out first, then the newest', () => {
  const board = WB.createState();
  board.apply({ type: 'assigned', session_id: 'old', group: 'g' }, 10);
  board.apply({ type: 'assigned', session_id: 'new', group: 'g' }, 20);
  board.apply({ type: 'offer', session_id: 'late', group: 'g', timeout: 15 }, 30);
  board.apply({ type: 'offer', session_id: 'soon', group: 'g', timeout: 5 }, 31);
  board.apply({ type: 'assigned', session_id: 'done', group: 'g' }, 40);
  board.apply({ type: 'session_ended', session_id: 'done', closed_by: 'seat' }, 41);
  assert.deepEqual(
    board.sorted().map((c) => c.id),
    ['soon', 'late', 'new', 'old', 'done'],
  );
});

test('a pinned conversation rises above the others, below offers still ringing', () => {
  const board = WB.createState();
  board.apply({ type: 'assigned', session_id: 'old', group: 'g' }, 10);
  board.apply({ type: 'assigned', session_id: 'new', group: 'g' }, 20);
  board.apply({ type: 'assigned', session_id: 'done', group: 'g' }, 30);
  board.apply({ type: 'session_ended', session_id: 'done', closed_by: 'seat' }, 31);
  board.apply({ type: 'offer', session_id: 'ring', group: 'g', timeout: 15 }, 40);
  assert.equal(board.mark('ring', 'pinned', true), false, 'an offer is not the agent\'s yet');
  assert.equal(board.mark('old', 'pinned', true), true);
  assert.equal(board.mark('old', 'pinned', true), false, 'already pinned');
  assert.equal(board.mark('done', 'pinned', true), true);
  assert.equal(board.mark('old', 'starred', true), false, 'only pins and mutes');
  assert.deepEqual(
    board.sorted().map((c) => c.id),
    ['ring', 'old', 'done', 'new'],
  );
  board.mark('old', 'pinned', false);
  assert.deepEqual(
    board.sorted().map((c) => c.id),
    ['ring', 'done', 'new', 'old'],
  );
});

test('a muted conversation counts no unread in the title and tells of its lines quietly', () => {
  const board = WB.createState();
  board.apply({ type: 'assigned', session_id: 'a', group: 'g' }, 1);
  board.apply({ type: 'assigned', session_id: 'b', group: 'g' }, 2);
  assert.ok(board.mark('b', 'muted', true));
  const out = board.apply(msg('b', 5, 'visitor', 'hello?'), 3);
  board.apply(msg('b', 6, 'visitor', 'anyone?'), 4);
  const b = board.state.conversations.get('b');
  assert.equal(b.unread, 2, 'the lines are still unread: the list shows a dot');
  assert.equal(board.attention(), 0, 'but the title does not count them');
  assert.deepEqual(out.notice, { kind: 'message', session: 'b' }, 'the page decides on pop-ups');
  board.apply({ type: 'offer', session_id: 'c', group: 'g', timeout: 15 }, 5);
  assert.equal(board.attention(), 1, 'an offer always counts');
  board.mark('b', 'muted', false);
  assert.equal(board.attention(), 3);
});

test("the server's marks apply to conversations held now and to come, and go with a tab", () => {
  const rows = [
    { session_id: 'b', pinned: true, muted: true, updated_at: '2026-11-23T02:00:00Z' },
    { session_id: 'a', pinned: true, muted: false, updated_at: '2026-11-23T01:00:00Z' },
    { session_id: 'x', pinned: 'yes', muted: false },
    { pinned: true },
    null,
  ];
  // a reload: the socket announced 'a' before the marks arrived; 'b' comes after them
  const board = WB.createState();
  board.apply({ type: 'assigned', session_id: 'a', group: 'g' }, 1);
  board.loadMarks(rows);
  assert.equal(board.state.conversations.get('a').pinned, true);
  board.apply({ type: 'assigned', session_id: 'b', group: 'g', resumed: true }, 5);
  board.apply({ type: 'assigned', session_id: 'x', group: 'g' }, 6);
  const b = board.state.conversations.get('b');
  assert.equal(b.pinned && b.muted, true);
  const x = board.state.conversations.get('x');
  assert.equal(x.pinned || x.muted, false, 'a malformed row marks nothing');

  // a dismissed tab forgets its marks: the same conversation met again is unmarked
  board.apply({ type: 'session_ended', session_id: 'b', closed_by: 'client' }, 7);
  assert.ok(board.dismiss('b'));
  board.apply({ type: 'assigned', session_id: 'b', group: 'g' }, 8);
  assert.equal(board.state.conversations.get('b').pinned, false);

  // read again (another browser unpinned 'a'): what the server says now holds
  board.loadMarks([]);
  assert.equal(board.state.conversations.get('a').pinned, false);
});

test('a change is shown at once, then takes the answer or is undone', () => {
  const board = WB.createState();
  board.apply({ type: 'assigned', session_id: 'a', group: 'g' }, 1);
  const a = board.state.conversations.get('a');
  assert.ok(board.mark('a', 'pinned', true));
  assert.equal(a.pinned, true, 'optimistic');
  // the server's answer names both marks: another browser had muted it meanwhile
  board.setMark('a', { session_id: 'a', pinned: true, muted: true });
  assert.equal(a.pinned && a.muted, true);
  // a refused unmute is put back, and leaves the pin alone
  assert.ok(board.mark('a', 'muted', false));
  assert.equal(a.muted, false);
  board.setMark('a', { muted: true });
  assert.deepEqual([a.pinned, a.muted], [true, true]);
  board.setMark('a', { pinned: 'no', muted: false });
  assert.deepEqual([a.pinned, a.muted], [true, false], 'only booleans are taken');

  // a change made while the marks were being read is not undone by the older answer
  board.apply({ type: 'assigned', session_id: 'c', group: 'g' }, 2);
  assert.ok(board.mark('c', 'muted', true));
  board.loadMarks([{ session_id: 'a', pinned: false, muted: false }], new Set(['c']));
  assert.equal(board.state.conversations.get('c').muted, true);
  assert.equal(a.pinned, false);
});

test("another tab's or browser's marks arrive as frames, for conversations held or to come", () => {
  const board = WB.createState();
  board.apply({ type: 'assigned', session_id: 'a', group: 'g' }, 1);
  const a = board.state.conversations.get('a');
  const marks = (sid, pinned, muted) => ({ type: 'marks', session_id: sid, pinned, muted });
  let out = board.apply(marks('a', true, false), 2);
  assert.deepEqual([out.list, out.session], [true, 'a']);
  assert.deepEqual([a.pinned, a.muted], [true, false]);
  assert.equal(board.sorted(3)[0].id, 'a');
  board.apply(marks('a', true, true), 4);
  assert.deepEqual([a.pinned, a.muted], [true, true]);
  board.apply(marks('a', true, true), 5); // every socket of the agent hears it: idempotent
  assert.deepEqual([a.pinned, a.muted], [true, true]);
  board.apply(marks('a', false, false), 6); // forgotten elsewhere
  assert.deepEqual([a.pinned, a.muted], [false, false]);

  // a conversation not held yet takes its marks when it comes
  out = board.apply(marks('b', false, true), 7);
  assert.deepEqual([out.list, out.session], [false, null]);
  board.apply({ type: 'assigned', session_id: 'b', group: 'g' }, 8);
  assert.equal(board.state.conversations.get('b').muted, true);

  // a malformed frame changes nothing
  board.apply({ type: 'marks', session_id: 'b', pinned: 'yes', muted: null }, 9);
  board.apply({ type: 'marks', pinned: true }, 10);
  const b = board.state.conversations.get('b');
  assert.deepEqual([b.pinned, b.muted], [false, true]);
});

test('a fresh read of the apps: which tabs come, go, and load their page anew', () => {
  const { appsChange } = require(path.join(ADMIN, 'workbench-apps.js')).WorkbenchApps;
  const crm = { id: 1, name: 'CRM', url: 'https://crm.example/' };
  const tickets = { id: 2, name: 'Tickets', url: 'https://t.example/' };
  const held = new Map([
    ['app-1', { app: crm }],
    ['app-2', { app: tickets }],
  ]);
  const renamed = { ...crm, name: '客户' };
  const moved = { ...tickets, url: 'https://t.example/v2' };
  const fresh = { id: 3, name: 'Orders', url: 'https://o.example/' };
  let plan = appsChange(held, [fresh, renamed, moved, null, { id: 'x' }]);
  assert.deepEqual(plan.apps, [fresh, renamed, moved], 'the server order; junk skipped');
  assert.deepEqual(plan.added, [fresh]);
  assert.deepEqual(plan.removed, []);
  assert.deepEqual(plan.readdressed, [moved], 'a rename keeps the page loaded');
  plan = appsChange(held, [crm]);
  assert.deepEqual([plan.added, plan.removed, plan.readdressed], [[], ['app-2'], []]);
  plan = appsChange(held, 'not a list');
  assert.deepEqual(plan.removed, ['app-1', 'app-2']);
});

test("a browser's older marks: damaged ones are ignored, the server's own win", () => {
  assert.equal(WB.marksKey('bob'), 'chatflow.workbench.marks.bob');
  const damaged = [null, '', 'not json', '[1,2]', '"text"', '{"a": 5, "b": {"pinned": "yes"}}'];
  for (const bad of damaged) {
    assert.equal(WB.parseMarks(bad).size, 0, String(bad));
    assert.deepEqual(WB.unsentMarks(bad, []), []);
  }
  assert.deepEqual([...WB.parseMarks('{"a": {"muted": true, "x": 1}}')], [
    ['a', { pinned: false, muted: true }],
  ]);
  const kept = JSON.stringify({
    old: { pinned: true, muted: false },
    both: { pinned: false, muted: true },
    newer: { pinned: true, muted: true },
  });
  const server = [{ session_id: 'both', pinned: true, muted: false }];
  assert.deepEqual(WB.unsentMarks(kept, server), [
    ['old', { pinned: true, muted: false }],
    ['newer', { pinned: true, muted: true }],
  ]);
  assert.equal(WB.unsentMarks(kept, null).length, 3);
});

test("a visitor's unanswered lines wait from the agent's join; any agent's answer ends it", () => {
  const board = WB.createState();
  const MIN = 60000;
  // the visitor chose from the bot's menu long before the agent joined
  board.apply(msg('s', 1, 'visitor', '售前咨询', { replay: true, at: '2026-11-23T01:00:00Z' }), 0);
  assert.equal(WB.waitingSince(board.state.conversations.get('s')), null, 'no agent yet');
  board.apply({ type: 'assigned', session_id: 's', group: 'g' }, 10 * MIN);
  const c = board.state.conversations.get('s');
  assert.equal(WB.waitingSince(c), 10 * MIN, 'it waits from the join, not from the menu');
  assert.equal(WB.waitLevel(c, 10 * MIN + 59000), 0, 'under a minute says nothing');
  assert.equal(WB.waitLevel(c, 11 * MIN), 1);
  assert.equal(WB.waitLevel(c, 15 * MIN), 2);
  assert.equal(WB.waitLevel(c, 40 * MIN), 3);
  board.apply(msg('s', 2, 'bot', '您前面还有 0 位访客'), 11 * MIN);
  assert.equal(WB.waitingSince(c), 10 * MIN, "the bot's line is no answer");
  board.apply(msg('s', 3, 'agent', '您好', { author: 'colleague' }), 12 * MIN);
  assert.equal(WB.waitingSince(c), null, "a colleague's answer is an answer");
  board.apply(msg('s', 4, 'visitor', '价格？'), 13 * MIN);
  board.apply(msg('s', 5, 'visitor', '在吗？'), 14 * MIN);
  assert.equal(WB.waitingSince(c), 13 * MIN, 'from the first unanswered line');
  board.apply({ type: 'session_ended', session_id: 's', closed_by: 'client' }, 15 * MIN);
  assert.equal(WB.waitingSince(c), null, 'a finished conversation waits for nobody');
});

test('after a reload the lines and the join keep their times, on this browser\'s clock', () => {
  const board = WB.createState();
  const MIN = 60000;
  // this browser's clock is 2 s ahead of the server's; the reload is at 10:30 server time
  const reload = Date.parse('2026-11-23T02:30:00Z') + 2000;
  const at = (hhmm) => `2026-11-23T02:${hhmm}:00Z`;
  board.apply({ type: 'assigned', session_id: 's', group: 'g', resumed: true, at: at(30) }, reload);
  board.apply(msg('s', 1, 'visitor', '售前', { replay: true, at: at('00') }), reload);
  board.apply({ type: 'joined', session_id: 's', seq: 2, replay: true, at: at(10) }, reload);
  board.apply(msg('s', 3, 'agent', '您好', { replay: true, at: at(11) }), reload);
  board.apply(msg('s', 4, 'visitor', '价格？', { replay: true, at: at(20) }), reload);
  const c = board.state.conversations.get('s');
  assert.equal(WB.waitingSince(c), reload - 10 * MIN, 'since 10:20, not since the reload');
  assert.equal(WB.waitLevel(c, reload), 2, 'ten minutes: the second level at once');
  // a second agent joins live: the wait starts again from that join
  board.apply({ type: 'joined', session_id: 's', seq: 5, at: at(31) }, reload + MIN);
  assert.equal(WB.waitingSince(c), reload + MIN);
});

test('a server time never lands in the future, and without one it is now', () => {
  assert.equal(WB.serverTime('2026-11-23T02:00:00Z', 5000, 0), 0, 'capped at now');
  assert.equal(WB.serverTime('2026-11-23T02:00:00Z', null, 42), 42, 'no offset yet');
  assert.equal(WB.serverTime('not a time', 0, 42), 42);
  const board = WB.createState();
  board.apply({ type: 'assigned', session_id: 's', group: 'g', resumed: true }, 5000);
  board.apply(msg('s', 1, 'visitor', 'hi', { replay: true, at: '2026-11-23T02:00:00Z' }), 5001);
  assert.equal(
    WB.waitingSince(board.state.conversations.get('s')),
    5001,
    'a server that sends no time on assigned: lines wait from the reload',
  );
  board.apply({ type: 'joined', session_id: 'other', replay: true, at: 'x' }, 6000);
  assert.equal(board.state.conversations.has('other'), false, 'a join of no conversation here');
});

test('the list puts the visitors waiting a minute or more first, the longest first', () => {
  const board = WB.createState();
  const MIN = 60000;
  for (const id of ['quiet', 'short', 'long', 'pinned']) {
    board.apply({ type: 'assigned', session_id: id, group: 'g' }, 0);
  }
  board.apply(msg('long', 1, 'visitor', 'a'), 1 * MIN);
  board.apply(msg('short', 1, 'visitor', 'b'), 3 * MIN);
  board.apply(msg('quiet', 1, 'agent', 'c'), 4 * MIN); // answered, and the newest activity
  board.mark('pinned', 'pinned', true);
  assert.deepEqual(
    board.sorted(3 * MIN + 30000).map((c) => c.id),
    ['pinned', 'long', 'quiet', 'short'],
    'half a minute is not waiting yet',
  );
  assert.deepEqual(
    board.sorted(5 * MIN).map((c) => c.id),
    ['pinned', 'long', 'short', 'quiet'],
  );
});

test('sync with me/sessions fills in the visitor and drops what the server no longer has', () => {
  const board = WB.createState();
  board.apply({ type: 'assigned', session_id: 'kept', group: 'g' }, 10);
  board.apply({ type: 'assigned', session_id: 'lost', group: 'g' }, 10);
  board.apply({ type: 'offer', session_id: 'rang', group: 'g', timeout: 15 }, 10);
  board.apply({ type: 'assigned', session_id: 'fresh', group: 'g' }, 50); // after the request
  const rows = [
    {
      session_id: 'kept',
      visitor_id: 'v-1',
      visitor_name: '王小明',
      site_key: 'demo-web',
      site_name: '演示网站',
      agents: ['demo_bob'],
    },
  ];
  assert.ok(board.sync(rows, 20));
  const get = (id) => board.state.conversations.get(id);
  assert.deepEqual(get('kept').info, {
    visitor_id: 'v-1',
    visitor_name: '王小明',
    site_key: 'demo-web',
    site_name: '演示网站',
    agents: ['demo_bob'],
  });
  assert.equal(get('lost').phase, 'gone', 'ended while the socket was away');
  assert.equal(board.state.conversations.has('rang'), false);
  assert.equal(get('fresh').phase, 'active', 'announced after the request left: kept');
});

test('typing shows for a while; status, alerts and errors are passed on', () => {
  const board = WB.createState();
  board.apply({ type: 'assigned', session_id: 's', group: 'g' }, 0);
  board.apply({ type: 'typing', session_id: 's', from: 'visitor' }, 100);
  const c = board.state.conversations.get('s');
  assert.equal(c.visitorTypingUntil, 100 + WB.TYPING_VISIBLE_MS);
  board.apply(msg('s', 1, 'visitor', 'done typing'), 200);
  assert.equal(c.visitorTypingUntil, 0, 'a message ends the typing line');

  const status = board.apply({ type: 'status', status: 'rest', reason: 'missed' }, 300);
  assert.ok(status.status);
  assert.equal(board.state.status, 'rest');
  assert.equal(board.state.reason, 'missed');
  const alert = board.apply(
    {
      type: 'alert',
      session_id: 's',
      agent: 'demo_bob',
      group: 'g',
      text: 'x',
      words: [{ kind: 'sensitive', word: '退款' }],
    },
    400,
  );
  assert.equal(alert.notice.kind, 'alert');
  assert.deepEqual(alert.notice.words, [{ kind: 'sensitive', word: '退款' }]);
  const error = board.apply({ type: 'error', code: 'not_serving', message: 'no' }, 500);
  assert.deepEqual(error.notice, { kind: 'error', code: 'not_serving', message: 'no' });
  assert.deepEqual(board.apply({ type: 'pong' }, 600), {
    session: null,
    list: false,
    status: false,
    notice: null,
  });
  assert.equal(board.apply(null, 700).list, false);
});

test('text from the server is kept as text, whatever it looks like', () => {
  const board = WB.createState();
  board.apply({ type: 'assigned', session_id: 's', group: 'g' }, 0);
  board.apply(msg('s', 1, 'visitor', '<img src=x onerror=alert(1)>'), 1);
  board.apply(msg('s', 2, 'agent', null, { image: '/api/v1/images/abc' }), 2);
  const [line, image] = board.state.conversations.get('s').lines;
  assert.equal(line.text, '<img src=x onerror=alert(1)>');
  assert.equal(image.text, '');
  assert.equal(image.image, '/api/v1/images/abc');
});

test('a conversation keeps its newest lines only', () => {
  const board = WB.createState();
  board.apply({ type: 'assigned', session_id: 's', group: 'g' }, 0);
  for (let seq = 1; seq <= WB.LINE_LIMIT + 20; seq += 1) board.apply(msg('s', seq, 'visitor', 'x'), seq);
  const lines = board.state.conversations.get('s').lines;
  assert.equal(lines.length, WB.LINE_LIMIT);
  assert.equal(lines[0].seq, 21);
});

test("the '#' lookup finds the word at the caret and puts the reply in its place", () => {
  assert.deepEqual(WB.hashQuery('#价格', 3), { start: 0, query: '价格' });
  assert.deepEqual(WB.hashQuery('您好 ＃退', 5), { start: 3, query: '退' });
  assert.deepEqual(WB.hashQuery('#', 1), { start: 0, query: '' });
  assert.equal(WB.hashQuery('issue#12', 8), null, "a '#' inside a word is not a lookup");
  assert.equal(WB.hashQuery('#价格 ', 4), null, 'the word ended');
  assert.deepEqual(WB.hashQuery('#价格 后面', 3), { start: 0, query: '价格' });
  const next = WB.insertReply('您好 #退 谢谢', 3, 5, '退款将在 3 个工作日内到账');
  assert.equal(next.text, '您好 退款将在 3 个工作日内到账 谢谢');
  assert.equal(next.caret, 3 + '退款将在 3 个工作日内到账'.length);
});

test('a reason goes with some statuses only, each one the agent can pick', () => {
  assert.ok(WB.REASON_STATUSES.every((status) => WB.STATUSES.includes(status)));
  assert.ok(!WB.REASON_STATUSES.includes('free') && !WB.REASON_STATUSES.includes('arrange'));
});

test('every string exists in both languages and the chat page lookup fills them', () => {
  assert.deepEqual(Object.keys(messages.en).sort(), Object.keys(messages['zh-CN']).sort());
  for (const status of WB.STATUSES.concat(['offline'])) {
    assert.ok(messages.en[status] && messages['zh-CN'][status], status);
  }
  assert.equal(i18n.translateWith(messages, 'en', 'ringing', { seconds: 9 }), 'Ringing 9 s');
  assert.equal(i18n.translateWith(messages, 'zh-CN', 'unreadTitle', { n: '99+' }), '(99+) 客服工作台');
  assert.equal(i18n.translateWith(messages, 'fr', 'title', {}), '客服工作台', 'unknown: zh-CN');
});

test('every string the workbench page asks for exists in both languages', () => {
  const fs = require('node:fs');
  const shared = require(path.join(ADMIN, 'admin-client.js')).ChatflowAdmin;
  const { LOGIN_MESSAGES, VISIT_MESSAGES } = shared;
  const read = (name) => fs.readFileSync(path.join(ADMIN, name), 'utf8');
  const used = new Set();
  const sources = [
    'workbench.js',
    'workbench-visitor.js',
    'workbench-replies.js',
    'workbench-apps.js',
    'workbench-list.js',
    'admin-client.js',
  ].map(read);
  for (const source of sources) {
    for (const m of source.matchAll(/\bt\('([A-Za-z_]+)'/g)) used.add(m[1]);
    // keys built from a prefix: t(`profile_${name}`), t(`notify_${state}`), ...
    for (const m of source.matchAll(/\bt\(`([A-Za-z]+_)\$\{/g)) used.add(`${m[1]}*`);
  }
  for (const m of read('workbench.html').matchAll(/data-i18n(?:-placeholder|-label)?="(\w+)"/g)) {
    used.add(m[1]);
  }
  assert.ok(used.size > 30, `found only ${used.size} keys; the scan is broken`);
  for (const lang of ['zh-CN', 'en']) {
    const table = { ...LOGIN_MESSAGES[lang], ...VISIT_MESSAGES[lang], ...messages[lang] };
    const built = {
      'profile_*': ['name', 'phone', 'email', 'note'],
      'notify_*': ['on', 'off', 'ask', 'denied'],
      'record_*': ['bot', 'queued', 'with_agent', 'ended'],
      'from_*': ['visitor', 'bot', 'system', 'agent', 'you'],
      'closed_*': ['client', 'seat', 'admin', 'timer', ''],
      'toggle_*': ['pinned_on', 'pinned_off', 'muted_on', 'muted_off'],
      'mark_*': ['pinned', 'muted'],
    };
    const keys = [...used].flatMap((key) => {
      if (!key.endsWith('*')) return [key];
      assert.ok(built[key], `list the keys ${key} is built into`);
      return built[key].map((end) => key.slice(0, -1) + end);
    });
    const missing = keys.filter((key) => !(key in table));
    assert.deepEqual(missing, [], `${lang} lacks ${missing.join(', ')}`);
  }
});

test('the list search keeps conversations by name, visitor id or any line held', () => {
  const board = WB.createState();
  board.apply({ type: 'assigned', session_id: 's', group: 'g' }, 0);
  board.apply(msg('s', 1, 'visitor', '我的订单 A-1029 还没到'), 1);
  board.apply(msg('s', 2, 'visitor', '', { image: '/api/v1/images/x.png' }), 2);
  board.sync([{ session_id: 's', visitor_id: 'v-7f3a', site_key: 'w', agents: [] }], 0);
  const c = board.state.conversations.get('s');
  const matches = (q) => WB.conversationMatches(c, q, '访客 v-7f3a');
  assert.ok(matches(''), 'a blank search keeps everything');
  assert.ok(matches('  '));
  assert.ok(matches('a-1029'), 'line text, ignoring case');
  assert.ok(matches('7F3A'), 'the visitor id');
  assert.ok(matches('访客'), 'the label the list shows');
  assert.equal(matches('x.png'), false, 'an image line has no text to match');
  assert.equal(matches('退款'), false);

  assert.ok(board.renameVisitor('v-7f3a', 'Ada Lovelace'));
  assert.equal(c.info.visitor_name, 'Ada Lovelace');
  assert.ok(WB.conversationMatches(c, 'lovelace', 'Ada Lovelace'));
  assert.equal(board.renameVisitor('someone-else', 'X'), false, 'no conversation of theirs');
});

test('desktop notifications: asked once, kept per browser, shown only out of sight', async () => {
  const Notify = require(path.join(ADMIN, 'workbench-notify.js'));
  const shown = [];
  class FakeNotification {
    constructor(title, options) {
      this.title = title;
      this.options = options;
      this.closed = false;
      shown.push(this);
    }
    close() {
      this.closed = true;
    }
    static async requestPermission() {
      FakeNotification.permission = FakeNotification.answer;
      return FakeNotification.answer;
    }
  }
  FakeNotification.permission = 'default';
  FakeNotification.answer = 'granted';
  const stored = new Map();
  const storage = { getItem: (k) => stored.get(k) ?? null, setItem: (k, v) => stored.set(k, v) };
  const doc = { hidden: false, hasFocus: () => true };
  let focused = 0;
  const notifier = Notify.create({
    Notification: FakeNotification,
    document: doc,
    storage,
    focus: () => (focused += 1),
  });

  assert.equal(notifier.state(), 'ask');
  assert.equal(notifier.show('t', 'b', 's'), null, 'nothing before the agent turns them on');
  assert.equal(await notifier.toggle(), 'on');
  assert.equal(notifier.show('t', 'b', 's'), null, 'the agent is looking at the page');
  doc.hidden = true;
  let opened = 0;
  const n = notifier.show('New message', `  line one\n line two ${'长'.repeat(200)}`, 's1', () => {
    opened += 1;
  });
  assert.equal(n.title, 'New message');
  assert.equal(n.options.tag, 's1', 'a newer notification of the conversation replaces it');
  assert.ok(n.options.body.startsWith('line one line two 长'));
  assert.equal(Array.from(n.options.body).length, Notify.BODY_LIMIT);
  n.onclick();
  assert.deepEqual([focused, opened, n.closed], [1, 1, true]);

  assert.equal(await notifier.toggle(), 'off');
  assert.equal(stored.get(Notify.PREFERENCE_KEY), 'off');
  assert.equal(notifier.show('t', 'b', 's'), null, 'turned off');
  const again = Notify.create({ Notification: FakeNotification, document: doc, storage, focus() {} });
  assert.equal(again.state(), 'off', 'the choice outlives the page');

  FakeNotification.permission = 'denied';
  assert.equal(notifier.state(), 'denied');
  assert.equal(await notifier.toggle(), 'denied', 'a blocked site is not asked again');
  const none = Notify.create({ Notification: undefined, document: doc, storage, focus() {} });
  assert.equal(none.state(), 'unsupported');
  assert.equal(none.show('t', 'b'), null);
  assert.equal(shown.length, 1);
});

test('a declined offer leaves once the server answered, unless it rang anew meanwhile', () => {
  const board = WB.createState();
  board.apply({ type: 'offer', session_id: 'd', group: 'g', timeout: 15 }, 0);
  const asked = board.state.conversations.get('d').offer;
  assert.ok(board.dropOffer('d', asked), 'the 204 of the decline takes it off');
  assert.equal(board.state.conversations.has('d'), false);
  assert.equal(board.dropOffer('d', asked), false);

  // the only free agent gets the visitor back at once: the new offer's frame came first
  board.apply({ type: 'offer', session_id: 'e', group: 'g', timeout: 15 }, 1);
  const first = board.state.conversations.get('e').offer;
  board.apply({ type: 'offer', session_id: 'e', group: 'g', timeout: 15 }, 2);
  assert.equal(board.dropOffer('e', first), false, 'the offer ringing now stays');
  assert.equal(board.state.conversations.get('e').phase, 'ringing');

  // a conversation served is never dropped as an offer
  board.apply({ type: 'assigned', session_id: 'e', group: 'g' }, 3);
  assert.equal(board.dropOffer('e', board.state.conversations.get('e').offer), false);
  assert.equal(board.serving('e'), true);
});

test('an offer whose visitor left or was moved leaves the list, saying why', () => {
  const board = WB.createState();
  board.apply({ type: 'offer', session_id: 'l', group: 'g', timeout: 15 }, 0);
  board.apply({ type: 'offer', session_id: 't', group: 'g', timeout: 15 }, 0);
  board.select('l');
  let out = board.apply({ type: 'session_ended', session_id: 'l', closed_by: 'client' }, 1);
  assert.deepEqual(out.notice, { kind: 'offer_gone', session: 'l', reason: 'left' });
  assert.equal(board.state.conversations.has('l'), false);
  assert.equal(board.state.selected, null);
  out = board.apply({ type: 'transferred', session_id: 't' }, 2);
  assert.equal(out.notice.kind, 'offer_gone');
  assert.equal(board.state.conversations.size, 0);
});

test('an offer past its countdown is asked about once, after a grace', () => {
  const board = WB.createState();
  board.apply({ type: 'offer', session_id: 'r', group: 'g', timeout: 10 }, 0);
  assert.deepEqual(board.rungOut(10000), [], 'its auto_transfer may still come');
  assert.deepEqual(board.rungOut(10000 + WB.RING_GRACE_MS), ['r']);
  assert.deepEqual(board.rungOut(60000), [], 'once per offer');
  board.apply({ type: 'offer', session_id: 'r', group: 'g', timeout: 10 }, 60000);
  assert.deepEqual(board.rungOut(70000 + WB.RING_GRACE_MS), ['r'], 'a new offer: asked again');
});

test('a visitor has one name, ringing or accepted, never the session id', () => {
  const board = WB.createState();
  board.apply({ type: 'offer', session_id: 'session-add134', group: 'g', timeout: 15 }, 0);
  const c = board.state.conversations.get('session-add134');
  assert.equal(WB.visitorLabel(c, '访客'), '访客', 'not read yet: no id at all');
  const row = {
    session_id: 'session-add134',
    visitor_id: 'visitor-11be41',
    site_key: 'demo-web',
    agents: [],
  };
  board.sync([row], 1);
  const ringing = WB.visitorLabel(c, '访客');
  assert.equal(ringing, '访客 11be41');
  board.apply({ type: 'assigned', session_id: 'session-add134', group: 'g' }, 2);
  board.sync([{ ...row, agents: ['demo_bob'] }], 3);
  assert.equal(WB.visitorLabel(c, '访客'), ringing);
  board.sync([{ ...row, visitor_name: '王小明', agents: ['demo_bob'] }], 4);
  assert.equal(WB.visitorLabel(c, '访客'), '王小明');
});

test("a transcript's image line links only this deployment's own images", () => {
  const page = 'https://chat.example.com/cf/workbench';
  const own = '/cf/api/v1/images/nH0wKz_abc';
  assert.deepEqual(WB.imageLine(`[图片] ${own}`, page, '/cf/'), {
    before: '[图片] ',
    url: own,
    after: '',
  });
  assert.deepEqual(WB.imageLine(`[图片] ${own} 看这里`, page, '/cf/'), {
    before: '[图片] ',
    url: own,
    after: ' 看这里',
  });
  for (const text of [
    '[图片] https://evil.example/cf/api/v1/images/x',
    '[图片] //evil.example/cf/api/v1/images/x',
    '[图片] /cf/api/v1/sessions/x',
    '[图片] /api/v1/images/x', // not under this deployment's path
    '[图片] /cf/api/v1/images/x\\y',
    '[图片] javascript:alert(1)',
    '看 [图片] /cf/api/v1/images/x',
    '图片 /cf/api/v1/images/x',
    '',
  ]) {
    assert.equal(WB.imageLine(text, page, '/cf/'), null, text);
  }
  const root = WB.imageLine('[图片] /api/v1/images/x', 'http://127.0.0.1:8000/workbench', '/');
  assert.equal(root.url, '/api/v1/images/x');
});

test('a serving frame says who serves the conversation now (a colleague invited or gone)', () => {
  const board = WB.createState();
  board.apply({ type: 'assigned', session_id: 's', group: 'g' }, 0);
  const row = { session_id: 's', visitor_id: 'v-1', site_key: 'w', agents: ['demo_bob'] };
  board.sync([row], 1);
  const c = board.state.conversations.get('s');
  const both = ['demo_bob', 'demo_alice'];
  let out = board.apply({ type: 'serving', session_id: 's', agents: both }, 2);
  assert.equal(out.session, 's');
  assert.deepEqual(c.info.agents, ['demo_bob', 'demo_alice']);
  assert.equal(c.info.visitor_id, 'v-1', 'the rest of what the server said stays');
  board.apply({ type: 'serving', session_id: 's', agents: ['demo_bob'] }, 3);
  assert.deepEqual(c.info.agents, ['demo_bob']);
  out = board.apply({ type: 'serving', session_id: 'unknown', agents: [] }, 4);
  assert.equal(out.session, null);
});
