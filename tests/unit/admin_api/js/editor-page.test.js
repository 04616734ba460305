// Unit tests for the flow editor page's strings (admin_api/static/editor-i18n.js): both
// languages say everything the page asks for, and every node type of the real flow schema has a
// name in each. Run by `node --test` from tests/unit/channels/test_static_assets.py.
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
