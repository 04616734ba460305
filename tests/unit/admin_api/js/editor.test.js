// Unit tests for admin_api/static/editor-state.js, run by `node --test` from
// tests/unit/channels/test_static_assets.py. They read the real schemas/flow.schema.json; the
// documents are small JS mirrors of flows/reception.flow.yaml (node has no YAML parser).
'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');

const ADMIN =
  process.env.CHATFLOW_ADMIN_STATIC || path.join(__dirname, '../../../../admin_api/static');
const SCHEMA_FILE =
  process.env.CHATFLOW_FLOW_SCHEMA || path.join(__dirname, '../../../../schemas/flow.schema.json');
const E = require(path.join(ADMIN, 'editor-state.js'));
const schema = JSON.parse(fs.readFileSync(SCHEMA_FILE, 'utf8'));

/** The reception flow's graph, cut down: welcome -> menu -> transfers / a condition -> goodbye. */
const reception = () => ({
  id: 'reception',
  name: '在线会话接待',
  start: 'welcome',
  vars: { phone: '', level: '' },
  settings: { timezone: 'Asia/Shanghai', idle_timeout: 300 },
  interrupts: [{ keywords: ['转人工', 'human'], goto: 'to_agent' }],
  nodes: {
    welcome: {
      type: 'message',
      label: '欢迎语',
      text: '您好，欢迎咨询{{ sys.channel_name }}！',
      next: 'menu',
    },
    menu: {
      type: 'menu',
      label: '服务分支',
      prompt: '请选择您需要的服务（回复数字或点击选项）：',
      options: [
        { label: '售前咨询', keywords: ['售前', '购买'], next: 'to_presales' },
        { label: '人工客服', keywords: ['人工'], next: 'check' },
      ],
      max_attempts: 3,
      on_fail: 'to_agent',
    },
    to_presales: {
      type: 'transfer',
      label: '转售前',
      group: 'presales',
      on_no_agents: 'goodbye',
      next: 'goodbye',
    },
    to_agent: {
      type: 'transfer',
      label: '转人工',
      group: 'presales',
      timeout: 600,
      on_timeout: 'goodbye',
      next: 'goodbye',
    },
    check: {
      type: 'condition',
      branches: [{ when: 'vars.level == "vip"', next: 'to_agent' }],
      default: 'to_presales',
    },
    goodbye: { type: 'end', label: '结束', message: '感谢您的咨询，再见！' },
  },
});

function deepFreeze(value) {
  if (value && typeof value === 'object') {
    for (const key of Object.keys(value)) deepFreeze(value[key]);
    Object.freeze(value);
  }
  return value;
}

const byName = (list) => Object.fromEntries(list.map((f) => [f.name, f]));
const refsOf = (doc) => E.edges(schema, doc).map((e) => `${e.from}.${e.path.join('.')}->${e.to}`);

test('the eleven node types, in the order of the schema union', () => {
  const types = E.nodeTypes(schema);
  assert.deepEqual(
    types.map((t) => t.type),
    ['message', 'business_hours', 'menu', 'form', 'http', 'condition', 'set', 'bot', 'transfer',
      'survey', 'end'],
  );
  for (const t of types) assert.ok(t.title && t.description, `${t.type}: title and description`);
});

test('the fields that name a node are exactly the x-node-ref ones, in every type', () => {
  const refs = [];
  for (const { type } of E.nodeTypes(schema)) {
    for (const f of E.fields(schema, type)) {
      if (f.kind === 'ref') refs.push(`${type}.${f.name}`);
      for (const g of f.item || []) {
        if (g.kind === 'ref') refs.push(`${type}.${f.name}[].${g.name}`);
      }
    }
  }
  assert.deepEqual(refs.sort(), [
    'bot.exit', 'bot.fallback', 'business_hours.closed', 'business_hours.open',
    'condition.branches[].next', 'condition.default', 'form.next', 'form.on_fail',
    'form.on_timeout', 'http.next', 'http.on_error', 'menu.on_fail', 'menu.options[].next',
    'message.next', 'set.next', 'survey.next', 'transfer.next', 'transfer.on_no_agents',
    'transfer.on_timeout',
  ]);
  const flow = byName(E.flowFields(schema));
  assert.equal(flow.start.kind, 'ref');
  assert.equal(flow.start.required, true);
  assert.deepEqual(
    flow.interrupts.item.map((f) => [f.name, f.kind, f.required]),
    [['keywords', 'strings', true], ['goto', 'ref', true]],
  );
  assert.equal(flow.nodes, undefined);
  // An output mapping's `default` is a value, not a node.
  assert.equal(byName(byName(E.fields(schema, 'http')).outputs.value.item).default.kind, 'json');
});

test('menu fields: label first, options a list whose items name the next node', () => {
  const list = E.fields(schema, 'menu');
  assert.deepEqual(list.map((f) => f.name), [
    'label', 'prompt', 'options', 'invalid_message', 'max_attempts', 'on_fail',
  ]);
  const f = byName(list);
  assert.deepEqual([f.label.kind, f.label.required, f.label.default], ['text', false, null]);
  assert.deepEqual([f.prompt.kind, f.prompt.required], ['text', true]);
  assert.deepEqual([f.options.kind, f.options.required, f.options.minItems], ['list', true, 1]);
  assert.deepEqual(
    f.options.item.map((g) => [g.name, g.kind, g.required]),
    [['label', 'text', true], ['keywords', 'strings', false], ['next', 'ref', true]],
  );
  assert.deepEqual([f.max_attempts.kind, f.max_attempts.minimum, f.max_attempts.default], [
    'integer', 1, 3,
  ]);
  assert.deepEqual([f.on_fail.kind, f.on_fail.required], ['ref', false]);
  assert.ok(list.every((g) => typeof g.description === 'string' && g.description), 'described');
});

test('condition, business_hours, http, message and transfer fields, as the schema has them', () => {
  const condition = byName(E.fields(schema, 'condition'));
  assert.deepEqual(
    condition.branches.item.map((g) => [g.name, g.kind, g.required]),
    [['when', 'text', true], ['next', 'ref', true]],
  );
  assert.deepEqual([condition.default.kind, condition.default.required], ['ref', true]);

  const hours = byName(E.fields(schema, 'business_hours'));
  const range = byName(hours.schedule.item);
  assert.equal(hours.schedule.kind, 'list');
  assert.equal(range.days.kind, 'enums');
  assert.deepEqual(range.days.enum, ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun']);
  assert.deepEqual([range.from.kind, range.to.kind], ['text', 'text']);
  assert.equal(hours.holidays.kind, 'strings');
  assert.deepEqual([hours.open.kind, hours.closed.kind], ['ref', 'ref']);

  const http = byName(E.fields(schema, 'http'));
  assert.deepEqual([http.method.kind, http.method.default], ['enum', 'POST']);
  assert.deepEqual(http.method.enum, ['GET', 'POST', 'PUT', 'PATCH', 'DELETE']);
  assert.deepEqual([http.headers.kind, http.headers.value.kind, http.headers.value.name], [
    'map', 'text', '',
  ]);
  assert.deepEqual([http.body.kind, http.body.required, http.body.value.kind], [
    'map', false, 'json',
  ]);
  assert.deepEqual([http.timeout.kind, http.timeout.maximum], ['number', 60]);
  assert.equal(http.outputs.kind, 'map');
  assert.equal(http.outputs.value.kind, 'object');
  assert.deepEqual(
    http.outputs.value.item.map((g) => [g.name, g.kind, g.required]),
    [['path', 'text', true], ['default', 'json', false]],
  );

  // `text` is an optional string and `texts` / `random` optional lists of strings.
  const message = byName(E.fields(schema, 'message'));
  assert.deepEqual([message.text.kind, message.text.required], ['text', false]);
  assert.deepEqual([message.texts.kind, message.texts.minItems], ['strings', 1]);
  assert.equal(message.random.kind, 'strings');
  assert.deepEqual([message.next.kind, message.next.required], ['ref', true]);

  const transfer = byName(E.fields(schema, 'transfer'));
  assert.deepEqual([transfer.group.kind, transfer.group.required], ['text', true]);
  assert.deepEqual(
    [transfer.priority.kind, transfer.priority.minimum, transfer.priority.maximum],
    ['integer', 0, 100],
  );
  assert.match(transfer.queue_message.default, /sys\.wait_no/);
  assert.deepEqual([transfer.next.kind, transfer.next.required], ['ref', false]);
  assert.deepEqual(E.fields(schema, 'no_such_type'), []);
});

test("a field's key says where it is in the schema, for the page's own help texts", () => {
  const menu = byName(E.fields(schema, 'menu'));
  assert.equal(menu.prompt.key, 'menu.prompt');
  assert.equal(byName(menu.options.item).label.key, 'menu.options.label');
  const http = byName(E.fields(schema, 'http'));
  assert.equal(byName(http.outputs.value.item).path.key, 'http.outputs.path');
  const flow = byName(E.flowFields(schema));
  assert.equal(flow.start.key, 'flow.start');
  assert.equal(byName(flow.settings.item).timezone.key, 'flow.settings.timezone');
  assert.equal(byName(flow.interrupts.item).goto.key, 'flow.interrupts.goto');
});

test('flow fields: settings is an object of its own fields, vars a map', () => {
  const flow = byName(E.flowFields(schema));
  assert.deepEqual(Object.keys(flow), [
    'id', 'name', 'description', 'start', 'vars', 'settings', 'interrupts',
  ]);
  assert.equal(flow.id.pattern, '^[a-z0-9_-]+$');
  assert.equal(flow.name.required, false);
  assert.equal(flow.vars.kind, 'map');
  assert.equal(flow.settings.kind, 'object');
  assert.equal(flow.settings.description, 'Flow-wide settings.');
  const settings = byName(flow.settings.item);
  assert.deepEqual([settings.idle_timeout.kind, settings.idle_timeout.minimum], ['number', 0]);
  assert.deepEqual([settings.agent_idle_timeout.kind, settings.agent_idle_timeout.required], [
    'number', false,
  ]);
});

test('ports: a new menu has its starter option, unconnected; filled ones are labelled', () => {
  const { doc, id } = E.addNode(schema, { nodes: {} }, 'menu', { x: 0, y: 0 });
  assert.deepEqual(E.ports(schema, doc, id), [
    { path: ['options', 0, 'next'], label: '1.', target: null },
    { path: ['on_fail'], label: 'on_fail', target: null },
  ]);

  const flow = reception();
  assert.deepEqual(E.ports(schema, flow, 'menu'), [
    { path: ['options', 0, 'next'], label: '1. 售前咨询', target: 'to_presales' },
    { path: ['options', 1, 'next'], label: '2. 人工客服', target: 'check' },
    { path: ['on_fail'], label: 'on_fail', target: 'to_agent' },
  ]);
  assert.deepEqual(E.ports(schema, flow, 'check'), [
    { path: ['branches', 0, 'next'], label: '1. vars.level == "vip"', target: 'to_agent' },
    { path: ['default'], label: 'default', target: 'to_presales' },
  ]);
  assert.deepEqual(
    E.ports(schema, flow, 'to_presales').map((p) => [p.label, p.target]),
    [['on_timeout', null], ['on_no_agents', 'goodbye'], ['next', 'goodbye']],
  );
  assert.deepEqual(E.ports(schema, flow, 'goodbye'), []);
  assert.deepEqual(E.ports(schema, flow, 'nowhere'), []);
});

test('ports: an item with two node fields names each', () => {
  const twoRefs = JSON.parse(JSON.stringify(schema));
  twoRefs.definitions.Branch.properties.otherwise = twoRefs.definitions.Branch.properties.next;
  const flow = reception();
  flow.nodes.check.branches[0].otherwise = 'goodbye';
  assert.deepEqual(E.ports(twoRefs, flow, 'check').map((p) => [p.label, p.target]), [
    ['1. vars.level == "vip" next', 'to_agent'],
    ['1. vars.level == "vip" otherwise', 'goodbye'],
    ['default', 'to_presales'],
  ]);
});

test('edges follow doc order and mark targets that are not nodes', () => {
  const flow = reception();
  flow.nodes.menu.options[0].next = 'nowhere';
  flow.nodes.check.default = 'constructor';
  const edges = E.edges(schema, flow);
  assert.deepEqual(refsOf(flow), [
    'welcome.next->menu',
    'menu.options.0.next->nowhere',
    'menu.options.1.next->check',
    'menu.on_fail->to_agent',
    'to_presales.on_no_agents->goodbye',
    'to_presales.next->goodbye',
    'to_agent.on_timeout->goodbye',
    'to_agent.next->goodbye',
    'check.branches.0.next->to_agent',
    'check.default->constructor',
  ]);
  assert.deepEqual(
    edges.filter((e) => e.dangling).map((e) => e.to),
    ['nowhere', 'constructor'],
  );
  assert.equal(edges[1].label, '1. 售前咨询');
});

test('layout: kept positions, the rest in layers by depth from start, never on one spot', () => {
  const flow = reception();
  flow.nodes.orphan = { type: 'end' };
  flow.nodes.goodbye.position = { x: 600.4, y: 39.6 };
  const at = E.layout(schema, flow);
  assert.deepEqual(at, {
    welcome: { x: 40, y: 40 },
    menu: { x: 320, y: 40 },
    // depth 2, doc order, below the positioned goodbye that holds the first row of the column;
    // a transfer's box (label, preview, three exits) takes 180 px, more than the 150 minimum
    to_presales: { x: 600, y: 190 },
    to_agent: { x: 600, y: 370 },
    check: { x: 600, y: 550 },
    goodbye: { x: 600, y: 40 },
    orphan: { x: 1160, y: 40 }, // not reached: a layer after the deepest (goodbye, depth 3)
  });
  assert.deepEqual(E.layout(schema, flow), at, 'deterministic');
  assert.deepEqual(Object.keys(at), Object.keys(flow.nodes), 'in doc order');
  const spots = Object.values(at).map((p) => `${p.x},${p.y}`);
  assert.equal(new Set(spots).size, spots.length);

  const wide = E.layout(schema, reception(), { dx: 100, dy: 50 });
  assert.deepEqual(wide.goodbye, { x: 340, y: 40 });
  assert.deepEqual(wide.check, { x: 240, y: 400 }); // dy is a minimum: the boxes are taller

  const lost = reception();
  lost.start = 'nowhere';
  const all = E.layout(schema, lost);
  assert.ok(Object.values(all).every((p) => p.x === 40), 'nothing reached: one column');
  // welcome (one exit) and check (two) take the minimum 150; menu and the transfers 180
  assert.deepEqual(Object.values(all).map((p) => p.y), [40, 190, 370, 550, 730, 880]);
});

test('addNode: the smallest free id, the position rounded, the required fields filled', () => {
  let doc = { id: 'f', start: '', nodes: {} };
  const first = E.addNode(schema, doc, 'menu', { x: 10.6, y: 20.2 });
  assert.equal(first.id, 'menu_1');
  assert.deepEqual(first.doc.nodes.menu_1, {
    type: 'menu',
    position: { x: 11, y: 20 },
    prompt: '',
    options: [{ label: '', next: '' }],
  });
  assert.deepEqual(Object.keys(first.doc.nodes.menu_1), ['type', 'position', 'prompt', 'options']);
  const second = E.addNode(schema, first.doc, 'menu', { x: 0, y: 0 });
  assert.equal(second.id, 'menu_2');
  doc = E.removeNode(schema, second.doc, 'menu_1');
  assert.equal(E.addNode(schema, doc, 'menu', { x: 0, y: 0 }).id, 'menu_1');

  const hours = E.addNode(schema, doc, 'business_hours', { x: 0, y: 0 });
  assert.equal(hours.id, 'business_hours_1');
  assert.deepEqual(hours.doc.nodes.business_hours_1.schedule, [
    { days: ['mon'], from: '', to: '' },
  ]);
  assert.deepEqual(
    E.addNode(schema, doc, 'bot', { x: 0, y: 0 }).doc.nodes.bot_1.rules,
    [{ keywords: [''], replies: [''] }],
  );

  for (const { type } of E.nodeTypes(schema)) {
    const { doc: out, id } = E.addNode(schema, doc, type, { x: 0, y: 0 });
    const definition = schema.properties.nodes.additionalProperties.oneOf
      .map((d) => schema.definitions[d.$ref.split('/').pop()])
      .find((d) => d.properties.type.const === type);
    const keys = Object.keys(out.nodes[id]);
    for (const key of definition.required) assert.ok(keys.includes(key), `${type}.${key}`);
    for (const key of keys) assert.ok(key in definition.properties, `${type}.${key} is known`);
  }
  assert.throws(() => E.addNode(schema, doc, 'mesage', { x: 0, y: 0 }), /types: message, /);
});

test('removeNode clears what pointed at it: optional keys go, required ones become empty', () => {
  const flow = reception();
  let doc = E.removeNode(schema, flow, 'to_agent');
  assert.equal(doc.nodes.to_agent, undefined);
  assert.equal('on_fail' in doc.nodes.menu, false);
  assert.equal(doc.nodes.check.branches[0].next, '');
  assert.equal(doc.interrupts[0].goto, '');
  assert.deepEqual(Object.keys(doc.nodes), ['welcome', 'menu', 'to_presales', 'check', 'goodbye']);

  doc = E.removeNode(schema, flow, 'goodbye');
  assert.deepEqual(doc.nodes.to_presales, {
    type: 'transfer',
    label: '转售前',
    group: 'presales',
  });

  doc = E.removeNode(schema, flow, 'welcome');
  assert.equal(doc.start, '');
  doc = E.removeNode(schema, flow, 'menu');
  assert.equal(doc.nodes.welcome.next, '', 'a required next is kept, empty');
  assert.deepEqual(E.removeNode(schema, flow, 'nowhere'), flow);
});

test('renameNode rewrites every reference and keeps the key in its place', () => {
  const flow = reception();
  let { doc, error } = E.renameNode(schema, flow, 'to_agent', 'human-agent_2');
  assert.equal(error, null);
  assert.deepEqual(Object.keys(doc.nodes), [
    'welcome', 'menu', 'to_presales', 'human-agent_2', 'check', 'goodbye',
  ]);
  assert.deepEqual(doc.nodes['human-agent_2'], flow.nodes.to_agent);
  assert.equal(doc.nodes.menu.on_fail, 'human-agent_2');
  assert.equal(doc.nodes.check.branches[0].next, 'human-agent_2');
  assert.equal(doc.interrupts[0].goto, 'human-agent_2');
  assert.ok(!refsOf(doc).some((r) => r.endsWith('->to_agent')));
  assert.equal(refsOf(doc).length, refsOf(flow).length);

  ({ doc, error } = E.renameNode(schema, flow, 'welcome', '1st'));
  assert.equal(error, null);
  assert.equal(doc.start, '1st');
  assert.deepEqual(Object.keys(doc), Object.keys(flow), 'the flow keys keep their order too');

  for (const [from, to, why] of [
    ['menu', 'bad id', 'invalid'],
    ['menu', '-menu', 'invalid'],
    ['menu', '', 'invalid'],
    ['menu', 'check', 'taken'],
    ['nowhere', 'somewhere', 'missing'],
  ]) {
    const out = E.renameNode(schema, flow, from, to);
    assert.equal(out.error, why, `${from} -> ${to}`);
    assert.equal(out.doc, flow);
  }
  assert.equal(E.renameNode(schema, flow, 'menu', 'menu').error, null);
});

test('validId follows the schema pattern of node ids', () => {
  assert.ok(E.validId(schema, 'to_agent'));
  assert.ok(E.validId(schema, 'a-b_1'));
  assert.ok(E.validId(schema, '1st'));
  assert.ok(!E.validId(schema, '-a'));
  assert.ok(!E.validId(schema, 'a b'));
  assert.ok(!E.validId(schema, '售前'));
  assert.ok(!E.validId(schema, undefined));
});

test('validFlowId follows the schema pattern of flow ids, stricter than node ids', () => {
  assert.ok(E.validFlowId(schema, 'spring_sale'));
  assert.ok(E.validFlowId(schema, '2024-promo'));
  assert.ok(!E.validFlowId(schema, 'SpringSale'), 'lowercase only');
  assert.ok(!E.validFlowId(schema, 'a b'));
  assert.ok(!E.validFlowId(schema, ''));
  assert.ok(!E.validFlowId(schema, undefined));
});

test('connect sets a port; disconnecting deletes an optional key and blanks a required one', () => {
  const flow = reception();
  let doc = E.connect(schema, flow, 'menu', ['options', 1, 'next'], 'goodbye');
  assert.equal(doc.nodes.menu.options[1].next, 'goodbye');
  doc = E.connect(schema, doc, 'menu', ['options', 0, 'next'], null);
  assert.deepEqual(doc.nodes.menu.options[0], { label: '售前咨询', keywords: ['售前', '购买'], next: '' });
  doc = E.connect(schema, doc, 'menu', ['on_fail'], '');
  assert.equal('on_fail' in doc.nodes.menu, false);
  doc = E.connect(schema, doc, 'welcome', ['next'], null);
  assert.equal(doc.nodes.welcome.next, '');

  // A new key goes where the schema puts it: on_timeout before on_no_agents.
  doc = E.connect(schema, flow, 'to_presales', ['on_timeout'], 'goodbye');
  assert.deepEqual(Object.keys(doc.nodes.to_presales), [
    'type', 'label', 'group', 'on_timeout', 'on_no_agents', 'next',
  ]);
  assert.ok(refsOf(doc).includes('to_presales.on_timeout->goodbye'));
});

test('move sets a rounded position, after the label', () => {
  const doc = E.move(reception(), 'menu', 100.5, -20.4);
  assert.deepEqual(doc.nodes.menu.position, { x: 101, y: -20 });
  assert.deepEqual(Object.keys(doc.nodes.menu).slice(0, 4), [
    'type', 'label', 'position', 'prompt',
  ]);
  assert.deepEqual(E.move(doc, 'menu', 5, 6).nodes.menu.position, { x: 5, y: 6 });
  assert.deepEqual(E.layout(schema, doc).menu, { x: 101, y: -20 });
});

test('setField and setFlowField: empty optional fields go, required ones stay', () => {
  const flow = reception();
  let doc = E.setField(schema, flow, 'menu', ['label'], '');
  assert.equal('label' in doc.nodes.menu, false);
  doc = E.setField(schema, doc, 'menu', ['label'], '菜单');
  assert.deepEqual(Object.keys(doc.nodes.menu).slice(0, 2), ['type', 'label']);
  doc = E.setField(schema, doc, 'menu', ['max_attempts'], null);
  assert.equal('max_attempts' in doc.nodes.menu, false);
  doc = E.setField(schema, doc, 'menu', ['prompt'], undefined);
  assert.equal(doc.nodes.menu.prompt, '');
  doc = E.setField(schema, doc, 'menu', ['options', 1, 'keywords'], []);
  assert.deepEqual(doc.nodes.menu.options[1].keywords, []);
  doc = E.setField(schema, doc, 'menu', ['options', 1, 'keywords'], null);
  assert.deepEqual(doc.nodes.menu.options[1], { label: '人工客服', next: 'check' });
  doc = E.setField(schema, doc, 'menu', ['options', 2, 'label'], '售后服务');
  assert.deepEqual(doc.nodes.menu.options[2], { label: '售后服务' });
  doc = E.setField(schema, doc, 'menu', ['options', 0], undefined);
  assert.deepEqual(doc.nodes.menu.options.map((o) => o.label), ['人工客服', '售后服务']);

  const http = E.addNode(schema, doc, 'http', { x: 0, y: 0 });
  doc = E.setField(schema, http.doc, http.id, ['headers', 'X-Token'], '{{ vars.token }}');
  doc = E.setField(schema, doc, http.id, ['outputs', 'level', 'path'], 'data.level');
  assert.deepEqual(doc.nodes.http_1.headers, { 'X-Token': '{{ vars.token }}' });
  assert.deepEqual(doc.nodes.http_1.outputs, { level: { path: 'data.level' } });
  assert.deepEqual(Object.keys(doc.nodes.http_1), [
    'type', 'position', 'url', 'headers', 'outputs', 'next',
  ]);
  doc = E.setField(schema, doc, http.id, ['headers', 'X-Token'], undefined);
  assert.deepEqual(doc.nodes.http_1.headers, {});

  doc = E.setFlowField(schema, flow, ['name'], '');
  assert.equal('name' in doc, false);
  doc = E.setFlowField(schema, doc, ['start'], null);
  assert.equal(doc.start, '');
  doc = E.setFlowField(schema, doc, ['settings', 'idle_timeout'], null);
  assert.deepEqual(doc.settings, { timezone: 'Asia/Shanghai' });
  doc = E.setFlowField(schema, doc, ['description'], '接待');
  assert.deepEqual(Object.keys(doc).slice(0, 3), ['id', 'description', 'start']);
  doc = E.setFlowField(schema, doc, ['interrupts', 0, 'goto'], 'menu');
  assert.deepEqual(doc.interrupts, [{ keywords: ['转人工', 'human'], goto: 'menu' }]);
});

test('no mutation changes its input', () => {
  const flow = deepFreeze(reception());
  const before = JSON.stringify(flow);
  const runs = [
    () => E.addNode(schema, flow, 'menu', { x: 1, y: 2 }),
    () => E.removeNode(schema, flow, 'to_agent'),
    () => E.removeNode(schema, flow, 'welcome'),
    () => E.renameNode(schema, flow, 'to_agent', 'human'),
    () => E.connect(schema, flow, 'menu', ['options', 0, 'next'], 'goodbye'),
    () => E.connect(schema, flow, 'menu', ['on_fail'], null),
    () => E.move(flow, 'menu', 1, 2),
    () => E.setField(schema, flow, 'menu', ['options', 3, 'keywords', 0], 'x'),
    () => E.setField(schema, flow, 'menu', ['label'], ''),
    () => E.setFlowField(schema, flow, ['settings', 'idle_timeout'], 5),
    () => E.setFlowField(schema, flow, ['interrupts', 0], undefined),
    () => E.layout(schema, flow),
  ];
  for (const run of runs) run();
  assert.equal(JSON.stringify(flow), before);
  const out = E.setField(schema, flow, 'menu', ['prompt'], 'p');
  assert.notEqual(out.nodes.welcome, flow.nodes.welcome, 'a deep copy, not shared parts');
});

test('issuesByNode: by the node in the path, the rest to the flow', () => {
  const issue = (p) => ({ line: 1, column: 1, message: p, path: p, code: 'x' });
  const issues = [
    '$.nodes.to-agent_2.next',
    '$.nodes.menu.options[0].next',
    '$.nodes.menu',
    '$.nodes.menu_2',
    "$.nodes['1st'].next",
    '$.nodes',
    '$.start',
    '$.interrupts[0].goto',
    '$',
  ].map(issue);
  const out = E.issuesByNode(issues);
  const paths = (list) => list.map((i) => i.path);
  assert.deepEqual(
    Object.fromEntries(Object.entries(out.nodes).map(([id, list]) => [id, paths(list)])),
    {
      'to-agent_2': ['$.nodes.to-agent_2.next'],
      menu: ['$.nodes.menu.options[0].next', '$.nodes.menu'],
      menu_2: ['$.nodes.menu_2'],
      '1st': ["$.nodes['1st'].next"],
    },
  );
  assert.deepEqual(paths(out.flow), ['$.nodes', '$.start', '$.interrupts[0].goto', '$']);
  assert.equal(out.nodes.menu[0], issues[1], 'the issues themselves');
  // the issue list names the same node as the boxes do, one issue at a time
  assert.deepEqual(issues.map(E.issueNode), [
    'to-agent_2',
    'menu',
    'menu',
    'menu_2',
    '1st',
    null,
    null,
    null,
    null,
  ]);
});

test('summary: the first telling field, on one line, at most 60 characters', () => {
  const flow = reception();
  const nodes = flow.nodes;
  assert.equal(E.summary(flow, 'welcome'), '您好，欢迎咨询{{ sys.channel_name }}！');
  assert.equal(E.summary(flow, 'menu'), '请选择您需要的服务（回复数字或点击选项）：');
  assert.equal(E.summary(flow, 'to_presales'), '→ presales');
  assert.equal(E.summary(flow, 'goodbye'), '感谢您的咨询，再见！');
  assert.equal(E.summary(flow, 'check'), '1 branches');
  nodes.welcome = { type: 'message', text: ['第一句', '第二句'], next: 'menu' };
  assert.equal(E.summary(flow, 'welcome'), '第一句');
  nodes.welcome = { type: 'message', text: '', texts: ['一\n二\r\n三'], next: 'menu' };
  assert.equal(E.summary(flow, 'welcome'), '一 二 三');
  nodes.welcome = { type: 'message', random: ['随机'], next: 'menu' };
  assert.equal(E.summary(flow, 'welcome'), '随机');
  nodes.s = { type: 'set', vars: { level: 'vip', phone: '' }, next: 'menu' };
  assert.equal(E.summary(flow, 's'), 'level, phone');
  const rule = { keywords: ['你好'], replies: ['您好！'] };
  nodes.b = { type: 'bot', rules: [rule, rule] };
  assert.equal(E.summary(flow, 'b'), '2 rules');
  nodes.h = { type: 'http', url: 'https://api.example.com/x', next: 'menu' };
  assert.equal(E.summary(flow, 'h'), 'https://api.example.com/x');
  nodes.e = { type: 'end' };
  assert.equal(E.summary(flow, 'e'), '');
  assert.equal(E.summary(flow, 'nowhere'), '');

  const long = '您'.repeat(59) + '好呀';
  nodes.e.message = long;
  assert.equal(E.summary(flow, 'e'), '您'.repeat(59) + '…');
  assert.equal(Array.from(E.summary(flow, 'e')).length, 60);
  nodes.e.message = '您'.repeat(60);
  assert.equal(E.summary(flow, 'e'), '您'.repeat(60), 'exactly 60 is kept whole');
});

test('history: undo, redo, a new change drops the redo branch, at most limit steps', () => {
  const a = { n: 1 };
  const b = { n: 2 };
  const c = { n: 3 };
  const h = E.createHistory(a);
  assert.equal(h.current(), a);
  assert.deepEqual([h.canUndo(), h.canRedo()], [false, false]);
  assert.equal(h.undo(), a, 'nothing to undo');
  h.push(b);
  h.push(c);
  assert.equal(h.undo(), b);
  assert.equal(h.undo(), a);
  assert.deepEqual([h.canUndo(), h.canRedo()], [false, true]);
  assert.equal(h.redo(), b);
  const d = { n: 4 };
  h.push(d);
  assert.equal(h.canRedo(), false, 'c is gone');
  assert.equal(h.redo(), d);
  assert.equal(h.undo(), b);
  h.push({ n: 2 });
  assert.equal(h.canRedo(), true, 'an unchanged document is no new step');

  const small = E.createHistory({ n: 0 }, 3);
  for (let n = 1; n <= 10; n++) small.push({ n });
  let steps = 0;
  while (small.canUndo()) {
    small.undo();
    steps++;
  }
  assert.equal(steps, 3);
  assert.deepEqual(small.current(), { n: 7 });
});
