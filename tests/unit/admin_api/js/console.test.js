// Unit tests for the admin console's registry and strings (admin_api/static/console-kit.js and
// every console-*.js section): the sections register with distinct ids and probes, both
// languages hold the same keys, and every key a file asks for exists. Run by `node --test` from
// tests/unit/channels/test_static_assets.py.
'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');

const ADMIN =
  process.env.CHATFLOW_ADMIN_STATIC || path.join(__dirname, '../../../../admin_api/static');

/** The console's scripts in the order console.html loads them (the shell last). */
function scripts() {
  const html = fs.readFileSync(path.join(ADMIN, 'console.html'), 'utf8');
  return [...html.matchAll(/src="ui\/(console[^"]*\.js)"/g)].map((m) => m[1]);
}

/** Loads the kit and the sections as the page does, without a DOM: a fresh global each time. */
function load() {
  const page = { ChatflowAdmin: {} };
  const names = scripts().filter((name) => name !== 'console.js');
  for (const name of names) {
    const source = fs.readFileSync(path.join(ADMIN, name), 'utf8');
    new Function('self', source)(page); // eslint-disable-line no-new-func
  }
  return page.ConsoleKit;
}

test('the page loads the kit first, the shell last, and every script it names exists', () => {
  const names = scripts();
  assert.equal(names[0], 'console-kit.js');
  assert.equal(names[names.length - 1], 'console.js');
  for (const name of names) assert.ok(fs.existsSync(path.join(ADMIN, name)), name);
});

test('sections register with distinct ids and a probe each', () => {
  const kit = load();
  const ids = kit.sections.map((s) => s.id);
  assert.ok(ids.length >= 1, 'no section registered');
  assert.equal(new Set(ids).size, ids.length, `duplicate ids: ${ids}`);
  for (const section of kit.sections) {
    assert.match(section.probe, /^api\/v1\//, section.id);
    assert.equal(typeof section.mount, 'function', section.id);
    assert.ok(section.title, section.id);
  }
  const orders = kit.sections.map((s) => s.order || 0);
  assert.deepEqual(orders, [...orders].sort((a, b) => a - b), 'kept in order');
});

test('zh-CN and English hold the same keys, and every key a console file asks for', () => {
  const kit = load();
  // the shell's own strings are registered by console.js, which needs a DOM: read them apart
  const shell = fs.readFileSync(path.join(ADMIN, 'console.js'), 'utf8');
  const shared = require(path.join(ADMIN, 'admin-client.js')).ChatflowAdmin;
  const { LOGIN_MESSAGES, VISIT_MESSAGES } = shared;
  const tables = { 'zh-CN': { ...kit.messages['zh-CN'] }, en: { ...kit.messages.en } };
  const block = /kit\.strings\((\{[\s\S]*?\n {2}\})\);/.exec(shell);
  assert.ok(block, 'console.js registers its strings with kit.strings({...})');
  const own = new Function(`return (${block[1]});`)(); // eslint-disable-line no-new-func
  Object.assign(tables['zh-CN'], own['zh-CN']);
  Object.assign(tables.en, own.en);
  assert.deepEqual(Object.keys(tables.en).sort(), Object.keys(tables['zh-CN']).sort());
  for (const lang of ['zh-CN', 'en']) {
    const sharedWords = { ...LOGIN_MESSAGES[lang], ...VISIT_MESSAGES[lang] };
    Object.assign(tables[lang], { ...sharedWords, ...tables[lang] });
  }

  const html = fs.readFileSync(path.join(ADMIN, 'console.html'), 'utf8');
  const used = new Set();
  for (const m of html.matchAll(/data-i18n(?:-placeholder|-label)?="([A-Za-z_]+)"/g)) used.add(m[1]);
  for (const name of [...scripts(), 'admin-client.js']) {
    const source = fs.readFileSync(path.join(ADMIN, name), 'utf8');
    for (const m of source.matchAll(/\bt\('([A-Za-z_]+)'/g)) used.add(m[1]);
    for (const m of source.matchAll(/\btitle: '([A-Za-z_]+)'/g)) used.add(m[1]);
  }
  assert.ok(used.size > 15, `found only ${used.size} keys; the scan is broken`);
  for (const lang of ['zh-CN', 'en']) {
    const missing = [...used].filter((key) => !(key in tables[lang]));
    assert.deepEqual(missing, [], `${lang} lacks ${missing.join(', ')}`);
  }
});

test('the live monitor lists the waiting first, the longest first, and words durations', () => {
  const page = { ChatflowAdmin: {} };
  for (const name of scripts().filter((n) => n !== 'console.js')) {
    const source = fs.readFileSync(path.join(ADMIN, name), 'utf8');
    new Function('self', source)(page); // eslint-disable-line no-new-func
  }
  const monitor = page.ConsoleMonitor;
  const en = page.ConsoleKit.messages.en;
  const t = (key, values) => en[key].replace(/\{(\w+)\}/g, (_, name) => String(values[name]));
  assert.equal(monitor.duration(t, null), '—');
  assert.equal(monitor.duration(t, -3), '0 s', 'a clock a little ahead never shows minus');
  assert.equal(monitor.duration(t, 59.9), '59 s');
  assert.equal(monitor.duration(t, 125), '2 min 5 s');
  assert.equal(monitor.duration(t, 7260), '2 h 1 min');

  const at = (minute) => `2026-11-23T02:${String(minute).padStart(2, '0')}:00Z`;
  const records = [
    { session_id: 'bot', status: 'bot', started_at: at(1) },
    { session_id: 'served-late', status: 'with_agent', started_at: at(0), agent_joined_at: at(9) },
    { session_id: 'served-early', status: 'with_agent', started_at: at(5), agent_joined_at: at(6) },
    { session_id: 'waits-less', status: 'queued', started_at: at(0), queued_at: at(8) },
    { session_id: 'waits-most', status: 'queued', started_at: at(2), queued_at: at(3) },
  ];
  assert.deepEqual(
    monitor.liveOrder(records).map((r) => r.session_id),
    ['waits-most', 'waits-less', 'served-early', 'served-late', 'bot'],
  );
  assert.equal(monitor.since(records[3]), at(8), 'a wait counts from the queueing');
  assert.equal(monitor.since(records[1]), at(9), 'a service from the agent joining');
  assert.equal(monitor.since(records[0]), at(1));
});

test('a visitor is named as the workbench names it: its name, else 访客 and its id end', () => {
  const kit = load();
  kit.useTranslator((key) => kit.messages['zh-CN'][key]);
  assert.equal(kit.visitorName('王小明', 'web-9f3a2b7c1d'), '王小明');
  assert.equal(kit.visitorName(null, 'web-9f3a2b7c1d'), '访客 2b7c1d');
  assert.equal(kit.visitorName('', ''), '访客');
  kit.useTranslator((key) => kit.messages.en[key]);
  assert.equal(kit.visitorName(undefined, 'web-9f3a2b7c1d'), 'Visitor 2b7c1d');
});
