/* chatflow flow editor: the flow document and what the page draws of it, with no DOM and no I/O.
 * Everything is read from the flow's JSON Schema (schemas/flow.schema.json): the node types, their
 * fields, and which fields name another node (`x-node-ref`), so a new node type or field needs no
 * change here. Every mutation returns a new document and leaves its input alone, which is what the
 * undo history keeps. editor.js draws what this computes; the tests call it directly.
 * Exposed as window.EditorState. */
(function (root, factory) {
  'use strict';
  const api = factory();
  if (typeof module === 'object' && module.exports) module.exports = api;
  else root.EditorState = api;
})(typeof self !== 'undefined' ? self : this, function () {
  'use strict';

  const has = (obj, key) =>
    obj !== null && typeof obj === 'object' && Object.prototype.hasOwnProperty.call(obj, key);
  /** obj[key] when it is obj's own: a node named `constructor` is not Object's. */
  const own = (obj, key) => (has(obj, key) ? obj[key] : undefined);
  const isObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);
  const STRINGY = new Set(['text', 'ref', 'enum']);

  /** A plain-data key write that a key named `__proto__` cannot turn into a prototype change. */
  function put(obj, key, value) {
    const property = { value, enumerable: true, writable: true, configurable: true };
    Object.defineProperty(obj, key, property);
  }

  function clone(value) {
    if (Array.isArray(value)) return value.map(clone);
    if (!isObject(value)) return value;
    const out = {};
    for (const key of Object.keys(value)) put(out, key, clone(value[key]));
    return out;
  }

  /** A copy of obj with key set to value: in place when present, else before the first key that
   * comes after it in `order` (the schema's property order; unknown keys count as after), else at
   * the end. */
  function withKey(obj, key, value, order) {
    const out = {};
    const rank = order ? order.indexOf(key) : -1;
    const later = (k) => order.indexOf(k) > rank || !order.includes(k);
    let placed = has(obj, key);
    for (const k of Object.keys(obj)) {
      if (!placed && rank >= 0 && later(k)) {
        put(out, key, value);
        placed = true;
      }
      put(out, k, k === key ? value : obj[k]);
    }
    if (!placed) put(out, key, value);
    return out;
  }

  function withoutKey(obj, key) {
    const out = {};
    for (const k of Object.keys(obj)) if (k !== key) put(out, k, obj[k]);
    return out;
  }

  // ---- schema reading ----

  /** `$ref` (a `#/...` pointer) and a one-item `allOf` followed; the outer annotations win. */
  function resolve(schema, s) {
    for (let depth = 0; isObject(s) && depth < 32; depth++) {
      let inner = null;
      if (typeof s.$ref === 'string' && s.$ref.startsWith('#/')) {
        inner = s.$ref
          .slice(2)
          .split('/')
          .reduce((at, part) => own(at, part.replace(/~1/g, '/').replace(/~0/g, '~')), schema);
      } else if (Array.isArray(s.allOf) && s.allOf.length === 1) inner = s.allOf[0];
      if (!isObject(inner)) return s;
      const outer = withoutKey(withoutKey(s, '$ref'), 'allOf');
      s = Object.assign({}, inner, outer);
    }
    return s;
  }

  function branches(s) {
    return (Array.isArray(s.anyOf) && s.anyOf) || (Array.isArray(s.oneOf) && s.oneOf) || [];
  }

  function isNodeRef(schema, s) {
    const marked = (t) => t['x-node-ref'] === true;
    return marked(s) || branches(s).some((b) => marked(resolve(schema, b)));
  }

  /** A Field: `name`, `kind`, `required`, `description` (the schema's, English), `default`, what
   * its kind needs (`enum`, `item`, `value`, bounds) and `key`, where it is in the schema:
   * `<type>.<field>[.<field>...]` for a node type's field (`menu.options.label`), `flow.<field>...`
   * for the flow's own; a page keys its own help texts on it. */
  function makeField(schema, name, raw, required, key) {
    let s = resolve(schema, isObject(raw) ? raw : {});
    const ref = isNodeRef(schema, s);
    const options = branches(s);
    const others = options.filter((b) => resolve(schema, b).type !== 'null');
    let nullable = false;
    if (others.length === 1 && others.length < options.length) {
      const outer = withoutKey(withoutKey(s, 'anyOf'), 'oneOf');
      s = Object.assign({}, resolve(schema, others[0]), outer);
      nullable = true;
    }
    const field = {
      name,
      key,
      kind: 'json',
      required: required && !nullable,
      description: typeof s.description === 'string' ? s.description : '',
      default: s.default,
    };
    const extra = s.additionalProperties;
    let type = s.type;
    if (Array.isArray(type)) type = type.length === 1 ? type[0] : undefined;
    const number = (key) => {
      if (typeof s[key] === 'number') field[key] = s[key];
    };
    if (ref) field.kind = 'ref';
    else if (Array.isArray(s.enum) || has(s, 'const')) {
      field.kind = 'enum';
      field.enum = Array.isArray(s.enum) ? s.enum.slice() : [s.const];
    } else if (type === 'string') {
      field.kind = 'text';
      if (typeof s.pattern === 'string') field.pattern = s.pattern;
    } else if (type === 'integer' || type === 'number') {
      field.kind = type;
      number('minimum');
      number('maximum');
    } else if (type === 'boolean') field.kind = 'boolean';
    else if (type === 'array' && isObject(s.items)) {
      const item = resolve(schema, s.items);
      if (Array.isArray(item.enum)) {
        field.kind = 'enums';
        field.enum = item.enum.slice();
      } else if (item.type === 'string') field.kind = 'strings';
      else if (isObject(item.properties) && Object.keys(item.properties).length) {
        field.kind = 'list';
        field.item = objectFields(schema, item, [], key);
      }
      if (field.kind !== 'json') number('minItems');
    } else if (isObject(s.properties) && Object.keys(s.properties).length) {
      field.kind = 'object';
      field.item = objectFields(schema, s, [], key);
    } else if (type === 'object' && (extra === true || isObject(extra))) {
      field.kind = 'map';
      // a mapping's values: their fields are keyed under the mapping's (`http.outputs.path`)
      field.value = makeField(schema, '', isObject(extra) ? extra : {}, true, key);
    }
    return field;
  }

  function objectFields(schema, s, skip, prefix) {
    const required = Array.isArray(s.required) ? s.required : [];
    return Object.keys(isObject(s.properties) ? s.properties : {})
      .filter((name) => !skip.includes(name))
      .map((name) => {
        const key = `${prefix}.${name}`;
        return makeField(schema, name, s.properties[name], required.includes(name), key);
      });
  }

  function definitions(schema) {
    const nodes = own(own(schema, 'properties'), 'nodes');
    const union = own(own(nodes, 'additionalProperties'), 'oneOf');
    return (Array.isArray(union) ? union : [])
      .map((d) => resolve(schema, d))
      .filter((d) => typeof own(own(own(d, 'properties'), 'type'), 'const') === 'string');
  }

  /** The definition of a node type, or null: a document being edited may name no known type. */
  function definition(schema, type) {
    return definitions(schema).find((d) => d.properties.type.const === type) || null;
  }

  /** [{type, title, description}] in the schema's order. */
  function nodeTypes(schema) {
    return definitions(schema).map((d) => ({
      type: d.properties.type.const,
      title: typeof d.title === 'string' ? d.title : d.properties.type.const,
      description: typeof d.description === 'string' ? d.description : '',
    }));
  }

  /** Read fields by schema and type: reading them resolves the whole schema, and the canvas asks
   * several times a node per redraw (ports, edges, layout). A loaded schema never changes. */
  const fieldCache = new WeakMap();

  /** The fields of a node type, in schema order, without `type` and `position`; [] for an
   * unknown type (the server's validator says what is wrong with it). Shared: do not change. */
  function fields(schema, type) {
    if (!isObject(schema)) return [];
    if (!fieldCache.has(schema)) fieldCache.set(schema, new Map());
    const byType = fieldCache.get(schema);
    if (!byType.has(type)) {
      const found = definition(schema, type);
      byType.set(type, found ? objectFields(schema, found, ['type', 'position'], type) : []);
    }
    return byType.get(type);
  }

  /** The flow's top-level fields except `nodes` (keyed `flow.<name>`). */
  function flowFields(schema) {
    return objectFields(schema, schema, ['nodes'], 'flow');
  }

  const matches = (pattern, id) =>
    typeof id === 'string' && typeof pattern === 'string' && new RegExp(pattern).test(id);

  /** Whether `id` may name a node (the schema's pattern of node ids). */
  function validId(schema, id) {
    const nodes = own(own(schema, 'properties'), 'nodes');
    return matches(own(own(nodes, 'propertyNames'), 'pattern'), id);
  }

  /** Whether `id` may name a flow (the schema's pattern of the flow's `id`). */
  function validFlowId(schema, id) {
    return matches(own(own(own(schema, 'properties'), 'id'), 'pattern'), id);
  }

  // ---- the graph ----

  const nodesOf = (doc) => (isObject(own(doc, 'nodes')) ? doc.nodes : {});
  const targetOf = (v) => (typeof v === 'string' && v !== '' ? v : null);

  /** Every slot of node `id` that can name a node, filled or not: [{path, label, target}]. */
  function ports(schema, doc, id) {
    const node = own(nodesOf(doc), id);
    if (!isObject(node)) return [];
    const out = [];
    for (const f of fields(schema, node.type)) {
      const value = own(node, f.name);
      if (f.kind === 'ref') out.push({ path: [f.name], label: f.name, target: targetOf(value) });
      if (f.kind !== 'list') continue;
      const refs = f.item.filter((g) => g.kind === 'ref');
      const items = Array.isArray(value) ? value : [];
      if (!refs.length) continue;
      items.forEach((raw, i) => {
        const item = isObject(raw) ? raw : {};
        const name = own(item, 'label') ?? own(item, 'when') ?? '';
        for (const r of refs) {
          const label = `${i + 1}. ${name}`.trim() + (refs.length > 1 ? ` ${r.name}` : '');
          out.push({ path: [f.name, i, r.name], label, target: targetOf(own(item, r.name)) });
        }
      });
    }
    return out;
  }

  /** [{from, to, path, label, dangling}] for every filled port, nodes in doc order. */
  function edges(schema, doc) {
    const nodes = nodesOf(doc);
    const out = [];
    for (const from of Object.keys(nodes)) {
      for (const p of ports(schema, doc, from)) {
        if (p.target === null) continue;
        const dangling = !has(nodes, p.target);
        out.push({ from, to: p.target, path: p.path, label: p.label, dangling });
      }
    }
    return out;
  }

  /** {id: {x, y}} for every node: its own position, else a place by its depth from `start`. */
  /** About how tall the page draws a node's box, in stage pixels: a title, a label and a
   * preview line, and a row per exit. */
  function boxHeight(schema, doc, id) {
    const node = nodesOf(doc)[id];
    const lines = (isObject(node) && node.label ? 1 : 0) + (summary(doc, id) ? 1 : 0);
    return 36 + 22 * lines + 20 * ports(schema, doc, id).length + 10;
  }

  function layout(schema, doc, options) {
    const dx = (options && options.dx) ?? 280;
    const dy = (options && options.dy) ?? 150;
    const nodes = nodesOf(doc);
    const ids = Object.keys(nodes);
    const layer = new Map();
    const start = own(doc, 'start');
    if (has(nodes, start)) {
      const next = new Map(ids.map((id) => [id, []]));
      for (const e of edges(schema, doc)) if (!e.dangling) next.get(e.from).push(e.to);
      layer.set(start, 0);
      const queue = [start];
      for (let i = 0; i < queue.length; i++) {
        for (const to of next.get(queue[i])) {
          if (layer.has(to)) continue;
          layer.set(to, layer.get(queue[i]) + 1);
          queue.push(to);
        }
      }
    }
    const after = Math.max(-1, ...layer.values()) + 1;
    const at = new Map();
    const waiting = [];
    for (const id of ids) {
      const pos = own(nodes[id], 'position');
      if (isObject(pos) && Number.isFinite(pos.x) && Number.isFinite(pos.y)) {
        at.set(id, { x: Math.round(pos.x), y: Math.round(pos.y) });
      } else waiting.push(id);
    }
    // Each box takes its estimated height (more exits, a taller box), at least dy.
    const span = (id) => Math.max(dy, boxHeight(schema, doc, id) + 30);
    const placed = ids.filter((id) => at.has(id)).map((id) => ({ ...at.get(id), h: span(id) }));
    const depth = (id) => (layer.has(id) ? layer.get(id) : after);
    waiting.sort((a, b) => depth(a) - depth(b) || ids.indexOf(a) - ids.indexOf(b));
    for (const id of waiting) {
      const x = 40 + depth(id) * dx;
      const h = span(id);
      let y = 40;
      const blocks = (p) => Math.abs(p.x - x) < dx / 2 && p.y < y + h && y < p.y + p.h;
      for (let p = placed.find(blocks); p; p = placed.find(blocks)) y = p.y + p.h;
      at.set(id, { x, y });
      placed.push({ x, y, h });
    }
    const out = {};
    for (const id of ids) put(out, id, at.get(id));
    return out;
  }

  // ---- changes ----

  /** Walks `path` through the fields: the Field there (or null) and the key order of each object
   * passed on the way (orders[i] for the object the i-th key is looked up in). */
  function walk(rootOrder, rootFields, path) {
    let scope = rootFields;
    let field = null;
    let named = false;
    const orders = [rootOrder];
    for (let i = 0; i < path.length; i++) {
      const key = path[i];
      named = scope !== null;
      if (scope) field = scope.find((f) => f.name === key) || null;
      else if (field && typeof key === 'number' && field.kind === 'list')
        field = { name: '', kind: 'object', required: true, item: field.item };
      else if (field && field.kind === 'map') field = field.value;
      else field = null;
      scope = field && field.kind === 'object' ? field.item : null;
      orders.push(scope ? scope.map((f) => f.name) : null);
    }
    return { field, orders, named };
  }

  function setIn(container, path, value, orders, depth) {
    const key = path[depth];
    const last = depth === path.length - 1;
    if (Array.isArray(container) || (container === undefined && typeof key === 'number')) {
      const out = Array.isArray(container) ? container.slice() : [];
      if (last && value === undefined) out.splice(key, 1);
      else out[key] = last ? value : setIn(out[key], path, value, orders, depth + 1);
      return out;
    }
    const obj = isObject(container) ? container : {};
    const name = String(key);
    if (last && value === undefined) return withoutKey(obj, name);
    const child = last ? value : setIn(own(obj, name), path, value, orders, depth + 1);
    return withKey(obj, name, child, orders[depth]);
  }

  function emptyFor(field, value) {
    if (value !== undefined && value !== null && value !== '') return value;
    if (!field.required) return undefined;
    if (STRINGY.has(field.kind)) return '';
    return value === undefined ? null : value;
  }

  /** Sets `path` inside `root`: an empty value deletes an optional field, blanks a required one. */
  function assign(rootOrder, rootFields, root, path, value) {
    if (!path.length) return root;
    const { field, orders, named } = walk(rootOrder, rootFields, path);
    const stored = field && named ? emptyFor(field, value) : value;
    return setIn(root, path, clone(stored), orders, 0);
  }

  function nodeOrder(schema, type) {
    const found = definition(schema, type);
    return found ? Object.keys(found.properties) : ['type', 'label', 'position'];
  }

  function flowOrder(schema) {
    return Object.keys(isObject(schema.properties) ? schema.properties : {});
  }

  function withNode(schema, doc, id, change) {
    const out = clone(doc);
    const node = own(nodesOf(out), id);
    if (!isObject(node)) return out;
    return withKey(out, 'nodes', withKey(out.nodes, id, change(node), null), flowOrder(schema));
  }

  function setField(schema, doc, id, path, value) {
    return withNode(schema, doc, id, (node) =>
      assign(nodeOrder(schema, node.type), fields(schema, node.type), node, path, value),
    );
  }

  function setFlowField(schema, doc, path, value) {
    return assign(flowOrder(schema), flowFields(schema), clone(doc), path, value);
  }

  /** The ref at `path` of node `id` set to `target`; null or '' disconnects it. */
  function connect(schema, doc, id, path, target) {
    return setField(schema, doc, id, path, target === '' ? null : target);
  }

  function move(doc, id, x, y) {
    const out = clone(doc);
    const node = own(nodesOf(out), id);
    if (!isObject(node)) return out;
    const position = { x: Math.round(x), y: Math.round(y) };
    const moved = withKey(node, 'position', position, ['type', 'label', 'position']);
    out.nodes = withKey(out.nodes, id, moved, null);
    return out;
  }

  /** A new value for `field` (a Field of `fields`): its default, else an empty one with the
   * required parts filled (a new list item, a new map entry). */
  function starter(field) {
    if (field.default !== undefined) return clone(field.default);
    switch (field.kind) {
      case 'text':
      case 'ref':
        return '';
      case 'enum':
        return field.enum[0];
      case 'integer':
      case 'number':
        return field.minimum ?? 0;
      case 'boolean':
        return false;
      case 'strings':
      case 'enums':
      case 'list': {
        const one = { list: () => requiredValues(field.item, {}), enums: () => field.enum[0] };
        return Array.from({ length: field.minItems || 0 }, one[field.kind] || (() => ''));
      }
      case 'object':
        return requiredValues(field.item || [], {});
      case 'map':
        return {};
      default:
        return null;
    }
  }

  function requiredValues(list, into) {
    for (const f of list) if (f.required) put(into, f.name, starter(f));
    return into;
  }

  /** A new node of `type` at `at`, with its required fields filled: {doc, id}. */
  function addNode(schema, doc, type, at) {
    if (!definition(schema, type)) {
      const known = nodeTypes(schema).map((t) => t.type).join(', ');
      throw new Error(`Unknown node type '${type}'. Available types: ${known}`);
    }
    const list = fields(schema, type);
    const out = clone(doc);
    const nodes = nodesOf(out);
    let n = 1;
    while (has(nodes, `${type}_${n}`)) n++;
    const id = `${type}_${n}`;
    const where = isObject(at) ? at : { x: 40, y: 40 };
    const node = { type, position: { x: Math.round(where.x), y: Math.round(where.y) } };
    const added = withKey(nodes, id, requiredValues(list, node), null);
    return { doc: withKey(out, 'nodes', added, flowOrder(schema)), id };
  }

  /** The doc with every reference to `from` (ports, start, interrupts) replaced by `to`. */
  function retarget(schema, doc, from, to) {
    let out = doc;
    for (const id of Object.keys(nodesOf(doc))) {
      for (const p of ports(schema, doc, id)) {
        if (p.target === from) out = connect(schema, out, id, p.path, to);
      }
    }
    if (own(out, 'start') === from) out = setFlowField(schema, out, ['start'], to);
    const interrupts = own(out, 'interrupts');
    if (Array.isArray(interrupts)) {
      interrupts.forEach((item, i) => {
        if (own(item, 'goto') !== from) return;
        out = setFlowField(schema, out, ['interrupts', i, 'goto'], to);
      });
    }
    return out;
  }

  function removeNode(schema, doc, id) {
    if (!has(nodesOf(doc), id)) return clone(doc);
    const out = retarget(schema, doc, id, null);
    return withKey(out, 'nodes', withoutKey(out.nodes, id), null);
  }

  /** {doc, error}: error is null, 'missing', 'invalid' or 'taken'; on error doc is the input. */
  function renameNode(schema, doc, from, to) {
    const nodes = nodesOf(doc);
    if (!has(nodes, from)) return { doc, error: 'missing' };
    if (!validId(schema, to)) return { doc, error: 'invalid' };
    if (to === from) return { doc: clone(doc), error: null };
    if (has(nodes, to)) return { doc, error: 'taken' };
    const out = retarget(schema, doc, from, to);
    const renamed = {};
    for (const k of Object.keys(out.nodes)) put(renamed, k === from ? to : k, out.nodes[k]);
    return { doc: withKey(out, 'nodes', renamed, null), error: null };
  }

  // ---- what the page shows ----

  /** `$.nodes.<id>`, or `$.nodes['<id>']` for an id that is no identifier (the server's paths). */
  const NODE_AT = /^\$\.nodes(?:\.([A-Za-z_][A-Za-z0-9_-]*)|\['([^']*)'\]|\["([^"]*)"\])(?=$|[.[])/;

  /** The node a server issue ({path}) is about, or null when it is about the flow. */
  function issueNode(issue) {
    const match = NODE_AT.exec(typeof issue.path === 'string' ? issue.path : '');
    return match ? (match[1] ?? match[2] ?? match[3]) : null;
  }

  /** Server issues grouped by node (issueNode); the rest belong to the flow. */
  function issuesByNode(issues) {
    const out = { nodes: {}, flow: [] };
    for (const issue of issues || []) {
      const id = issueNode(issue);
      if (id === null) {
        out.flow.push(issue);
        continue;
      }
      if (!has(out.nodes, id)) put(out.nodes, id, []);
      out.nodes[id].push(issue);
    }
    return out;
  }

  const SUMMARY_MAX = 60;

  /** A one-line preview of node `id` for its box; `counted(n, key)` words a count of its
   * `rules` or `branches` (default: `3 rules`). */
  function summary(doc, id, counted) {
    const node = own(nodesOf(doc), id);
    if (!isObject(node)) return '';
    const first = (v) => (Array.isArray(v) ? v[0] : v);
    const get = (key) => own(node, key);
    const vars = get('vars');
    const count = (key) => {
      const list = get(key);
      if (!Array.isArray(list) || !list.length) return '';
      return counted ? counted(list.length, key) : `${list.length} ${key}`;
    };
    const candidates = [
      () => first(get('text')),
      () => first(get('texts')),
      () => first(get('random')),
      () => get('prompt'),
      () => get('message'),
      () => (typeof get('group') === 'string' && get('group').trim() ? `→ ${get('group')}` : ''),
      () => get('url'),
      () => (isObject(vars) ? Object.keys(vars).join(', ') : ''),
      () => count('rules'),
      () => count('branches'),
    ];
    for (const candidate of candidates) {
      const value = candidate();
      if (typeof value !== 'string' || !value.trim()) continue;
      const chars = Array.from(value.replace(/\r\n|\r|\n/g, ' ').trim());
      if (chars.length <= SUMMARY_MAX) return chars.join('');
      return chars.slice(0, SUMMARY_MAX - 1).join('') + '…';
    }
    return '';
  }

  /** Undo/redo over whole documents; pushing after an undo drops what could be redone. */
  function createHistory(doc, limit = 100) {
    let stack = [doc];
    let index = 0;
    return {
      current: () => stack[index],
      push(next) {
        const now = stack[index];
        if (next === now || JSON.stringify(next) === JSON.stringify(now)) return now;
        stack = stack.slice(0, index + 1);
        stack.push(next);
        if (stack.length > limit + 1) stack = stack.slice(stack.length - limit - 1);
        index = stack.length - 1;
        return next;
      },
      undo() {
        if (index > 0) index--;
        return stack[index];
      },
      redo() {
        if (index < stack.length - 1) index++;
        return stack[index];
      },
      canUndo: () => index > 0,
      canRedo: () => index < stack.length - 1,
    };
  }

  return {
    nodeTypes,
    fields,
    flowFields,
    validId,
    validFlowId,
    ports,
    edges,
    layout,
    addNode,
    starter,
    removeNode,
    renameNode,
    connect,
    move,
    setField,
    setFlowField,
    issueNode,
    issuesByNode,
    summary,
    createHistory,
  };
});
