/* chatflow flow editor: the versions of the flow on screen. Roll back to an older version (the
 * server publishes a copy of it as a new version; history is never rewritten), delete a draft,
 * and the Changes tab: the saved version against the published one, as the server's unified
 * diff, one line per row coloured by its sign. Text goes in through textContent.
 * Exposed as window.EditorVersions. */
(function (root) {
  'use strict';

  const { el } = root.ChatflowAdmin;

  /**
   * `els`: {rollback, deleteDraft, diff, diffTitle}. `options`: `api`, `t`, `flowId()`,
   * `version()` (the version on screen or null), `published()` (the published version's
   * number or null), `dirty()`, `readOnly()`, `reopen(number | 0 for the latest)`,
   * `toast(text, kind)`, `explain(result)`.
   */
  function create(els, options) {
    const { api, t } = options;
    const base = () => `api/v1/admin/flows/${encodeURIComponent(options.flowId())}`;

    /** Shows the actions that apply to the version on screen. */
    function render() {
      const version = options.version();
      const calm = Boolean(version) && !options.dirty() && !options.readOnly();
      els.rollback.hidden = !calm || version.status === 'published';
      els.deleteDraft.hidden = !calm || version.status !== 'draft';
    }

    async function rollback() {
      const version = options.version();
      if (!window.confirm(t('rollbackConfirm', { version: version.version }))) return;
      const body = { version: version.version };
      const result = await api('POST', `${base()}/rollback`, body);
      if (!result.ok) {
        options.toast(options.explain(result), 'error');
        return;
      }
      await options.reopen(result.data.version);
      options.toast(t('rolledBack', { from: version.version, version: result.data.version }));
    }

    async function deleteDraft() {
      const version = options.version();
      if (!window.confirm(t('deleteDraftConfirm', { version: version.version }))) return;
      const result = await api('DELETE', `${base()}/versions/${version.version}`);
      if (!result.ok) {
        options.toast(options.explain(result), 'error');
        return;
      }
      await options.reopen(0);
      options.toast(t('draftDeleted', { version: version.version }));
    }

    /** Fills the Changes tab: what the version on screen changes against the published one. */
    async function showDiff() {
      const version = options.version();
      const published = options.published();
      els.diff.replaceChildren();
      if (!version) {
        els.diffTitle.textContent = t('diffUnsavedFlow');
        return;
      }
      if (published === null || published === version.version) {
        els.diffTitle.textContent =
          published === null ? t('diffNothingPublished') : t('diffIsPublished');
        return;
      }
      const path = `${base()}/diff?from=${published}&to=${version.version}`;
      const result = await api('GET', path);
      if (!result.ok) {
        els.diffTitle.textContent = options.explain(result);
        return;
      }
      const text = await result.response.text();
      const title = t('diffTitle', { from: published, to: version.version });
      els.diffTitle.textContent = options.dirty() ? `${title} ${t('diffNotSaved')}` : title;
      if (!text) {
        els.diff.appendChild(el('span', 'ed-diff-same', t('diffSame')));
        return;
      }
      for (const line of text.replace(/\n$/, '').split('\n')) {
        let kind = 'same';
        if (line.startsWith('@@')) kind = 'hunk';
        else if (line.startsWith('+++') || line.startsWith('---')) kind = 'file';
        else if (line.startsWith('+')) kind = 'added';
        else if (line.startsWith('-')) kind = 'removed';
        els.diff.appendChild(el('span', `ed-diff-line ed-diff-${kind}`, line));
      }
    }

    els.rollback.addEventListener('click', rollback);
    els.deleteDraft.addEventListener('click', deleteDraft);
    return { render, showDiff };
  }

  root.EditorVersions = { create };
})(typeof self !== 'undefined' ? self : this);
