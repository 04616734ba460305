/* chatflow visual flow editor: loads a flow version through the flows API, draws its nodes on
 * a canvas (drag to move, drag a port's dot onto a node to connect), edits each node's fields
 * in a form built from the flow JSON schema, checks every change on the server as
 * `chatflow validate` would, and saves drafts or publishes. The document logic is
 * EditorState's (no DOM); this file draws it and turns clicks into its calls. Every flow text
 * reaches the page through textContent or form values, never as markup.
 * User guide: docs/editor.md; API: docs/admin-api.md. */
(function () {
  'use strict';

  const admin = window.ChatflowAdmin;
  const i18n = window.ChatflowI18n;
  const messages = window.EditorMessages;
  const ES = window.EditorState;

  const TOKEN_KEY = 'chatflow.editor.token';
  const CHECK_DELAY_MS = 400;
  const ZOOMS = [0.5, 0.65, 0.8, 1, 1.25, 1.5];
  const STAGE_MARGIN = 400;
  const SVG = 'http://www.w3.org/2000/svg';
  const MOVE_THRESHOLD = 3;

  const params = new URLSearchParams(location.search);
  const lang = i18n.pick([params.get('lang'), ...(navigator.languages || [navigator.language])]);
  const t = (key, vars) => i18n.translateWith(messages, lang, key, vars);
  // The page is /<prefix>/editor: API paths are relative to <prefix>/.
  const basePath = location.pathname.replace(/editor\/?$/, '');

  const $ = (id) => document.getElementById(id);
  const els = {
    login: $('ed-login'),
    loginForm: $('ed-login-form'),
    account: $('ed-account'),
    password: $('ed-password'),
    loginError: $('ed-login-error'),
    loginButton: $('ed-login-button'),
    app: $('ed-app'),
    flow: $('ed-flow'),
    newFlow: $('ed-new'),
    newFlowForm: $('ed-newflow'),
    newFlowId: $('ed-newflow-id'),
    newFlowCancel: $('ed-newflow-cancel'),
    newFlowError: $('ed-newflow-error'),
    version: $('ed-version'),
    state: $('ed-state'),
    me: $('ed-me'),
    logout: $('ed-logout'),
    tabCanvas: $('ed-tab-canvas'),
    tabYaml: $('ed-tab-yaml'),
    undo: $('ed-undo'),
    redo: $('ed-redo'),
    layout: $('ed-layout'),
    zoomOut: $('ed-zoom-out'),
    zoomIn: $('ed-zoom-in'),
    zoom: $('ed-zoom'),
    note: $('ed-note'),
    save: $('ed-save'),
    publish: $('ed-publish'),
    banner: $('ed-banner'),
    palette: $('ed-palette-items'),
    canvas: $('ed-canvas'),
    stage: $('ed-stage'),
    edges: $('ed-edges'),
    nodes: $('ed-nodes'),
    yamlPane: $('ed-yaml-pane'),
    yaml: $('ed-yaml'),
    yamlCheck: $('ed-yaml-check'),
    yamlSave: $('ed-yaml-save'),
    yamlReset: $('ed-yaml-reset'),
    inspector: $('ed-inspector'),
    issues: $('ed-issues'),
    issuesTitle: $('ed-issues-title'),
    issueList: $('ed-issue-list'),
    toasts: $('ed-toasts'),
  };

  const client = admin.createClient({
    basePath,
    tokenKey: TOKEN_KEY,
    offline: () => t('offline'),
    onExpired: () => expire(),
  });
  const api = client.api;
  const { el, button } = admin;
  let showLoginForm = null;

  /** The flow JSON schema (GET api/v1/admin/flow-schema). */
  let schema = null;
  /** [{flow_id, versions, latest_version, published_version, sites}] */
  let flows = [];
  /** The flow on screen: {id, isNew, versions: [...], version: {...} | null}. */
  let current = null;
  let timeline = null;
  /** JSON of the document as last loaded or saved: what "unsaved" compares against. */
  let savedJson = '';
  /** YAML of the loaded version, comments and all; the YAML tab shows it until a change. */
  let savedYaml = '';
  let selected = null;
  let readOnly = false;
  let tab = 'canvas';
  let zoom = 1;
  /** The latest server check: {errors, warnings, yaml, json} (json = the document it checked). */
  let check = { errors: [], warnings: [], yaml: '', json: '' };
  let checkTimer = null;
  let checkSerial = 0;
  let yamlEdited = false;

  const doc = () => timeline.current();
  const dirty = () => Boolean(timeline) && (current.isNew || JSON.stringify(doc()) !== savedJson);

  function toast(text, kind) {
    admin.toast(els.toasts, text, kind);
  }

  function typeName(type) {
    const key = `type_${type}`;
    const name = t(key);
    return name === key ? type : name;
  }

  // ---- login ----------------------------------------------------------------------------

  function explain(result) {
    if (result.status === 403) return t('forbidden');
    if (result.status === 0) return t('offline');
    return t('failed', { message: result.message || result.status });
  }

  function showLogin(message) {
    els.app.hidden = true;
    showLoginForm(message);
  }

  function expire() {
    client.setToken(null);
    timeline = null;
    current = null;
    showLogin(t('loginExpired'));
  }

  async function logout() {
    if (dirty() && !window.confirm(t('discardChanges'))) return;
    await api('POST', 'api/v1/auth/logout');
    client.setToken(null);
    timeline = null;
    current = null;
    showLogin('');
  }

  async function start() {
    const who = await api('GET', 'api/v1/agents/me');
    if (!who.ok) {
      if (client.token()) expire();
      return;
    }
    els.me.textContent = who.data.nickname || who.data.account;
    const found = await api('GET', 'api/v1/admin/flow-schema');
    if (!found.ok) {
      showLogin(explain(found));
      client.setToken(null);
      return;
    }
    schema = found.data;
    els.login.hidden = true;
    els.app.hidden = false;
    renderPalette();
    const wanted = params.get('flow');
    await loadFlows(wanted);
  }

  // ---- loading --------------------------------------------------------------------------

  async function loadFlows(wanted, wantedVersion) {
    const result = await api('GET', 'api/v1/admin/flows');
    if (!result.ok) {
      toast(explain(result), 'error');
      return;
    }
    flows = result.data;
    const pick = flows.find((f) => f.flow_id === wanted) || flows[0];
    renderFlowPicker(pick ? pick.flow_id : null);
    if (pick) await openFlow(pick.flow_id, wantedVersion || Number(params.get('version')) || 0);
    else newFlowForm(true);
  }

  async function openFlow(flowId, wantedVersion) {
    const result = await api('GET', `api/v1/admin/flows/${encodeURIComponent(flowId)}/versions`);
    if (!result.ok) {
      toast(explain(result), 'error');
      return;
    }
    const versions = result.data;
    const chosen =
      versions.find((v) => v.version === wantedVersion) || versions[versions.length - 1];
    await openVersion(flowId, versions, chosen.version);
  }

  async function openVersion(flowId, versions, number) {
    const path = `api/v1/admin/flows/${encodeURIComponent(flowId)}/versions/${number}`;
    const result = await api('GET', path);
    if (!result.ok) {
      toast(explain(result), 'error');
      return;
    }
    const version = result.data;
    if (!version.document) {
      toast(t('unreadable', { version: number }), 'error');
      return;
    }
    current = { id: flowId, isNew: false, versions, version };
    savedYaml = version.yaml;
    resetDocument(version.document);
    renderVersionPicker();
    const url = new URL(location.href);
    url.searchParams.set('flow', flowId);
    url.searchParams.set('version', String(number));
    window.history.replaceState(null, '', url);
  }

  function resetDocument(document) {
    timeline = ES.createHistory(document);
    savedJson = JSON.stringify(document);
    selected = null;
    yamlEdited = false;
    check = { errors: [], warnings: [], yaml: savedYaml, json: savedJson };
    els.yaml.value = savedYaml;
    render();
    scheduleCheck(0);
  }

  // ---- changing the document ------------------------------------------------------------

  /** Every edit goes through here: one undo step, a redraw and a server check. */
  function commit(next) {
    if (readOnly || !next || JSON.stringify(next) === JSON.stringify(doc())) return;
    timeline.push(next);
    if (selected && !(selected in (next.nodes || {}))) selected = null;
    render();
    scheduleCheck(CHECK_DELAY_MS);
  }

  function undo() {
    if (!timeline || !timeline.canUndo()) return;
    timeline.undo();
    afterTimeTravel();
  }

  function redo() {
    if (!timeline || !timeline.canRedo()) return;
    timeline.redo();
    afterTimeTravel();
  }

  function afterTimeTravel() {
    if (selected && !(selected in (doc().nodes || {}))) selected = null;
    render();
    scheduleCheck(CHECK_DELAY_MS);
  }

  function addNode(type, at) {
    const result = ES.addNode(schema, doc(), type, at || visibleCentre());
    commit(result.doc);
    select(result.id);
  }

  function removeSelected() {
    if (!selected || readOnly) return;
    commit(ES.removeNode(schema, doc(), selected));
    selected = null;
    render();
  }

  function autoLayout() {
    const bare = JSON.parse(JSON.stringify(doc()));
    for (const node of Object.values(bare.nodes || {})) delete node.position;
    const places = ES.layout(schema, bare, {});
    let next = doc();
    for (const [id, at] of Object.entries(places)) next = ES.move(next, id, at.x, at.y);
    commit(next);
  }

  function visibleCentre() {
    const x = (els.canvas.scrollLeft + els.canvas.clientWidth / 2) / zoom - 110;
    const y = (els.canvas.scrollTop + els.canvas.clientHeight / 2) / zoom - 40;
    return { x: Math.max(20, x), y: Math.max(20, y) };
  }

  // ---- checking and saving --------------------------------------------------------------

  /** Checks the document `delay` ms from now; the issue list is dimmed until the answer. */
  function scheduleCheck(delay) {
    clearTimeout(checkTimer);
    els.issues.classList.add('is-checking');
    checkTimer = setTimeout(runCheck, delay);
  }

  function checked() {
    els.issues.classList.remove('is-checking');
  }

  async function runCheck() {
    if (!timeline || readOnly) {
      checked();
      return;
    }
    const json = JSON.stringify(doc());
    const serial = ++checkSerial;
    const path = `api/v1/admin/flows/${encodeURIComponent(current.id)}/check`;
    const result = await api('POST', path, { document: doc() });
    if (serial !== checkSerial || !timeline) return;
    checked();
    if (result.status === 403) {
      readOnly = true;
      render();
      return;
    }
    if (!result.ok) {
      check = { errors: [], warnings: [], yaml: check.yaml, json: '', failed: explain(result) };
      renderIssues();
      return;
    }
    check = {
      errors: result.data.errors,
      warnings: result.data.warnings,
      yaml: json === savedJson && !current.isNew ? savedYaml : result.data.yaml,
      json,
    };
    if (!yamlEdited) els.yaml.value = check.yaml;
    renderNodes();
    renderInspector();
    renderIssues();
  }

  function refused(result) {
    const data = result.data || {};
    if (result.status === 422 && Array.isArray(data.errors)) {
      check = { errors: data.errors, warnings: data.warnings || [], yaml: check.yaml, json: '' };
      render();
      return t('notSavedErrors', { count: data.errors.length });
    }
    return explain(result);
  }

  /** Saves the document as a new version (a draft, or published at once). */
  async function save(publish) {
    if (!timeline || readOnly) return false;
    const note = els.note.value.trim();
    const path =
      `api/v1/admin/flows/${encodeURIComponent(current.id)}/versions` +
      (publish ? '?publish=true' : '');
    busy(true);
    const result = await api('POST', path, { document: doc(), note });
    busy(false);
    if (!result.ok) {
      toast(refused(result), 'error');
      return false;
    }
    els.note.value = '';
    await reopen(result.data.version);
    toast(t(publish ? 'published' : 'saved', { version: result.data.version }), 'info');
    return true;
  }

  async function publish() {
    if (!timeline || readOnly) return;
    if (dirty()) {
      await save(true);
      return;
    }
    const number = current.version.version;
    const path = `api/v1/admin/flows/${encodeURIComponent(current.id)}/versions/${number}/publish`;
    busy(true);
    const result = await api('POST', path);
    busy(false);
    if (!result.ok) {
      toast(refused(result), 'error');
      return;
    }
    await reopen(number);
    toast(t('published', { version: number }), 'info');
  }

  async function saveYaml() {
    if (readOnly || !current) return;
    const path = `api/v1/admin/flows/${encodeURIComponent(current.id)}/versions`;
    busy(true);
    const result = await api('POST', path, { yaml: els.yaml.value, note: els.note.value.trim() });
    busy(false);
    if (!result.ok) {
      toast(refused(result), 'error');
      return;
    }
    els.note.value = '';
    await reopen(result.data.version);
    toast(t('saved', { version: result.data.version }), 'info');
  }

  async function checkYaml() {
    if (!current) return;
    const path = `api/v1/admin/flows/${encodeURIComponent(current.id)}/check`;
    const result = await api('POST', path, { yaml: els.yaml.value });
    if (!result.ok) {
      toast(explain(result), 'error');
      return;
    }
    check = { errors: result.data.errors, warnings: result.data.warnings, yaml: '', json: '' };
    renderIssues();
    if (!check.errors.length) toast(t('yamlFine'), 'info');
  }

  async function reopen(number) {
    const flowId = current.id;
    const listed = await api('GET', 'api/v1/admin/flows');
    if (listed.ok) flows = listed.data;
    renderFlowPicker(flowId);
    await openFlow(flowId, number);
  }

  function busy(on) {
    els.save.disabled = on || readOnly;
    els.publish.disabled = on || readOnly;
    els.yamlSave.disabled = on || readOnly;
  }

  // ---- new flows ------------------------------------------------------------------------

  function newFlowForm(show) {
    els.newFlowForm.hidden = !show;
    els.newFlowError.textContent = '';
    if (show) els.newFlowId.focus();
  }

  function createFlow(event) {
    event.preventDefault();
    const id = els.newFlowId.value.trim();
    if (!/^[A-Za-z0-9_][A-Za-z0-9_-]*$/.test(id)) {
      els.newFlowError.textContent = t('badFlowId');
      return;
    }
    if (flows.some((f) => f.flow_id === id)) {
      els.newFlowError.textContent = t('flowTaken');
      return;
    }
    if (dirty() && !window.confirm(t('discardChanges'))) return;
    newFlowForm(false);
    els.newFlowId.value = '';
    current = { id, isNew: true, versions: [], version: null };
    savedYaml = '';
    const starter = {
      id,
      name: id,
      start: 'welcome',
      nodes: {
        welcome: { type: 'message', position: { x: 40, y: 40 }, text: t('starterText'), next: 'bye' },
        bye: { type: 'end', position: { x: 340, y: 40 } },
      },
    };
    flows = flows.concat([{ flow_id: id, isNew: true }]);
    renderFlowPicker(id);
    resetDocument(starter);
    renderVersionPicker();
  }

  // ---- drawing --------------------------------------------------------------------------

  function render() {
    if (!timeline) return;
    renderToolbar();
    renderNodes();
    renderInspector();
    renderIssues();
  }

  function renderPalette() {
    els.palette.replaceChildren(
      ...ES.nodeTypes(schema).map((kind) => {
        const item = button(`ed-palette-item ed-type-${kind.type}`, typeName(kind.type), () =>
          addNode(kind.type),
        );
        item.title = kind.description || '';
        item.draggable = true;
        item.dataset.type = kind.type;
        item.addEventListener('dragstart', (event) => {
          event.dataTransfer.setData('application/x-chatflow-node', kind.type);
          event.dataTransfer.effectAllowed = 'copy';
        });
        return item;
      }),
    );
  }

  function renderFlowPicker(flowId) {
    els.flow.replaceChildren(
      ...flows.map((f) => {
        const option = el('option', '', f.isNew ? `${f.flow_id} (${t('unsaved')})` : f.flow_id);
        option.value = f.flow_id;
        return option;
      }),
    );
    if (flowId) els.flow.value = flowId;
  }

  function renderVersionPicker() {
    const versions = current ? current.versions : [];
    els.version.replaceChildren(
      ...versions
        .slice()
        .reverse()
        .map((v) => {
          const option = el('option', '', `v${v.version} · ${t(`status_${v.status}`)}`);
          option.value = String(v.version);
          return option;
        }),
    );
    els.version.disabled = !versions.length;
    if (current && current.version) els.version.value = String(current.version.version);
  }

  function renderToolbar() {
    els.undo.disabled = readOnly || !timeline.canUndo();
    els.redo.disabled = readOnly || !timeline.canRedo();
    els.layout.disabled = readOnly;
    els.save.disabled = readOnly || !dirty();
    const published = current.version && current.version.status === 'published';
    els.publish.disabled = readOnly || (published && !dirty());
    els.yamlSave.disabled = readOnly;
    els.zoom.textContent = `${Math.round(zoom * 100)}%`;
    let state = '';
    if (readOnly) state = t('readOnly');
    else if (dirty()) state = t('unsaved');
    else if (current.version) state = t(`status_${current.version.status}`);
    els.state.textContent = state;
    els.state.className = `ed-state${dirty() ? ' is-dirty' : ''}`;
    const notes = [];
    if (current.version && current.version.comments) notes.push(t('commentsNotice'));
    if (readOnly) notes.push(t('readOnlyNotice'));
    els.banner.hidden = !notes.length;
    els.banner.textContent = notes.join(' ');
    els.tabCanvas.setAttribute('aria-selected', String(tab === 'canvas'));
    els.tabYaml.setAttribute('aria-selected', String(tab === 'yaml'));
    els.canvas.hidden = tab !== 'canvas';
    els.yamlPane.hidden = tab !== 'yaml';
    els.yaml.readOnly = readOnly;
  }

  function issueIndex() {
    return {
      errors: ES.issuesByNode(check.errors || []),
      warnings: ES.issuesByNode(check.warnings || []),
    };
  }

  function renderNodes() {
    const flow = doc();
    const places = ES.layout(schema, flow, {});
    const index = issueIndex();
    const boxes = [];
    let width = 0;
    let height = 0;
    for (const id of Object.keys(flow.nodes || {})) {
      const node = flow.nodes[id];
      const at = places[id] || { x: 40, y: 40 };
      width = Math.max(width, at.x);
      height = Math.max(height, at.y);
      boxes.push(nodeBox(id, node, at, index));
    }
    els.nodes.replaceChildren(...boxes);
    const stageWidth = width + STAGE_MARGIN;
    const stageHeight = height + STAGE_MARGIN;
    els.stage.style.width = `${stageWidth}px`;
    els.stage.style.height = `${stageHeight}px`;
    els.stage.style.transform = `scale(${zoom})`;
    els.edges.setAttribute('width', String(stageWidth));
    els.edges.setAttribute('height', String(stageHeight));
    drawEdges();
  }

  function nodeBox(id, node, at, index) {
    const errors = index.errors.nodes[id] || [];
    const warnings = index.warnings.nodes[id] || [];
    const box = el('div', `ed-node ed-type-${node.type}`);
    box.dataset.id = id;
    box.style.left = `${at.x}px`;
    box.style.top = `${at.y}px`;
    box.tabIndex = 0;
    box.setAttribute('role', 'button');
    box.setAttribute('aria-label', `${typeName(node.type)} ${id}`);
    if (id === selected) box.classList.add('is-selected');
    if (errors.length) box.classList.add('has-errors');
    else if (warnings.length) box.classList.add('has-warnings');
    const head = el('div', 'ed-node-head');
    head.appendChild(el('span', 'ed-node-type', typeName(node.type)));
    head.appendChild(el('span', 'ed-node-id', id));
    if (doc().start === id) head.appendChild(el('span', 'ed-node-start', t('startNode')));
    if (errors.length || warnings.length) {
      const count = el('span', 'ed-node-issues', String(errors.length || warnings.length));
      count.title = (errors.length ? errors : warnings).map((i) => i.message).join('\n');
      head.appendChild(count);
    }
    box.appendChild(head);
    if (node.label) box.appendChild(el('div', 'ed-node-label', node.label));
    const preview = ES.summary(doc(), id);
    if (preview) box.appendChild(el('div', 'ed-node-summary', preview));
    const ports = ES.ports(schema, doc(), id);
    if (ports.length) {
      const list = el('ul', 'ed-ports');
      for (const port of ports) {
        const row = el('li', 'ed-port');
        row.appendChild(el('span', 'ed-port-label', port.label));
        const missing = port.target && !(port.target in doc().nodes);
        const target = el('span', `ed-port-target${missing ? ' is-missing' : ''}`);
        target.textContent = port.target ? `→ ${port.target}` : '';
        row.appendChild(target);
        const dot = el('span', `ed-port-dot${port.target ? ' is-linked' : ''}`);
        dot.dataset.path = JSON.stringify(port.path);
        dot.title = t('dragToConnect');
        row.appendChild(dot);
        list.appendChild(row);
      }
      box.appendChild(list);
    }
    head.addEventListener('pointerdown', (event) => startMove(event, id, box));
    box.addEventListener('click', (event) => {
      if (!event.target.classList.contains('ed-port-dot')) select(id);
    });
    box.addEventListener('keydown', (event) => {
      if (event.key === 'Enter' && event.target === box) select(id);
    });
    for (const dot of box.querySelectorAll('.ed-port-dot')) {
      dot.addEventListener('pointerdown', (event) => startConnect(event, id, dot));
    }
    return box;
  }

  /** Where a point of an element is on the stage (unscaled stage pixels). */
  function onStage(rect, fx, fy) {
    const stage = els.stage.getBoundingClientRect();
    return {
      x: (rect.left + rect.width * fx - stage.left) / zoom,
      y: (rect.top + rect.height * fy - stage.top) / zoom,
    };
  }

  function curve(from, to) {
    const bend = Math.max(40, Math.abs(to.x - from.x) / 2);
    return `M ${from.x} ${from.y} C ${from.x + bend} ${from.y}, ${to.x - bend} ${to.y}, ${to.x} ${to.y}`;
  }

  function drawEdges(extra) {
    const paths = [];
    const defs = document.createElementNS(SVG, 'defs');
    const marker = document.createElementNS(SVG, 'marker');
    marker.setAttribute('id', 'ed-arrow');
    marker.setAttribute('viewBox', '0 0 10 10');
    marker.setAttribute('refX', '9');
    marker.setAttribute('refY', '5');
    marker.setAttribute('markerWidth', '7');
    marker.setAttribute('markerHeight', '7');
    marker.setAttribute('orient', 'auto-start-reverse');
    const tip = document.createElementNS(SVG, 'path');
    tip.setAttribute('d', 'M 0 0 L 10 5 L 0 10 z');
    marker.appendChild(tip);
    defs.appendChild(marker);
    paths.push(defs);
    const boxes = new Map();
    for (const box of els.nodes.children) boxes.set(box.dataset.id, box);
    for (const edge of ES.edges(schema, doc())) {
      const source = boxes.get(edge.from);
      const target = boxes.get(edge.to);
      if (!source || !target) continue;
      const dot = [...source.querySelectorAll('.ed-port-dot')].find(
        (d) => d.dataset.path === JSON.stringify(edge.path),
      );
      if (!dot) continue;
      const from = onStage(dot.getBoundingClientRect(), 0.5, 0.5);
      const head = target.querySelector('.ed-node-head').getBoundingClientRect();
      const to = onStage(head, 0, 0.5);
      const path = document.createElementNS(SVG, 'path');
      path.setAttribute('d', curve(from, { x: to.x - 2, y: to.y }));
      path.setAttribute('class', 'ed-edge');
      path.setAttribute('marker-end', 'url(#ed-arrow)');
      path.dataset.from = edge.from;
      path.dataset.to = edge.to;
      paths.push(path);
    }
    if (extra) paths.push(extra);
    els.edges.replaceChildren(...paths);
  }

  // ---- pointer gestures: move a node, draw a connection, drop a new node ------------------

  function startMove(event, id, box) {
    if (event.button !== 0 || readOnly) return;
    event.preventDefault();
    const origin = { x: event.clientX, y: event.clientY };
    const from = { x: parseFloat(box.style.left), y: parseFloat(box.style.top) };
    let moved = false;
    box.setPointerCapture(event.pointerId);
    box.classList.add('is-moving');
    const onMove = (e) => {
      const dx = (e.clientX - origin.x) / zoom;
      const dy = (e.clientY - origin.y) / zoom;
      if (!moved && Math.hypot(dx, dy) < MOVE_THRESHOLD) return;
      moved = true;
      box.style.left = `${Math.max(0, from.x + dx)}px`;
      box.style.top = `${Math.max(0, from.y + dy)}px`;
      drawEdges();
    };
    const onUp = () => {
      box.removeEventListener('pointermove', onMove);
      box.removeEventListener('pointerup', onUp);
      box.removeEventListener('pointercancel', onUp);
      box.classList.remove('is-moving');
      if (moved) {
        commit(ES.move(doc(), id, parseFloat(box.style.left), parseFloat(box.style.top)));
      }
      select(id);
    };
    box.addEventListener('pointermove', onMove);
    box.addEventListener('pointerup', onUp);
    box.addEventListener('pointercancel', onUp);
  }

  function startConnect(event, id, dot) {
    if (event.button !== 0 || readOnly) return;
    event.preventDefault();
    event.stopPropagation();
    const path = JSON.parse(dot.dataset.path);
    const from = onStage(dot.getBoundingClientRect(), 0.5, 0.5);
    const line = document.createElementNS(SVG, 'path');
    line.setAttribute('class', 'ed-edge is-drawing');
    dot.setPointerCapture(event.pointerId);
    const onMove = (e) => {
      const to = onStage({ left: e.clientX, top: e.clientY, width: 0, height: 0 }, 0, 0);
      line.setAttribute('d', curve(from, to));
      drawEdges(line);
    };
    const onUp = (e) => {
      dot.removeEventListener('pointermove', onMove);
      dot.removeEventListener('pointerup', onUp);
      dot.removeEventListener('pointercancel', onCancel);
      const under = document.elementFromPoint(e.clientX, e.clientY);
      const box = under && under.closest('.ed-node');
      if (box && box.dataset.id !== undefined) {
        commit(ES.connect(schema, doc(), id, path, box.dataset.id));
        select(id);
      } else drawEdges();
    };
    const onCancel = () => {
      dot.removeEventListener('pointermove', onMove);
      dot.removeEventListener('pointerup', onUp);
      dot.removeEventListener('pointercancel', onCancel);
      drawEdges();
    };
    dot.addEventListener('pointermove', onMove);
    dot.addEventListener('pointerup', onUp);
    dot.addEventListener('pointercancel', onCancel);
  }

  function onDrop(event) {
    const type = event.dataTransfer.getData('application/x-chatflow-node');
    if (!type || readOnly) return;
    event.preventDefault();
    const at = onStage({ left: event.clientX, top: event.clientY, width: 0, height: 0 }, 0, 0);
    addNode(type, { x: Math.max(0, at.x - 20), y: Math.max(0, at.y - 16) });
  }

  function setZoom(step) {
    const index = Math.max(0, Math.min(ZOOMS.length - 1, ZOOMS.indexOf(zoom) + step));
    zoom = ZOOMS[index];
    render();
  }

  // ---- the inspector --------------------------------------------------------------------

  function select(id) {
    selected = id;
    for (const box of els.nodes.children) {
      box.classList.toggle('is-selected', box.dataset.id === id);
    }
    renderInspector();
  }

  function renderInspector() {
    if (!timeline) return;
    const flow = doc();
    if (selected && flow.nodes && selected in flow.nodes) nodeInspector(selected);
    else flowInspector();
  }

  function heading(text) {
    return el('h2', 'ed-inspector-title', text);
  }

  function flowInspector() {
    const parts = [heading(t('flowSettings'))];
    const index = issueIndex();
    parts.push(issueNotes([...index.errors.flow, ...index.warnings.flow]));
    const form = el('div', 'ed-form');
    const onChange = (path, value) => commit(ES.setFlowField(schema, doc(), path, value));
    for (const field of ES.flowFields(schema)) {
      if (field.name === 'id') continue;
      form.appendChild(fieldRow(field, [field.name], doc()[field.name], onChange));
    }
    parts.push(form);
    els.inspector.replaceChildren(...parts);
  }

  function issueNotes(issues) {
    const list = el('ul', 'ed-node-notes');
    for (const issue of issues) {
      const item = el('li', 'ed-note-item', issue.message);
      list.appendChild(item);
    }
    list.hidden = !issues.length;
    return list;
  }

  function nodeInspector(id) {
    const node = doc().nodes[id];
    const parts = [heading(`${typeName(node.type)} · ${id}`)];
    const index = issueIndex();
    parts.push(issueNotes([...(index.errors.nodes[id] || []), ...(index.warnings.nodes[id] || [])]));

    const idRow = el('label', 'ed-row');
    idRow.appendChild(el('span', 'ed-row-name', t('nodeId')));
    const idInput = el('input', 'ed-input');
    idInput.value = id;
    idInput.id = 'ed-node-id';
    idInput.maxLength = 64;
    idInput.readOnly = readOnly;
    const idError = el('span', 'ed-field-error');
    idInput.addEventListener('change', () => {
      const wanted = idInput.value.trim();
      if (wanted === id) return;
      const result = ES.renameNode(schema, doc(), id, wanted);
      if (result.error) {
        idError.textContent = t(`rename_${result.error}`);
        return;
      }
      selected = wanted;
      commit(result.doc);
    });
    idRow.appendChild(idInput);
    idRow.appendChild(idError);
    parts.push(idRow);

    const actions = el('div', 'ed-actions');
    if (doc().start !== id) {
      actions.appendChild(
        button('ed-make-start', t('makeStart'), () =>
          commit(ES.setFlowField(schema, doc(), ['start'], id)),
        ),
      );
    }
    const remove = button('ui-danger ed-delete', t('deleteNode'), removeSelected);
    actions.appendChild(remove);
    for (const b of actions.children) b.disabled = readOnly;
    parts.push(actions);

    const form = el('div', 'ed-form');
    const onChange = (path, value) => commit(ES.setField(schema, doc(), id, path, value));
    for (const field of ES.fields(schema, node.type)) {
      form.appendChild(fieldRow(field, [field.name], node[field.name], onChange));
    }
    parts.push(form);
    els.inspector.replaceChildren(...parts);
  }

  /** One labelled control for `field` (a Field of EditorState.fields) holding `value`. */
  function fieldRow(field, path, value, onChange) {
    const row = el('div', `ed-row ed-kind-${field.kind}`);
    const name = el('label', 'ed-row-name', field.name);
    if (field.required) name.appendChild(el('span', 'ed-required', ' *'));
    name.title = field.description || '';
    row.appendChild(name);
    if (field.description) row.title = field.description;
    const control = fieldControl(field, path, value, onChange);
    const inputId = `ed-f-${path.join('-')}`;
    if (control.matches('input, select, textarea')) {
      control.id = inputId;
      name.htmlFor = inputId;
    }
    row.appendChild(control);
    return row;
  }

  function placeholderFor(field) {
    if (field.default === undefined || field.default === null) return '';
    return typeof field.default === 'string' ? field.default : JSON.stringify(field.default);
  }

  function fieldControl(field, path, value, onChange) {
    const kind = field.kind;
    if (kind === 'text') {
      const long = /template/i.test(field.description || '') || field.name === 'description';
      const input = el(long ? 'textarea' : 'input', 'ed-input');
      if (long) input.rows = 2;
      input.value = value === undefined || value === null ? '' : String(value);
      input.placeholder = placeholderFor(field);
      input.addEventListener('change', () => onChange(path, input.value));
      return lock(input);
    }
    if (kind === 'integer' || kind === 'number') {
      const input = el('input', 'ed-input');
      input.type = 'number';
      if (field.minimum !== undefined) input.min = String(field.minimum);
      if (field.maximum !== undefined) input.max = String(field.maximum);
      input.step = kind === 'integer' ? '1' : 'any';
      input.value = value === undefined || value === null ? '' : String(value);
      input.placeholder = placeholderFor(field);
      input.addEventListener('change', () =>
        onChange(path, input.value === '' ? null : Number(input.value)),
      );
      return lock(input);
    }
    if (kind === 'boolean') {
      const input = el('input', 'ed-check');
      input.type = 'checkbox';
      input.checked = value === undefined || value === null ? Boolean(field.default) : value;
      input.addEventListener('change', () => onChange(path, input.checked));
      return lock(input);
    }
    if (kind === 'enum' || kind === 'ref') {
      const select = el('select', 'ed-input');
      const choices =
        kind === 'enum' ? field.enum || [] : Object.keys((doc() && doc().nodes) || {});
      const options = [];
      if (!field.required || kind === 'ref') {
        const none = el('option', '', kind === 'ref' ? t('noTarget') : placeholderFor(field));
        none.value = '';
        options.push(none);
      }
      for (const choice of choices) {
        const option = el('option', '', String(choice));
        option.value = String(choice);
        options.push(option);
      }
      if (value && !choices.includes(value)) {
        const option = el('option', '', t('missingTarget', { id: value }));
        option.value = String(value);
        options.push(option);
      }
      select.replaceChildren(...options);
      select.value = value === undefined || value === null ? '' : String(value);
      select.addEventListener('change', () => onChange(path, select.value || null));
      return lock(select);
    }
    if (kind === 'strings') {
      const input = el('textarea', 'ed-input');
      input.rows = 3;
      input.value = Array.isArray(value) ? value.join('\n') : '';
      input.placeholder = t('onePerLine');
      input.addEventListener('change', () => {
        const lines = input.value
          .split('\n')
          .map((s) => s.trim())
          .filter(Boolean);
        onChange(path, lines.length ? lines : null);
      });
      return lock(input);
    }
    if (kind === 'enums') {
      const box = el('div', 'ed-enums');
      const chosen = new Set(Array.isArray(value) ? value : []);
      for (const choice of field.enum || []) {
        const label = el('label', 'ed-enum');
        const input = el('input', 'ed-check');
        input.type = 'checkbox';
        input.checked = chosen.has(choice);
        input.disabled = readOnly;
        input.addEventListener('change', () => {
          if (input.checked) chosen.add(choice);
          else chosen.delete(choice);
          onChange(
            path,
            (field.enum || []).filter((c) => chosen.has(c)),
          );
        });
        label.appendChild(input);
        label.appendChild(document.createTextNode(String(choice)));
        box.appendChild(label);
      }
      return box;
    }
    if (kind === 'list') return listControl(field, path, value, onChange);
    if (kind === 'map') return mapControl(field, path, value, onChange);
    if (kind === 'object') {
      const box = el('div', 'ed-object');
      const inner = value && typeof value === 'object' ? value : {};
      for (const sub of field.item || []) {
        box.appendChild(fieldRow(sub, path.concat([sub.name]), inner[sub.name], onChange));
      }
      return box;
    }
    return jsonControl(field, path, value, onChange);
  }

  function lock(control) {
    control.disabled = readOnly;
    return control;
  }

  function listControl(field, path, value, onChange) {
    const box = el('div', 'ed-list');
    const items = Array.isArray(value) ? value : [];
    items.forEach((item, i) => {
      const entry = el('fieldset', 'ed-item');
      entry.appendChild(el('legend', '', `${i + 1}`));
      const itemValue = item && typeof item === 'object' ? item : {};
      for (const sub of field.item || []) {
        entry.appendChild(fieldRow(sub, path.concat([i, sub.name]), itemValue[sub.name], onChange));
      }
      const tools = el('div', 'ed-item-tools');
      const up = button('ed-up', '↑', () => onChange(path, swap(items, i, i - 1)));
      up.setAttribute('aria-label', t('moveUp'));
      up.disabled = readOnly || i === 0;
      const down = button('ed-down', '↓', () => onChange(path, swap(items, i, i + 1)));
      down.setAttribute('aria-label', t('moveDown'));
      down.disabled = readOnly || i === items.length - 1;
      const drop = button('ed-remove', t('remove'), () =>
        onChange(
          path,
          items.filter((_, j) => j !== i),
        ),
      );
      drop.disabled = readOnly || items.length <= (field.minItems || 0);
      tools.append(up, down, drop);
      entry.appendChild(tools);
      box.appendChild(entry);
    });
    const add = button('ed-add', t('addItem'), () =>
      onChange(path, items.concat([ES.starter({ kind: 'object', item: field.item || [] })])),
    );
    add.disabled = readOnly;
    box.appendChild(add);
    return box;
  }

  function swap(items, i, j) {
    const out = items.slice();
    [out[i], out[j]] = [out[j], out[i]];
    return out;
  }

  function mapControl(field, path, value, onChange) {
    const box = el('div', 'ed-map');
    const entries = value && typeof value === 'object' ? Object.entries(value) : [];
    const valueField = field.value || { kind: 'json', name: '' };
    const rebuild = (list) => onChange(path, list.length ? Object.fromEntries(list) : null);
    entries.forEach(([key, entryValue], i) => {
      const entry = el('div', 'ed-map-entry');
      const keyInput = el('input', 'ed-input ed-map-key');
      keyInput.value = key;
      keyInput.setAttribute('aria-label', t('key'));
      keyInput.disabled = readOnly;
      keyInput.addEventListener('change', () => {
        const wanted = keyInput.value.trim();
        if (!wanted || entries.some(([k], j) => k === wanted && j !== i)) {
          keyInput.value = key;
          return;
        }
        rebuild(entries.map(([k, v], j) => (j === i ? [wanted, v] : [k, v])));
      });
      entry.appendChild(keyInput);
      const setValue = (subPath, newValue) => {
        if (subPath.length === path.length + 1) {
          rebuild(entries.map(([k, v], j) => (j === i ? [k, newValue] : [k, v])));
        } else onChange(subPath, newValue);
      };
      entry.appendChild(fieldControl(valueField, path.concat([key]), entryValue, setValue));
      const drop = button('ed-remove', t('remove'), () =>
        rebuild(entries.filter((_, j) => j !== i)),
      );
      drop.disabled = readOnly;
      entry.appendChild(drop);
      box.appendChild(entry);
    });
    const add = button('ed-add', t('addEntry'), () => {
      let n = entries.length + 1;
      while (entries.some(([k]) => k === `key${n}`)) n += 1;
      rebuild(entries.concat([[`key${n}`, ES.starter(valueField)]]));
    });
    add.disabled = readOnly;
    box.appendChild(add);
    return box;
  }

  function jsonControl(field, path, value, onChange) {
    const wrap = el('div', 'ed-json');
    const input = el('textarea', 'ed-input ed-code');
    input.rows = 3;
    input.spellcheck = false;
    input.value = value === undefined ? '' : JSON.stringify(value, null, 2);
    input.placeholder = placeholderFor(field);
    const error = el('span', 'ed-field-error');
    input.addEventListener('change', () => {
      if (input.value.trim() === '') {
        onChange(path, null);
        return;
      }
      try {
        onChange(path, JSON.parse(input.value));
        error.textContent = '';
      } catch (_) {
        error.textContent = t('badJson');
      }
    });
    input.disabled = readOnly;
    wrap.append(input, error);
    return wrap;
  }

  // ---- issues ---------------------------------------------------------------------------

  function renderIssues() {
    const errors = check.errors || [];
    const warnings = check.warnings || [];
    if (check.failed) els.issuesTitle.textContent = check.failed;
    else if (!errors.length && !warnings.length) els.issuesTitle.textContent = t('noIssues');
    else {
      els.issuesTitle.textContent = t('issueCount', {
        errors: errors.length,
        warnings: warnings.length,
      });
    }
    els.issuesTitle.className = `ed-issues-title${errors.length ? ' has-errors' : ''}`;
    const nodeOf = (issue) => {
      const found = /^\$\.nodes\.([A-Za-z0-9_][A-Za-z0-9_-]*)/.exec(issue.path || '');
      return found ? found[1] : null;
    };
    const rows = [];
    for (const [kind, list] of [
      ['error', errors],
      ['warning', warnings],
    ]) {
      for (const issue of list) {
        const item = el('li', `ed-issue ed-issue-${kind}`);
        const id = nodeOf(issue);
        const where = id ? id : issue.path || '';
        item.appendChild(el('span', 'ed-issue-where', where));
        item.appendChild(el('span', 'ed-issue-text', issue.message));
        if (id && doc().nodes && id in doc().nodes) {
          item.classList.add('is-link');
          item.tabIndex = 0;
          const go = () => {
            showTab('canvas');
            select(id);
            const box = [...els.nodes.children].find((b) => b.dataset.id === id);
            if (box) box.scrollIntoView({ block: 'center', inline: 'center' });
          };
          item.addEventListener('click', go);
          item.addEventListener('keydown', (event) => {
            if (event.key === 'Enter') go();
          });
        }
        rows.push(item);
      }
    }
    els.issueList.replaceChildren(...rows);
  }

  // ---- tabs, pickers, keys --------------------------------------------------------------

  function showTab(name) {
    if (name === tab) return;
    if (name === 'canvas' && yamlEdited) {
      if (!window.confirm(t('discardYamlEdits'))) return;
      yamlEdited = false;
      els.yaml.value = check.yaml;
    }
    tab = name;
    renderToolbar();
    if (name === 'canvas') drawEdges();
  }

  async function pickFlow() {
    const wanted = els.flow.value;
    if (dirty() && !window.confirm(t('discardChanges'))) {
      els.flow.value = current.id;
      return;
    }
    flows = flows.filter((f) => !f.isNew || f.flow_id === wanted);
    renderFlowPicker(wanted);
    const known = flows.find((f) => f.flow_id === wanted);
    if (known && !known.isNew) await openFlow(wanted, 0);
  }

  async function pickVersion() {
    const wanted = Number(els.version.value);
    if (dirty() && !window.confirm(t('discardChanges'))) {
      els.version.value = String(current.version.version);
      return;
    }
    await openVersion(current.id, current.versions, wanted);
  }

  function typing(target) {
    return target && target.closest && target.closest('input, textarea, select, [contenteditable]');
  }

  function onKey(event) {
    if (!timeline || els.app.hidden) return;
    const mod = event.ctrlKey || event.metaKey;
    if (mod && event.key.toLowerCase() === 's') {
      event.preventDefault();
      if (tab === 'yaml') saveYaml();
      else save(false);
      return;
    }
    if (typing(event.target)) return;
    if (mod && event.key.toLowerCase() === 'z') {
      event.preventDefault();
      if (event.shiftKey) redo();
      else undo();
    } else if (mod && event.key.toLowerCase() === 'y') {
      event.preventDefault();
      redo();
    } else if ((event.key === 'Delete' || event.key === 'Backspace') && selected) {
      event.preventDefault();
      removeSelected();
    } else if (event.key === 'Escape') {
      select(null);
    }
  }

  // ---- wiring ---------------------------------------------------------------------------

  function wire() {
    admin.translatePage(t, lang);
    const loginEls = {
      login: els.login,
      form: els.loginForm,
      account: els.account,
      password: els.password,
      error: els.loginError,
      button: els.loginButton,
    };
    showLoginForm = admin.bindLogin(loginEls, client, t, explain, start);
    els.logout.addEventListener('click', logout);
    els.flow.addEventListener('change', pickFlow);
    els.version.addEventListener('change', pickVersion);
    els.newFlow.addEventListener('click', () => newFlowForm(els.newFlowForm.hidden));
    els.newFlowForm.addEventListener('submit', createFlow);
    els.newFlowCancel.addEventListener('click', () => newFlowForm(false));
    els.tabCanvas.addEventListener('click', () => showTab('canvas'));
    els.tabYaml.addEventListener('click', () => showTab('yaml'));
    els.undo.addEventListener('click', undo);
    els.redo.addEventListener('click', redo);
    els.layout.addEventListener('click', autoLayout);
    els.zoomIn.addEventListener('click', () => setZoom(1));
    els.zoomOut.addEventListener('click', () => setZoom(-1));
    els.save.addEventListener('click', () => save(false));
    els.publish.addEventListener('click', publish);
    els.yaml.addEventListener('input', () => {
      yamlEdited = true;
    });
    els.yamlCheck.addEventListener('click', checkYaml);
    els.yamlSave.addEventListener('click', saveYaml);
    els.yamlReset.addEventListener('click', () => {
      yamlEdited = false;
      els.yaml.value = check.yaml || savedYaml;
      scheduleCheck(0);
    });
    els.canvas.addEventListener('dragover', (event) => {
      if (event.dataTransfer.types.includes('application/x-chatflow-node')) {
        event.preventDefault();
        event.dataTransfer.dropEffect = 'copy';
      }
    });
    els.canvas.addEventListener('drop', onDrop);
    els.canvas.addEventListener('click', (event) => {
      if (event.target === els.canvas || event.target === els.stage) select(null);
    });
    document.addEventListener('keydown', onKey);
    window.addEventListener('beforeunload', (event) => {
      if (dirty() || yamlEdited) {
        event.preventDefault();
        event.returnValue = '';
      }
    });
    window.addEventListener('resize', () => drawEdges());
    if (client.token()) start();
    else showLogin('');
  }

  wire();
})();
