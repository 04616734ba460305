// Unit tests for the Channels section's words (admin_api/static/console-channels.js): every
// frame type a webhook channel posts (the visitor channel's server frames, docs/widget.md) reads
// as words in both languages, and every kind of last error the sender records
// (channels/webhook_http.py, channels/webhook_outbox.py) leads with words, the system's detail
// after it; anything else shows as it is. Run by `node --test` from
// tests/unit/channels/test_static_assets.py.
'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.join(__dirname, '../../../..');
const ADMIN = process.env.CHATFLOW_ADMIN_STATIC || path.join(ROOT, 'admin_api/static');

/** The kit and the section, loaded as the page loads them, without a DOM. */
function load() {
  const page = { ChatflowAdmin: {} };
  for (const name of ['console-kit.js', 'console-channels.js']) {
    const source = fs.readFileSync(path.join(ADMIN, name), 'utf8');
    new Function('self', source)(page); // eslint-disable-line no-new-func
  }
  return page;
}

function translator(page, lang) {
  const table = page.ConsoleKit.messages[lang];
  return (key, vars) =>
    (table[key] || key).replace(/\{(\w+)\}/g, (_, name) => String((vars || {})[name]));
}

/** The server frames' types from docs/widget.md's protocol table. */
function frameTypes() {
  const doc = fs.readFileSync(path.join(ROOT, 'docs/widget.md'), 'utf8');
  const row = doc.split('\n').find((line) => line.startsWith('| server frames |'));
  assert.ok(row, 'docs/widget.md has its server frames row');
  return [...row.matchAll(/`([a-z_]+) \{/g)].map((m) => m[1]);
}

/** An error of each kind the sender writes (`SendResult(status, f"kind: ...")`), made up. */
function errorSamples() {
  const samples = new Set();
  for (const name of ['channels/webhook_http.py', 'channels/webhook_outbox.py']) {
    const source = fs.readFileSync(path.join(ROOT, name), 'utf8');
    for (const [, kind, colon] of source.matchAll(/SendResult\(\w+, f?"([a-zA-Z ]+)(:?)/g)) {
      if (kind === 'status ') samples.add('status 503');
      else samples.add(colon ? `${kind}: detail` : kind);
    }
  }
  return [...samples];
}

test('every frame type reads as words in zh-CN and English', () => {
  const page = load();
  const { frameLabel } = page.ConsoleChannels;
  const types = frameTypes();
  assert.ok(types.includes('message') && types.includes('ended'), String(types));
  for (const lang of ['zh-CN', 'en']) {
    const t = translator(page, lang);
    const labels = types.map((type) => frameLabel(t, type));
    for (const [i, label] of labels.entries()) {
      assert.ok(label !== types[i] && !label.startsWith('channels_'), `${lang} ${label}`);
    }
    assert.equal(new Set(labels).size, labels.length, `${lang}: labels tell types apart`);
  }
  const zh = translator(page, 'zh-CN');
  assert.equal(frameLabel(zh, 'message'), '消息');
  assert.equal(frameLabel(zh, 'ended'), '结束');
  assert.equal(frameLabel(zh, 'queue'), '排队');
  assert.equal(frameLabel(zh, 'someday'), 'someday', 'an unknown type as it is');
});

test("every kind of last error leads with words, the system's detail kept after them", () => {
  const page = load();
  const { errorWords } = page.ConsoleChannels;
  const samples = errorSamples();
  for (const kind of ['status', 'timeout', 'refused', 'blocked', 'invalid URL', 'error']) {
    assert.ok(samples.some((s) => s.startsWith(kind)), `the sender no longer writes ${kind}`);
  }
  for (const lang of ['zh-CN', 'en']) {
    const t = translator(page, lang);
    for (const raw of samples) {
      const words = errorWords(t, raw);
      assert.notEqual(words, raw, `${lang}: ${raw} is not worded`);
      assert.ok(!/channels_|\{/.test(words), `${lang}: ${words}`);
    }
  }
  const zh = translator(page, 'zh-CN');
  const en = translator(page, 'en');
  assert.equal(
    errorWords(zh, 'refused: All connection attempts failed'),
    '连接被拒绝：All connection attempts failed',
  );
  assert.equal(
    errorWords(zh, 'blocked: 10.255.255.1 is private'),
    '地址被拦截（内网地址）：10.255.255.1 is private',
  );
  assert.equal(
    errorWords(zh, "blocked: scheme 'ftp' is not allowed"),
    "地址被拦截：scheme 'ftp' is not allowed",
  );
  assert.equal(errorWords(zh, 'timeout'), '超时');
  assert.equal(errorWords(zh, 'refused'), '连接被拒绝');
  assert.equal(errorWords(zh, 'status 503'), 'HTTP 503');
  assert.equal(errorWords(zh, 'error: OSError: boom'), '网络错误：OSError: boom');
  assert.equal(errorWords(zh, 'the channel is no longer configured'), '该渠道已不在配置中');
  assert.equal(errorWords(en, 'timeout'), 'Timed out');
  assert.equal(errorWords(zh, 'something new'), 'something new', 'another shape as it is');
  assert.equal(errorWords(zh, null), '');
});

test('times read in 24 hours in both languages', () => {
  const kit = load().ConsoleKit;
  const at = '2026-11-22T14:05:09Z';
  for (const lang of ['zh-CN', 'en']) {
    const text = kit.dateTime(at, lang);
    assert.doesNotMatch(text, /AM|PM|上午|下午/, `${lang}: ${text}`);
    assert.match(text, /\d{2}:05:09/, `${lang}: ${text}`);
  }
  assert.equal(kit.dateTime(null, 'en'), '');
});
