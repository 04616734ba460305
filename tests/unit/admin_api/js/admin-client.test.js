// Unit tests for the staff pages' REST client (admin_api/static/admin-client.js): every call
// asks for the page's language (Accept-Language), so the API words its errors like the page,
// also when ?lang= chose a language the browser does not prefer. Run by `node --test` from
// tests/unit/channels/test_static_assets.py.
'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');

const ADMIN =
  process.env.CHATFLOW_ADMIN_STATIC || path.join(__dirname, '../../../../admin_api/static');
const STATIC = process.env.CHATFLOW_STATIC || path.join(__dirname, '../../../../channels/static');
const module_ = require(path.join(ADMIN, 'admin-client.js'));
const admin = module_.ChatflowAdmin;
module_.ChatflowI18n = require(path.join(STATIC, 'i18n.js')); // what the page loads before it

/** A fetch that answers a problem and keeps the headers of each call. */
function recordingFetch() {
  const calls = [];
  const fetch = async (url, init) => {
    calls.push({ url, headers: init.headers });
    const body = JSON.stringify({ type: 'urn:chatflow:conflict', status: 409, detail: '分组已存在' });
    return new Response(body, {
      status: 409,
      headers: { 'Content-Type': 'application/problem+json' },
    });
  };
  return { calls, fetch };
}

test('a client sends its language with every call and reads the detail as the message', async () => {
  const { calls, fetch } = recordingFetch();
  global.fetch = fetch;
  const client = admin.createClient({ basePath: '/', language: 'zh-CN', offline: () => 'x' });
  const result = await client.api('POST', 'api/v1/admin/groups', { id: 'presales' });
  assert.equal(calls[0].headers['Accept-Language'], 'zh-CN');
  assert.equal(result.message, '分组已存在');
  assert.equal(result.code, 'conflict');
  const bare = admin.createClient({ basePath: '/', offline: () => 'x' });
  await bare.api('GET', 'api/v1/agents/me');
  assert.equal('Accept-Language' in calls[1].headers, false, 'no language: the browser default');
});

test("a page asks in the language it shows, also one that ?lang= chose", async () => {
  for (const [search, browser, expected] of [
    ['?lang=en', ['zh-CN'], 'en'],
    ['?lang=zh-TW', ['en-US'], 'zh-CN'],
    ['', ['en-GB', 'zh-CN'], 'en'],
    ['', ['fr'], 'zh-CN'],
  ]) {
    const { calls, fetch } = recordingFetch();
    global.fetch = fetch;
    global.location = { search, pathname: '/console' };
    global.navigator = { languages: browser, language: browser[0] };
    const page = admin.page({
      path: 'console',
      prefix: 'cs',
      messages: {},
      tokenKey: 'test.token',
      offline: 'offline',
      onExpired: () => {},
    });
    assert.equal(page.lang, expected, search || browser.join());
    await page.client.api('GET', 'api/v1/agents/me');
    assert.equal(calls[0].headers['Accept-Language'], expected);
  }
});
