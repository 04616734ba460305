// Unit tests for how the admin console follows an account's rights (admin_api/static/
// console-kit.js): every registered section names a right of the API's (admin_api/
// permissions.py FEATURES), so the shell can skip the probe of a section the account may not
// use; kit.can reads view/edit as the API does; kit.names asks for the sites only with the
// `sites` right, else offers the groups' sites within the account's site scope. Run by
// `node --test` from tests/unit/channels/test_static_assets.py.
'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');

const ADMIN =
  process.env.CHATFLOW_ADMIN_STATIC || path.join(__dirname, '../../../../admin_api/static');
const PERMISSIONS = path.join(__dirname, '../../../../admin_api/permissions.py');

/** The kit and every section, loaded as console.html loads them (console.js needs a DOM). */
function load() {
  const html = fs.readFileSync(path.join(ADMIN, 'console.html'), 'utf8');
  const names = [...html.matchAll(/src="ui\/(console[^"]*\.js)"/g)].map((m) => m[1]);
  const page = { ChatflowAdmin: {} };
  for (const name of names.filter((n) => n !== 'console.js')) {
    const source = fs.readFileSync(path.join(ADMIN, name), 'utf8');
    new Function('self', source)(page); // eslint-disable-line no-new-func
  }
  return page.ConsoleKit;
}

/** The API's features, as permissions.py lists them (skipped where the source is not near). */
function features() {
  if (!fs.existsSync(PERMISSIONS)) return null;
  const source = fs.readFileSync(PERMISSIONS, 'utf8');
  const block = /FEATURES: tuple\[str, \.\.\.\] = \(([\s\S]*?)\)/.exec(source);
  assert.ok(block, 'permissions.py lists FEATURES');
  return [...block[1].matchAll(/"([a-z_]+)"/g)].map((m) => m[1]);
}

test('each section needs one right of the API, and only that one lets it be probed', () => {
  const kit = load();
  const known = features();
  if (!known) return;
  for (const section of kit.sections) {
    kit.useRights({ owner: false, rights: {}, site_scope: null });
    assert.equal(kit.mayUse(section), false, `${section.id} is probed without any right`);
    const opening = known.filter((feature) => {
      kit.useRights({ owner: false, rights: { [feature]: 'view' }, site_scope: null });
      return kit.mayUse(section);
    });
    assert.equal(opening.length, 1, `${section.id} opens with ${opening}`);
  }
  kit.useRights(null); // unknown rights: every section is probed, the API decides
  assert.ok(kit.sections.every((s) => kit.mayUse(s)));
});

test('can reads view and edit as the API does', () => {
  const kit = load();
  kit.useRights({ owner: false, rights: { sites: 'view', records: 'edit' }, site_scope: null });
  assert.equal(kit.can('sites'), true);
  assert.equal(kit.can('sites', 'edit'), false);
  assert.equal(kit.can('records', 'view'), true);
  assert.equal(kit.can('records', 'edit'), true);
  assert.equal(kit.can('flows'), false);
  kit.useRights(null);
  assert.equal(kit.can('flows', 'edit'), true);
});

/** An API that answers from `answers` by path and remembers what it was asked. */
function fakeApi(answers) {
  const asked = [];
  const api = async (method, url) => {
    asked.push(url);
    const data = answers[url];
    return data === undefined ? { ok: false, status: 403 } : { ok: true, status: 200, data };
  };
  return { api, asked };
}

const GROUPS = [
  { id: 'presales', name: '售前咨询', sites: ['web', 'shop'] },
  { id: 'vip', name: '', sites: ['vip-web'] },
];

test('names asks for the sites only with the sites right', async () => {
  const kit = load();
  const { api, asked } = fakeApi({
    'api/v1/admin/sites': [
      { key: 'web', name: '官网' },
      { key: 'shop', name: null },
    ],
    'api/v1/agents/groups': GROUPS,
    'api/v1/agents?include_offline=true': [{ account: 'bob', nickname: 'Bob' }],
  });
  kit.useRights({ owner: false, rights: { sites: 'view' }, site_scope: null });
  const named = await kit.names(api);
  assert.deepEqual([...named.sites], [
    ['web', '官网'],
    ['shop', 'shop'],
  ]);
  assert.deepEqual([...named.groups], [
    ['presales', '售前咨询'],
    ['vip', 'vip'],
  ]);
  assert.ok(asked.includes('api/v1/admin/sites'));

  const without = fakeApi({ 'api/v1/agents/groups': GROUPS });
  kit.useRights({ owner: false, rights: { records: 'view' }, site_scope: ['shop', 'web'] });
  const scoped = await kit.names(without.api);
  assert.ok(!without.asked.includes('api/v1/admin/sites'), 'a refused request');
  assert.deepEqual([...scoped.sites.keys()], ['shop', 'web'], 'only the sites of its scope');
  kit.useRights({ owner: false, rights: { records: 'view' }, site_scope: null });
  const all = await kit.names(fakeApi({ 'api/v1/agents/groups': GROUPS }).api);
  assert.deepEqual([...all.sites.keys()], ['shop', 'vip-web', 'web']);
});
