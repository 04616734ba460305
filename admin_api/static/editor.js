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
  const messages = window.EditorMessages;
  const ES = window.EditorState;

  const CHECK_DELAY_MS = 400;
  const ZOOMS = [0.5, 0.65, 0.8, 1, 1.25, 1.5];

  const $ = (id) => document.getElementById(id);
  const els = {
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
    tabDiff: $('ed-tab-diff'),
    diffPane: $('ed-diff-pane'),
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
    tryOpen: $('ed-try-open'),
    tryClose: $('ed-try-close'),
    issues: $('ed-issues'),
    issuesTitle: $('ed-issues-title'),
    issueList: $('ed-issue-list'),
    toasts: $('ed-toasts'),
  };

  const page = admin.page({
    path: 'editor',
    prefix: 'ed',
    messages,
    offline: 'offline',
    onExpired: () => expire(),
  });
  const { params, t, client, showLogin } = page;
  /** The page language's words of the schema's descriptions; none for English (the schema's). */
  const helpWords = (messages.help && messages.help[page.lang]) || {};
  const api = client.api;
  const { el, button } = admin;
  const canvas = window.EditorCanvas.create(els, {
    schema: () => schema,
    doc: () => doc(),
    zoom: () => zoom,
    selected: () => selected,
    trying: () => tryPanel.node(),
    readOnly: () => readOnly,
    issues: () => issueIndex(),
    t,
    typeName: (type) => typeName(type),
    commit: (next) => commit(next),
    select: (id) => select(id),
    addNode: (type, at) => addNode(type, at),
  });
  const tryPanel = window.EditorTry.create(
    {
      panel: $('ed-try'),
      log: $('ed-try-log'),
      status: $('ed-try-status'),
      note: $('ed-try-note'),
      form: $('ed-try-form'),
      input: $('ed-try-input'),
      openingForm: $('ed-try-opening-form'),
      opening: $('ed-try-opening'),
      actions: $('ed-try-actions'),
    },
    {
      api,
      t,
      flowId: () => current.id,
      doc: () => doc(),
      onNode: (id) => canvas.mark('is-trying', id),
    },
  );
  const versions = window.EditorVersions.create(
    {
      rollback: $('ed-rollback'),
      deleteDraft: $('ed-delete-draft'),
      diff: $('ed-diff'),
      diffTitle: $('ed-diff-title'),
    },
    {
      api,
      t,
      flowId: () => current.id,
      version: () => current.version,
      published: () => {
        const listed = flows.find((f) => f.flow_id === current.id);
        return listed && listed.published_version ? listed.published_version : null;
      },
      dirty: () => dirty(),
      readOnly: () => readOnly,
      reopen: (number) => reopen(number),
      toast: (text, kind) => toast(text, kind),
      explain: (result) => explain(result),
    },
  );
  const { fieldRow } = window.EditorFields.create({
    t,
    help: (field) => help(field.key, field.description),
    readOnly: () => readOnly,
    nodes: () => Object.keys((timeline && doc().nodes) || {}),
  });
  const inspector = window.EditorInspector.create(els.inspector, {
    schema: () => schema,
    doc: () => doc(),
    readOnly: () => readOnly,
    issues: () => issueIndex(),
    t,
    typeName: (type) => typeName(type),
    fieldRow,
    commit: (next) => commit(next),
    renamed: (id) => {
      selected = id;
    },
    remove: () => removeSelected(),
  });

  /** The flow JSON schema (GET api/v1/admin/flow-schema). */
  let schema = null;
  /** [{flow_id, versions, latest_version, published_version, sites}] */
  let flows = [];
  /** The flow on screen: {id, isNew, versions: [...], version: {...} | null}. */
  let current = null;
  let timeline = null;
  /** JSON of the document as last loaded or saved: what "unsaved" compares against. */
  let savedJson = '';
  /** The document's YAML as the server writes it; the loaded version's own text (comments and
   * all) while the document is as loaded. The YAML tab shows it unless typed in. */
  let docYaml = '';
  let selected = null;
  let readOnly = false;
  let tab = 'canvas';
  let zoom = 1;
  /** The issues on screen: {errors, warnings, failed?, json, comments?}; json is the document
   * they are of, '' when they are of no document (a failed check, a save's refusal, the YAML
   * text); comments, whether the YAML a save of that document would store has comments. */
  let check = { errors: [], warnings: [], json: '' };
  let checkTimer = null;
  let checkSerial = 0;

  const doc = () => timeline.current();
  const dirty = () => Boolean(timeline) && (current.isNew || JSON.stringify(doc()) !== savedJson);
  const savedYaml = () => (current.version ? current.version.yaml : '');
  /** A check or save body for the document on screen. It names the version the document was
   * loaded from (`base`): the server writes the changes onto that version's YAML, so its
   * comments stay. */
  const documentBody = (extra) =>
    current.version && !current.isNew
      ? { document: doc(), base: current.version.version, ...extra }
      : { document: doc(), ...extra };
  /** Whether the YAML tab holds text typed there (a textarea reads back \r\n as \n). */
  const yamlEdited = () => els.yaml.value !== docYaml.replace(/\r\n?/g, '\n');

  function toast(text, kind) {
    admin.toast(els.toasts, text, kind);
  }

  function typeName(type) {
    const key = `type_${type}`;
    const name = t(key);
    return name === key ? type : name;
  }

  /** What the schema says of `key` (a node type, a Field's key) in the page's language; the
   * schema's own English (`english`) when the page is English or has no words for it. */
  function help(key, english) {
    return Object.prototype.hasOwnProperty.call(helpWords, key) ? helpWords[key] : english || '';
  }

  // ---- login ----------------------------------------------------------------------------

  function explain(result) {
    if (result.status === 403) return t('forbidden');
    if (result.status === 0) return t('offline');
    return t('failed', { message: result.message || result.status });
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
    const who = await page.signedIn();
    if (!who) return;
    els.me.textContent = who.nickname || who.account;
    const found = await api('GET', 'api/v1/admin/flow-schema');
    if (!found.ok) {
      // the tab's login stays: the workbench and the console it came from may still use it
      showLogin(explain(found));
      return;
    }
    schema = found.data;
    // a view-only account sees everything read-only; a 403 from a check says so too
    const mine = await api('GET', 'api/v1/agents/me/rights');
    readOnly = mine.ok && mine.data.rights.flows !== 'edit';
    page.showApp();
    els.newFlow.hidden = readOnly;
    els.tryOpen.hidden = readOnly;
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
    check = { errors: [], warnings: [], json: '' };
    docYaml = savedYaml();
    els.yaml.value = docYaml;
    render();
    if (tab === 'diff') versions.showDiff();
    scheduleCheck(0);
  }

  // ---- changing the document ------------------------------------------------------------

  /** Every edit goes through here: one undo step, a redraw and a server check. */
  function commit(next) {
    if (readOnly || !next) return;
    const before = doc();
    if (timeline.push(next) === before) return; // the same document: no step, no redraw
    changed();
  }

  function undo() {
    if (!timeline || !timeline.canUndo()) return;
    timeline.undo();
    changed();
  }

  function redo() {
    if (!timeline || !timeline.canRedo()) return;
    timeline.redo();
    changed();
  }

  /** The document on screen changed: a selection it no longer has goes, all is redrawn and
   * checked. */
  function changed() {
    if (selected && !(selected in (doc().nodes || {}))) selected = null;
    render();
    scheduleCheck(CHECK_DELAY_MS);
  }

  function addNode(type, at) {
    const result = ES.addNode(schema, doc(), type, at || visibleCentre());
    selected = result.id;
    commit(result.doc);
  }

  function removeSelected() {
    if (!selected || readOnly) return;
    commit(ES.removeNode(schema, doc(), selected));
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
    if (json === check.json) {
      checked(); // the issues on screen are this document's already (an undo and a redo)
      return;
    }
    const serial = ++checkSerial;
    const path = `api/v1/admin/flows/${encodeURIComponent(current.id)}/check`;
    const result = await api('POST', path, documentBody());
    if (serial !== checkSerial || !timeline) return;
    checked();
    if (result.status === 403) {
      readOnly = true;
      render();
      return;
    }
    if (!result.ok) {
      check = { errors: [], warnings: [], json: '', failed: explain(result) };
      renderIssues();
      return;
    }
    const { errors, warnings, comments } = result.data;
    check = { errors, warnings, json, comments };
    const typedIn = yamlEdited();
    docYaml = json === savedJson && !current.isNew ? savedYaml() : result.data.yaml;
    if (!typedIn) els.yaml.value = docYaml;
    if (!check.errors.length) tryPanel.refresh();
    // only the issue marks change: a redrawn inspector would drop what is being typed in it
    canvas.showIssues();
    renderNotes();
    renderIssues();
    renderBanner();
  }

  function refused(result) {
    const data = result.data || {};
    const listed = result.code === 'invalid_flow' || result.code === 'invalid_input';
    if (listed && Array.isArray(data.errors)) {
      check = { errors: data.errors, warnings: data.warnings || [], json: '' };
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
    const result = await api('POST', path, documentBody({ note }));
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
    check = { errors: result.data.errors, warnings: result.data.warnings, json: '' };
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
    if (!ES.validFlowId(schema, id)) {
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
    const starter = {
      id,
      name: id,
      start: 'welcome',
      nodes: {
        welcome: {
          type: 'message',
          position: { x: 40, y: 40 },
          text: t('starterText'),
          next: 'bye',
        },
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
    canvas.render();
    renderInspector();
    renderIssues();
  }

  function renderPalette() {
    els.palette.replaceChildren(
      ...ES.nodeTypes(schema).map((kind) => {
        const item = button(`ed-palette-item ed-type-${kind.type}`, typeName(kind.type), () =>
          addNode(kind.type),
        );
        item.title = help(kind.type, kind.description);
        item.draggable = !readOnly;
        item.disabled = readOnly;
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
    const unsaved = dirty();
    els.save.disabled = readOnly || !unsaved;
    const published = current.version && current.version.status === 'published';
    els.publish.disabled = readOnly || (published && !unsaved);
    els.yamlSave.disabled = readOnly;
    els.zoom.textContent = `${Math.round(zoom * 100)}%`;
    let state = '';
    if (readOnly) state = t('readOnly');
    else if (unsaved) state = t('unsaved');
    else if (current.version) state = t(`status_${current.version.status}`);
    els.state.textContent = state;
    els.state.className = `ed-state${unsaved ? ' is-dirty' : ''}`;
    renderBanner();
    els.tabCanvas.setAttribute('aria-selected', String(tab === 'canvas'));
    els.tabYaml.setAttribute('aria-selected', String(tab === 'yaml'));
    els.tabDiff.setAttribute('aria-selected', String(tab === 'diff'));
    els.canvas.hidden = tab !== 'canvas';
    els.yamlPane.hidden = tab !== 'yaml';
    els.diffPane.hidden = tab !== 'diff';
    versions.render();
    els.yaml.readOnly = readOnly;
  }

  /** What to know before changing this version: whether its comments survive a save (they do,
   * unless the server's check says the text it would store has none), and read-only. */
  function renderBanner() {
    const notes = [];
    if (current.version && current.version.comments) {
      const checkedNow = check.json === JSON.stringify(doc()) && dirty();
      const dropped = checkedNow && check.comments === false;
      notes.push(dropped ? t('commentsDropped') : t('commentsKept'));
    }
    if (readOnly) notes.push(t('readOnlyNotice'));
    els.banner.hidden = !notes.length;
    els.banner.textContent = notes.join(' ');
  }

  function issueIndex() {
    return {
      errors: ES.issuesByNode(check.errors || []),
      warnings: ES.issuesByNode(check.warnings || []),
    };
  }

  function setZoom(step) {
    const index = Math.max(0, Math.min(ZOOMS.length - 1, ZOOMS.indexOf(zoom) + step));
    zoom = ZOOMS[index];
    render();
  }

  // ---- the inspector --------------------------------------------------------------------

  function select(id) {
    selected = id;
    canvas.mark('is-selected', id);
    renderInspector();
  }

  /** The node the inspector shows, or null for the flow's settings. */
  function inspected() {
    const nodes = doc().nodes;
    return selected && nodes && selected in nodes ? selected : null;
  }

  function renderInspector() {
    if (timeline) inspector.render(inspected());
  }

  /** The inspector's issue notes anew, its form left as it is. */
  function renderNotes() {
    inspector.renderNotes(inspected());
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
    const rows = [];
    for (const [kind, list] of [
      ['error', errors],
      ['warning', warnings],
    ]) {
      for (const issue of list) {
        const item = el('li', `ed-issue ed-issue-${kind}`);
        const id = ES.issueNode(issue);
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

  function closeTry() {
    tryPanel.close();
    els.inspector.hidden = false;
  }

  // ---- tabs, pickers, keys --------------------------------------------------------------

  function showTab(name) {
    if (name === tab) return;
    if (name === 'canvas' && yamlEdited()) {
      if (!window.confirm(t('discardYamlEdits'))) return;
      els.yaml.value = docYaml;
    }
    tab = name;
    renderToolbar();
    if (name === 'canvas') canvas.drawEdges();
    if (name === 'diff') versions.showDiff();
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
    page.wireLogin(explain, start);
    els.logout.addEventListener('click', logout);
    els.flow.addEventListener('change', pickFlow);
    els.version.addEventListener('change', pickVersion);
    els.newFlow.addEventListener('click', () => newFlowForm(els.newFlowForm.hidden));
    els.newFlowForm.addEventListener('submit', createFlow);
    els.newFlowCancel.addEventListener('click', () => newFlowForm(false));
    els.tabCanvas.addEventListener('click', () => showTab('canvas'));
    els.tabYaml.addEventListener('click', () => showTab('yaml'));
    els.tabDiff.addEventListener('click', () => showTab('diff'));
    els.undo.addEventListener('click', undo);
    els.redo.addEventListener('click', redo);
    els.layout.addEventListener('click', autoLayout);
    els.zoomIn.addEventListener('click', () => setZoom(1));
    els.zoomOut.addEventListener('click', () => setZoom(-1));
    els.save.addEventListener('click', () => save(false));
    els.publish.addEventListener('click', publish);
    els.tryOpen.addEventListener('click', () => {
      if (tryPanel.isOpen()) closeTry();
      else {
        els.inspector.hidden = true;
        tryPanel.open();
      }
    });
    els.tryClose.addEventListener('click', closeTry);
    els.yamlCheck.addEventListener('click', checkYaml);
    els.yamlSave.addEventListener('click', saveYaml);
    els.yamlReset.addEventListener('click', () => {
      els.yaml.value = docYaml;
      scheduleCheck(0); // the issue list may be the YAML text's
    });
    els.canvas.addEventListener('dragover', (event) => {
      if (event.dataTransfer.types.includes('application/x-chatflow-node')) {
        event.preventDefault();
        event.dataTransfer.dropEffect = 'copy';
      }
    });
    els.canvas.addEventListener('drop', canvas.onDrop);
    els.canvas.addEventListener('click', (event) => {
      if (event.target === els.canvas || event.target === els.stage) select(null);
    });
    document.addEventListener('keydown', onKey);
    window.addEventListener('beforeunload', (event) => {
      if (dirty() || yamlEdited()) {
        event.preventDefault();
        event.returnValue = '';
      }
    });
    window.addEventListener('resize', () => canvas.drawEdges());
    if (client.token()) start();
    else showLogin('');
  }

  wire();
})();
