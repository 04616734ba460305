// Unit tests for the record view's words (admin_api/static/console-records-view.js): every
// reason the engine ends a conversation with (engine/effects.py, EndReason) reads as words in
// both languages, an unknown one shows as it is, and a survey's invitation says what it is and
// what it recorded, as the exports do (admin_api/export_texts.py). Run by `node --test` from
// tests/unit/channels/test_static_assets.py.
'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.join(__dirname, '../../../..');
const ADMIN = process.env.CHATFLOW_ADMIN_STATIC || path.join(ROOT, 'admin_api/static');

/** The kit and the record view, loaded as the page loads them, without a DOM. */
function load() {
  const page = { ChatflowAdmin: {} };
  for (const name of ['console-kit.js', 'console-records-view.js']) {
    const source = fs.readFileSync(path.join(ADMIN, name), 'utf8');
    new Function('self', source)(page); // eslint-disable-line no-new-func
  }
  return page;
}

/** The values of `EndReason = Literal[...]` in engine/effects.py. */
function endReasons() {
  const source = fs.readFileSync(path.join(ROOT, 'engine/effects.py'), 'utf8');
  const literal = /^EndReason = Literal\[([^\]]*)\]/m.exec(source);
  assert.ok(literal, 'EndReason is a Literal in engine/effects.py');
  return [...literal[1].matchAll(/"([a-z_]+)"/g)].map((m) => m[1]);
}

test('every end reason reads as words in zh-CN and English', () => {
  const page = load();
  const { endReasonLabel } = page.ConsoleRecordsView;
  const reasons = endReasons();
  assert.ok(reasons.includes('flow') && reasons.includes('admin'), String(reasons));
  for (const lang of ['zh-CN', 'en']) {
    const table = page.ConsoleKit.messages[lang];
    const t = (key) => table[key] || key;
    const labels = reasons.map((reason) => endReasonLabel(t, reason));
    for (const [i, label] of labels.entries()) {
      assert.ok(label && label !== reasons[i] && !label.startsWith('records_'), `${lang} ${label}`);
    }
    assert.equal(new Set(labels).size, labels.length, `${lang}: labels tell reasons apart`);
  }
  const zh = (key) => page.ConsoleKit.messages['zh-CN'][key];
  assert.equal(endReasonLabel(zh, 'flow'), '流程结束');
  assert.equal(endReasonLabel(zh, 'admin'), '管理员关闭');
  assert.equal(endReasonLabel(zh, 'someday'), 'someday', 'an unknown reason as it is');
  assert.equal(endReasonLabel(zh, null), '');
});

test("a survey's invitation says it is one, its scale and the rating it recorded", () => {
  const page = load();
  const { surveyWords } = page.ConsoleRecordsView;
  const translator = (lang) => (key, vars) =>
    page.ConsoleKit.messages[lang][key].replace(/\{(\w+)\}/g, (_, name) => String(vars[name]));
  const zh = translator('zh-CN');
  const en = translator('en');
  const labels = ['很不满意', '不满意', '一般', '满意', '非常满意'];
  const rated = { style: 'star', levels: 5, labels, rating: 2 };
  assert.deepEqual(surveyWords(zh, rated, true), {
    head: '【满意度评价 · 星级 1-5】',
    tail: '评分：2/5（不满意）',
  });
  assert.deepEqual(surveyWords(en, rated, true), {
    head: '[Satisfaction survey · stars 1-5] ',
    tail: 'Rating: 2 of 5 (不满意)',
  });
  const unrated = { style: 'number', levels: 10, labels: [], rating: null };
  assert.deepEqual(surveyWords(zh, unrated, true), {
    head: '【满意度评价 · 数字 1-10】',
    tail: '未评价',
  });
  assert.equal(surveyWords(en, unrated, true).tail, 'Not rated');
  assert.equal(surveyWords(en, unrated, false).tail, null, 'a running conversation: no verdict');
});

test("a record's channel: web worded, an IM channel by its name, else its key", () => {
  const page = load();
  const { channelLabel } = page.ConsoleRecordsView;
  for (const [lang, web] of [['zh-CN', '网页'], ['en', 'Web']]) {
    const t = (key) => page.ConsoleKit.messages[lang][key];
    assert.equal(channelLabel(t, { channel_type: 'web', channel_key: null }), web);
    const named = { channel_type: 'webhook', channel_key: 'wx', channel_name: '<b>微信</b>' };
    assert.equal(channelLabel(t, named), '<b>微信</b>', 'as text: the page puts it in as text');
    const keyed = { channel_type: 'webhook', channel_key: 'wx', channel_name: null };
    assert.equal(channelLabel(t, keyed), 'wx');
    assert.equal(channelLabel(t, { channel_type: null, channel_key: null }), '', 'not known');
  }
});
