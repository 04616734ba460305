/* chatflow flow editor: the canvas. One box per node (type, id, label, a preview, a row per
 * exit with a dot to drag onto the node it should lead to), arrows drawn in SVG between them,
 * and the pointer gestures: move a box by its title bar, connect, drop a new node from the
 * palette. Positions are stage pixels; the stage is scaled by the zoom. Every flow text goes
 * in through textContent. Exposed as window.EditorCanvas. */
(function (root) {
  'use strict';

  const { el } = root.ChatflowAdmin;
  const EditorState = root.EditorState;
  const SVG = 'http://www.w3.org/2000/svg';
  const STAGE_MARGIN = 400;
  const MOVE_THRESHOLD = 3;

  /**
   * `els`: {stage, edges, nodes}. `options`: `schema()`, `doc()`, `zoom()`, `selected()`,
   * `trying()` (the node a Try conversation is at), `readOnly()`, `issues()` ({errors,
   * warnings} by node, from EditorState.issuesByNode),
   * `t(key)`, `typeName(type)`, and what a gesture does: `commit(doc)`, `select(id)`,
   * `addNode(type, at)`.
   */
  function create(els, options) {
    const { schema, doc, t } = options;

    function render() {
      const flow = doc();
      const places = EditorState.layout(schema(), flow, {});
      const index = options.issues();
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
      els.stage.style.transform = `scale(${options.zoom()})`;
      els.edges.setAttribute('width', String(stageWidth));
      els.edges.setAttribute('height', String(stageHeight));
      drawEdges();
    }

    /** A box's issue colour and count (the last thing in its title bar), from `index`. */
    function markIssues(box, index) {
      const id = box.dataset.id;
      const errors = index.errors.nodes[id] || [];
      const warnings = index.warnings.nodes[id] || [];
      box.classList.toggle('has-errors', errors.length > 0);
      box.classList.toggle('has-warnings', !errors.length && warnings.length > 0);
      const head = box.querySelector('.ed-node-head');
      const old = head.querySelector('.ed-node-issues');
      if (old) old.remove();
      if (errors.length || warnings.length) {
        const count = el('span', 'ed-node-issues', String(errors.length || warnings.length));
        count.title = (errors.length ? errors : warnings).map((i) => i.message).join('\n');
        head.appendChild(count);
      }
    }

    /** Marks the box of node `id` (none when null) with `className`, and no other box. */
    function mark(className, id) {
      for (const box of els.nodes.children) box.classList.toggle(className, box.dataset.id === id);
    }

    /** A check answered: the boxes show its issues (nothing else of them changed). */
    function showIssues() {
      const index = options.issues();
      for (const box of els.nodes.children) markIssues(box, index);
    }

    function nodeBox(id, node, at, index) {
      const box = el('div', `ed-node ed-type-${node.type}`);
      box.dataset.id = id;
      box.style.left = `${at.x}px`;
      box.style.top = `${at.y}px`;
      box.tabIndex = 0;
      box.setAttribute('role', 'button');
      box.setAttribute('aria-label', `${options.typeName(node.type)} ${id}`);
      if (id === options.selected()) box.classList.add('is-selected');
      if (id === options.trying()) box.classList.add('is-trying');
      const head = el('div', 'ed-node-head');
      head.appendChild(el('span', 'ed-node-type', options.typeName(node.type)));
      head.appendChild(el('span', 'ed-node-id', id));
      if (doc().start === id) head.appendChild(el('span', 'ed-node-start', t('startNode')));
      box.appendChild(head);
      markIssues(box, index);
      if (node.label) box.appendChild(el('div', 'ed-node-label', node.label));
      const preview = EditorState.summary(doc(), id, (n, key) => t(`count_${key}`, { n }));
      if (preview) box.appendChild(el('div', 'ed-node-summary', preview));
      // the flow's interrupts that jump here from anywhere, by their keywords
      for (const jump of interruptsTo(id)) {
        const words = Array.isArray(jump.keywords) ? jump.keywords.join(', ') : '';
        const line = el('div', 'ed-node-interrupt', `⚡ ${words}`);
        line.title = t('interruptHere', { words });
        box.appendChild(line);
      }
      const ports = EditorState.ports(schema(), doc(), id);
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
        if (!event.target.classList.contains('ed-port-dot')) options.select(id);
      });
      box.addEventListener('keydown', (event) => {
        if (event.key === 'Enter' && event.target === box) options.select(id);
      });
      for (const dot of box.querySelectorAll('.ed-port-dot')) {
        dot.addEventListener('pointerdown', (event) => startConnect(event, id, dot));
      }
      return box;
    }

    function interruptsTo(id) {
      const all = doc().interrupts;
      return Array.isArray(all) ? all.filter((jump) => jump && jump.goto === id) : [];
    }

    /** Where a point of an element is on the stage (unscaled stage pixels). */
    function onStage(rect, fx, fy) {
      const stage = els.stage.getBoundingClientRect();
      return {
        x: (rect.left + rect.width * fx - stage.left) / options.zoom(),
        y: (rect.top + rect.height * fy - stage.top) / options.zoom(),
      };
    }

    function curve(from, to) {
      const bend = Math.max(40, Math.abs(to.x - from.x) / 2);
      const [c1, c2] = [`${from.x + bend} ${from.y}`, `${to.x - bend} ${to.y}`];
      return `M ${from.x} ${from.y} C ${c1}, ${c2}, ${to.x} ${to.y}`;
    }

    /** The arrow head every edge ends with; made once, put back by each drawEdges(). */
    const arrowDefs = (() => {
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
      return defs;
    })();

    function boxesById() {
      const boxes = new Map();
      for (const box of els.nodes.children) boxes.set(box.dataset.id, box);
      return boxes;
    }

    /** An edge's `d` from its port's dot (`port`: the dot's data-path) to the target's title
     * bar, as the boxes stand now; null when either end is not drawn. */
    function edgeCurve(boxes, from, port, to) {
      const source = boxes.get(from);
      const target = boxes.get(to);
      if (!source || !target) return null;
      const dot = [...source.querySelectorAll('.ed-port-dot')].find((d) => d.dataset.path === port);
      if (!dot) return null;
      const start = onStage(dot.getBoundingClientRect(), 0.5, 0.5);
      const end = onStage(target.querySelector('.ed-node-head').getBoundingClientRect(), 0, 0.5);
      return curve(start, { x: end.x - 2, y: end.y });
    }

    function drawEdges() {
      const boxes = boxesById();
      const paths = [arrowDefs];
      for (const edge of EditorState.edges(schema(), doc())) {
        const port = JSON.stringify(edge.path);
        const d = edgeCurve(boxes, edge.from, port, edge.to);
        if (d === null) continue;
        const path = document.createElementNS(SVG, 'path');
        path.setAttribute('d', d);
        path.setAttribute('class', 'ed-edge');
        path.setAttribute('marker-end', 'url(#ed-arrow)');
        path.dataset.from = edge.from;
        path.dataset.to = edge.to;
        path.dataset.port = port;
        paths.push(path);
      }
      els.edges.replaceChildren(...paths);
    }

    /** While node `id` is dragged only its own arrows move: no edge list, no other arrow read. */
    function redrawEdgesOf(id) {
      const boxes = boxesById();
      for (const path of els.edges.querySelectorAll('.ed-edge')) {
        const { from, to, port } = path.dataset;
        if (from !== id && to !== id) continue;
        const d = edgeCurve(boxes, from, port, to);
        if (d !== null) path.setAttribute('d', d);
      }
    }

    // ---- pointer gestures: move a node, draw a connection, drop a new node ------------------

    function startMove(event, id, box) {
      if (event.button !== 0 || options.readOnly()) return;
      event.preventDefault();
      const origin = { x: event.clientX, y: event.clientY };
      const from = { x: parseFloat(box.style.left), y: parseFloat(box.style.top) };
      let moved = false;
      box.setPointerCapture(event.pointerId);
      box.classList.add('is-moving');
      const onMove = (e) => {
        const dx = (e.clientX - origin.x) / options.zoom();
        const dy = (e.clientY - origin.y) / options.zoom();
        if (!moved && Math.hypot(dx, dy) < MOVE_THRESHOLD) return;
        moved = true;
        box.style.left = `${Math.max(0, from.x + dx)}px`;
        box.style.top = `${Math.max(0, from.y + dy)}px`;
        redrawEdgesOf(id);
      };
      const onUp = () => {
        box.removeEventListener('pointermove', onMove);
        box.removeEventListener('pointerup', onUp);
        box.removeEventListener('pointercancel', onUp);
        box.classList.remove('is-moving');
        if (moved) {
          const [x, y] = [parseFloat(box.style.left), parseFloat(box.style.top)];
          options.commit(EditorState.move(doc(), id, x, y));
        }
        options.select(id);
      };
      box.addEventListener('pointermove', onMove);
      box.addEventListener('pointerup', onUp);
      box.addEventListener('pointercancel', onUp);
    }

    function startConnect(event, id, dot) {
      if (event.button !== 0 || options.readOnly()) return;
      event.preventDefault();
      event.stopPropagation();
      const path = JSON.parse(dot.dataset.path);
      const from = onStage(dot.getBoundingClientRect(), 0.5, 0.5);
      const line = document.createElementNS(SVG, 'path');
      line.setAttribute('class', 'ed-edge is-drawing');
      els.edges.appendChild(line);
      dot.setPointerCapture(event.pointerId);
      const onMove = (e) => {
        const to = onStage({ left: e.clientX, top: e.clientY, width: 0, height: 0 }, 0, 0);
        line.setAttribute('d', curve(from, to));
      };
      const stop = () => {
        dot.removeEventListener('pointermove', onMove);
        dot.removeEventListener('pointerup', onUp);
        dot.removeEventListener('pointercancel', stop);
        line.remove();
      };
      const onUp = (e) => {
        stop();
        const under = document.elementFromPoint(e.clientX, e.clientY);
        const box = under && under.closest('.ed-node');
        if (box && box.dataset.id !== undefined) {
          options.commit(EditorState.connect(schema(), doc(), id, path, box.dataset.id));
          options.select(id);
        }
      };
      dot.addEventListener('pointermove', onMove);
      dot.addEventListener('pointerup', onUp);
      dot.addEventListener('pointercancel', stop);
    }

    function onDrop(event) {
      const type = event.dataTransfer.getData('application/x-chatflow-node');
      if (!type || options.readOnly()) return;
      event.preventDefault();
      const at = onStage({ left: event.clientX, top: event.clientY, width: 0, height: 0 }, 0, 0);
      options.addNode(type, { x: Math.max(0, at.x - 20), y: Math.max(0, at.y - 16) });
    }

    return { render, mark, showIssues, drawEdges, onDrop };
  }

  root.EditorCanvas = { create };
})(typeof self !== 'undefined' ? self : this);
