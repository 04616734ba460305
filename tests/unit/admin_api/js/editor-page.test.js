// Unit tests for the flow editor page's strings (admin_api/static/editor-i18n.js): both
// languages say everything the page asks for, every node type of the real flow schema has a
// name in each, and everything the schema describes (node types, fields) has zh-CN help. Run by
// `node --test` from tests/unit/channels/test_static_assets.py.
'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');

const ADMIN =
  process.env.CHATFLOW_ADMIN_STATIC || path.join(__dirname, '../../../../admin_api/static');
const SCHEMA =
  process.env.CHATFLOW_FLOW_SCHEMA || path.join(__dirname, '../../../../schemas/flow.schema.json');
const own = require(path.join(ADMIN, 'editor-i18n.js'));
const staff = require(path.join(ADMIN, 'admin-client.js')).ChatflowAdmin;
const { LOGIN_MESSAGES, VISIT_MESSAGES } = staff;
// what the page looks up: the login form's shared words, then its own
const messages = {
  // what ChatflowAdmin.page gives every staff page, under the page's own
  'zh-CN': { ...LOGIN_MESSAGES['zh-CN'], ...VISIT_MESSAGES['zh-CN'], ...own['zh-CN'] },
  en: { ...LOGIN_MESSAGES.en, ...VISIT_MESSAGES.en, ...own.en },
};
const ES = require(path.join(ADMIN, 'editor-state.js'));
const STATIC = process.env.CHATFLOW_STATIC || path.join(__dirname, '../../../../channels/static');
const i18n = require(path.join(STATIC, 'i18n.js'));

/** Every key the page and its shared login form look up. */
function keysUsed() {
  const read = (name) => fs.readFileSync(path.join(ADMIN, name), 'utf8');
  const html = read('editor.html');
  const scripts = [
    'editor.js',
    'editor-canvas.js',
    'editor-fields.js',
    'editor-inspector.js',
    'editor-try.js',
    'editor-versions.js',
    'admin-client.js',
  ];
  const keys = new Set();
  for (const source of scripts.map(read)) {
    for (const m of source.matchAll(/\bt\('([A-Za-z_]+)'/g)) keys.add(m[1]);
  }
  // the Try panel's senders and buttons are looked up from its tables
  const tryPanel = read('editor-try.js');
  for (const m of tryPanel.matchAll(/'(try[A-Za-z_]+)'/g)) keys.add(m[1]);
  for (const m of html.matchAll(/data-i18n(?:-placeholder|-label)?="([A-Za-z_]+)"/g)) keys.add(m[1]);
  return keys;
}

test('zh-CN and English hold the same keys, here and in the shared login words', () => {
  assert.deepEqual(Object.keys(own.en).sort(), Object.keys(own['zh-CN']).sort());
  for (const table of [LOGIN_MESSAGES, VISIT_MESSAGES]) {
    assert.deepEqual(Object.keys(table.en).sort(), Object.keys(table['zh-CN']).sort());
  }
});

test('every string the page asks for exists in both languages', () => {
  const used = keysUsed();
  assert.ok(used.size > 40, `found only ${used.size} keys; the scan is broken`);
  for (const lang of ['zh-CN', 'en']) {
    const missing = [...used].filter((key) => !(key in messages[lang]));
    assert.deepEqual(missing, [], `${lang} lacks ${missing.join(', ')}`);
  }
});

test('every node type, version status and rename refusal has a name in both languages', () => {
  const schema = JSON.parse(fs.readFileSync(SCHEMA, 'utf8'));
  const types = ES.nodeTypes(schema).map((kind) => kind.type);
  assert.equal(types.length, 11);
  const keys = [
    ...types.map((type) => `type_${type}`),
    ...['draft', 'published', 'archived'].map((s) => `status_${s}`),
    ...['invalid', 'taken', 'missing'].map((e) => `rename_${e}`),
  ];
  for (const lang of ['zh-CN', 'en']) {
    for (const key of keys) assert.ok(messages[lang][key], `${lang} lacks ${key}`);
  }
});

/** Every part of the schema the page describes: [key, English description] for each node type
 * (the palette's tooltip) and each field at any depth (the inspector's), the flow's own too. */
function describedParts(schema) {
  const out = [];
  const walk = (fields) => {
    for (const field of fields) {
      out.push([field.key, field.description]);
      walk(field.item || []);
      walk((field.value && field.value.item) || []);
    }
  };
  for (const kind of ES.nodeTypes(schema)) {
    out.push([kind.type, kind.description]);
    walk(ES.fields(schema, kind.type));
  }
  walk(ES.flowFields(schema));
  return out;
}

test('every node type and field the schema describes has zh-CN help, and no help is stale', () => {
  const schema = JSON.parse(fs.readFileSync(SCHEMA, 'utf8'));
  const parts = describedParts(schema);
  assert.ok(parts.length > 100, `found only ${parts.length} parts; the walk is broken`);
  const help = own.help['zh-CN'];
  const missing = parts.filter(([key, english]) => english && !help[key]).map(([key]) => key);
  assert.deepEqual(missing, [], `zh-CN help lacks ${missing.join(', ')}`);
  const keys = new Set(parts.map(([key]) => key));
  const stale = Object.keys(help).filter((key) => !keys.has(key));
  assert.deepEqual(stale, [], `zh-CN help for what the schema no longer has: ${stale.join(', ')}`);
  for (const [key, words] of Object.entries(help)) {
    assert.match(words, /[\u4e00-\u9fff]/, `${key} is not worded in zh-CN`);
  }
  // English is the schema's own: no table that could drift from it
  assert.equal(own.help.en, undefined);
});

test('the counts a node box shows are worded in both languages', () => {
  for (const lang of ['zh-CN', 'en']) {
    for (const key of ['count_rules', 'count_branches']) {
      assert.ok(messages[lang][key], `${lang} lacks ${key}`);
    }
  }
  const flow = {
    nodes: {
      check: { type: 'condition', branches: [{ when: 'a', next: 'x' }, { when: 'b' }] },
      bot: { type: 'bot', rules: [{ keywords: ['hi'], replies: ['hello'] }] },
    },
  };
  const counted = (lang) => (n, key) => i18n.translateWith(messages, lang, `count_${key}`, { n });
  assert.equal(ES.summary(flow, 'check', counted('zh-CN')), '2 个分支');
  assert.equal(ES.summary(flow, 'check', counted('en')), '2 branches');
  assert.equal(ES.summary(flow, 'bot', counted('en')), '1 rule');
});
